"""API tokens on the web: the admins' page of every token (`/tokens`: make one of the desk's, see when each was last
used, revoke any leaked one); each person's own are on their account page (web/account.py), with these forms.

A personal token is made only by its person (their account page), or on the server (`switchboard token create
--for`), never by an admin here: it acts as the person, and what it does is written as theirs alone (an approval
decided, a note), so one made by someone else would let them act as that person unseen. An admin revokes any.

A token's value is shown once, on the page the form that made it redirects to (web/shown_once.py: sealed in the
session for that one read, never cached, never in a URL), so a reload makes no second; only its digest is kept
(hub/api_tokens.py). Every write is audited, `token.create` / `token.revoke`, and checked again inside its
transaction (web/acting.py). A person's revocation names only their own tokens."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from hub import api_tokens, audit
from hub.domain import ROLES
from hub.errors import BadInput
from hub.models import utcnow
from web import shown_once
from web.acting import acting_db
from web.forms import ActionForm
from web.permissions import MANAGE_USERS, requires
from web.services import services

bp = Blueprint("tokens", __name__)
#: The page a desk token just made is shown on (web/shown_once.py).
SHOWN = "tokens"

EXPIRY_HELP = f"Optional: a number of days, 1 to {api_tokens.MAX_DAYS}; left empty, it works until revoked."


class OwnTokenForm(FlaskForm):
    """A person's own token: a name and maybe an expiry; its role is always theirs."""

    token_name = StringField(
        "Token name",
        validators=[DataRequired(), Length(max=100)],
        description="What it is for, e.g. 'laptop-scripts': lowercase letters, digits, - and _.",
    )
    expires_days = IntegerField("Expires in (days)", validators=[Optional(), NumberRange(1, api_tokens.MAX_DAYS)],
                                description=EXPIRY_HELP)  # fmt: skip


class TokenForm(OwnTokenForm):
    """A desk's token, with a role of its own (a person's are theirs to make: see the module's docstring)."""

    role = SelectField("Role", choices=[SelectChoice(role, role.capitalize()) for role in ROLES], default="viewer")


@bp.route("/tokens", methods=["GET", "POST"])
@requires(MANAGE_USERS)
def index() -> ResponseReturnValue:
    """Every API token, and the form that makes one (its value shown once, here)."""
    form = TokenForm()
    error = None
    if form.validate_on_submit():
        name = (form.token_name.data or "").strip()
        try:
            with acting_db().transaction() as session:
                secret = api_tokens.create_token(session, name=name, role=form.role.data or "viewer",
                                                 expires_in_days=form.expires_days.data)  # fmt: skip
                audit.record(session, current_user.email, "token.create", name, role=form.role.data,
                             **({"days": form.expires_days.data} if form.expires_days.data else {}))  # fmt: skip
        except BadInput as exc:
            error = str(exc)
        else:  # shown by the GET this sends the browser to, so a reload there makes no second token
            shown_once.keep(SHOWN, name, secret)
            return redirect(url_for("tokens.index"), code=303)
    elif form.is_submitted():
        error = "; ".join(message for errors in form.errors.values() for message in errors)
    made = shown_once.take(SHOWN) if request.method == "GET" else None
    with services().db.read() as session:
        rows = api_tokens.listing(session)
    response = make_response(render_template("tokens/index.html", tokens=rows, form=form, error=error, made=made,
                                             action=ActionForm(), now=utcnow()))  # fmt: skip
    return shown_once.not_stored(response) if made else response, 400 if error else 200


@bp.post("/tokens/<name>/revoke")
@requires(MANAGE_USERS)
def revoke(name: str) -> ResponseReturnValue:
    """Delete a token at once (its next request is a 401), after the page's confirmation."""
    return revoked(name, None, "tokens.index")


def revoked(name: str, owner_id: int | None, back: str) -> ResponseReturnValue:
    """Revoke `name` (only if `owner_id`'s, when given) after the form's confirmation, and go `back`."""
    if not ActionForm().validate_on_submit():
        flash("Nothing changed: the form had expired; try again.", "error")
        return redirect(url_for(back, _anchor="tokens"), code=303)
    try:
        with acting_db().transaction() as session:
            api_tokens.revoke(session, name, owner_id=owner_id)
            audit.record(session, current_user.email, "token.revoke", name)
    except BadInput as exc:
        flash(f"Nothing changed: {exc}.", "error")
    else:
        flash(f"Token {name} revoked: requests with it are refused from now on.", "success")
    return redirect(url_for(back, _anchor="tokens"), code=303)
