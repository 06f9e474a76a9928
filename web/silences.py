"""The silences page: maintenance windows in force, a form to add one, and a button to end one early."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from hub import audit, silences
from hub.durations import parse_duration
from hub.errors import BadInput
from hub.models import utcnow
from hub.weekly import parse_window
from web.acting import acting_db
from web.forms import button_action
from web.local_time import time_zone
from web.permissions import MANAGE_SILENCES, requires
from web.services import services

bp = Blueprint("silences", __name__, url_prefix="/silences")


class SilenceForm(FlaskForm):
    matchers = TextAreaField("Matchers, one per line", validators=[DataRequired()],
                             description="labels.team=db, severity!=info, title=~disk.*")  # fmt: skip
    duration = StringField("For how long", default="2h", validators=[DataRequired(), Length(max=10)])
    comment = StringField("Why", validators=[Length(max=500)])
    every = StringField("Repeat weekly, only in this window (optional)", validators=[Length(max=60)],
                        description="sun 02:00-04:00 or mon-fri 22:00-06:00")  # fmt: skip
    tz = StringField("Time zone of that window", validators=[Length(max=60)])  # offered: the viewer's


@bp.route("", methods=["GET", "POST"])
@requires(MANAGE_SILENCES)
def index() -> ResponseReturnValue:
    form = SilenceForm(tz=time_zone())
    error = None
    if form.validate_on_submit():
        try:
            lines = [line.strip() for line in (form.matchers.data or "").splitlines() if line.strip()]
            start = utcnow()
            weekly = parse_window(form.every.data, form.tz.data or time_zone()) if form.every.data else None
            with acting_db().transaction() as session:
                row = silences.add_silence(
                    session, matchers=[silences.parse_matcher(line) for line in lines], starts_at=start,
                    ends_at=start + parse_duration(form.duration.data or ""), comment=form.comment.data or "",
                    created_by=current_user.email, every=weekly,
                )  # fmt: skip
                silence_id = row.id
                audit.record(session, current_user.email, "silence.create", f"silence {silence_id}", matchers=lines,
                             until=row.ends_at.isoformat(), comment=row.comment)  # fmt: skip
        except BadInput as exc:
            error = str(exc)
        else:
            flash(f"Silence {silence_id} added.", "success")
            return redirect(url_for("silences.index"))
    with services().db.read() as session:
        rows = silences.active(session)
    return render_template("silences/index.html", form=form, silences=rows, error=error,
                           describe=silences.describe)  # fmt: skip


@bp.post("/<int:silence_id>/expire")
@requires(MANAGE_SILENCES)
def expire(silence_id: int) -> ResponseReturnValue:
    def work(session: Session) -> str:
        silences.expire_silence(session, silence_id)
        audit.record(session, current_user.email, "silence.expire", f"silence {silence_id}")
        return f"Silence {silence_id} ended."

    return button_action(work, "silences.index")
