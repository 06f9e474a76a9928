"""The read API for scripts and dashboards: `/api/v1/incidents`, authenticated by API tokens."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, request

from hub.accounts import Principal, authenticate_token
from web.permissions import VIEW_INCIDENTS, allowed
from web.queries import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    STATUSES,
    get_incident,
    incident_detail_json,
    incident_json,
    list_incidents,
)
from web.responses import bearer_token, json_error, json_response, unauthorized
from web.services import services

bp = Blueprint("api", __name__, url_prefix="/api/v1")

BAD_TOKEN = "missing or invalid API token: send 'Authorization: Bearer <token>'"


def token_required(permission: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Decorate an API view: 401 without a valid token, 403 when the token's role lacks `permission`."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            token = bearer_token(request)
            principal: Principal | None = None
            if token is not None:
                with services().db.read() as session:
                    principal = authenticate_token(session, token)
            if principal is None:
                return unauthorized(BAD_TOKEN)
            if not allowed(principal.role, permission):
                return json_error(403, f"the token's role {principal.role!r} may not do this")
            g.principal = principal
            return view(*args, **kwargs)

        return wrapper

    return decorate


class QueryError(ValueError):
    """A query-string parameter the client should fix."""


def _status_param() -> str | None:
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise QueryError(f"'status' must be one of {', '.join(STATUSES)}, not {status!r}")
    return status


def _limit_param() -> int:
    raw = request.args.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise QueryError(f"'limit' must be a whole number from 1 to {MAX_LIMIT}, not {raw!r}") from None
    if limit < 1:
        raise QueryError(f"'limit' must be a whole number from 1 to {MAX_LIMIT}, not {raw!r}")
    return min(limit, MAX_LIMIT)


@bp.get("/incidents")
@token_required(VIEW_INCIDENTS)
def incidents() -> Response:
    """Incidents, newest first; `?status=open` filters, `?limit=` caps the count (default 100, at most 500)."""
    try:
        status, limit = _status_param(), _limit_param()
    except QueryError as exc:
        return json_error(400, str(exc))
    with services().db.read() as session:
        rows = list_incidents(session, status=status, limit=limit)
    return json_response([incident_json(row) for row in rows])


@bp.get("/incidents/<ref>")
@token_required(VIEW_INCIDENTS)
def incident(ref: str) -> Response:
    """One incident with its description and timeline."""
    with services().db.read() as session:
        row = get_incident(session, ref)
    if row is None:
        return json_error(404, f"no incident {ref!r}")
    return json_response(incident_detail_json(row))
