"""`/api/v1/silences`: maintenance windows from scripts and CI (deploy pipelines silence what they touch).

POST `{"matchers": ["labels.team=db", "severity!=info"], "duration": "2h" | "ends_at": ISO, "starts_at": ISO,
"comment": "..."}` -> 201 with the silence; GET lists the ones that have not ended; DELETE /<id> ends one now.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import Blueprint, Response, g

from hub import audit, silences
from hub.durations import parse_duration
from hub.errors import BadInput
from hub.models import Silence, utcnow
from hub.weekly import parse_window
from web.acting import acting_db
from web.api import token_required
from web.permissions import MANAGE_SILENCES, VIEW_INCIDENTS
from web.responses import body_time, json_error, json_response, request_json
from web.services import services

bp = Blueprint("silences_api", __name__, url_prefix="/api/v1/silences")


def silence_json(row: Silence) -> dict[str, Any]:
    return {
        "id": row.id,
        "matchers": [f"{m['field']}{m['op']}{m['value']}" for m in row.matchers.get("matchers", [])],
        "starts_at": row.starts_at.isoformat(),
        "ends_at": row.ends_at.isoformat(),
        "comment": row.comment,
        "created_by": row.created_by,
        "every": weekly.text() if (weekly := silences.weekly_of(row)) else None,
    }


#: What a new silence may say; anything else is refused, not ignored (a misspelt `every` would make a one-off).
_FIELDS = ("matchers", "starts_at", "ends_at", "duration", "every", "tz", "comment")


@bp.post("")
@token_required(MANAGE_SILENCES)
def create() -> Response:
    body = request_json()
    if not isinstance(body, dict):
        return json_error(400, "the body must be a JSON object with 'matchers' and 'duration' or 'ends_at'")
    if unknown := sorted(set(body) - set(_FIELDS)):
        return json_error(400, f"unknown field(s) {', '.join(unknown)[:200]}; send any of {', '.join(_FIELDS)}")
    try:
        texts = body.get("matchers")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise BadInput("'matchers' must be a list of strings such as \"labels.team=db\"")
        starts = body_time(body, "starts_at", UTC) or utcnow()
        ends = body_time(body, "ends_at", UTC)
        weekly = parse_window(str(body["every"]), str(body.get("tz", "UTC"))) if body.get("every") else None
        if ends is None:
            default = silences.RECURRING_FOR if weekly and "duration" not in body else None
            ends = starts + (default or parse_duration(str(body.get("duration", ""))))
        with acting_db().transaction() as session:
            row = silences.add_silence(
                session, matchers=[silences.parse_matcher(t) for t in texts], starts_at=starts, ends_at=ends,
                comment=str(body.get("comment", "")), created_by=g.principal.by, every=weekly,
            )  # fmt: skip
            answer = silence_json(row)
            audit.record(session, g.principal.by, "silence.create", f"silence {row.id}",
                         matchers=answer["matchers"], until=answer["ends_at"])  # fmt: skip
    except BadInput as exc:
        return json_error(400, str(exc))
    return json_response(answer, 201)


@bp.get("")
@token_required(VIEW_INCIDENTS)
def index() -> Response:
    with services().db.read() as session:
        return json_response([silence_json(row) for row in silences.active(session)])


@bp.delete("/<int:silence_id>")
@token_required(MANAGE_SILENCES)
def expire(silence_id: int) -> Response:
    try:
        with acting_db().transaction() as session:
            answer = silence_json(silences.expire_silence(session, silence_id))
            audit.record(session, g.principal.by, "silence.expire", f"silence {silence_id}")
    except BadInput as exc:
        return json_error(404, str(exc))
    return json_response(answer)
