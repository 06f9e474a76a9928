"""Per-request bookkeeping: a request id on every log line and response, and ingest latency for /metrics.

The id comes from the caller's `X-Request-ID` when it is a sane token (so a proxy's id carries through), else a
new one; it is returned in the same header, so a sender that reports a problem can quote it.

A request is logged by its path with any link token left out (`logged_path`): the links in mail and the calendar
feeds carry theirs in the path, and a log is read by more people and kept longer than the mail was.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from hub.telemetry import INGEST_SECONDS, request_id

log = logging.getLogger("switchboard.web")

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
#: Endpoints that accept events, and how /metrics labels them (None: by the integration named in the URL).
INGEST_ENDPOINTS: dict[str, str | None] = {
    "events.receive": None,
    "pagerduty.enqueue": "pagerduty",
    "opsgenie.create": "opsgenie",
    "opsgenie.close": "opsgenie",
    "opsgenie.acknowledge": "opsgenie",
}
#: Requests slower than this are logged even when they succeed.
SLOW_SECONDS = 1.0


def logged_path() -> str:
    """The request's path as logs may show it: a token the route took (`/requests/<token>`, every mail link's and
    calendar feed's) written as `<token>`, since it opens what it names to whoever reads it."""
    token = (request.view_args or {}).get("token")
    return request.path.replace(token, "<token>") if isinstance(token, str) and token else request.path


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)


def _start() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex[:16]
    g.started = time.perf_counter()
    g.request_id_token = request_id.set(g.request_id)


def _forget(_: BaseException | None) -> None:
    """A worker thread serves request after request: what it logs between them belongs to none of them."""
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id.reset(token)


def _finish(response: Response) -> Response:
    rid = getattr(g, "request_id", None)
    if rid is None:  # a request that failed before _start ran
        return response
    response.headers["X-Request-ID"] = rid
    elapsed = time.perf_counter() - g.started
    endpoint = request.endpoint or ""
    if endpoint in INGEST_ENDPOINTS and response.status_code < 300:
        source = INGEST_ENDPOINTS[endpoint] or str((request.view_args or {}).get("name", "events"))
        INGEST_SECONDS.labels(source=source).observe(elapsed)
    if response.status_code >= 400 or elapsed > SLOW_SECONDS:
        log.info("%s %s -> %s in %.0f ms", request.method, logged_path(), response.status_code, elapsed * 1000)
    return response
