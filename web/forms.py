"""Forms several pages share, and the one way a state-changing button does its work."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from hub.errors import BadInput
from web.services import services


class ActionForm(FlaskForm):
    """Only the CSRF token: for buttons that change state (retry, remove, rotate, move...), whose few fields the
    view reads from the request itself."""


def button_action(work: Callable[[Session], str], back: str, *, refused: str = "{}") -> ResponseReturnValue:
    """A button that changes state: the CSRF token checked (400 without it), `work(session)` run in one
    transaction and returning what to tell the user, a BadInput flashed (formatted by `refused`) as why nothing
    changed; then back to the page `back` names."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        with services().db.transaction() as session:
            done = work(session)
    except BadInput as exc:
        flash(refused.format(exc), "error")
    else:
        flash(done, "success")
    return redirect(url_for(back))
