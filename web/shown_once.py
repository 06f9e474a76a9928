"""A secret shown once, on the page its form's POST redirects to (Post/Redirect/Get), so a reload asks for that
page again rather than sending the form again (a second integration of the name, a second rotation, a second token).

The POST keeps the secret in the session; the next GET of its page takes it out, so it is read once and a reload
shows the page without it. Flask's session is a cookie the browser can read, so the secret is sealed in it
(hub/sealed.py: under SECRET_KEY, bound to this person and this use) and lapses after LIFETIME, so a copy of the
cookie taken later shows nothing. Never in a URL; the page that shows it is sent `Cache-Control: no-store`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from flask import Response, session
from flask_login import current_user

from hub.sealed import CannotOpen, Column, Place, seal, unseal
from web.services import services

KEY = "shown_once"
#: From the POST to the GET its redirect asks for takes a moment; a secret not taken by then is dropped.
LIFETIME = 120.0
_COLUMN = Column("session.shown_once", "a secret shown once", "make or rotate it again")


@dataclass(frozen=True)
class Shown:
    """A secret just made, by what it opens (an integration's or a token's name)."""

    name: str
    secret: str


def keep(page: str, name: str, secret: str) -> None:
    """Hold `secret` for the next GET of `page` (the POST then redirects there)."""
    body = json.dumps({"page": page, "name": name, "secret": secret, "until": time.time() + LIFETIME})
    session[KEY] = seal(services().keys, body, _place())


def take(page: str) -> Shown | None:
    """The secret kept for `page`, taken out of the session: this read is its only one. None when there is none,
    it is another page's (left for it), or it lapsed."""
    stored = session.get(KEY)
    if not isinstance(stored, str):
        return None
    try:
        body = json.loads(unseal(services().keys, stored, _place()))
    except (CannotOpen, ValueError):  # sealed under a key gone since, or for someone else: nothing to show
        session.pop(KEY, None)
        return None
    if body.get("page") != page:
        return None
    session.pop(KEY, None)
    if body["until"] < time.time():
        return None
    return Shown(body["name"], body["secret"])


def not_stored(response: Response) -> Response:
    """A page showing a secret: no cache, shared or the browser's own, keeps it."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _place() -> Place:
    return _COLUMN.at(int(current_user.id))
