"""Read API for what came in and from where: `GET /api/v1/events`, `/api/v1/events/<id>`, `/api/v1/integrations`.

For agents and admins (payloads describe the estate). Secrets are never in an answer: an integration shows its
kind, state and limits, not its secret or its hash.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import ColumnElement, select

from hub.counting import counted
from hub.incident_search import FilterError
from hub.integration_listing import listing
from hub.models import Event, Integration
from web import paging
from web.api import token_required
from web.permissions import VIEW_INTEGRATIONS
from web.responses import json_error, json_response
from web.services import services

bp = Blueprint("records_api", __name__, url_prefix="/api/v1")

PREVIEW_BYTES = 65_536


def event_json(row: Event, *, with_body: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": row.id,
        "source": row.source,
        "received_at": row.received_at.isoformat(),
        "status": row.status,
        "error": row.error,
        "incident": f"INC-{row.incident_id}" if row.incident_id else None,
        "content_type": row.content_type,
        "size": len(row.raw),
    }
    if with_body:
        found["body"] = row.raw[:PREVIEW_BYTES].decode("utf-8", errors="replace")
        found["truncated"] = len(row.raw) > PREVIEW_BYTES
        found["trace"] = row.trace
    return found


@bp.get("/events")
@token_required(VIEW_INTEGRATIONS)
def events() -> Response:
    """Stored events, newest first; `?integration=` and `?status=` (processed, deduplicated, unprocessable, ...)
    narrow; a `page` of `limit` at a time (default 100, at most 500), as the other lists page; `X-Total-Count`
    says how many match in all, or with `total=capped` (cheaper when millions are kept) at most 10,000 or the
    page's end, `X-Total-Count-Exact: false` saying more match."""
    try:
        wanted = paging.asked(request.args, cappable=True)
    except FilterError as exc:
        return json_error(400, str(exc))
    narrowed: list[ColumnElement[bool]] = []
    status = request.args.get("status")
    if status:
        narrowed.append(Event.status == status[:20])
    with services().db.read() as session:
        name = request.args.get("integration")
        if name:
            integration_id = session.scalar(select(Integration.id).where(Integration.name == name))
            if integration_id is None:
                return json_error(404, f"no integration named {name!r}")
            narrowed.append(Event.integration_id == integration_id)
        # Newest first down the primary key: OFFSET walks past the pages before, a few thousand rows at most for
        # the pages a client reads back through.
        query = select(Event).where(*narrowed).order_by(Event.id.desc()).limit(wanted.limit).offset(wanted.offset)
        rows = session.scalars(query).all()
        total, exact = counted(session, select(Event.id).where(*narrowed), wanted.count_to)
        return paging.listed([event_json(row) for row in rows], total, exact=exact)


@bp.get("/events/<event:event_id>")
@token_required(VIEW_INTEGRATIONS)
def event(event_id: int) -> Response:
    """One stored event with the start of its body (64 KB) and the rules' trace."""
    with services().db.read() as session:
        row = session.get(Event, event_id)
        if row is None:
            return json_error(404, f"there is no event {event_id}; GET /api/v1/events lists them")
        return json_response(event_json(row, with_body=True))


@bp.get("/integrations")
@token_required(VIEW_INTEGRATIONS)
def integrations() -> Response:
    """Every integration with its kind, state, limits and when it last sent something (never its secret)."""
    with services().db.read() as session:
        return json_response([row.as_json() for row in listing(session)])
