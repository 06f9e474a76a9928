"""Your account: who you are logged in as and the name colleagues and requesters see, changing your own password
(every other session then ends), the time zone your pages show and read times in, which way an incident's
timeline reads, and which mail the desk sends you."""

from __future__ import annotations

import time
from dataclasses import asdict

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from hub import accounts, api_tokens, audit, mail_choices, security_keys, two_factor, zones
from hub.errors import BadInput
from hub.mail_choices import MailChoices
from hub.models import utcnow
from web import shown_once, timeline_order
from web.acting import acting_db
from web.auth import LOGGED_IN_AT, VIA_SSO, SessionUser, log_out_everywhere_else, own_password_refused, relogin
from web.forms import ActionForm
from web.permissions import VIEW_INCIDENTS, requires
from web.services import services
from web.tokens import OwnTokenForm, revoked
from web.two_factor import NewCodes, PasswordAndCodeForm, new_codes, password_right
from web.two_factor import PasswordForm as OwnPasswordForm

bp = Blueprint("account", __name__)
LENGTH = f"A password has {accounts.MIN_PASSWORD} to {accounts.MAX_PASSWORD} characters."
#: How recent a login through the identity provider must be to make a token: it has no password to type again.
RECENT_LOGIN_SECONDS = 600.0


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=accounts.MAX_PASSWORD)])
    new = PasswordField(
        "New password",
        description=f"At least {accounts.MIN_PASSWORD} characters.",
        validators=[DataRequired(), Length(min=accounts.MIN_PASSWORD, max=accounts.MAX_PASSWORD, message=LENGTH)],
    )
    again = PasswordField("New password again", validators=[DataRequired(), EqualTo("new", "The two differ.")])
    revoke_tokens = BooleanField(
        "Also revoke my API tokens",
        description="A token works on after a password change; revoke yours if someone else may have had your "
        "password. Scripts using them then get a 401: make new ones after.",
    )


class TokenWithPasswordForm(OwnTokenForm, OwnPasswordForm):
    """A personal token, for a session that logged in with a password: typed again, so a borrowed session cannot
    leave a working token behind (the token outlives logouts, password changes and the session's max age)."""


def token_form(*, submitted: bool) -> OwnTokenForm:
    """The token form this session gets: with the password field after a password login; without it after a
    login through the identity provider, which instead must be recent (`login_too_old`)."""
    form_class = OwnTokenForm if session.get(VIA_SSO) else TokenWithPasswordForm
    return form_class() if submitted else form_class(formdata=None)


def login_too_old() -> bool:
    """Whether this session came through the identity provider longer ago than a token allows."""
    logged_in_at = session.get(LOGGED_IN_AT)
    return bool(session.get(VIA_SSO)) and (
        not isinstance(logged_in_at, (int, float)) or time.time() - logged_in_at > RECENT_LOGIN_SECONDS
    )


class NameForm(FlaskForm):
    """A display name, checked by hub/people.py `check_display_name` (as `switchboard user create --name` is), whose
    refusal says what fits."""

    name = StringField(
        "Display name",
        description="Signs your replies ('Alice Smith for the service desk') and names you to colleagues. Leave it "
        "empty to sign with the part of your address before the @.",
    )


class TimeZoneForm(FlaskForm):
    # Checked by hub.accounts.set_timezone, whose refusal says what a zone is, not WTForms' "Not a valid choice".
    timezone = SelectField("Time zone", validate_choice=False)

    def offer(self, default: str) -> None:
        """Every zone the system knows, sorted, after the empty choice: the installation's."""
        installation = SelectChoice("", f"Installation default ({default})")
        self.timezone.choices = [installation, *map(SelectChoice, zones.names())]


class TimelineForm(FlaskForm):
    """Which way an incident's timeline reads on its page and its review's (web/timeline_order.py)."""

    order = SelectField(
        "Timeline order",
        description="On an incident's page and its review's; either shows a link to read it the other way once.",
        choices=[
            SelectChoice(timeline_order.OLDEST, "Oldest first (default)"),
            SelectChoice(timeline_order.NEWEST, "Newest first"),
        ],
    )


#: The assignment choice: the lowest priority whose incidents you are mailed about.
UP_TO = [
    SelectChoice(mail_choices.EVERY_PRIORITY, "Always, at any priority"),
    SelectChoice(4, "Only P1 to P4"),
    SelectChoice(3, "Only P1 to P3"),
    SelectChoice(2, "Only P1 and P2"),
    SelectChoice(1, "Only P1"),
    SelectChoice(mail_choices.NEVER, "Never"),
]


class MailForm(FlaskForm):
    """The mail a person may turn down (hub/mail_choices.py); what they may not has no field, so no post turns it
    off."""

    assigned_up_to = SelectField(
        "Incidents assigned to me or my group",
        description="The mail saying one is yours, and later that it was resolved, reopened or stopped flapping.",
        choices=UP_TO,
        coerce=int,
    )
    mentioned = BooleanField("When someone @mentions me in a note")
    watching = BooleanField("Incidents I watch: resolved, reopened, escalated, the requester replied")
    replies = BooleanField("When the requester replies on an incident assigned to me")
    sla_warnings = BooleanField("SLA warnings on incidents assigned to me (a breach is always mailed)")
    steps = BooleanField("When a request's steps come to a step my group does")

    def choices(self) -> MailChoices:
        return MailChoices(**{name: self[name].data for name in asdict(mail_choices.DEFAULTS)})


@bp.route("/account", methods=["GET", "POST"])
@login_required
def index() -> ResponseReturnValue:
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        fresh = None
        revoked_names: list[str] = []
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
                    if form.revoke_tokens.data:
                        revoked_names = api_tokens.revoke_all_of(db_session, user.id)
                        for token_name in revoked_names:
                            audit.record(db_session, current_user.email, "token.revoke", token_name,
                                         why="password change")  # fmt: skip
                    fresh = SessionUser.of(user)
        except BadInput as exc:
            form.new.errors = [f"{exc}."]
        if fresh is None:
            status = 400
        else:
            relogin(fresh)  # this browser stays logged in under the new password; every other session ends
            flash(f"Password changed. Every other session logged in as you has ended{_tokens_words(revoked_names)}.",
                  "success")  # fmt: skip
            return redirect(url_for("account.index"), code=303)
    elif form.is_submitted():
        status = 400
    if request.method != "GET":
        return _page(status, password=form)
    return _page(status, password=form, made=shown_once.take(SHOWN), codes=new_codes())


def _tokens_words(names: list[str]) -> str:
    """The end of the password flash: which tokens went with the old password, if any did."""
    if not names:
        return ""
    listed = ", ".join(names)
    return f", and your {'token' if len(names) == 1 else f'{len(names)} tokens'} ({listed}) revoked"


#: The page a person's token just made is shown on (web/shown_once.py).
SHOWN = "account"


@bp.post("/account/name")
@login_required
def set_name() -> ResponseReturnValue:
    """Choose the name your replies are signed with and colleagues see; audited as `user.name` when it changed."""
    form = NameForm()
    if form.validate_on_submit():
        try:
            with services().db.transaction() as db_session:
                user, changed = accounts.set_display_name(db_session, current_user.email, form.name.data or "")
                if changed:
                    audit.record(db_session, current_user.email, "user.name", user.email, name=user.display_name)
                named = user.display_name
        except BadInput as exc:
            form.name.errors = [f"{exc}."]
        else:
            flash(f"Your name is now {named}." if named else "Your replies are signed with your address's first "
                  "part again.", "success")  # fmt: skip
            return redirect(url_for("account.index", _anchor="your-name"), code=303)
    return _page(400, name=form)


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
    return _page(400, zone=form)


@bp.post("/account/timeline")
@login_required
def set_timeline() -> ResponseReturnValue:
    """Choose the order an incident's timeline reads in; audited as `user.timeline` when it changed."""
    form = TimelineForm()
    if not form.validate_on_submit():
        return _page(400, timeline=form)
    newest = form.order.data == timeline_order.NEWEST
    with services().db.transaction() as db_session:
        _, changed = accounts.set_timeline_order(db_session, current_user.email, newest)
        if changed:
            audit.record(db_session, current_user.email, "user.timeline", current_user.email, order=form.order.data)
    flash(f"Incident timelines now read {'newest' if newest else 'oldest'} first.", "success")
    return redirect(url_for("account.index", _anchor="timeline"), code=303)


def _page(
    status: int,
    *,
    password: PasswordForm | None = None,
    zone: TimeZoneForm | None = None,
    mail: MailForm | None = None,
    name: NameForm | None = None,
    timeline: TimelineForm | None = None,
    tokens: OwnTokenForm | None = None,
    made: shown_once.Shown | None = None,
    codes: NewCodes | None = None,
) -> ResponseReturnValue:
    """The account page with the form that was sent (its errors beside its fields) and the others as stored;
    `made`: a token just made, by name and value, and `codes`: recovery codes just made, each shown this once (the
    page is then not cached)."""
    settings = services().settings
    with services().db.read() as db_session:
        second = two_factor.standing(db_session, current_user.id)
        keys = security_keys.keys_of(db_session, current_user.id)
        if name is None:
            name = NameForm(formdata=None, name=accounts.user_by_email(db_session, current_user.email).display_name)
        if mail is None:  # an unsubmitted form: its data is the stored choices
            mail = MailForm(formdata=None, data=asdict(mail_choices.of(db_session, current_user.email)))
        own_tokens = api_tokens.listing(db_session, owner_id=current_user.id)
    if zone is None:
        zone = TimeZoneForm(formdata=None, timezone=current_user.timezone or "")
    zone.offer(settings.timezone)
    if timeline is None:
        order = timeline_order.NEWEST if current_user.timeline_newest_first else timeline_order.OLDEST
        timeline = TimelineForm(formdata=None, order=order)
    if password is None:
        password = PasswordForm(formdata=None)
    required = two_factor.required(current_user.role, settings.two_factor_roles)
    response = make_response(render_template(
        "account/index.html", form=password, second=second, password_form=PasswordAndCodeForm(), zone_form=zone,
        mail_form=mail, name_form=name, timeline_form=timeline, two_factor_required=required, keys=keys,
        copy_suspected=security_keys.COPY_SUSPECTED, token_form=tokens or token_form(submitted=False),
        own_tokens=own_tokens, made=made, new_codes=codes, now=utcnow(), login_too_old=login_too_old(),
    ), status)  # fmt: skip
    return shown_once.not_stored(response) if made is not None or codes is not None else response


@bp.post("/account/mail")
@login_required
def mail() -> ResponseReturnValue:
    """Keep the person's mail choices (audited as `user.mail` with what changed); a value the form never offers is
    refused and nothing changes."""
    form = MailForm()
    if not form.validate_on_submit():
        return _page(400, mail=form)
    with services().db.transaction() as db_session:
        changed = mail_choices.choose(db_session, current_user.email, form.choices())
        if changed is not None:
            audit.record(db_session, current_user.email, "user.mail", current_user.email, **changed)
    flash("Your mail choices are saved." if changed else "Your mail choices are as they were.", "success")
    return redirect(url_for("account.index", _anchor="mail"), code=303)


@bp.post("/account/tokens")
@requires(VIEW_INCIDENTS)  # everyone who logs in: a person's own token acts as they do, no more
def create_token() -> ResponseReturnValue:
    """Make an API token of one's own (audited as `token.create`); the account page this redirects to shows its
    value this once, so a reload there makes no second. It wants a recent authentication: the password typed again,
    or a login through the identity provider in the last ten minutes (the page offers the link)."""
    form = token_form(submitted=True)
    if not form.validate_on_submit() or login_too_old():
        return _page(400, tokens=form)
    if isinstance(form, TokenWithPasswordForm) and not password_right(form):
        return _page(400, tokens=form)
    name = (form.token_name.data or "").strip()
    try:
        with acting_db().transaction() as db_session:
            secret = api_tokens.create_token(db_session, name=name, expires_in_days=form.expires_days.data,
                                             owner=current_user.email)  # fmt: skip
            audit.record(db_session, current_user.email, "token.create", name, owner=current_user.email,
                         **({"days": form.expires_days.data} if form.expires_days.data else {}))  # fmt: skip
    except BadInput as exc:
        form.token_name.errors = [f"{exc}."]
        return _page(400, tokens=form)
    shown_once.keep(SHOWN, name, secret)
    return redirect(url_for("account.index"), code=303)  # the value is shown at the page's top


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions() -> ResponseReturnValue:
    """Log out every other browser logged in as you (a copy of this session's cookie too), keeping this one."""
    if not ActionForm().validate_on_submit():
        flash("Nothing changed: the form had expired; try again.", "error")
    elif log_out_everywhere_else(current_user):
        with services().db.transaction() as db_session:
            audit.record(db_session, current_user.email, "user.logout_others", current_user.email)
        flash("Every other session logged in as you has ended.", "success")
    else:
        flash("Nothing changed: the store of ended sessions (Redis) is not answering. Try again in a minute, or "
              "change your password, which ends every other session at once.", "error")  # fmt: skip
    return redirect(url_for("account.index", _anchor="sessions"), code=303)


@bp.post("/account/tokens/<name>/revoke")
@requires(VIEW_INCIDENTS)
def revoke_token(name: str) -> ResponseReturnValue:
    """Revoke one of one's own API tokens (audited as `token.revoke`); someone else's is not found."""
    return revoked(name, current_user.id, "account.index")
