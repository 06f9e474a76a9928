"""The provider ends sessions here (OpenID Connect Back-Channel Logout 1.0): when someone logs out at the identity
provider, or an admin there ends their sessions, it posts a signed Logout Token to web/sso.py's back-channel route,
server to server, and the sessions it names end at their next request (web/sso_sessions.py).

The answers are the spec's (2.8): 200 when the sessions are ended, 400 when the token is refused (nothing is ended),
and 503 when the provider's keys or Redis cannot be had, so that the provider may send it again; errors in OAuth
2.0's shape (RFC 6749 5.2: `error` and `error_description`), which the provider's log shows, rather than the API's,
and every answer `Cache-Control: no-store`. There is no browser and no cookie here, so no CSRF token:
the signed token is the proof (web/__init__.py exempts this one view). Each logout is audited as `user.logout` by
`sso`, under the person's address when a login here noted whose the `sub` or `sid` is.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from flask import Response, request

from hub import audit, sso
from hub.sso_logout import BadLogoutToken, KeysUnavailable, LogoutRequest, logout_request
from web import sso_sessions
from web.responses import json_response
from web.services import services

if TYPE_CHECKING:
    from web.sso_flow import Provider

log = logging.getLogger("web.sso")

_NO_STORE = {"Cache-Control": "no-store"}


def answer(provider: Provider) -> Response:
    """End the sessions the posted `logout_token` names, and say how that went."""
    issuer = provider.oidc.issuer
    token = request.form.get("logout_token", "")
    if not token:
        return _bad("send the Logout Token in the form field logout_token")
    try:
        logout = logout_request(provider.logout_claims(token), time.time())
    except BadLogoutToken as exc:
        return _bad(str(exc))
    except KeysUnavailable as exc:
        return _unavailable(f"{exc}; nothing was ended. Send the token again later.")
    client = services().redis()
    if client is None:
        return _unavailable("Switchboard keeps ended sessions in Redis, and REDIS_URL is not set; nothing was ended.")
    import redis  # loaded with the client (web/services.py), so only looked up here

    try:
        if not sso_sessions.first_use(client, issuer, logout):
            return _bad("this logout token was used already (its jti was seen)")
        who = sso_sessions.end(client, issuer, logout, time.time(), services().settings.session_max_age)
    except redis.RedisError as exc:
        log.warning("a back-channel logout was not recorded, Redis is unavailable: %s", exc)
        return _unavailable("Redis is not answering, so nothing was ended. Send the token again later.")
    with services().db.transaction() as db_session:
        audit.record(db_session, sso.ACTOR, "user.logout", who or _unknown(logout), ended=logout.scope)
    log.info("%s ended %s of %s", issuer, logout.scope, who or _unknown(logout))
    return Response(status=200, headers=_NO_STORE)


def _unknown(logout: LogoutRequest) -> str:
    """How the audit log names someone no login here noted: by what the token names."""
    return f"sid {logout.sid}" if logout.sid is not None else f"sub {logout.sub}"


def _bad(message: str) -> Response:
    log.warning("refused a back-channel logout: %s", message)
    return json_response({"error": "invalid_request", "error_description": message}, 400, _NO_STORE)


def _unavailable(message: str) -> Response:
    body = {"error": "temporarily_unavailable", "error_description": message}
    return json_response(body, 503, {**_NO_STORE, "Retry-After": "60"})
