"""Logging in with the organisation's OpenID Connect provider (SWITCHBOARD_OIDC_*), beside passwords.

The authorization code flow with PKCE (S256), a nonce and the state, through Authlib's Flask client: the state and
the verifier wait in this browser's signed session, and the ID token's signature (keys from the provider's
discovery document), issuer, audience, expiry and nonce are checked by Authlib and joserfc, not by us. hub/sso.py
then says whom the token's address logs in, and as what when groups give roles; the userinfo endpoint is asked
only for what the ID token left out. The session is web/auth.py's `begin`, marked as through the provider, so
Switchboard's own authenticator code is neither asked for nor required (the provider did its own), and holding
where "Log out" ends the provider's session too, when its discovery names an end_session_endpoint. The other way,
a logout at the provider ends the sessions it logged in here: it posts a Logout Token to the back-channel route
(web/sso_backchannel.py).

Every refusal is a page saying what to do next; a provider that cannot be reached is a 503 that says password
logins still work.

This module is the door: the routes, always there (404 without a provider), and the addresses to register. The
flow itself is web/sso_flow.py, imported only where a provider is set: Authlib, requests and joserfc took 60 ms
of every web worker's start, and most installations log in with passwords alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Flask, abort, current_app
from flask.typing import ResponseReturnValue

from hub.config import Settings
from web import sso_backchannel

if TYPE_CHECKING:
    from web.sso_flow import Provider

bp = Blueprint("sso", __name__, url_prefix="/login/sso")

_PROVIDER = "switchboard.sso"  # app.extensions key of the registered provider


def callback_url(settings: Settings) -> str:
    """The redirect URI to register at the provider; built from SWITCHBOARD_PUBLIC_URL, never from the request,
    so it is the same behind any proxy and always what was registered."""
    return f"{settings.base_url.rstrip('/')}/login/sso/callback"


def backchannel_logout_url(settings: Settings) -> str:
    """Where the provider posts Logout Tokens (its "Backchannel logout URL"), built as the callback's is."""
    return f"{settings.base_url.rstrip('/')}/login/sso/backchannel-logout"


def logged_out_url(settings: Settings) -> str:
    """Where the provider sends the browser back after "Log out" (post_logout_redirect_uri): the login page, built
    as the callback's is, and to be registered at the provider likewise."""
    return f"{settings.base_url.rstrip('/')}/login"


def init_app(app: Flask, settings: Settings) -> None:
    """Register the provider's client when SWITCHBOARD_OIDC_ISSUER is set. Nothing is fetched yet: the discovery
    document is read at the first login (and kept), so a provider that is down does not stop the hub starting."""
    if settings.oidc is None:
        return
    from web.sso_flow import Provider  # Authlib and its company, for installations with a provider only

    app.extensions[_PROVIDER] = Provider.register(app, settings.oidc)


def _provider() -> Provider:
    provider: Provider | None = current_app.extensions.get(_PROVIDER)
    if provider is None:
        abort(404)  # single sign-on is not set up here
    return provider


@bp.get("")
def start() -> ResponseReturnValue:
    """Send the browser to the provider, remembering (in the session) the state, nonce and PKCE verifier."""
    return _provider().start()


@bp.get("/callback")
def callback() -> ResponseReturnValue:
    """The provider's answer: exchange the code, verify the ID token, and log in whom its address names."""
    return _provider().callback()


@bp.post("/backchannel-logout")
def backchannel_logout() -> ResponseReturnValue:
    """The provider, server to server, ends sessions it logged in (web/sso_backchannel.py). Exempt from CSRF
    (web/__init__.py): no browser posts here, and the signed Logout Token is the proof."""
    return sso_backchannel.answer(_provider())
