"""Post-incident reviews through the API, as the review pages show and write them (hub/reviews.py, web/reviews.py).

`GET /api/v1/reviews` lists reviews owed and written (`state`, `overdue`, a `page` of `limit`, `X-Total-Count`);
`GET /api/v1/incidents/<ref>/review` is one review: its texts, key times and follow-ups with their problems. Agent
and admin tokens write as the page's forms do: start it (`POST`), change its texts (`PATCH`), publish it
(`POST .../review/publish`), and add, remove and file as problems its follow-up actions (`.../review/actions`), each
through the same hub/reviews.py action as the page's form.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, g, request, url_for

from hub import review_search, reviews
from hub.agent_action import Actor
from hub.domain import no_incident
from hub.incident_reading import iso_or_null
from hub.incident_search import FilterError, flag
from hub.models import ReviewAction, utcnow
from hub.reviews import KeyTimes
from web import paging
from web.acting import acting_db
from web.api import incident_number, token_required, triaged
from web.incident_actions import mail_settings
from web.permissions import VIEW_INCIDENTS, WORK_INCIDENTS
from web.responses import json_error, json_response, request_json
from web.reviews import Read, read, review_due
from web.services import services

bp = Blueprint("reviews_api", __name__, url_prefix="/api/v1")

_TEXTS = '{"summary": "Payroll stopped for 40 minutes: the database disk filled up."}'
_ACTION = '{"text": "Alert on disk at 80%", "owner": "dba@example.com"}'


@bp.get("/reviews")
@token_required(VIEW_INCIDENTS)
def index() -> Response:
    """Reviews owed and written, newest incident first: `state` (not_started, draft, published, or several joined
    by commas), `overdue=1` (owed and unpublished SWITCHBOARD_REVIEW_DUE_DAYS after the incident was resolved), a
    `page` of `limit` at a time (default 100, at most 500); `X-Total-Count` says how many match in all."""
    try:
        states = _states(request.args.get("state", ""))
        overdue = flag(request.args, "overdue")
        wanted = paging.asked(request.args)
    except FilterError as exc:
        return json_error(400, str(exc))
    with services().db.read() as session:
        found = review_search.search(session, utcnow(), review_due(), review_search.Wanted(states, overdue=overdue),
                                     limit=wanted.limit, offset=wanted.offset)  # fmt: skip
    return paging.listed([listed_json(row) for row in found.reviews], found.total)


@bp.get("/incidents/<ref>/review")
@token_required(VIEW_INCIDENTS)
def detail(ref: str) -> Response:
    """One incident's review: its texts, key times and follow-up actions with their problems."""
    return _review_answer(ref)


@bp.post("/incidents/<ref>/review")
@token_required(WORK_INCIDENTS)
@incident_number
def start(ref: str, number: int) -> Response:
    """Start the review of a resolved major incident: 201 with the draft, or 200 with the review it already had."""
    started = False

    def apply() -> None:
        nonlocal started
        started = reviews.start(acting_db(), number, Actor(g.principal.by))

    return triaged(apply, ref, answer=lambda ref, _: _review_answer(ref, 201 if started else 200))


@bp.patch("/incidents/<ref>/review")
@token_required(WORK_INCIDENTS)
@incident_number
def save(ref: str, number: int) -> Response:
    """Change the draft's texts (any of summary, impact, root_cause, went_well, went_badly; the others are kept);
    409 once it is published."""
    body = request_json()
    if not isinstance(body, dict) or not body or not all(isinstance(value, str) for value in body.values()):
        return json_error(400, f"send a JSON object of texts, any of {', '.join(reviews.FIELDS)}, like {_TEXTS}")
    if unknown := sorted(set(body) - set(reviews.FIELDS)):
        return json_error(400, f"unknown field(s) {', '.join(unknown)}; a review's texts are "
                               f"{', '.join(reviews.FIELDS)}")  # fmt: skip
    return triaged(lambda: reviews.save(acting_db(), number, body, Actor(g.principal.by)), ref,
                   answer=_review_answer)  # fmt: skip


@bp.post("/incidents/<ref>/review/publish")
@token_required(WORK_INCIDENTS)
@incident_number
def publish(ref: str, number: int) -> Response:
    """Publish the draft (it needs a summary): it becomes the record, and its link is mailed to the coordinator and
    the major-incident group. 409 when it is published already or has no summary."""
    group = services().settings.major_incident_group

    def apply() -> None:
        reviews.publish(acting_db(), number, Actor(g.principal.by), mail_settings(), group=group)

    return triaged(apply, ref, answer=_review_answer)


@bp.post("/incidents/<ref>/review/actions")
@token_required(WORK_INCIDENTS)
@incident_number
def add_action(ref: str, number: int) -> Response:
    """Add a follow-up action to the draft (`text`, one line; `owner`, optional): 201 with the action. 409 once the
    review is published, or when the text is empty or longer than one line."""
    body = request_json()
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("text"), str)
        or not isinstance(body.get("owner"), str | None)
    ):
        return json_error(400, f"send a JSON object with the action's text and, optionally, its owner, like {_ACTION}")
    if unknown := sorted(set(body) - {"text", "owner"}):
        return json_error(400, f"unknown field(s) {', '.join(unknown)}; an action has a text and an owner")
    added = 0

    def apply() -> None:
        nonlocal added
        added = reviews.add_action(acting_db(), number, body["text"], Actor(g.principal.by),
                                   owner=body.get("owner") or "")  # fmt: skip

    return triaged(apply, ref, 201, answer=lambda ref, status: _action_answer(ref, added, status))


@bp.delete("/incidents/<ref>/review/actions/<int:action_id>")
@token_required(WORK_INCIDENTS)
@incident_number
def remove_action(ref: str, number: int, action_id: int) -> Response:
    """Take a follow-up action out of the draft: 200 with the review. 409 once it is published, or when the action
    is filed as a problem already (close the problem instead); 404 when the review has no such action."""
    return triaged(lambda: reviews.remove_action(acting_db(), number, action_id, Actor(g.principal.by)), ref,
                   answer=_review_answer)  # fmt: skip


@bp.post("/incidents/<ref>/review/actions/<int:action_id>/problem")
@token_required(WORK_INCIDENTS)
@incident_number
def file_problem(ref: str, number: int, action_id: int) -> Response:
    """File a follow-up action as a problem, draft or published: 201 with the action, whose `problem` is the new
    problem's ref (`Location` is the problem). 409 when it is filed already; 404 when the review has no such action."""
    return triaged(lambda: reviews.file_problem(acting_db(), number, action_id, Actor(g.principal.by)), ref,
                   201, answer=lambda ref, status: _action_answer(ref, action_id, status))  # fmt: skip


def _action_answer(ref: str, action_id: int, status: int) -> Response:
    """The action as the review lists it now, with where its problem is once it has one."""
    found = read(ref)
    review = found.review if found is not None else None
    action = next((action for action in review.actions if action.id == action_id), None) if review else None
    if action is None:  # removed between the change and this read
        return json_error(404, f"the review of {ref} has no follow-up action {action_id}")
    headers = {"Location": url_for("problems_api.api_problem", ref=action.problem.ref)} if action.problem else {}
    return json_response(action_json(action), status, headers=headers)


def _review_answer(ref: str, status: int = 200) -> Response:
    found = read(ref)
    if found is None:
        return json_error(404, no_incident(ref))
    if found.review is None:
        return json_error(404, f"{found.incident.ref} has no review yet: once the major incident is resolved, start "
                               f"it with POST /api/v1/incidents/{found.incident.ref}/review")  # fmt: skip
    return json_response(review_json(found), status)


def _states(raw: str) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if not set(wanted) <= set(review_search.STATES):
        raise FilterError(f"'state' must be one of {', '.join(review_search.STATES)}, or several joined by commas, "
                          f"not {raw!r}")  # fmt: skip
    return wanted


def _seconds(value: timedelta | None) -> int | None:
    return int(value.total_seconds()) if value is not None else None


def listed_json(row: review_search.Listed) -> dict[str, Any]:
    return {
        "incident": row.ref,
        "title": row.title,
        "status": row.status,
        "coordinator": row.coordinator,
        "resolved_at": iso_or_null(row.resolved_at),
        "state": row.state,
        "due_at": iso_or_null(row.due_at),
        "overdue": row.overdue,
        "started_by": row.started_by,
        "started_at": iso_or_null(row.started_at),
        "published_by": row.published_by,
        "published_at": iso_or_null(row.published_at),
        "follow_ups": {"total": row.actions, "unfiled": row.unfiled, "open": row.open},
    }


def key_times_json(times: KeyTimes) -> dict[str, Any]:
    return {
        "detected": iso_or_null(times.detected),
        "declared": iso_or_null(times.declared),
        "acknowledged": iso_or_null(times.acknowledged),
        "resolved": iso_or_null(times.resolved),
        "to_declare_seconds": _seconds(times.to_declare),
        "to_acknowledge_seconds": _seconds(times.to_acknowledge),
        "to_resolve_after_acknowledged_seconds": _seconds(times.to_resolve_after_acknowledged),
        "to_resolve_seconds": _seconds(times.to_resolve),
        "as_major_seconds": _seconds(times.as_major),
    }


def review_json(found: Read) -> dict[str, Any]:
    incident, review, declared = found.incident, found.review, found.declared
    assert review is not None
    return {
        "incident": incident.ref,
        "title": incident.title,
        "status": incident.status,
        "state": review.state,
        "coordinator": declared[-1].coordinator if declared else None,
        **{name: getattr(review, name) for name in reviews.FIELDS},
        "started_by": review.started_by,
        "started_at": iso_or_null(review.started_at),
        "updated_by": review.updated_by,
        "updated_at": iso_or_null(review.updated_at),
        "published_by": review.published_by,
        "published_at": iso_or_null(review.published_at),
        "key_times": key_times_json(reviews.key_times_of(incident, declared, utcnow())),
        "actions": [action_json(action) for action in review.actions],
    }


def action_json(action: ReviewAction) -> dict[str, Any]:
    """A follow-up action with the problem it was filed as (its ref and state), or nulls while it is not filed."""
    return {
        "id": action.id,
        "text": action.text,
        "owner": action.owner,
        "created_by": action.created_by,
        "created_at": iso_or_null(action.created_at),
        "problem": action.problem.ref if action.problem is not None else None,
        "problem_state": action.problem.state if action.problem is not None else None,
    }
