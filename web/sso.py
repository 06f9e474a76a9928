"""Logging in with the organisation's OpenID Connect provider (SWITCHBOARD_OIDC_*), beside passwords.

The authorization code flow with PKCE (S256), a nonce and the state, through Authlib's Flask client: the state and
the verifier wait in this browser's signed session, and the ID token's signature (keys from the provider's
discovery document), issuer, audience, expiry and nonce are checked by Authlib and joserfc, not by us. hub/sso.py
then says whom the token's address logs in. The session is web/auth.py's `begin`, marked as through the provider,
so Switchboard's own authenticator code is neither asked for nor required (the provider did its own).

Every refusal is a page saying what to do next; a provider that cannot be reached is a 503 that says password
logins still work.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from joserfc.errors import JoseError

from hub import sso
from hub.config import OidcSettings, Settings
from web.auth import SessionUser, begin
from web.security import safe_next
from web.services import services

log = logging.getLogger(__name__)

bp = Blueprint("sso", __name__, url_prefix="/login/sso")

_CLIENT = "switchboard.sso"  # app.extensions key of the registered Authlib client
_NEXT = "sso_next"  # the session key of where the person was going
#: Only what matching needs: `openid` for the ID token, `email` for its email and email_verified claims.
SCOPE = "openid email"
#: Seconds to wait for the provider (discovery, keys, token): a hung provider must not hold a web worker for long.
TIMEOUT = 10.0
#: What the network and the provider's web server can do wrong: unreachable, too slow, a 5xx, a page that is no JSON.
_UNREACHABLE = (requests.RequestException,)


def callback_url(settings: Settings) -> str:
    """The redirect URI to register at the provider; built from SWITCHBOARD_PUBLIC_URL, never from the request,
    so it is the same behind any proxy and always what was registered."""
    return f"{settings.base_url.rstrip('/')}/login/sso/callback"


def init_app(app: Flask, settings: Settings) -> None:
    """Register the provider's client when SWITCHBOARD_OIDC_ISSUER is set. Nothing is fetched yet: the discovery
    document is read at the first login (and kept), so a provider that is down does not stop the hub starting."""
    oidc = settings.oidc
    if oidc is None:
        return
    oauth = OAuth(app)
    app.extensions[_CLIENT] = oauth.register(
        "oidc",
        client_id=oidc.client_id,
        client_secret=oidc.client_secret,
        server_metadata_url=oidc.discovery_url,
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": TIMEOUT},
    )


def _provider() -> tuple[OidcSettings, Any]:
    oidc = services().settings.oidc
    if oidc is None:
        abort(404)  # single sign-on is not set up here
    return oidc, current_app.extensions[_CLIENT]


@bp.get("")
def start() -> ResponseReturnValue:
    """Send the browser to the provider, remembering (in the session) the state, nonce and PKCE verifier."""
    oidc, client = _provider()
    next_url = safe_next(request.args.get("next"), url_for("incidents.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    try:
        issuer = client.load_server_metadata().get("issuer")
        if issuer != oidc.issuer:
            # OpenID Connect Discovery 4.3: the document must name the issuer it was fetched for.
            log.error("%s's discovery document names the issuer %r, not SWITCHBOARD_OIDC_ISSUER", oidc.issuer, issuer)
            return _unusable(oidc)
        response = client.authorize_redirect(callback_url(services().settings))
    except _UNREACHABLE as exc:
        return _unreachable(oidc, exc)
    except (RuntimeError, KeyError, ValueError) as exc:  # a discovery document without the endpoints we need
        log.error("cannot use %s's discovery document: %s", oidc.issuer, exc)
        return _unusable(oidc)
    session[_NEXT] = next_url
    return response


@bp.get("/callback")
def callback() -> ResponseReturnValue:
    """The provider's answer: exchange the code, verify the ID token, and log in whom its address names."""
    oidc, client = _provider()
    if error := request.args.get("error"):
        # Only the error code is shown: its description is text anyone could put in a link to this page.
        code = error if error.replace("_", "").isalnum() and len(error) <= 40 else "error"
        return _problem(403, "Not logged in", f"{oidc.name} did not log you in ({code}). Start again, or ask an "
                        "admin if it keeps happening.", oidc)  # fmt: skip
    try:
        token = client.authorize_access_token(claims_options=_claims_options(oidc))
    except MismatchingStateError:
        return _problem(400, "Start again", "This answer does not belong to a login started in this browser: it was "
                        "started in another browser, or was used already. Start again.",
                        oidc)  # fmt: skip
    except _UNREACHABLE as exc:
        return _unreachable(oidc, exc)
    except OAuthError as exc:  # the token endpoint refused the code: used already, expired, or a wrong secret
        log.warning("%s refused to exchange a login's code: %s", oidc.issuer, exc)
        return _problem(400, "Start again", f"{oidc.name} did not confirm this login. Start again; if it happens "
                        "again, an admin should look at the web server's log.", oidc)  # fmt: skip
    except (JoseError, ValueError) as exc:
        log.warning("refused an ID token from %s: %r", oidc.issuer, exc)
        return _untrusted(oidc)
    except (RuntimeError, KeyError) as exc:  # a discovery document without the key set's address
        log.error("cannot use %s's discovery document: %s", oidc.issuer, exc)
        return _unusable(oidc)
    claims = token.get("userinfo")
    if claims is None:  # no ID token came with the access token: nothing vouches for anyone
        log.warning("%s answered without an ID token", oidc.issuer)
        return _untrusted(oidc)
    try:
        email = sso.verified_email(claims)
        with services().db.transaction() as db_session:
            user = SessionUser.of(sso.user_for(db_session, email, new_users=oidc.new_users))
    except sso.Refused as refused:
        return _refused(oidc, refused)
    next_url = safe_next(session.get(_NEXT), url_for("incidents.index"))
    return begin(user, next_url, via_sso=True)


def _claims_options(oidc: OidcSettings) -> dict[str, Any]:
    """Pinned to the configured issuer and our client id: Authlib checks `aud` only when told to. A new dict each
    time, since Authlib takes hooks out of the one it is given."""
    return {
        "iss": {"essential": True, "value": oidc.issuer},
        "aud": {"essential": True, "value": oidc.client_id},
        "exp": {"essential": True},
    }


def _refused(oidc: OidcSettings, refused: sso.Refused) -> ResponseReturnValue:
    email, name = refused.email, oidc.name
    messages = {
        "no_address": f"{name} did not say which email address you have, so Switchboard cannot tell which account "
        "is yours. Ask an admin: the provider must send the email claim.",
        "unverified": f"{name} says your address {email} is not verified. Verify it there, or ask an admin.",
        "unknown": f"There is no Switchboard account for {email}. Ask an admin to add you with that address, then "
        "log in again.",
        "disabled": f"The Switchboard account {email} is switched off. Ask an admin if you still need it.",
    }
    log.info("single sign-on refused %s: %s", email or "a token without an address", refused.reason)
    return _problem(403, "Not logged in", messages[refused.reason], oidc, again=False)


def _untrusted(oidc: OidcSettings) -> ResponseReturnValue:
    return _problem(400, "Not logged in", f"Switchboard could not verify what {oidc.name} sent, so no one was "
                    "logged in. Start again; if it happens again, an admin should look at the web server's log.",
                    oidc)  # fmt: skip


def _unreachable(oidc: OidcSettings, exc: Exception) -> ResponseReturnValue:
    log.warning("cannot reach %s: %s", oidc.issuer, exc)
    return _problem(503, "Cannot reach " + oidc.name, f"{oidc.name} cannot be reached just now, so Switchboard cannot "
                    f"log you in with it. Try again in a few minutes. {_passwords(oidc)}", oidc)  # fmt: skip


def _unusable(oidc: OidcSettings) -> ResponseReturnValue:
    return _problem(503, "Cannot use " + oidc.name, f"Switchboard cannot use {oidc.name} as it is set up, so no one "
                    f"can log in with it now. An admin should look at the web server's log. {_passwords(oidc)}",
                    oidc, again=False)  # fmt: skip


def _passwords(oidc: OidcSettings) -> str:
    return "Admins can still log in with their password." if oidc.only else "Logging in with a password still works."


def _problem(status: int, title: str, message: str, oidc: OidcSettings, *, again: bool = True) -> ResponseReturnValue:
    page = render_template("sso_problem.html", title=title, message=message, again=again, name=oidc.name)
    return page, status, {"Retry-After": "60"} if status == 503 else {}
