"""The users page: people, their names and roles, and switching accounts off (admins only; every change is audited).

People are listed in address order a page at a time (hub/user_list.py), `?find=` keeping those whose address starts
with it; each action returns the admin to the view they pressed it on, find and page kept (web/forms.py `back_to`)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from hub import accounts, audit, security_keys, two_factor, user_list
from hub.domain import ROLES
from hub.errors import BadInput
from web.acting import acting_db
from web.forms import back_to, done_and_back
from web.permissions import MANAGE_USERS, requires
from web.services import services

bp = Blueprint("users", __name__, url_prefix="/users")

ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]
MAX_ADDRESS = 320  # the users table's limit
#: Why an action on someone changed nothing, as every action here says it.
NOTHING_CHANGED = "Nothing changed: {}."


class NewUserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    name = StringField("Display name", description="Optional: signs their replies; else their address's first part.")
    role = SelectField("Role", choices=ROLE_CHOICES, default="agent")
    password = PasswordField(
        "Initial password",
        validators=[DataRequired(), Length(min=accounts.MIN_PASSWORD, max=accounts.MAX_PASSWORD)],
        description="At least 8 characters; they change it on their account page (their email, top right).",
    )


class PasswordResetForm(FlaskForm):
    """A new password an admin sets for someone who forgot theirs."""

    password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=accounts.MIN_PASSWORD, max=accounts.MAX_PASSWORD)]
    )


class ChangeForm(FlaskForm):
    """A role change or an account switched on or off, for one user."""

    role = SelectField("Role", choices=ROLE_CHOICES)
    active = HiddenField()


@bp.route("", methods=["GET", "POST"])
@requires(MANAGE_USERS)
def index() -> ResponseReturnValue:
    form = NewUserForm()
    error = None
    if form.validate_on_submit():
        try:
            with acting_db().transaction() as session:
                user = accounts.create_user(session, email=form.email.data or "", password=form.password.data or "",
                                            role=form.role.data or "agent",
                                            display_name=form.name.data or "")  # fmt: skip
                audit.record(session, current_user.email, "user.create", user.email, role=user.role,
                             **({"name": user.display_name} if user.display_name else {}))  # fmt: skip
                email = user.email
        except BadInput as exc:
            error = str(exc)
        else:
            flash(f"{email} can now log in.", "success")
            return redirect(url_for("users.index", find=email))
    find = (request.args.get("find") or "").strip()[:MAX_ADDRESS]
    with services().db.read() as session:
        page = user_list.listed(session, starting=find, after=_address("after"), before=_address("before"))
        refused = security_keys.refused_per_owner(session)
    return render_template("users/index.html", form=form, change=ChangeForm(), page=page, find=find, error=error,
                           two_factor_roles=services().settings.two_factor_roles, refused_keys=refused,
                           copy_suspected=security_keys.COPY_SUSPECTED)  # fmt: skip


def _address(name: str) -> str | None:
    """A page boundary from the query string; one no address can be is no boundary (the first page)."""
    value = request.args.get(name)
    return value if value and len(value) <= MAX_ADDRESS else None


@bp.post("/<int:user_id>")
@requires(MANAGE_USERS)
def change(user_id: int) -> ResponseReturnValue:
    form = ChangeForm()
    if not form.validate_on_submit():
        flash("Choose a role from the list.", "error")
        return redirect(back_to("users.index"))
    active = {"yes": True, "no": False}.get(form.active.data or "")

    def work(session: Session) -> str:
        row = accounts.user_by_id(session, user_id)
        before = (row.role, row.active)
        user = accounts.change_user(session, row.email, role=form.role.data, active=active)
        if (user.role, user.active) != before:
            action = "user.role" if user.active == before[1] else ("user.enable" if user.active else "user.disable")
            audit.record(session, current_user.email, action, user.email, role=user.role, active=user.active)
        disabled = "" if user.active else " (disabled: cannot log in)"
        return f"{user.email} is {'an' if user.role[0] in 'aeiou' else 'a'} {user.role}{disabled}."

    return done_and_back(work, "users.index", refused=NOTHING_CHANGED)


@bp.post("/<int:user_id>/name")
@requires(MANAGE_USERS)
def set_name(user_id: int) -> ResponseReturnValue:
    """Set someone's display name (for a person who cannot, or to correct one); audited as `user.name`."""
    if not FlaskForm().validate_on_submit():
        flash("Nothing changed: the form had expired; try again.", "error")
        return redirect(back_to("users.index"))

    def work(session: Session) -> str:
        row = accounts.user_by_id(session, user_id)
        user, changed = accounts.set_display_name(session, row.email, request.form.get("name", ""))
        if changed:
            audit.record(session, current_user.email, "user.name", user.email, name=user.display_name)
        email, named = user.email, user.display_name
        return f"{email} is now named {named}." if named else f"{email} has no display name now."

    return done_and_back(work, "users.index", refused=NOTHING_CHANGED)


@bp.post("/<int:user_id>/password")
@requires(MANAGE_USERS)
def reset_password(user_id: int) -> ResponseReturnValue:
    """Set a new password for someone who forgot theirs; their sessions end, and they change it once logged in."""
    form = PasswordResetForm()
    if not form.validate_on_submit():
        flash(f"Nothing changed: a password needs {accounts.MIN_PASSWORD} to {accounts.MAX_PASSWORD} characters.",
              "error")  # fmt: skip
        return redirect(back_to("users.index"))

    def work(session: Session) -> str:
        row = accounts.user_by_id(session, user_id)
        changed = accounts.set_password(session, row.email, form.password.data or "").email
        audit.record(session, current_user.email, "user.password", changed)
        return f"New password set for {changed}; their sessions have ended. Ask them to change it."

    return done_and_back(work, "users.index", refused=NOTHING_CHANGED)


@bp.post("/<int:user_id>/two-factor/reset")
@requires(MANAGE_USERS)
def reset_two_factor(user_id: int) -> ResponseReturnValue:
    """Turn two-factor authentication off for someone who lost both their phone and their recovery codes, or their
    security keys (which go too); their sessions end, and they set it up again (at once, where their role requires
    it)."""
    if not FlaskForm().validate_on_submit():
        flash("Nothing changed: the form had expired; try again.", "error")
        return redirect(back_to("users.index"))

    def work(session: Session) -> str:
        user, keys = two_factor.reset(session, user_id)
        audit.record(session, current_user.email, "user.2fa_reset", user.email, security_keys=keys)
        return f"Two-factor authentication is off for {user.email}; their sessions have ended."

    return done_and_back(work, "users.index", refused=NOTHING_CHANGED)
