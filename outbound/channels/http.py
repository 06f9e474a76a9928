"""One HTTP request per delivery, over kept-alive connections, with every failure classified.

Connections are kept per thread and per (scheme, host, port): a worker delivering a batch to one receiver from its
sender threads reuses a handful of connections instead of a TCP (and TLS) handshake per notification. A kept-alive
connection the receiver has closed in the meantime fails on reuse before any reply; that one case is tried once more
on a fresh connection, as browsers and urllib3 do.

Classification: connection errors, timeouts and HTTP 408, 429 and 5xx are transient (with the receiver's
`Retry-After`, in seconds or as an HTTP date, when it gave one); every other 4xx is permanent; 1xx/3xx are
permanent too, since we follow no redirects (a webhook URL that moved must be corrected, not guessed).

Every connection goes to an address hub/webhook_targets.py allows: the host is resolved here, each address it
resolves to checked, and the socket opened to a checked address, so no name (nor a new DNS answer between a check
and the connection) leads a delivery to the cloud's instance metadata service. A refused one is permanent.
"""

from __future__ import annotations

import functools
import http.client
import socket
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from hub.numbers import whole_number
from hub.webhook_targets import Reach, refused_address
from outbound.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError

#: Seconds for connecting and for each read: a receiver slower than this is treated as down for now.
TIMEOUT = 10.0
#: Reply bodies are read (so the connection can be reused) up to this size; only the start is kept for errors.
MAX_REPLY = 64 * 1024
USER_AGENT = "Switchboard-Notifications/1"

_RESET = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes = field(repr=False)


_local = threading.local()


def send(request: Request, *, timeout: float = TIMEOUT, reach: Reach = "network") -> Reply:
    """Send `request` to an address `reach` allows; returns a 2xx reply, or raises Transient-/PermanentDeliveryError."""
    parts = urlsplit(request.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentDeliveryError(f"{request.url!r} is not an http:// or https:// URL")
    key = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), reach)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"User-Agent": USER_AGENT, **request.headers}
    for fresh in (False, True):
        conn, reused = _connection(key, timeout, fresh=fresh)
        try:
            conn.request(request.method, target, body=request.body, headers=headers)
            response = conn.getresponse()
            body = response.read(MAX_REPLY)
            if response.will_close or len(body) >= MAX_REPLY:
                _drop(key)
            reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        except _RESET as exc:
            _drop(key)
            if reused and not fresh:
                continue  # the receiver closed an idle kept-alive connection: once more on a new one
            raise TransientDeliveryError(f"{_where(request)}: connection lost: {type(exc).__name__}: {exc}") from exc
        except TimeoutError as exc:
            _drop(key)
            raise TransientDeliveryError(f"{_where(request)}: no answer within {timeout:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            _drop(key)
            raise TransientDeliveryError(f"{_where(request)}: {type(exc).__name__}: {exc}") from exc
        except BaseException:
            _drop(key)  # a refused address, a header http.client rejects: a half-sent request leaves nothing to reuse
            raise
        problem = classify(reply.status, reply.headers, reply.body, now=datetime.now(UTC))
        if problem is not None:
            raise problem
        return reply
    raise AssertionError("unreachable")  # the loop either returns or raises


def classify(status: int, headers: Mapping[str, str], body: bytes, *, now: datetime) -> DeliveryError | None:
    """None for 2xx; otherwise the error the reply amounts to (pure). `headers` has lower-case names."""
    if 200 <= status <= 299:
        return None
    snippet = body[:200].decode("utf-8", "replace").strip()
    reply = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    if status in (408, 429) or 500 <= status <= 599:
        retry_after = parse_retry_after(headers.get("retry-after"), now=now)
        return TransientDeliveryError(f"the receiver answered {reply}", retry_after=retry_after)
    return PermanentDeliveryError(f"the receiver refused the notification: {reply}")


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date (RFC 9110 10.2.3); None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if (seconds := whole_number(value)) is not None:
        return float(seconds)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


def _where(request: Request) -> str:
    parts = urlsplit(request.url)
    return f"{request.method} {parts.scheme}://{parts.netloc}"


#: A kept connection's scheme, host, port and the reach its address was checked under.
_Key = tuple[str, str, int, Reach]


def _connection(key: _Key, timeout: float, *, fresh: bool) -> tuple[http.client.HTTPConnection, bool]:
    pool: dict[_Key, http.client.HTTPConnection] = _local.__dict__.setdefault("pool", {})
    conn = None if fresh else pool.get(key)
    if conn is not None:
        return conn, True
    scheme, host, port, reach = key
    if scheme == "https":
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    # http.client opens its socket through this attribute (TLS then wraps it, checking the certificate against
    # the host name as before); it is the one place that sees the address actually connected to.
    conn._create_connection = functools.partial(_allowed_connection, reach=reach)  # type: ignore[attr-defined]
    pool[key] = conn
    return conn, False


def _allowed_connection(
    address: tuple[str, int],
    timeout: float | None = None,
    source_address: tuple[str, int] | None = None,
    *,
    reach: Reach,
) -> socket.socket:
    """`socket.create_connection` to an address the policy allows under `reach`: every address the host resolves
    to is checked first (one refused refuses the host, which then names somewhere no receiver should be), then each
    is tried in turn, by number, so the connection goes where the check looked."""
    host, port = address
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in found:
        if (refused := refused_address(str(sockaddr[0]), reach)) is not None:
            named = "" if host == sockaddr[0] else f"{host} resolves to "
            raise PermanentDeliveryError(named + refused)
    last: OSError | None = None
    for *_, sockaddr in found:
        try:
            return socket.create_connection((str(sockaddr[0]), port), timeout, source_address)
        except OSError as exc:
            last = exc
    raise last if last is not None else OSError(f"{host} resolves to no address")


def _drop(key: _Key) -> None:
    pool: dict[_Key, http.client.HTTPConnection] = _local.__dict__.setdefault("pool", {})
    conn = pool.pop(key, None)
    if conn is not None:
        conn.close()
