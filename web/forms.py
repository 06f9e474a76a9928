"""Forms several pages share, and the one way a state-changing button does its work."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.orm import Session

from hub.errors import BadField, BadFields, BadInput
from web.acting import acting_db
from web.responses import sentence
from web.security import safe_next


class ActionForm(FlaskForm):
    """Only the CSRF token: for buttons that change state (retry, remove, rotate, move...), whose few fields the
    view reads from the request itself."""


class Unchanged(str):
    """What a button's work tells the user when there was nothing to do (it already was so): flashed as info, not
    as a success, so the page does not claim a change it did not make."""


def button_action(work: Callable[[Session], str], back: str, *, refused: str = "{}") -> ResponseReturnValue:
    """A button that changes state: the CSRF token checked (400 without it), `work(session)` run in one
    transaction and returning what to tell the user (an `Unchanged` as info), a BadInput flashed (formatted by
    `refused`) as why nothing changed; then back to the page `back` names, as the form's `back` field left it
    (back_to)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    return done_and_back(work, back, refused=refused)


def done_and_back(work: Callable[[Session], str], back: str, *, refused: str = "{}") -> ResponseReturnValue:
    """`work(session)` run in one transaction as the person acting, what it returns flashed (an `Unchanged` as
    info) or a BadInput flashed (formatted by `refused`) as why nothing changed; then back to the page `back` names
    (back_to). What every state-changing button does once its form has been checked: `button_action`'s and the
    views that check a form of their own."""
    try:
        with acting_db().transaction() as session:
            done = work(session)
    except BadInput as exc:
        flash(refused.format(exc), "error")
    else:
        flash(done, "info" if isinstance(done, Unchanged) else "success")
    return redirect(back_to(back))


def place_mistakes(form: FlaskForm, refused: BadInput, fields: dict[str, str] | None = None) -> None:
    """Show each mistake of `refused` beside the field it names (a BadField's `field`, or `fields`' name for it
    where the form spells it otherwise), the rest above the form."""
    for one in refused.each if isinstance(refused, BadFields) else (refused,):
        named = (fields or {}).get(one.field, one.field) if isinstance(one, BadField) else None
        field = form._fields.get(named) if named is not None else None
        if field is not None:
            field.errors = [*field.errors, sentence(str(one))]
        else:
            form.form_errors.append(sentence(str(one)))


def csrf_field() -> Markup:
    """Every form's CSRF token field, the template global `csrf_field()`. It has no id: Flask-WTF's
    `form.csrf_token` gives each one the id "csrf_token", repeated on a page of several forms (invalid HTML, which
    leads labels and assistive technology astray); the token is `csrf_token()`'s, the one the session holds."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())


def here() -> str:
    """This page's address as the browser asked for it (under a proxy's prefix too), for a form's `back` field."""
    path, query = request.script_root + request.path, request.query_string.decode()
    return f"{path}?{query}" if query else path


def back_to(endpoint: str) -> str:
    """Where a button on the page `endpoint` names returns the person: the view of that page they pressed it on
    (its filter and paging, from the form's `back` field, filled by here()), or the page itself. Only the query is
    taken, and only when the field names that same page on this site: a forged field leads nowhere else."""
    page = url_for(endpoint)
    came_from = urlsplit(safe_next(request.form.get("back"), page))
    return f"{page}?{came_from.query}" if came_from.path == page and came_from.query else page
