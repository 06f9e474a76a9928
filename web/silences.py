"""The silences page: maintenance windows in force, a form to add one, and a button to end one early."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from hub import silences
from hub.durations import parse_duration
from hub.errors import BadInput
from hub.models import utcnow
from web.permissions import MANAGE_SILENCES, requires
from web.services import services

bp = Blueprint("silences", __name__, url_prefix="/silences")


class SilenceForm(FlaskForm):
    matchers = TextAreaField("Matchers, one per line", validators=[DataRequired()],
                             description="labels.team=db, severity!=info, title=~disk.*")  # fmt: skip
    duration = StringField("For how long", default="2h", validators=[DataRequired(), Length(max=10)])
    comment = StringField("Why", validators=[Length(max=500)])


class ExpireForm(FlaskForm):
    """Only the CSRF token: ending a silence is a state change."""


@bp.route("", methods=["GET", "POST"])
@requires(MANAGE_SILENCES)
def index() -> ResponseReturnValue:
    form = SilenceForm()
    error = None
    if form.validate_on_submit():
        try:
            lines = [line.strip() for line in (form.matchers.data or "").splitlines() if line.strip()]
            start = utcnow()
            with services().db.transaction() as session:
                row = silences.add_silence(
                    session, matchers=[silences.parse_matcher(line) for line in lines], starts_at=start,
                    ends_at=start + parse_duration(form.duration.data or ""), comment=form.comment.data or "",
                    created_by=current_user.email,
                )  # fmt: skip
                silence_id = row.id
        except BadInput as exc:
            error = str(exc)
        else:
            flash(f"Silence {silence_id} added.", "success")
            return redirect(url_for("silences.index"))
    with services().db.read() as session:
        rows = silences.active(session)
    return render_template("silences/index.html", form=form, expire=ExpireForm(), silences=rows, error=error)


@bp.post("/<int:silence_id>/expire")
@requires(MANAGE_SILENCES)
def expire(silence_id: int) -> ResponseReturnValue:
    if ExpireForm().validate_on_submit():
        try:
            with services().db.transaction() as session:
                silences.expire_silence(session, silence_id)
            flash(f"Silence {silence_id} ended.", "success")
        except BadInput as exc:
            flash(str(exc), "error")
    return redirect(url_for("silences.index"))
