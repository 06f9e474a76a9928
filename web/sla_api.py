"""SLA policies and business calendars for scripts that keep the catalogue in code: `/api/v1/sla-policies` (one by
its id, which a rename keeps) and `/api/v1/calendars` (one by name), read by any token, changed by admin tokens.

As web/services_api.py does for services, each change goes through the hub functions the /services page and
`switchboard sla|calendar` call (hub/catalogue.py, hub/calendars.py, hub/sla_edits.py, hub/sla_removal.py): the
same checks and words, the clocks running under a policy or calendar re-planned in the same transaction, and the
same audit entries, by a personal token's person or a desk token's `token:<name>`. Targets and hours are written
as people type them (`30m`, `4h`; `mon-fri 09:00-17:00`) and answered the same way, so what a script reads it can
send back.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit, calendars, catalogue, sla_edits, sla_removal
from hub.calendars import CalendarTerms
from hub.catalogue import PolicyTerms, Targets
from hub.durations import typed_duration
from hub.errors import BadField, BadInput, Missing, StorageUnavailable
from hub.models import BusinessCalendar, SlaPolicy
from hub.names import NAME_WIDTH
from hub.sla_clocks import DEFAULT_WARN_AT
from hub.sla_replanning import running_clocks
from web.acting import acting_db
from web.api import token_required
from web.permissions import MANAGE_CATALOGUE, VIEW_CATALOGUE
from web.responses import json_error, json_response, storage_unavailable
from web.services import services
from web.services_api import a_name, actor, changed, created, refused, required_text, text

bp = Blueprint("sla_api", __name__, url_prefix="/api/v1")

TARGETS = ("first_response", "next_update", "resolution")
NARROWING = ("service", "category", "organisation", "kind")
POLICY_FIELDS = ("name", "priority", *TARGETS, "calendar", *NARROWING, "warn_at")
CALENDAR_FIELDS = ("name", "tz", "hours", "holidays", "dates")
_POLICY = '{"name": "P1 mail", "priority": 1, "first_response": "15m", "resolution": "2h", "service": "mail"}'
_CALENDAR = '{"name": "office-berlin", "tz": "Europe/Berlin", "hours": "mon-fri 09:00-17:00", "holidays": "DE-BE"}'


def _typed(span: timedelta | None) -> str | None:
    return typed_duration(span) if span is not None else None


def policy_json(row: SlaPolicy, terms: PolicyTerms, running: int) -> dict[str, Any]:
    targets = terms["targets"]
    return {
        "id": row.id,
        "name": row.name,
        "priority": row.priority,
        "first_response": _typed(targets.first_response),
        "next_update": _typed(targets.next_update),
        "resolution": _typed(targets.resolution),
        "calendar": terms["calendar"],
        "service": row.service,
        "category": row.category,
        "organisation": row.organisation,
        "kind": row.kind,
        "warn_at": row.warn_at,
        "running": running,
    }


def calendar_json(row: BusinessCalendar, policies: list[str]) -> dict[str, Any]:
    terms = calendars.calendar_terms(row)
    region = "-".join(part for part in (terms["country"], terms["subdivision"]) if part)
    return {"name": row.name, "tz": terms["tz"], "hours": terms["hours"], "holidays": region or None,
            "dates": sorted(day.isoformat() for day in terms["dates"]), "policies": policies}  # fmt: skip


# -- SLA policies -----------------------------------------------------------------------------------------------


@bp.get("/sla-policies")
@token_required(VIEW_CATALOGUE)
def policies() -> Response:
    """Every policy, by priority then name, with how many unresolved incidents it runs clocks for."""
    with services().db.read() as session:
        running = running_clocks(session)
        rows = [row for row, _ in catalogue.policies(session)]
        return json_response([policy_json(row, catalogue.policy_terms(session, row), running.get(row.id, 0))
                              for row in rows])  # fmt: skip


@bp.get("/sla-policies/<int:policy_id>")
@token_required(VIEW_CATALOGUE)
def policy(policy_id: int) -> Response:
    """One policy, by the id the list gives it."""
    with services().db.read() as session:
        try:
            return _policy_answer(session, _policy(session, policy_id))
        except Missing as exc:
            return json_error(404, str(exc))


@bp.post("/sla-policies")
@token_required(MANAGE_CATALOGUE)
def add_policy() -> Response:
    """Add a policy: `name`, `priority` (1 to 5, or "P1"), a `first_response` or `resolution` target, and optionally
    `next_update`, `calendar` (null: 24x7 UTC), `service`, `category`, `organisation`, `kind` ("incident" or
    "request"; null: both), `warn_at`. 201 with it."""

    def add(session: Session, body: dict[str, Any]) -> Response:
        name = required_text(body, "name", "a policy", _POLICY)
        terms = _policy_terms(body, None)
        row = catalogue.add_policy(session, name=name, **terms)
        audit.record(session, actor(), "sla.add", row.name, **catalogue.policy_detail(row, terms["calendar"]))
        return created(_policy_answer(session, row, 201), url_for(".policy", policy_id=row.id))

    return changed(POLICY_FIELDS, _POLICY, add)


@bp.patch("/sla-policies/<int:policy_id>")
@token_required(MANAGE_CATALOGUE)
def change_policy(policy_id: int) -> Response:
    """Change what the body gives (null or "" empties a target, the calendar or a narrowing field; `name` renames
    it) and re-plan the unresolved incidents whose clocks it runs, as `switchboard sla set` does; `replanned` says
    what became of them."""

    def change(session: Session, body: dict[str, Any]) -> Response:
        row = _policy(session, policy_id)
        terms = _policy_terms(body, catalogue.policy_terms(session, row))
        done = sla_edits.edit_policy(session, row.name, terms, by=actor(), new_name=text(body, "name"))
        return _policy_answer(session, row, replanned=_replanned(done))

    return changed(POLICY_FIELDS, _POLICY, change)


@bp.delete("/sla-policies/<int:policy_id>")
@token_required(MANAGE_CATALOGUE)
def remove_policy(policy_id: int) -> Response:
    """Remove the policy as `switchboard sla remove` does: the unresolved incidents whose clocks it ran are
    re-planned under the policy that fits them without it (`replanned`), or left without clocks (`stopped`)."""
    try:
        with acting_db().transaction() as session:
            done = sla_removal.remove_policy(session, _policy(session, policy_id).name)
            audit.record(session, actor(), "sla.remove", done.name, replanned=done.replanned, stopped=done.stopped)
    except BadInput as exc:
        return refused(exc)
    except StorageUnavailable:
        return storage_unavailable()
    return json_response({"removed": done.name, "replanned": done.replanned, "stopped": done.stopped})


def _policy(session: Session, policy_id: int) -> SlaPolicy:
    row = session.get(SlaPolicy, policy_id)
    if row is None:
        raise Missing(f"there is no SLA policy {policy_id}; GET /api/v1/sla-policies lists them with their ids")
    return row


def _policy_answer(session: Session, row: SlaPolicy, status: int = 200, **more: Any) -> Response:
    running = running_clocks(session).get(row.id, 0)
    return json_response({**policy_json(row, catalogue.policy_terms(session, row), running), **more}, status)


def _policy_terms(body: dict[str, Any], kept: PolicyTerms | None) -> PolicyTerms:
    """The terms the body gives, the others `kept` (adding: none kept, so a priority is needed)."""
    priority = body.get("priority")
    if kept is None:
        if priority is None:
            raise BadField("priority", f"a policy needs a 'priority', 1 (highest) to 5, e.g. {_POLICY}")
        kept = PolicyTerms(priority=0, targets=Targets(), calendar=None, service=None, category=None,
                           organisation=None, kind=None, warn_at=DEFAULT_WARN_AT)  # fmt: skip
    if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int | str)):
        raise BadField("priority", "'priority' is 1 (highest) to 5, or P1 to P5")
    warn_at = body.get("warn_at", kept["warn_at"])
    if isinstance(warn_at, bool) or not isinstance(warn_at, int | float):
        raise BadField("warn_at", "'warn_at' is a share of the target between 0 and 1, e.g. 0.75")
    old = kept["targets"]
    targets = Targets(**{key: catalogue.parse_target(text(body, key), key) if key in body else getattr(old, key)
                         for key in TARGETS})  # fmt: skip

    def given(key: str, otherwise: str | None) -> str | None:
        return text(body, key) if key in body else otherwise

    return PolicyTerms(
        priority=catalogue.parse_priority(str(priority)) if priority is not None else kept["priority"],
        targets=targets, calendar=given("calendar", kept["calendar"]), service=given("service", kept["service"]),
        category=given("category", kept["category"]), organisation=given("organisation", kept["organisation"]),
        kind=given("kind", kept["kind"]), warn_at=float(warn_at),
    )  # fmt: skip


def _replanned(done: sla_edits.Edit) -> dict[str, int]:
    """What a change did to the clocks running under it (all 0 when nothing changed)."""
    return {"moved": done.replanned.moved, "kept": done.replanned.kept, "stopped": done.replanned.stopped}


# -- business calendars -----------------------------------------------------------------------------------------


@bp.get("/calendars")
@token_required(VIEW_CATALOGUE)
def calendar_list() -> Response:
    """Every business calendar by name, with the policies whose clocks run on it."""
    with services().db.read() as session:
        using = _policies_on(session)
        return json_response([calendar_json(row, using.get(row.id, [])) for row in calendars.calendars(session)])


@bp.get("/calendars/<path:name>")
@token_required(VIEW_CATALOGUE)
def calendar(name: str) -> Response:
    """One calendar (its name may hold "/": it is the rest of the path)."""
    if not a_name(name):
        return json_error(404, f"there is no calendar {name[:NAME_WIDTH]!r}")
    with services().db.read() as session:
        try:
            return _calendar_answer(session, calendars.get_calendar(session, name))
        except Missing as exc:
            return json_error(404, str(exc))


@bp.post("/calendars")
@token_required(MANAGE_CATALOGUE)
def add_calendar() -> Response:
    """Add a calendar: `name`, `tz` (IANA), `hours`, and optionally `holidays` (a country or region: DE, DE-BY) and
    `dates` (more closed days, YYYY-MM-DD). 201 with it."""

    def add(session: Session, body: dict[str, Any]) -> Response:
        name = required_text(body, "name", "a calendar", _CALENDAR)
        for key in ("tz", "hours"):
            required_text(body, key, "a calendar", _CALENDAR)
        row = calendars.add_calendar(session, name=name, **_calendar_terms(body, None))
        audit.record(session, actor(), "calendar.add", row.name, calendar=calendars.describe_calendar(row))
        return created(_calendar_answer(session, row, 201), url_for(".calendar", name=row.name))

    return changed(CALENDAR_FIELDS, _CALENDAR, add)


@bp.patch("/calendars/<path:name>")
@token_required(MANAGE_CATALOGUE)
def change_calendar(name: str) -> Response:
    """Change what the body gives (`dates` replaces the closed days; `name` renames it, its policies following)
    and re-plan the clocks running on it, as `switchboard calendar set` does; `replanned` says what became of
    them."""
    if not a_name(name):
        return json_error(404, f"there is no calendar {name[:NAME_WIDTH]!r}")

    def change(session: Session, body: dict[str, Any]) -> Response:
        row = calendars.get_calendar(session, name, lock=True)
        terms = _calendar_terms(body, calendars.calendar_terms(row))
        done = sla_edits.edit_calendar(session, row.name, terms, by=actor(), new_name=text(body, "name"))
        return _calendar_answer(session, row, replanned=_replanned(done))

    return changed(CALENDAR_FIELDS, _CALENDAR, change)


@bp.delete("/calendars/<path:name>")
@token_required(MANAGE_CATALOGUE)
def remove_calendar(name: str) -> Response:
    """Remove a calendar no policy runs on; 409 naming the policies that do."""
    if not a_name(name):
        return json_error(404, f"there is no calendar {name[:NAME_WIDTH]!r}")
    try:
        with acting_db().transaction() as session:
            gone = calendars.remove_calendar(session, name)
            audit.record(session, actor(), "calendar.remove", gone)
    except Missing as exc:
        return json_error(404, str(exc))
    except BadInput as exc:  # policies still run on it
        return json_error(409, str(exc))
    except StorageUnavailable:
        return storage_unavailable()
    return json_response({"removed": gone})


def _policies_on(session: Session) -> dict[int, list[str]]:
    """The names of the policies on each calendar, by the calendar's id."""
    found: dict[int, list[str]] = {}
    for calendar_id, policy_name in session.execute(
        select(SlaPolicy.calendar_id, SlaPolicy.name).order_by(SlaPolicy.name)
    ):
        if calendar_id is not None:
            found.setdefault(calendar_id, []).append(policy_name)
    return found


def _calendar_answer(session: Session, row: BusinessCalendar, status: int = 200, **more: Any) -> Response:
    return json_response({**calendar_json(row, _policies_on(session).get(row.id, [])), **more}, status)


def _calendar_terms(body: dict[str, Any], kept: CalendarTerms | None) -> CalendarTerms:
    """The terms the body gives, the others `kept` (adding: none)."""
    country, subdivision = (kept["country"], kept["subdivision"]) if kept else (None, None)
    if "holidays" in body:
        country, subdivision = calendars.parse_region(text(body, "holidays"))
    dates = body.get("dates", [])
    if not isinstance(dates, list) or not all(isinstance(day, str) for day in dates):
        raise BadField("dates", 'closed days are a list of dates, e.g. ["2026-12-24", "2026-12-31"]')
    closed = calendars.parse_dates(dates, "dates") if kept is None or "dates" in body else kept["dates"]
    tz = text(body, "tz") if "tz" in body else (kept["tz"] if kept else None)
    hours = text(body, "hours") if "hours" in body else (kept["hours"] if kept else None)
    return CalendarTerms(tz=tz or "", hours=hours or "", country=country, subdivision=subdivision, dates=closed)
