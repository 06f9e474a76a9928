"""The on-call page: who is on call for each group now and over the next two weeks; agents cover shifts with
overrides, admins set the rotations (the same as `switchboard oncall ...`; audited).

It reads the rotations' people only, never every person: who covers a shift is typed, completed by
web/static/suggest.js from /suggest/assignees, and looked up on the server (hub/assignees.py `person`). Someone
deactivated after joining a rota stays in it, marked: paging passes them over to the next who can answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateTimeLocalField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from hub import assignees, audit, oncall, oncall_feed, people
from hub.errors import BadInput
from hub.models import User, utcnow
from hub.rotation import Shift, answering, shifts
from web.acting import acting_db
from web.forms import button_action
from web.local_time import time_zone
from web.permissions import COVER_SHIFTS, MANAGE_USERS, VIEW_INCIDENTS, requires
from web.services import services

bp = Blueprint("oncall", __name__, url_prefix="/oncall")

#: How far ahead the page lays out each rotation's shifts.
AHEAD = timedelta(days=14)


class RotationForm(FlaskForm):
    group = SelectField("Group", validators=[DataRequired()])
    shift = StringField("Each shift lasts", default="1w", validators=[DataRequired(), Length(max=10)],
                        description="12h, 1d, 1w")  # fmt: skip
    handoff = StringField("First handoff", default="mon 09:00", validators=[DataRequired(), Length(max=20)],
                          description="mon 09:00, 09:00 or 2026-11-30 09:00")  # fmt: skip
    tz = StringField("Time zone", validators=[DataRequired(), Length(max=64)])  # offered: the viewer's


class OverrideForm(FlaskForm):
    """Its times are wall-clock times in the rotation's zone, as the shifts beside it are shown."""

    who = StringField("Who is on call instead", validators=[DataRequired(), Length(max=320)])
    starts = DateTimeLocalField("From", validators=[DataRequired()])
    ends = DateTimeLocalField("Until", validators=[DataRequired()])


@dataclass(frozen=True)
class Card:
    """One rotation as the page shows it: now and next, and its shifts in its own time zone."""

    now: oncall.OnCallNow
    shifts: list[Shift]
    unable: Mapping[str, str]  # its people who could not answer a page (deactivated since), and why
    paged: str | None  # whom a page reaches now: who is on call, or the next in rota who can answer

    def local(self, moment: datetime) -> str:
        return oncall.wall_clock(moment, self.now.zone)


@bp.get("")
@requires(VIEW_INCIDENTS)
def index() -> ResponseReturnValue:
    return _page(RotationForm(tz=time_zone()), OverrideForm(), None)


@bp.post("")
@requires(MANAGE_USERS)
def set_rotation() -> ResponseReturnValue:
    form = RotationForm()
    with services().db.read() as session:
        form.group.choices = assignees.group_names(session.connection())
    error = None
    if form.validate_on_submit():
        group = str(form.group.data)
        try:
            with acting_db().transaction() as session:
                oncall.set_rotation(session, group, zone=str(form.tz.data).strip(), shift=str(form.shift.data),
                                    handoff=str(form.handoff.data), now=utcnow())  # fmt: skip
                audit.record(session, current_user.email, "oncall.set", group, shift=form.shift.data,
                             handoff=form.handoff.data, timezone=form.tz.data)  # fmt: skip
        except BadInput as exc:
            error = str(exc)
        else:
            flash(f"{group} now rotates on call.", "success")
            return redirect(url_for("oncall.index"))
    return _page(form, OverrideForm(formdata=None), error, status=422)


@bp.post("/<path:group>/overrides")
@requires(COVER_SHIFTS)
def add_override(group: str) -> ResponseReturnValue:
    form = OverrideForm()
    error = "give who, from and until (from before until)"
    if form.validate_on_submit() and form.starts.data and form.ends.data:
        try:
            with acting_db().transaction() as session:
                made = oncall.add_override(session, group, str(form.who.data), form.starts.data, form.ends.data,
                                           by=current_user.email, now=utcnow())  # fmt: skip
                audit.record(session, current_user.email, "oncall.override", group, who=made.who,
                             starts=made.starts.isoformat(), ends=made.ends.isoformat())  # fmt: skip
                [who] = people.labels(session.connection(), [made.who])
        except BadInput as exc:
            error = str(exc)
        else:
            flash(f"Override {made.id}: {who} is on call for {group} then.", "success")
            return redirect(url_for("oncall.index"))
    return _page(RotationForm(formdata=None, tz=time_zone()), form, f"Override for {group} not added: {error}.",
                 status=422)  # fmt: skip


@bp.post("/<path:group>/overrides/<int:override_id>/remove")
@requires(COVER_SHIFTS)
def remove_override(group: str, override_id: int) -> ResponseReturnValue:
    def work(session: Session) -> str:
        oncall.remove_override(session, group, override_id)
        audit.record(session, current_user.email, "oncall.unoverride", group, override=override_id)
        return f"Override {override_id} removed: {group}'s rotation applies again."

    return button_action(work, "oncall.index", refused="Nothing changed: {}.")


@bp.post("/<path:group>/remove")
@requires(MANAGE_USERS)
def remove_rotation(group: str) -> ResponseReturnValue:
    def work(session: Session) -> str:
        oncall.remove_rotation(session, group)
        audit.record(session, current_user.email, "oncall.remove", group)
        return f"{group} no longer rotates on call (the group stays)."

    return button_action(work, "oncall.index", refused="Nothing changed: {}.")


def _page(rotation_form: RotationForm, override_form: OverrideForm, error: str | None, *, status: int = 200
          ) -> ResponseReturnValue:  # fmt: skip
    now = utcnow()
    with services().db.read() as session:
        found = oncall.rotations(session, None, now)
        conn = session.connection()
        everyone = [who for r in found.values() for who in oncall.people_of(r)]
        unable = assignees.unable(conn, everyone)
        cards = [Card(oncall.now_and_next(name, r, now), shifts(r, now, now + AHEAD), unable,
                      answering(r, now, unable)) for name, r in sorted(found.items())]  # fmt: skip
        people_named = people.names_of(conn, everyone)  # whoever a card or shift shows is one of these
        names = assignees.group_names(conn)  # names only: not every group's members
        me = session.get_one(User, current_user.id)
        feed = url_for("oncall_feed.personal", token=oncall_feed.personal_token(services().settings.secret_key, me))
    rotation_form.group.choices = names
    return render_template("oncall/index.html", cards=cards, rotation_form=rotation_form, override_form=override_form,
                           error=error, has_groups=bool(names), ahead=AHEAD.days, names=people_named,
                           my_feed=f"{services().settings.base_url}{feed}"), status  # fmt: skip
