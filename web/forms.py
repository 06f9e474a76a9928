"""Forms several pages share."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """Only the CSRF token: for buttons that change state (retry, remove, rotate, move...), whose few fields the
    view reads from the request itself."""
