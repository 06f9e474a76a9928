"""Your account: who you are logged in as, changing your own password (every other session then ends), and the
time zone your pages show and read times in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from hub import accounts, audit, two_factor, zones
from hub.errors import BadInput
from web.auth import SessionUser, own_password_refused, relogin
from web.services import services
from web.two_factor import TurnOffForm

bp = Blueprint("account", __name__)
LENGTH = f"A password has {accounts.MIN_PASSWORD} to {accounts.MAX_PASSWORD} characters."


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=accounts.MAX_PASSWORD)])
    new = PasswordField(
        "New password",
        description=f"At least {accounts.MIN_PASSWORD} characters.",
        validators=[DataRequired(), Length(min=accounts.MIN_PASSWORD, max=accounts.MAX_PASSWORD, message=LENGTH)],
    )
    again = PasswordField("New password again", validators=[DataRequired(), EqualTo("new", "The two differ.")])


class TimeZoneForm(FlaskForm):
    # Checked by hub.accounts.set_timezone, whose refusal says what a zone is, not WTForms' "Not a valid choice".
    timezone = SelectField("Time zone", validate_choice=False)

    def offer(self, default: str) -> None:
        """Every zone the system knows, sorted, after the empty choice: the installation's."""
        self.timezone.choices = [("", f"Installation default ({default})"), *((n, n) for n in zones.names())]


@bp.route("/account", methods=["GET", "POST"])
@login_required
def index() -> ResponseReturnValue:
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        fresh = None
        try:
            with services().db.transaction() as db_session:
                refused = own_password_refused(db_session, current_user.email, form.current.data or "")
                if refused == "locked":
                    form.current.errors = ["Too many wrong passwords; try again later."]
                elif refused == "wrong":
                    form.current.errors = ["That is not your current password; nothing changed."]
                else:
                    user = accounts.set_password(db_session, current_user.email, form.new.data or "")
                    audit.record(db_session, current_user.email, "user.password", user.email)
                    fresh = SessionUser.of(user)
        except BadInput as exc:
            form.new.errors = [f"{exc}."]
        if fresh is None:
            status = 400
        else:
            relogin(fresh)  # this browser stays logged in under the new password; every other session ends
            flash("Password changed. Every other session logged in as you has ended.", "success")
            return redirect(url_for("account.index"), code=303)
    elif form.is_submitted():
        status = 400
    return _page(form, TimeZoneForm(timezone=current_user.timezone or ""), status)


@bp.post("/account/timezone")
@login_required
def set_timezone() -> ResponseReturnValue:
    """Choose the zone your pages show and read times in; the empty choice follows the installation's."""
    form = TimeZoneForm()
    if form.validate_on_submit():
        chosen = form.timezone.data or None
        try:
            with services().db.transaction() as db_session:
                accounts.set_timezone(db_session, current_user.email, chosen)
                audit.record(db_session, current_user.email, "user.timezone", current_user.email,
                             timezone=chosen or "default")  # fmt: skip
        except BadInput as exc:
            form.timezone.errors = [f"{exc}."]
        else:
            default = f"the installation default, {services().settings.timezone}"
            flash(f"Times are now shown in {chosen or default}.", "success")
            return redirect(url_for("account.index"), code=303)
    return _page(PasswordForm(formdata=None), form, 400)


def _page(form: PasswordForm, zone_form: TimeZoneForm, status: int) -> ResponseReturnValue:
    with services().db.read() as db_session:
        second = two_factor.standing(db_session, current_user.id)
    settings = services().settings
    zone_form.offer(settings.timezone)
    required = two_factor.required(current_user.role, settings.two_factor_roles)
    return render_template("account/index.html", form=form, second=second, password_form=TurnOffForm(),
                           zone_form=zone_form, two_factor_required=required), status  # fmt: skip
