"""The groups page: the teams rules assign within and escalations tell, with their members in rota order
(admins; audited; the same as `switchboard group set|remove`).

It reads the groups and their members only, never every person: a member is added by typing an address, which
web/static/suggest.js completes from /suggest/assignees and the server looks up (hub/assignees.py `person`); each
member has a Remove button, and one deactivated since they joined is marked (paging passes them over). A group
with no active member is flagged, with what to do: its incidents are in no one's queue (hub/queues.py), listed as
Unassigned."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from hub import assignees, audit, groups, people, queue_names, queues
from hub.errors import BadInput
from hub.groups import GroupInfo
from hub.incident_search import OPEN
from web.acting import acting_db
from web.forms import ActionForm, button_action
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
            with acting_db().transaction() as session:
                saved = groups.save_group(session, name, [m for m in members if m])
                audit.record(session, current_user.email, "group.set", saved.name, members=list(saved.members))
                said = _members_now(session, saved)
        except BadInput as exc:
            error = str(exc)
        else:
            flash(said, "success")
            return redirect(url_for("groups.index"))
    with services().db.read() as session:
        found = groups.list_groups(session)
        members = [m for g in found for m in g.members]
        unable = assignees.unable(session.connection(), members)
        names = people.names_of(session.connection(), members)
        unheld = queue_names.unheld(session, [g.name for g in found])
        memberless = queues.unheld_among(session, [g.name for g in found])  # no active member: no one's queue
    return render_template("groups.html", groups=found, unable=unable, names=names, form=form, error=error,
                           open_status=OPEN, unheld=unheld, memberless=memberless,
                           new_name=request.args.get("name", "")[:100])  # fmt: skip


@bp.post("/<path:name>/members")
@requires(MANAGE_USERS)
def add_member(name: str) -> ResponseReturnValue:
    """One more member, last in the rota: the typed address must be an active agent's or admin's."""

    def work(session: Session) -> str:
        saved = groups.add_member(session, name, request.form.get("who", ""))
        audit.record(session, current_user.email, "group.member.add", saved.name, member=saved.members[-1],
                     members=list(saved.members))  # fmt: skip
        return _members_now(session, saved)

    return button_action(work, "groups.index", refused=_unchanged(name))


@bp.post("/<path:name>/members/remove")
@requires(MANAGE_USERS)
def remove_member(name: str) -> ResponseReturnValue:
    """One member out, the others keeping their rota order (the page's button beside each member)."""

    def work(session: Session) -> str:
        who = request.form.get("who", "").strip().lower()
        saved = groups.remove_member(session, name, who)
        audit.record(session, current_user.email, "group.member.remove", saved.name, member=who,
                     members=list(saved.members))  # fmt: skip
        return _members_now(session, saved)

    return button_action(work, "groups.index", refused=_unchanged(name))


@bp.post("/<path:name>/remove")  # group names may hold "/"
@requires(MANAGE_USERS)
def remove(name: str) -> ResponseReturnValue:
    def work(session: Session) -> str:
        groups.remove_group(session, name)
        audit.record(session, current_user.email, "group.remove", name)
        return f"Group {name} removed."

    return button_action(work, "groups.index", refused="Nothing changed: {}.")


def _members_now(session: Session, saved: GroupInfo) -> str:
    """What a change of a group's members says: who is in it now, by name where they have one."""
    named = people.labels(session.connection(), list(saved.members))
    return f"Group {saved.name}: {', '.join(named) or 'no members'}."


def _unchanged(name: str) -> str:
    told = name.replace("{", "{{").replace("}", "}}")  # refused= is a format string
    return f"{told}'s members unchanged: {{}}."
