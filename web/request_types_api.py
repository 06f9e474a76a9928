"""The request catalogue for scripts: `GET`, `POST /api/v1/request-types` and `PATCH /api/v1/request-types/<id>`.

Any token reads, as everyone who sees /services reads /request-types; admin tokens change it, as only admins do on
the page. Each change goes through hub/request_types.py, as the page and `switchboard request-type` do, so the API
refuses what they refuse in the same words (`field` names the field at fault), and is audited as the page is, by a
personal token's person or a desk token's `token:<name>`. Questions are JSON objects here ({label, required,
kind, choices}), lines on the page; steps are a list, each a string (the words) or, for a step another group does,
{"text": ..., "group": ...}: answered in the same form, so a type read and sent back is unchanged.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, url_for
from sqlalchemy.orm import Session

from hub import audit, request_types
from hub.errors import BadField
from hub.request_questions import Question, from_json
from hub.request_steps import Planned
from hub.request_steps import from_json as steps_from_json
from web.api import token_required
from web.permissions import MANAGE_CATALOGUE, VIEW_CATALOGUE
from web.responses import json_response
from web.services import services
from web.services_api import actor, changed, created, required_text, text

bp = Blueprint("request_types_api", __name__, url_prefix="/api/v1/request-types")

FIELDS = (
    "name",
    "summary",
    "description",
    "category",
    "group",
    "service",
    "questions",
    "position",
    "active",
    "approver",
    "steps",
)
_EXAMPLE = ('{"name": "VPN access", "summary": "Remote access to the office network", "group": "network", '
            '"questions": [{"label": "Why do you need it?", "required": true, "kind": "text"}]}')  # fmt: skip


@bp.get("")
@token_required(VIEW_CATALOGUE)
def index() -> Response:
    """Every request type: the active ones by position then name, then the retired ones."""
    with services().db.read() as session:
        return json_response([shown.as_json() for shown in request_types.listing(session)])


@bp.post("")
@token_required(MANAGE_CATALOGUE)
def create() -> Response:
    """Add a request type: `name` and `summary`, and optionally the rest of FIELDS but `active`."""

    def add(session: Session, body: dict[str, Any]) -> Response:
        if "active" in body:
            raise BadField("active", 'a new request type is active; retire it with PATCH {"active": false}')
        added = request_types.add(session, name=required_text(body, "name", "a request type", _EXAMPLE),
                                  summary=required_text(body, "summary", "a request type", _EXAMPLE),
                                  description=text(body, "description") or "", category=text(body, "category"),
                                  group=text(body, "group"), service=text(body, "service"),
                                  questions=_questions(body) or (), position=_position(body),
                                  approver=text(body, "approver"), steps=_steps(body) or ())  # fmt: skip
        audit.record(session, actor(), "request_type.add", added.name, request_type=added.as_json())
        return created(json_response(added.as_json(), 201), url_for(".index"))

    return changed(FIELDS, _EXAMPLE, add)


@bp.patch("/<int:type_id>")
@token_required(MANAGE_CATALOGUE)
def change(type_id: int) -> Response:
    """Change what the body gives; `"active": false` retires it (the help centre no longer offers it), `true`
    restores it; null or "" clears the category, group, service or approver."""

    def work(session: Session, body: dict[str, Any]) -> Response:
        before = request_types.get(session, type_id)
        clearable = {
            key: (text(body, key) or "") if key in body else None
            for key in ("category", "group", "service", "approver")
        }
        done = request_types.change(session, before.name, new_name=text(body, "name"), summary=text(body, "summary"),
                                    description=text(body, "description"), questions=_questions(body),
                                    position=_position(body), active=_active(body), author=actor(),
                                    steps=_steps(body), **clearable)  # fmt: skip
        if done.view != before:
            audit.record(session, actor(), "request_type.change", done.view.name, before=before.as_json(),
                         after=done.view.as_json(), **done.detail())  # fmt: skip
        return json_response(done.as_json())

    return changed(FIELDS, _EXAMPLE, work)


def _questions(body: dict[str, Any]) -> tuple[Question, ...] | None:
    return from_json(body["questions"]) if body.get("questions") is not None else None


def _steps(body: dict[str, Any]) -> tuple[Planned, ...] | None:
    return steps_from_json(body["steps"]) if body.get("steps") is not None else None


def _position(body: dict[str, Any]) -> int | None:
    value = body.get("position")
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise BadField("position", "'position' is a whole number: lower ones are listed first")
    return value


def _active(body: dict[str, Any]) -> bool | None:
    value = body.get("active")
    if value is not None and not isinstance(value, bool):
        raise BadField("active", "'active' is true (offered on the help centre) or false (retired)")
    return value
