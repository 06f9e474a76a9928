"""The API for changes, authenticated by API tokens: `GET /api/v1/changes` and `GET /api/v1/changes/<ref>` read
them; `PATCH /api/v1/changes/<ref>` amends one's plan before work starts; `PUT` and `DELETE
/api/v1/changes/<ref>/problem` say which problem one fixes (hub/change_problems.py)."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, g, request

from hub import change_correlation, changes
from hub.agent_action import NoSuchPart
from hub.change_states import STATES, ChangeRefused, NotTheirs
from hub.errors import BadInput
from hub.incident_search import FilterError
from hub.models import Change
from web import paging
from web.acting import acting_db, with_right
from web.api import token_required
from web.permissions import MANAGE_USERS, VIEW_CHANGES, WORK_CHANGES
from web.responses import json_error, json_response, request_json
from web.services import services

bp = Blueprint("changes_api", __name__, url_prefix="/api/v1")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def change_json(row: Change) -> dict[str, Any]:
    return {
        "ref": row.ref,
        "title": row.title,
        "service": row.service,
        "type": row.type,
        "state": row.state,
        "risk": row.risk,
        "planned_start": _iso(row.planned_start),
        "planned_end": _iso(row.planned_end),
        "implemented_at": _iso(row.implemented_at),
        "requested_by": row.requested_by,
        "source": row.source,
        "version": row.version,
        "environment": row.environment,
        "link": row.link,
        "approvers": list(row.approvers or []),
        "required_approvals": row.required_approvals,
        "problem": f"PRB-{row.problem_id}" if row.problem_id is not None else None,
    }


def change_detail_json(row: Change) -> dict[str, Any]:
    return {
        **change_json(row),
        "impact": row.impact,
        "implementation_plan": row.implementation_plan,
        "test_plan": row.test_plan,
        "backout_plan": row.backout_plan,
        "review": row.review,
        "approvals": [
            {"approver": a.approver, "decision": a.decision, "comment": a.comment, "at": _iso(a.at)}
            for a in row.approvals
        ],
    }


@bp.get("/changes")
@token_required(VIEW_CHANGES)
def index() -> Response:
    """Changes, newest first; `state` and `service` narrow them; a `page` of `limit` at a time (default 100, at
    most 500), as the other lists page; `X-Total-Count` says how many match in all."""
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        return json_error(400, f"'state' must be one of {', '.join(STATES)}")
    try:
        wanted = paging.asked(request.args)
    except FilterError as exc:
        return json_error(400, str(exc))
    service = request.args.get("service") or None
    with services().db.read() as session:
        rows = changes.listing(session, state=state, service=service, limit=wanted.limit, offset=wanted.offset)
        total = changes.count(session, state=state, service=service)
    return paging.listed([change_json(row) for row in rows], total)


@bp.get("/changes/<ref>")
@token_required(VIEW_CHANGES)
def detail(ref: str) -> Response:
    """One change with its plans and approvals, and once carried out the incidents that followed it, as its page
    lists them."""
    window = timedelta(seconds=services().settings.change_window)
    with services().db.read() as session:
        row = changes.get(session, ref)
        if row is None:
            return json_error(404, f"there is no change {ref}; GET /api/v1/changes lists them")
        followed = change_correlation.incidents_after(session, row, window)
    return json_response({**change_detail_json(row), "incidents_after": [i.as_json() for i in followed]})


_TIMES = ("planned_start", "planned_end")
_AMEND = '{"planned_start": "2026-03-08T22:00:00Z", "planned_end": "2026-03-08T23:00:00Z"}'


@bp.patch("/changes/<ref>")
@token_required(WORK_CHANGES)
def amend(ref: str) -> Response:
    """Amend the plan before work starts (any of title, risk, impact, the plans, planned_start and planned_end, as
    ISO 8601 with a zone): by the change's requester's personal token or an admin's. Moving the window of a change
    with approvals sends it back to assessed, for its approvers to decide again."""
    body = request_json()
    names = {f.name for f in fields(changes.Amendment)}
    if not isinstance(body, dict) or not body or set(body) - names:
        return json_error(400, f"send the parts of the plan to amend, one or more of {', '.join(sorted(names))},"
                               f" e.g. {_AMEND}")  # fmt: skip
    if not all(isinstance(value, str) for value in body.values()):
        return json_error(400, f"each part is a string, e.g. {_AMEND}")
    try:
        parts: dict[str, Any] = {name: _instant(v, name) if name in _TIMES else v for name, v in body.items()}
    except BadInput as exc:
        return json_error(400, str(exc))
    db, anyones = with_right(MANAGE_USERS)
    try:
        with db.transaction() as session:
            changes.amend(session, ref, changes.Amendment(**parts), g.principal.by, anyones=anyones)
    except changes.NoSuchChange as exc:
        return json_error(404, str(exc))
    except NotTheirs as exc:
        return json_error(403, str(exc))
    except ChangeRefused as exc:  # a wrong state, or a window in a freeze: the message says which
        return json_error(409, str(exc))
    except BadInput as exc:
        return json_error(400, str(exc))
    return detail(ref)


def _instant(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BadInput(f"{name} is an ISO 8601 time with its zone, like 2026-03-08T22:00:00Z, not {text!r}")
    return moment


@bp.put("/changes/<ref>/problem")
@token_required(WORK_CHANGES)
def fix_problem(ref: str) -> Response:
    """Say which open problem the change fixes (`{"problem": "PRB-3"}`, or its title), replacing any other."""
    body = request_json()
    typed = body.get("problem") if isinstance(body, dict) else None
    if not isinstance(typed, str) or not typed.strip():
        return json_error(400, 'send {"problem": "PRB-3"}: the reference (or title) of an open problem')
    return _fixing(ref, typed)


@bp.delete("/changes/<ref>/problem")
@token_required(WORK_CHANGES)
def unfix_problem(ref: str) -> Response:
    """The change fixes no problem after all (answers the change whether or not it named one)."""
    return _fixing(ref, "")


def _fixing(ref: str, typed: str) -> Response:
    try:
        with acting_db().transaction() as session:
            changes.fix_problem(session, ref, typed, g.principal.by)
    except (changes.NoSuchChange, NoSuchPart) as exc:
        return json_error(404, str(exc))
    except BadInput as exc:  # a problem no longer worked on
        return json_error(409, str(exc))
    return detail(ref)
