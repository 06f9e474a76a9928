"""Limits counted in Redis, so every web process shares one count: per-integration requests, failed logins,
answers to a satisfaction survey, the public forms that mail a link, and what one client may do on the public pages.

Fixed windows: simple, one round trip (INCR + EXPIRE in a pipeline), and good enough to stop a misconfigured
tool from flooding the hub or a script from guessing passwords. When Redis does not answer, requests are let
through: refusing alerts or logins because a counter is unavailable would do more harm than the flood.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import request

from hub.accounts import IntegrationRef
from web.services import services

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)
WINDOW = 60


#: Failed logins allowed per address within LOGIN_WINDOW seconds, from whichever clients: guesses at one person's
#: password spread over many machines still count together.
LOGIN_PER_EMAIL = 5
LOGIN_WINDOW = 900


def _hit(client: redis.Redis, name: str, window: int, now: float) -> tuple[int, int]:
    """Count one more in the current fixed window of `window` seconds: (count so far, seconds until it ends)."""
    slot = int(now // window)
    key = f"switchboard:limit:{name}:{slot}"
    pipe = client.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, window * 2)
    return int(pipe.execute()[0]), max(1, int((slot + 1) * window - now))


def _count(client: redis.Redis, name: str, window: int, now: float) -> tuple[int, int]:
    slot = int(now // window)
    value = client.get(f"switchboard:limit:{name}:{slot}")
    return int(value or 0), max(1, int((slot + 1) * window - now))


def _over(client: redis.Redis | None, name: str, limit: int, window: int, now: float | None) -> int | None:
    """Count one more against `name`: seconds to wait when that makes more than `limit` in the window, else None
    (also when there is no Redis)."""
    if client is None:
        return None
    import redis  # loaded with the client (web/services.py), so only looked up here

    try:
        count, wait = _hit(client, name, window, time.time() if now is None else now)
    except redis.RedisError as exc:
        log.warning("limit %s not checked, Redis is unavailable: %s", name, exc)
        return None
    return wait if count > limit else None


def retry_after(client: redis.Redis | None, integration: IntegrationRef, now: float | None = None) -> int | None:
    """Seconds the sender should wait when over its limit, else None (also when there is no limit or no Redis)."""
    if integration.rate_limit is None:
        return None
    return _over(client, f"integration:{integration.id}", integration.rate_limit, WINDOW, now)


#: Answers a requester may send to one incident's satisfaction survey per SURVEY_WINDOW seconds. Each change is a
#: timeline entry; a script flipping Good and Bad would otherwise bury the incident's history.
SURVEY_ANSWERS = 10
SURVEY_WINDOW = 3600


def survey_retry_after(client: redis.Redis | None, incident_id: int, now: float | None = None) -> int | None:
    """Count one answer to the incident's survey: seconds to wait when over SURVEY_ANSWERS this hour, else None."""
    return _over(client, f"survey:{incident_id}", SURVEY_ANSWERS, SURVEY_WINDOW, now)


#: Replies a requester may send from one request's page per REPLY_WINDOW seconds. Each is a timeline entry and a
#: notice to the assignee (within the outbox's own caps); the signed link is the only gate, so a leaked one must
#: not let a script bury the incident. Twenty an hour is more than a person types.
REPLIES_PER_REQUEST = 20
REPLY_WINDOW = 3600


def reply_retry_after(client: redis.Redis | None, incident_id: int, now: float | None = None) -> int | None:
    """Count one page reply to the request: seconds to wait when over REPLIES_PER_REQUEST this hour, else None."""
    return _over(client, f"reply:{incident_id}", REPLIES_PER_REQUEST, REPLY_WINDOW, now)


#: Requests for status updates by mail from everyone, per SUBSCRIBE_WINDOW seconds: each may send a confirmation
#: mail, so this bounds how much unasked-for mail a script could make the desk send. Enough for a crowd signing up
#: during an outage. One client has a smaller share (SUBSCRIBE_PER_CLIENT), so a script cannot spend it all; the
#: database refuses a second confirmation to one address within ten minutes (hub/status_subscriptions.py).
SUBSCRIBE_IN_ALL = 300
SUBSCRIBE_WINDOW = 3600


def subscribe_retry_after(client: redis.Redis | None, now: float | None = None) -> int | None:
    """Count one request for status updates: seconds to wait when over SUBSCRIBE_IN_ALL this hour, else None."""
    return _over(client, "subscribe", SUBSCRIBE_IN_ALL, SUBSCRIBE_WINDOW, now)


@dataclass(frozen=True)
class PerClient:
    """How often one client (`client_key`) may do something on a public page: `limit` times
    per `window` seconds, on top of any limit for everyone."""

    name: str
    limit: int
    window: int


#: A person asks for status updates once or twice; ten an hour leaves room for typos and a household sharing one
#: address, and keeps one script from spending SUBSCRIBE_IN_ALL.
SUBSCRIBE_PER_CLIENT = PerClient("subscribe", 10, SUBSCRIBE_WINDOW)
#: Requests asked on the help centre's "Ask the desk" form (web/ask_desk.py), each of which may mail a link to confirm
#: it. Someone with a problem asks once or twice; ten an hour leaves room for a second question and a colleague
#: at the next desk. The database sends one address at most one such mail in ten minutes (hub/pending_requests.py).
ASK_PER_CLIENT = PerClient("ask", 10, 3600)
#: The same requests from everyone, per hour: what bounds the unasked-for mail a crowd of scripts could make the
#: desk send, as SUBSCRIBE_IN_ALL does for status updates.
ASK_IN_ALL = 300
ASK_WINDOW = 3600


def ask_retry_after(client: redis.Redis | None, now: float | None = None) -> int | None:
    """Count one request asked on the help centre: seconds to wait when over ASK_IN_ALL this hour, else None."""
    return _over(client, "ask", ASK_IN_ALL, ASK_WINDOW, now)


#: Asks for the list of one's requests on the help centre's "My requests" form (web/my_requests.py), each of which
#: may mail a link. Someone asks once, or again the next day; ten an hour leaves room for typos and colleagues at
#: the next desk. The database sends one address at most one such mail in ten minutes (hub/link_mail.py).
MY_REQUESTS_PER_CLIENT = PerClient("my-requests", 10, 3600)
#: The same asks from everyone, per hour: what bounds the mail a crowd of scripts could make the desk send.
MY_REQUESTS_IN_ALL = 300
MY_REQUESTS_WINDOW = 3600


def my_requests_retry_after(client: redis.Redis | None, now: float | None = None) -> int | None:
    """Count one ask for a list of requests: seconds to wait when over MY_REQUESTS_IN_ALL this hour, else None."""
    return _over(client, "my-requests", MY_REQUESTS_IN_ALL, MY_REQUESTS_WINDOW, now)


#: "Was this helpful?" answers (web/help_centre.py): someone reading the help centre may answer every article
#: they open; a script flipping the counts is held to a few dozen an hour.
HELPFUL_PER_CLIENT = PerClient("helpful", 30, 3600)


def client_key(address: str | None) -> str:
    """Who counts as one client: its IPv4 address, or its IPv6 /64 (a home or a host is given a whole /64, and
    each of its addresses must not be a fresh client). An address that is none is counted as one client."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return f"{ipaddress.IPv6Network((ip, 64), strict=False).network_address}/64"
    return str(ip)


def client_retry_after(
    client: redis.Redis | None, limit: PerClient, address: str | None, now: float | None = None
) -> int | None:
    """Count one more from the client at `address`: seconds to wait when over its limit, else None."""
    return _over(client, f"client:{limit.name}:{client_key(address)}", limit.limit, limit.window, now)


def this_client_retry_after(limit: PerClient) -> int | None:
    """Count one more from the client of the request being answered. Its address is the connection's, or, with
    SWITCHBOARD_TRUSTED_PROXIES, what the proxies said (web/__init__.py); never a header no proxy vouched for,
    which anyone could change with every request to dodge the limit."""
    if not services().settings.trusted_proxies and "X-Forwarded-For" in request.headers:
        _warn_proxies_unheeded()
    return client_retry_after(services().redis(), limit, request.remote_addr)


@functools.cache
def _warn_proxies_unheeded() -> None:
    """Once per process: behind a proxy nobody told us of, every client shares the proxy's limits."""
    log.warning(
        "requests carry X-Forwarded-For but SWITCHBOARD_TRUSTED_PROXIES is 0: if a reverse proxy is in front of "
        "the hub, every client counts as the proxy for per-client limits; set it to the number of proxies"
    )


#: Failed logins allowed from one client (web/ratelimit.py::client_key) within LOGIN_WINDOW, whatever addresses it
#: tries: the per-address limit alone lets one client try a common password on every address in turn. Generous,
#: because an office behind one NAT (or a proxy not named in SWITCHBOARD_TRUSTED_PROXIES) is one client here.
LOGIN_PER_CLIENT = PerClient("login", 50, LOGIN_WINDOW)


def login_client() -> str | None:
    """The address of the client of this login request, for its limit; None where clients cannot be told apart.
    Behind a proxy the hub was not told of (SWITCHBOARD_TRUSTED_PROXIES), every client has the proxy's address, and
    fifty wrong passwords from anyone would lock everyone out: there only the per-address limit holds."""
    if not services().settings.trusted_proxies and "X-Forwarded-For" in request.headers:
        _warn_proxies_unheeded()
        return None
    return request.remote_addr


def _login_keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    """The counters a failed login counts against, each with its limit: the address tried, and the client at `ip`
    (none when `ip` is None: see login_client)."""
    keys = [(f"login:{email.strip().lower()}", LOGIN_PER_EMAIL)]
    if ip is not None:
        keys.append((f"client:{LOGIN_PER_CLIENT.name}:{client_key(ip)}", LOGIN_PER_CLIENT.limit))
    return keys


def login_locked(client: redis.Redis | None, email: str, ip: str | None, now: float | None = None) -> int | None:
    """Seconds until this address may be tried again from the client at `ip`, after too many failed logins of
    either, else None."""
    if client is None:
        return None
    now = time.time() if now is None else now
    import redis  # loaded with the client (web/services.py), so only looked up here

    waits = []
    try:
        for key, limit in _login_keys(email, ip):
            count, wait = _count(client, key, LOGIN_WINDOW, now)
            if count >= limit:
                waits.append(wait)
    except redis.RedisError as exc:
        log.warning("login attempts not counted, Redis is unavailable: %s", exc)
        return None
    return max(waits, default=None)


def login_failed(client: redis.Redis | None, email: str, ip: str | None, now: float | None = None) -> None:
    """Count a failed login against the address tried and against the client that tried it."""
    if client is None:
        return
    now = time.time() if now is None else now
    import redis  # loaded with the client (web/services.py), so only looked up here

    try:
        for key, _limit in _login_keys(email, ip):
            _hit(client, key, LOGIN_WINDOW, now)
    except redis.RedisError as exc:
        log.warning("failed login not counted, Redis is unavailable: %s", exc)
