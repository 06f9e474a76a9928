"""What the pages a mail's link opens share (web/satisfaction.py, web/acknowledge.py): no login, the signed link
is the authority (hub/signed_links.py).

Their forms carry the app's usual CSRF token, but the page checks it itself instead of the app-wide hook, so that a
stale form gets the page's own answer, which tells someone outside the staff UI what to do.
"""

from __future__ import annotations

import logging

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from hub.signed_links import ExpiredLink, LinkProblem, StaleLink
from web.observe import logged_path

log = logging.getLogger(__name__)


def form_is_current() -> bool:
    """Whether the POST carries a valid CSRF token from its page."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        log.info("CSRF check failed on %s: %s", logged_path(), exc)
        return False
    return True


def problem_status(exc: LinkProblem) -> int:
    """400 for a link we did not make, 410 for one of ours that no longer works."""
    return 410 if isinstance(exc, ExpiredLink | StaleLink) else 400


def link_problem(
    code: int, message: str, advice: str, *, heading: str | None = None, headers: dict[str, str] | None = None,
    again: str | None = None,
) -> ResponseReturnValue:  # fmt: skip
    """The page saying a link cannot be used (`message`) and what to do instead (`advice`), with a link to the page
    that mails a new one (`again`) where there is such a page."""
    page = render_template("link_problem.html", code=code, message=message, advice=advice, heading=heading,
                           again=again)  # fmt: skip
    return page, code, headers or {}


def refused_link(exc: LinkProblem, advice: str, *, again: str | None = None) -> ResponseReturnValue:
    """The answer to a link that is not ours (400) or no longer works (410)."""
    return link_problem(problem_status(exc), f"Sorry, {exc}.", advice, again=again)
