"""The saved-replies page: the desk's stock answers, added and removed by the people who send them (agents and
admins); the incident page offers them beside its reply box."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from hub import audit
from hub.errors import BadInput
from hub.names import NAME_WIDTH
from hub.saved_replies import MAX_TEXT, add_reply, remove_reply, saved_replies
from web.acting import acting_db
from web.forms import button_action
from web.permissions import WORK_INCIDENTS, requires
from web.services import services

bp = Blueprint("saved_replies", __name__, url_prefix="/replies")


class SavedReplyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=NAME_WIDTH)], description="VPN restart")
    text = TextAreaField("Text", validators=[DataRequired(), Length(max=MAX_TEXT)])


@bp.route("", methods=["GET", "POST"])
@requires(WORK_INCIDENTS)
def index() -> ResponseReturnValue:
    form = SavedReplyForm()
    error = None
    if form.validate_on_submit():
        try:
            with acting_db().transaction() as session:
                reply = add_reply(session, name=form.name.data or "", text=form.text.data or "", by=current_user.email)
                audit.record(session, current_user.email, "reply.add", reply.name)
                name = reply.name
        except BadInput as exc:
            error = f"{exc}."
        else:
            flash(f"Saved reply {name!r} added: it is offered beside every incident's reply box.", "success")
            return redirect(url_for("saved_replies.index"))
    with services().db.read() as session:
        replies = saved_replies(session)
    return render_template("replies/index.html", form=form, replies=replies, error=error)


@bp.post("/<int:reply_id>/remove")
@requires(WORK_INCIDENTS)
def remove(reply_id: int) -> ResponseReturnValue:
    def work(session: Session) -> str:
        name = remove_reply(session, reply_id)
        audit.record(session, current_user.email, "reply.remove", name)
        return f"Saved reply {name!r} removed."

    return button_action(work, "saved_replies.index", refused="Nothing removed: {}.")
