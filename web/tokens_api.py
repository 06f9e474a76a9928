"""`/api/v1/tokens`: the API tokens, listed and revoked by an admin's token, as on the `/tokens` page
(hub/api_tokens.py). Making one is not offered here: a token's value is shown once, on the page or the command
line that made it, never to a script."""

from __future__ import annotations

from flask import Blueprint, Response, g

from hub import api_tokens, audit
from hub.errors import BadInput
from web.acting import acting_db
from web.api import token_required
from web.permissions import MANAGE_USERS
from web.responses import json_error, json_response
from web.services import services

bp = Blueprint("tokens_api", __name__, url_prefix="/api/v1/tokens")


@bp.get("")
@token_required(MANAGE_USERS)
def index() -> Response:
    """Every token by name: role, when made and last used, expiry, and whose a personal one is."""
    with services().db.read() as session:
        return json_response([row.as_json() for row in api_tokens.listing(session)])


@bp.delete("/<name>")
@token_required(MANAGE_USERS)
def revoke(name: str) -> Response:
    """Delete a token at once (audited as `token.revoke`): its next request is a 401."""
    try:
        with acting_db().transaction() as session:
            api_tokens.revoke(session, name)
            audit.record(session, g.principal.by, "token.revoke", name)
    except BadInput as exc:
        return json_error(404, str(exc))
    return json_response({"revoked": name})
