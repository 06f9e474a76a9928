"""The change pages: the list with a request form, one change with its approvals and actions, and the calendar.

Every action is a form post with its CSRF token that calls hub/changes.py in one transaction; the page offers
only the actions the state allows, and a refusal (a freeze window, missing approvals) comes back as its message.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from hub import catalogue, change_amend, change_correlation, changes, people, problem_links
from hub.change_states import (
    ACTIONS,
    AMENDABLE,
    OUTCOMES,
    RISKS,
    STATES,
    TYPES,
    approvals_needed,
    available_actions,
)
from hub.errors import BadInput
from hub.models import Change, utcnow
from hub.zones import from_local, to_local, wall_clock
from web.acting import acting_db, with_right
from web.change_calendar import grid, period, shows_changes
from web.local_time import viewer_zone, when
from web.permissions import MANAGE_USERS, VIEW_CHANGES, WORK_CHANGES, allowed, demand, requires
from web.services import services

bp = Blueprint("changes", __name__, url_prefix="/changes")

_LOCAL = "%Y-%m-%dT%H:%M"


@bp.app_template_filter("amended")
def amended(detail: dict[str, Any] | None) -> list[tuple[str, str | None, str | None]]:
    """An amendment's history entry, part by part (old, new), the window's times in the viewer's zone as the page's
    other times are."""
    return change_amend.parts_said((detail or {}).get("changed", {}), when)


class ChangeForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=500)])
    type = SelectField("Type", choices=list(TYPES), default="normal")
    service = StringField("Service", validators=[Optional(), Length(max=100)])
    risk = SelectField("Risk", choices=list(RISKS), default="low")
    impact = TextAreaField("Impact", validators=[Length(max=20_000)])
    # Wall-clock times in the viewer's zone (web/local_time.py), which `in_zone` adds to their labels.
    planned_start = DateTimeLocalField("Planned start", format=_LOCAL, validators=[Optional()])
    planned_end = DateTimeLocalField("Planned end", format=_LOCAL, validators=[Optional()])
    implementation_plan = TextAreaField("Implementation plan", validators=[Length(max=20_000)])
    test_plan = TextAreaField("Test plan", validators=[Length(max=20_000)])
    backout_plan = TextAreaField("Back-out plan", validators=[Length(max=20_000)])
    approvers = StringField("Approvers (emails, comma-separated)", validators=[Length(max=2000)])
    required_approvals = IntegerField("Approvals required (default: all)",
                                      validators=[Optional(), NumberRange(min=0, max=100)])  # fmt: skip
    link = StringField("Link", validators=[Optional(), Length(max=2000)])
    problem = StringField("Fixes problem", validators=[Optional(), Length(max=520)])

    def in_zone(self, zone: ZoneInfo) -> ChangeForm:
        """Say which zone the planned times are read in: `Planned start (Europe/Berlin)`."""
        for field in (self.planned_start, self.planned_end):
            field.label.text = f"{field.label.text} ({zone.key})"
        return self


class AmendForm(FlaskForm):
    """A change's plan as it may be amended before work starts, filled in with what it says now."""

    title = StringField("Title", validators=[DataRequired(), Length(max=500)])
    planned_start = DateTimeLocalField("Planned start", format=_LOCAL, validators=[Optional()])
    planned_end = DateTimeLocalField("Planned end", format=_LOCAL, validators=[Optional()])
    risk = SelectField("Risk", choices=list(RISKS))
    impact = TextAreaField("Impact", validators=[Length(max=20_000)])
    implementation_plan = TextAreaField("Implementation plan", validators=[Length(max=20_000)])
    test_plan = TextAreaField("Test plan", validators=[Length(max=20_000)])
    backout_plan = TextAreaField("Back-out plan", validators=[Length(max=20_000)])

    @classmethod
    def of(cls, row: Change, zone: ZoneInfo) -> AmendForm:
        """The form for `row`, its window on the wall clock of `zone` (which its labels name)."""
        form = cls(formdata=None, title=row.title, risk=row.risk, impact=row.impact,
                   planned_start=_wall(row.planned_start, zone), planned_end=_wall(row.planned_end, zone),
                   implementation_plan=row.implementation_plan, test_plan=row.test_plan,
                   backout_plan=row.backout_plan)  # fmt: skip
        for field in (form.planned_start, form.planned_end):
            field.label.text = f"{field.label.text} ({zone.key})"
        return form


def _wall(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return to_local(value, zone).replace(tzinfo=None) if value is not None else None


def _instant(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return from_local(value, zone) if value is not None else None


@bp.route("", methods=["GET", "POST"])
@requires(VIEW_CHANGES)
def index() -> ResponseReturnValue:
    """Changes newest first (`?state=`, `?service=`), and the form to request one (for people who work changes)."""
    form = ChangeForm().in_zone(viewer_zone())
    if request.method == "POST":
        demand(WORK_CHANGES)
        return _create(form)
    state = request.args.get("state") or None
    service = request.args.get("service") or None
    with services().db.read() as session:
        rows = changes.listing(session, state=state if state in STATES else None, service=service)
        known = [s.name for s in catalogue.services(session)]
        open_problems = _open_problems(session)
    return render_template("changes/list.html", changes=rows, form=form, error=None, states=STATES, state=state,
                           service=service, services=known, open_problems=open_problems)  # fmt: skip


def _create(form: ChangeForm) -> ResponseReturnValue:
    error = "Check the fields marked below."
    if form.validate_on_submit():
        try:
            start, end = (_instant(field.data, viewer_zone()) for field in (form.planned_start, form.planned_end))
            new = changes.NewChange(
                title=form.title.data or "", type=form.type.data or "normal", service=form.service.data,
                risk=form.risk.data or "low", impact=form.impact.data or "",
                planned_start=start, planned_end=end,
                implementation_plan=form.implementation_plan.data or "", test_plan=form.test_plan.data or "",
                backout_plan=form.backout_plan.data or "",
                approvers=tuple(a for a in (form.approvers.data or "").replace(";", ",").split(",") if a.strip()),
                required_approvals=form.required_approvals.data, link=form.link.data, problem=form.problem.data or "",
            )  # fmt: skip
            with acting_db().transaction() as session:
                ref = changes.create(session, new, current_user.email).ref
        except BadInput as exc:
            error = str(exc)
        else:
            flash(f"{ref} requested.", "success")
            return redirect(url_for("changes.detail", ref=ref))
    with services().db.read() as session:
        rows = changes.listing(session)
        known = [s.name for s in catalogue.services(session)]
        open_problems = _open_problems(session)
    return render_template("changes/list.html", changes=rows, form=form, error=error, states=STATES, state=None,
                           service=None, services=known, open_problems=open_problems), 400  # fmt: skip


def _open_problems(session: Session) -> list[tuple[str, str]]:
    """What the "Fixes problem" fields offer, for the people who may fill them in."""
    return problem_links.open_problems(session) if allowed(current_user.role, WORK_CHANGES) else []


@bp.get("/calendar")
@requires(VIEW_CHANGES)
def calendar() -> ResponseReturnValue:
    """A month (default) or `?view=week` around `?at=YYYY-MM-DD` (default today), freeze windows shaded."""
    kind = "week" if request.args.get("view") == "week" else "month"
    zone = viewer_zone()
    today = to_local(utcnow(), zone).date()
    try:
        at = date.fromisoformat(request.args.get("at", ""))
    except ValueError:
        at = today
    span = period(kind, at)
    start, end = span.bounds(zone)
    with services().db.read() as session:
        rows = changes.between(session, start, end)
        windows = changes.freezes(session, since=start, until=end)
    weeks = grid(span, rows, windows, zone)
    return render_template("changes/calendar.html", span=span, weeks=weeks, planned=shows_changes(weeks),
                           freezes=windows, today=today)  # fmt: skip


@bp.get("/<ref>")
@requires(VIEW_CHANGES)
def detail(ref: str) -> ResponseReturnValue:
    with services().db.read() as session:
        row = changes.get(session, ref)
        if row is None:
            abort(404, description=f"There is no change {ref}.")
        facts = changes.facts_of(row)
        frozen = changes.freezes_in(session, facts)
        history = changes.history(session, row.ref)
        clashing = changes.clashes(session, row)
        open_problems = _open_problems(session)
        actors = [entry.actor for entry in history]
        names = people.names_of(session.connection(), [row.requested_by, *row.approvers, *actors])
        window = timedelta(seconds=services().settings.change_window)
        followed = change_correlation.incidents_after(session, row, window)
    me = current_user.email.lower()
    voted = {a.approver for a in row.approvals}
    may_vote = row.state == "assessed" and row.type != "standard" and me in row.approvers and me not in voted
    may_amend = (
        row.state in AMENDABLE
        and allowed(current_user.role, WORK_CHANGES)
        and (me == row.requested_by.lower() or allowed(current_user.role, MANAGE_USERS))
    )
    amend_form = AmendForm.of(row, viewer_zone()) if may_amend else None
    return render_template("changes/detail.html", change=row, moves=available_actions(facts), outcomes=OUTCOMES,
                           frozen=frozen, history=history, may_vote=may_vote, clashing=clashing,
                           needed=approvals_needed(facts, frozen), open_problems=open_problems,
                           names=names, amend_form=amend_form, followed=followed,
                           change_window=window)  # fmt: skip


@bp.post("/<ref>/amend")
@requires(WORK_CHANGES)
def amend(ref: str) -> ResponseReturnValue:
    """Amend the plan (window, title, risk, impact, plans) by its requester or an admin, before work starts."""
    form = AmendForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400, description="The form expired; reload the page and try again.")
        wrong = "; ".join(f"{getattr(form, name).label.text}: {' '.join(errs)}" for name, errs in form.errors.items())
        flash(f"Nothing changed: {wrong}.", "error")
        return redirect(url_for("changes.detail", ref=ref.upper()), code=303)
    zone = viewer_zone()
    amendment = changes.Amendment(
        title=form.title.data or "", risk=form.risk.data, impact=form.impact.data or "",
        planned_start=_instant(form.planned_start.data, zone), planned_end=_instant(form.planned_end.data, zone),
        implementation_plan=form.implementation_plan.data or "", test_plan=form.test_plan.data or "",
        backout_plan=form.backout_plan.data or "",
    )  # fmt: skip
    db, anyones = with_right(MANAGE_USERS)
    try:
        with db.transaction() as session:
            done = changes.amend(session, ref, amendment, current_user.email, anyones=anyones)
    except changes.NoSuchChange as exc:
        abort(404, description=str(exc))
    except BadInput as exc:
        flash(f"Nothing changed: {exc}.", "error")
    else:
        if not done.changed:
            flash(f"{ref.upper()}: nothing changed, the plan already reads so.", "success")
        else:
            parts = ", ".join(name.replace("_", " ") for name in done.changed)
            again = " Its window moved, so its approvers decide again: it is assessed." if done.reapproval else ""
            flash(f"{ref.upper()}'s {parts} amended.{again}", "success")
    return redirect(url_for("changes.detail", ref=ref.upper()), code=303)


@bp.post("/<ref>/problem")
@requires(WORK_CHANGES)
def fix_problem(ref: str) -> ResponseReturnValue:
    """Say which open problem the change fixes (typed or picked as the incident page's link is), or none."""
    if not FlaskForm().validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    typed = "" if "none" in request.form else request.form.get("problem", "")
    try:
        with acting_db().transaction() as session:
            fixes = changes.fix_problem(session, ref, typed, current_user.email).problem_id
    except changes.NoSuchChange as exc:
        abort(404, description=str(exc))
    except BadInput as exc:
        flash(f"Nothing changed: {exc}.", "error")
    else:
        flash(f"{ref.upper()} fixes PRB-{fixes}." if fixes else f"{ref.upper()} fixes no problem.", "success")
    return redirect(url_for("changes.detail", ref=ref.upper()), code=303)


@bp.post("/<ref>/<action>")
@requires(WORK_CHANGES)
def act(ref: str, action: str) -> ResponseReturnValue:
    """One step (assess, schedule, start, finish, review, close) or a decision (approve, reject) by the person."""
    if action not in (*ACTIONS, "approve", "reject"):
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    try:
        with acting_db().transaction() as session:
            warning = None
            if action in ("approve", "reject"):
                row = changes.decide(session, ref, current_user.email, action, request.form.get("comment", ""))
            else:
                row = changes.advance(session, ref, action, current_user.email, outcome=request.form.get("outcome"),
                                      review=request.form.get("review", ""))  # fmt: skip
                if action == "start":
                    warning = changes.early_start(row, utcnow(), lambda at: wall_clock(at, viewer_zone()))
            state = row.state
    except changes.NoSuchChange as exc:
        abort(404, description=str(exc))
    except BadInput as exc:
        flash(str(exc), "error")
    else:
        flash(f"{ref.upper()} is {state.replace('_', ' ')}.", "success")
        if warning is not None:
            flash(f"Note: {warning}.", "error")
    return redirect(url_for("changes.detail", ref=ref.upper()))
