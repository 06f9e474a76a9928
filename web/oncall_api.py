"""`/api/v1/oncall`: who is on call, for chat bots, paging scripts and status pages.

GET lists every rotation with who is on call now, until when, and who is next; GET /<group>?days=14 adds the
shifts ahead; POST /<group>/overrides `{"who", "starts_at", "ends_at"}` covers part of it (times without an
offset are in the rotation's zone), DELETE /<group>/overrides/<id> removes a cover.

`/api/v1/oncall.ics` is the rota as an iCalendar feed (`?group=`, `?who=`, `?days=`) for scripts; people subscribe
their calendar app to their own feed, `/oncall/calendar/<token>.ics`, whose URL carries its own token (calendar
apps cannot log in or send headers; hub/oncall_feed.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, g, request

from hub import audit, ical, oncall, oncall_feed
from hub.errors import BadInput, Missing
from hub.models import utcnow
from hub.numbers import whole_number
from hub.rotation import MAX_SPAN, Shift, shifts
from hub.signed_links import LinkProblem
from web.acting import acting_db
from web.api import token_required
from web.mail_links import problem_status
from web.permissions import COVER_SHIFTS, VIEW_INCIDENTS
from web.responses import body_time, json_error, json_response, request_json
from web.services import services

bp = Blueprint("oncall_api", __name__, url_prefix="/api/v1/oncall")
feed_bp = Blueprint("oncall_feed", __name__)


def now_json(now: oncall.OnCallNow) -> dict[str, Any]:
    return {
        "group": now.group,
        "on_call": now.on_call,
        "until": now.until.isoformat() if now.until else None,
        "next": now.next,
        "members": list(now.members),
        "shift": now.shift,
        "handoff": now.handoff,
        "timezone": now.zone,
    }


def shift_json(shift: Shift) -> dict[str, Any]:
    return {"who": shift.who, "starts_at": shift.starts.isoformat(), "ends_at": shift.ends.isoformat(),
            "override": shift.override}  # fmt: skip


@bp.get("")
@token_required(VIEW_INCIDENTS)
def index() -> Response:
    with services().db.read() as session:
        return json_response([now_json(each) for each in oncall.overview(session, utcnow())])


@bp.get("/<path:group>")
@token_required(VIEW_INCIDENTS)
def rotation(group: str) -> Response:
    days = whole_number(request.args.get("days", "14"))
    if days is None or not 1 <= days <= MAX_SPAN.days:
        return json_error(400, f"'days' is a whole number from 1 to {MAX_SPAN.days}")
    now = utcnow()
    with services().db.read() as session:
        found = oncall.rotations(session, [group], now).get(group)
    if found is None:
        return json_error(404, f"group {group!r} has no on-call rotation")
    laid = shifts(found, now, now + timedelta(days=days))
    return json_response({**now_json(oncall.now_and_next(group, found, now)), "shifts": [shift_json(s) for s in laid]})


@bp.post("/<path:group>/overrides")
@token_required(COVER_SHIFTS)
def add_override(group: str) -> Response:
    body = request_json()
    if not isinstance(body, dict) or not all(body.get(k) for k in ("who", "starts_at", "ends_at")):
        return json_error(400, "the body must be a JSON object with 'who', 'starts_at' and 'ends_at'")
    try:
        starts, ends = body_time(body, "starts_at", None), body_time(body, "ends_at", None)
        assert starts is not None and ends is not None
        with acting_db().transaction() as session:
            made = oncall.add_override(session, group, str(body["who"]), starts, ends,
                                       by=g.principal.by, now=utcnow())  # fmt: skip
            audit.record(session, g.principal.by, "oncall.override", group, who=made.who,
                         starts=made.starts.isoformat(), ends=made.ends.isoformat())  # fmt: skip
    except Missing as exc:
        return json_error(404, str(exc))
    except BadInput as exc:
        return json_error(400, str(exc))
    return json_response({"id": made.id, "group": group, "who": made.who, "starts_at": made.starts.isoformat(),
                          "ends_at": made.ends.isoformat()}, 201)  # fmt: skip


@bp.delete("/<path:group>/overrides/<int:override_id>")
@token_required(COVER_SHIFTS)
def remove_override(group: str, override_id: int) -> Response:
    try:
        with acting_db().transaction() as session:
            oncall.remove_override(session, group, override_id)
            audit.record(session, g.principal.by, "oncall.unoverride", group, override=override_id)
    except Missing as exc:
        return json_error(404, str(exc))
    return json_response({"id": override_id, "group": group, "removed": True})


@feed_bp.get("/api/v1/oncall.ics")
@token_required(VIEW_INCIDENTS)
def feed() -> Response:
    """Every rotation's shifts (or `group`'s, repeatable; or only `who`'s) from a week back to `days` ahead."""
    days = _days()
    if days is None:
        return json_error(400, f"'days' is a whole number from 1 to {oncall_feed.MAX_DAYS}")
    groups, who = request.args.getlist("group"), request.args.get("who")
    now = utcnow()
    try:
        with services().db.read() as session:
            found = oncall_feed.events(session, now, base_url=services().settings.base_url, groups=groups, who=who,
                                       days=days)  # fmt: skip
    except Missing as exc:
        return json_error(404, str(exc))
    return _calendar(f"On call: {', '.join(groups) or 'every group'}" + (f" ({who})" if who else ""), found, now)


@feed_bp.get("/oncall/calendar/<token>.ics")
def personal(token: str) -> Response:
    """One person's shifts, for their calendar app: no login, the URL's token says whose (hub/oncall_feed.py)."""
    days = _days()
    if days is None:
        return json_error(400, f"'days' is a whole number from 1 to {oncall_feed.MAX_DAYS}")
    now, settings = utcnow(), services().settings
    try:
        with services().db.read() as session:
            who = oncall_feed.person_for(session, settings.verifying_keys, token)
            found = oncall_feed.events(session, now, base_url=settings.base_url, who=who, days=days)
    except LinkProblem as exc:
        return json_error(problem_status(exc), str(exc))
    return _calendar(f"On call: {who}", found, now)


def _days() -> int | None:
    days = whole_number(request.args.get("days", "60"))
    return days if days is not None and 1 <= days <= oncall_feed.MAX_DAYS else None


def _calendar(name: str, events: list[ical.CalendarEvent], now: datetime) -> Response:
    return Response(ical.calendar(name, events, now=now), content_type=ical.MEDIA_TYPE)
