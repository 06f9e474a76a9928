"""Each person's mail choices through the API: `GET`, `PUT` and `PATCH /api/v1/users/<email>/mail-choices`.

The choices are a person's own, set on /account. The API is an admin's, as the users page is: an admin token (the
desk's, or an admin's personal one) reads and sets anyone's, by address, for scripts that onboard people or quiet a
rota. The values are the account page's (hub/mail_choices.py::parsed), and a change is audited as the page's is,
`user.mail` with what changed, by the personal token's person or the desk token's `token:<name>` (`Principal.by`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, g

from hub import audit, mail_choices
from hub.errors import BadInput, StorageUnavailable
from hub.mail_choices import MailChoices
from web.acting import acting_db
from web.api import token_required
from web.permissions import MANAGE_USERS
from web.responses import json_error, json_response, request_json, storage_unavailable
from web.services import services

bp = Blueprint("mail_choices_api", __name__, url_prefix="/api/v1")

EXAMPLE = '{"assigned_up_to": 2, "watching": false}'


@bp.get("/users/<email>/mail-choices")
@token_required(MANAGE_USERS)
def read(email: str) -> Response:
    """The mail `email` chose to get (everything, until they choose)."""
    with services().db.read() as session:
        found = mail_choices.of_user(session, email)
    return _no_user(email) if found is None else json_response(asdict(found))


@bp.put("/users/<email>/mail-choices")
@token_required(MANAGE_USERS)
def put(email: str) -> Response:
    """Set every one of `email`'s choices, as the account page's form does; 200 with them."""
    return _choose(email, every=True)


@bp.patch("/users/<email>/mail-choices")
@token_required(MANAGE_USERS)
def patch(email: str) -> Response:
    """Change the choices the body names and keep the others; 200 with them all."""
    return _choose(email, every=False)


def _choose(email: str, *, every: bool) -> Response:
    body: Any = request_json()
    if not isinstance(body, dict):
        return json_error(400, f"send a JSON object of choices, like {EXAMPLE}")
    try:
        with acting_db().transaction() as session:
            before = mail_choices.of_user(session, email, lock=True)  # a PATCH changes what it read: take turns
            if before is None:
                return _no_user(email)
            chosen: MailChoices = mail_choices.parsed(body, before, every=every)
            changed = mail_choices.choose(session, email, chosen)
            if changed is not None:
                audit.record(session, g.principal.by, "user.mail", email.strip().lower(), **changed)
    except BadInput as exc:
        return json_error(400, str(exc))
    except StorageUnavailable:
        return storage_unavailable()
    return json_response(asdict(chosen))


def _no_user(email: str) -> Response:
    return json_error(404, f"there is no user {email[:320]!r}; the users page (/users) lists who there is")
