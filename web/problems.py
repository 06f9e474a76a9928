"""Problem pages and API: recurrences Switchboard noticed, one click to file them, and the problems themselves.

`/problems` lists suggestions first (incidents that keep coming back with no problem yet), then the problems;
`/problems/PRB-n` records root cause and workaround and moves the problem through its states.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import change_problems, people, periodic, problem_resolution, problems, reviews, zones
from hub.incident_search import FilterError
from hub.models import Incident, Problem
from hub.numbers import reference
from hub.problem_states import STATES
from hub.problems import ProblemError, Recurrence
from hub.recurrence import Suggestion
from web import paging
from web.acting import acting_db
from web.api import token_required
from web.forms import ActionForm
from web.incident_actions import mail_settings
from web.local_time import viewer_zone
from web.permissions import MANAGE_PROBLEMS, VIEW_INCIDENTS, requires
from web.responses import json_error, json_response, request_json
from web.services import services
from web.services_api import created

#: The API's times are UTC, so its schedules are said on UTC's wall clock (tokens are no one's to have a zone).
_UTC = zones.zone_of(zones.DEFAULT)

bp = Blueprint("problems", __name__)
api_bp = Blueprint("problems_api", __name__, url_prefix="/api/v1/problems")


def recurrence() -> Recurrence:
    settings = services().settings
    return Recurrence(settings.problem_threshold, timedelta(seconds=settings.problem_window),
                      timedelta(seconds=settings.problem_lookback))  # fmt: skip


def schedule(s: Suggestion, zone: ZoneInfo) -> str | None:
    """A periodic suggestion's schedule in words, on `zone`'s wall clock ("about every 7 days, Mondays around
    02:00"); None for a burst."""
    return periodic.described(s.period, s.seen, zone) if s.period is not None else None


def problem_id(ref: str) -> int | None:
    return reference("PRB", ref)


# -- pages -------------------------------------------------------------------------------------------------


@bp.get("/problems")
@requires(VIEW_INCIDENTS)
def index() -> ResponseReturnValue:
    """Suggestions, then the problems (`?state=known_error`: in one state only, as the dashboard links them)."""
    state = request.args.get("state")
    state = state if state in STATES else None
    listed = select(Problem).order_by(Problem.state == "closed", Problem.id.desc()).limit(200)
    with services().db.read() as session:
        suggested = problems.suggestions(session, recurrence(), kept=services().suggestion_lookback)
        rows = list(session.scalars(listed.where(Problem.state == state) if state else listed))
        counts = _linked_counts(session, [p.id for p in rows])
        names = people.names_of(session.connection(), [p.owner for p in rows])
    schedules = {s.key: schedule(s, viewer_zone()) for s in suggested}
    return render_template("problems/index.html", suggestions=suggested, schedules=schedules, problems=rows,
                           counts=counts, recurrence=recurrence(), form=ActionForm(), names=names,
                           state=state)  # fmt: skip


@bp.post("/problems")
@requires(MANAGE_PROBLEMS)
def create() -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        key = request.form.get("suggestion", "")
        if key:
            new_id = problems.create_from_suggestion(acting_db(), key, current_user.email, recurrence())
        else:
            new_id = problems.create(acting_db(), request.form.get("title", ""), current_user.email)
    except ProblemError as exc:
        flash(f"Nothing created: {exc}.", "error")
        return redirect(url_for("problems.index"))
    flash(f"PRB-{new_id} created.", "success")
    return redirect(url_for("problems.detail", ref=f"PRB-{new_id}"))


@bp.get("/problems/<ref>")
@requires(VIEW_INCIDENTS)
def detail(ref: str) -> ResponseReturnValue:
    number = problem_id(ref)
    with services().db.read() as session:
        problem = session.get(Problem, number) if number is not None else None
        if problem is None:
            abort(404, description=f"There is no problem {ref}.")
        incidents = list(session.scalars(select(Incident).where(Incident.problem_id == problem.id)
                                         .order_by(Incident.id.desc()).limit(500)))  # fmt: skip
        from_review = reviews.review_of_problem(session, problem.id)
        fixes = change_problems.fixes(session, problem.id)
        history = problems.history(session, problem.ref)
        names = problems.names_in(session, problem, history)
        still_open = problem_resolution.open_count(session, problem.id)
    # In the order of the life cycle (investigating, known error, resolved, closed), not the alphabet's, which put
    # "Closed" first on a new problem.
    moves = [state for state in STATES if state in problems.MOVES[problem.state]]
    return render_template("problems/detail.html", problem=problem, incidents=incidents, moves=moves,
                           still_open=still_open, batch=problem_resolution.BATCH,
                           form=ActionForm(), from_review=from_review, fixes=fixes,
                           fixed_by=change_problems.fixed_by(fixes), history=history,
                           what_happened=problems.what_happened, names=names)  # fmt: skip


@bp.post("/problems/<ref>")
@requires(MANAGE_PROBLEMS)
def update(ref: str) -> ResponseReturnValue:
    number = problem_id(ref)
    if number is None or not ActionForm().validate_on_submit():
        abort(404 if number is None else 400)
    form = request.form
    try:
        updated = problems.update_problem(
            acting_db(), number, current_user.email,
            state=form.get("state") or None,
            root_cause=form.get("root_cause"), workaround=form.get("workaround"), owner=form.get("owner"),
            share_workaround=(form.get("share_workaround") == "on") if "workaround" in form else None,
            resolve_incidents=mail_settings() if form.get("resolve_incidents") == "on" else None,
        )  # fmt: skip
    except ProblemError as exc:
        flash(f"Nothing changed: {exc}.", "error")
    else:
        flash(f"{updated.said()}." if updated.resolved is not None else f"{ref.upper()} saved.", "success")
    return redirect(url_for("problems.detail", ref=ref.upper()), code=303)


def _linked_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(Incident.problem_id, func.count()).where(Incident.problem_id.in_(ids)).group_by(Incident.problem_id)
    )
    return {int(pid): int(count) for pid, count in rows if pid is not None}


# -- API -----------------------------------------------------------------------------------------------------


def suggestion_json(s: Suggestion) -> dict[str, Any]:
    return {
        "key": s.key,
        "kind": s.kind,
        "title": s.title,
        "count": s.count,
        "incidents": [f"INC-{i}" for i in s.incident_ids],
        "first_seen": s.first_seen.isoformat(),
        "last_seen": s.last_seen.isoformat(),
        "dedup_key": s.dedup_key,
        "service": s.service,
        "category": s.category,
        "pattern": s.pattern,
        "period_seconds": s.period.total_seconds() if s.period is not None else None,
        "schedule": f"{described} UTC" if (described := schedule(s, _UTC)) else None,
    }


def problem_json(
    p: Problem, incidents: list[int] | None = None, fixes: list[str] | None = None, still_open: int = 0
) -> dict[str, Any]:
    """A problem as the API answers it; `still_open` (its open incidents) says how far the background resolving of
    its incidents has come, while it runs."""
    found: dict[str, Any] = {
        "ref": p.ref,
        "title": p.title,
        "state": p.state,
        "service": p.service,
        "category": p.category,
        "owner": p.owner,
        "root_cause": p.root_cause,
        "workaround": p.workaround,
        "share_workaround": p.share_workaround,
        "created_by": p.created_by,
        "created_at": p.created_at.isoformat(),
        "resolved_at": p.resolved_at.isoformat() if p.resolved_at else None,
        "resolving_incidents": None if p.resolving_since is None else
        {"asked_by": p.resolving_by, "since": p.resolving_since.isoformat(), "still_open": still_open},
    }  # fmt: skip
    if incidents is not None:
        found["incidents"] = [f"INC-{i}" for i in incidents]
    if fixes is not None:
        found["changes"] = fixes
    return found


@api_bp.get("/suggestions")
@token_required(VIEW_INCIDENTS)
def api_suggestions() -> Response:
    """Recurrences that no problem covers yet, largest first."""
    with services().db.read() as session:
        suggested = problems.suggestions(session, recurrence(), kept=services().suggestion_lookback)
        return json_response([suggestion_json(s) for s in suggested])


@api_bp.get("")
@token_required(VIEW_INCIDENTS)
def api_index() -> Response:
    """Problems, newest first, a `page` of `limit` at a time (default 100, at most 500), as the other lists page;
    `X-Total-Count` says how many there are in all."""
    try:
        wanted = paging.asked(request.args)
    except FilterError as exc:
        return json_error(400, str(exc))
    with services().db.read() as session:
        total = session.scalar(select(func.count()).select_from(Problem)) or 0
        rows = list(session.scalars(select(Problem).order_by(Problem.id.desc()).limit(wanted.limit)
                                    .offset(wanted.offset)))  # fmt: skip
        left = problem_resolution.open_counts(session, [p.id for p in rows if p.resolving_since is not None])
        return paging.listed([problem_json(p, still_open=left.get(p.id, 0)) for p in rows], total)


@api_bp.post("")
@token_required(MANAGE_PROBLEMS)
def api_create() -> Response:
    """`{"suggestion": key}` files a suggested recurrence with its incidents; `{"title": ...}` files one by hand."""
    body = request_json()
    if not isinstance(body, dict) or not isinstance(body.get("suggestion", body.get("title")), str):
        return json_error(400, 'send {"suggestion": "<key from /api/v1/problems/suggestions>"} or {"title": "..."}')
    actor = g.principal.by
    try:
        if "suggestion" in body:
            new_id = problems.create_from_suggestion(acting_db(), body["suggestion"], actor, recurrence())
        else:
            new_id = problems.create(acting_db(), body["title"], actor)
    except ProblemError as exc:
        return json_error(409, str(exc))
    return created(api_detail(f"PRB-{new_id}", 201), url_for("problems_api.api_problem", ref=f"PRB-{new_id}"))


@api_bp.get("/<ref>")
@token_required(VIEW_INCIDENTS)
def api_problem(ref: str) -> Response:
    return api_detail(ref)


def api_detail(ref: str, status: int = 200, resolved: problem_resolution.Resolved | None = None) -> Response:
    """The problem with its incidents and changes; after resolving incidents with it, which were and how many are
    still open, being resolved in the background (`incidents_resolved`, `incidents_still_open`), and the sentence
    the page would flash (`message`)."""
    number = problem_id(ref)
    with services().db.read() as session:
        problem = session.get(Problem, number) if number is not None else None
        if problem is None:
            return json_error(404, problems.no_problem(ref))
        linked = list(session.scalars(select(Incident.id).where(Incident.problem_id == problem.id)))
        fixes = [fix.ref for fix in change_problems.fixes(session, problem.id)]
        found = problem_json(problem, linked, fixes, problem_resolution.open_count(session, problem.id))
        if resolved is not None:
            found |= {"incidents_resolved": list(resolved.refs), "incidents_still_open": resolved.still_open,
                      "message": problem_resolution.said(problem.ref, problem.state, resolved)}  # fmt: skip
        return json_response(found, status)


#: What `PATCH /api/v1/problems/<ref>` may change, and the JSON type each must be.
_PATCHABLE: dict[str, type] = {"root_cause": str, "workaround": str, "share_workaround": bool, "state": str,
                               "owner": str, "resolve_incidents": bool}  # fmt: skip


@api_bp.patch("/<ref>")
@token_required(MANAGE_PROBLEMS)
def api_update(ref: str) -> Response:
    """Record what was learned and move the problem on, as its page does: the same checks (a known error needs its
    workaround), the same state moves and the same audit entry (`problem.update`). `"resolve_incidents": true`
    resolves its open incidents with it, as the page's checkbox does, and the answer says which."""
    number = problem_id(ref)
    if number is None:
        return json_error(404, problems.no_problem(ref))
    body = request_json()
    if not isinstance(body, dict) or not body:
        return json_error(400, f"send a JSON object with any of {', '.join(_PATCHABLE)}")
    for name, value in body.items():
        if name not in _PATCHABLE:
            return json_error(400, f"{name!r} cannot be changed here; send any of {', '.join(_PATCHABLE)}")
        if not isinstance(value, _PATCHABLE[name]):
            return json_error(400, f"{name!r} must be {'true or false' if _PATCHABLE[name] is bool else 'a string'}")
    if "state" in body and body["state"] not in problems.STATES:
        return json_error(400, f"'state' must be one of {', '.join(problems.STATES)}")
    resolve = mail_settings() if body.pop("resolve_incidents", False) else None
    try:
        updated = problems.update_problem(acting_db(), number, g.principal.by, **body,
                                          resolve_incidents=resolve)  # fmt: skip
    except problems.NoSuchProblem as exc:
        return json_error(404, str(exc))
    except ProblemError as exc:
        return json_error(409, str(exc))
    return api_detail(ref, resolved=updated.resolved)
