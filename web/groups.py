"""The groups page: the teams rules assign within and escalations tell, with their members in rota order
(admins; audited; the same as `switchboard group set|remove`).

It reads the groups and their members only, never every person: a member is added by typing an address, which
web/static/suggest.js completes from /suggest/assignees and the server looks up (hub/assignees.py `person`)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from hub import assignees, audit, groups
from hub.errors import BadInput
from web.forms import ActionForm, button_action
from web.incident_search import OPEN
from web.permissions import MANAGE_USERS, requires
from web.services import services

bp = Blueprint("groups", __name__, url_prefix="/groups")


@bp.route("", methods=["GET", "POST"])
@requires(MANAGE_USERS)
def index() -> ResponseReturnValue:
    form = ActionForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        name = request.form.get("name", "").strip()
        members = [line.strip() for line in request.form.get("members", "").replace(",", "\n").splitlines()]
        try:
            with services().db.transaction() as session:
                saved = groups.save_group(session, name, [m for m in members if m])
                audit.record(session, current_user.email, "group.set", saved.name, members=list(saved.members))
        except BadInput as exc:
            error = str(exc)
        else:
            flash(f"Group {saved.name}: {', '.join(saved.members) or 'no members'}.", "success")
            return redirect(url_for("groups.index"))
    with services().db.read() as session:
        found = groups.list_groups(session)
    return render_template("groups.html", groups=found, form=form, error=error, open_status=OPEN)


@bp.post("/<path:name>/members")
@requires(MANAGE_USERS)
def add_member(name: str) -> ResponseReturnValue:
    """One more member, last in the rota: the typed address must be an active agent's or admin's."""

    def work(session: Session) -> str:
        who = assignees.person(session.connection(), request.form.get("who", ""))
        saved = groups.add_member(session, name, who)
        audit.record(session, current_user.email, "group.member.add", saved.name, member=who,
                     members=list(saved.members))  # fmt: skip
        return f"Group {saved.name}: {', '.join(saved.members)}."

    told = name.replace("{", "{{").replace("}", "}}")  # refused= is a format string
    return button_action(work, "groups.index", refused=f"{told}'s members unchanged: {{}}.")


@bp.post("/<path:name>/remove")  # group names may hold "/"
@requires(MANAGE_USERS)
def remove(name: str) -> ResponseReturnValue:
    def work(session: Session) -> str:
        groups.remove_group(session, name)
        audit.record(session, current_user.email, "group.remove", name)
        return f"Group {name} removed."

    return button_action(work, "groups.index", refused="Nothing changed: {}.")
