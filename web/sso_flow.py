"""The OpenID Connect login itself (web/sso.py is its door): Authlib's Flask client, over requests, verifying with
joserfc, and a page for each way it can fail.

Imported only where SWITCHBOARD_OIDC_ISSUER is set (web/sso.py's init_app): the three libraries took 60 ms of every
web worker's start. Its log is `web.sso`'s, as before the door and the flow were two modules.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.oauth2.claims import JWTClaims
from flask import Flask, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jws import extract_compact

from hub import sso
from hub.config import OidcSettings
from hub.sso_logout import LEEWAY, BadLogoutToken, KeysUnavailable, ProviderSession, check_type
from web import sso_sessions
from web.auth import SessionUser, begin
from web.security import origin, safe_next
from web.services import services
from web.sso import callback_url, logged_out_url
from web.sso_keys import KEYS_REFETCH, ThrottledClient

log = logging.getLogger("web.sso")

_NEXT = "sso_next"  # the session key of where the person was going
#: Seconds to wait for the provider (discovery, keys, token): a hung provider must not hold a web worker for long.
TIMEOUT = 10.0
#: What the network and the provider's web server can do wrong: unreachable, too slow, a 5xx, a page that is no JSON.
_UNREACHABLE = (requests.RequestException,)
#: The longest ID token kept for "Log out" (as its id_token_hint). It rides in the session cookie, which browsers
#: drop above 4 KB: with one this long the cookie is about 2.8 KB, leaving room for the login and flashed messages.
#: Keycloak's and Entra's are 1-2 KB; Entra's listing many groups are longer, and the client id alone then names
#: us to the provider (RP-Initiated Logout 1.0 allows either).
HINT_MAX = 2500


@dataclass(frozen=True)
class Provider:
    """The provider's settings and its registered Authlib client: what the routes of web/sso.py run."""

    oidc: OidcSettings
    client: Any

    @classmethod
    def register(cls, app: Flask, oidc: OidcSettings) -> Provider:
        client = OAuth(app).register(
            "oidc",
            client_id=oidc.client_id,
            client_secret=oidc.client_secret,
            server_metadata_url=oidc.discovery_url,
            client_cls=ThrottledClient,  # the key set fetched again for unknown key ids once a minute at most
            client_kwargs={"scope": " ".join(oidc.scopes), "code_challenge_method": "S256", "default_timeout": TIMEOUT},
        )
        return cls(oidc, client)

    def start(self) -> ResponseReturnValue:
        """Send the browser to the provider, remembering (in the session) the state, nonce and PKCE verifier."""
        oidc, client = self.oidc, self.client
        next_url = safe_next(request.args.get("next"), url_for("incidents.index"))
        again = request.args.get("again") == "1"  # a logged-in person proving it is them (a token wants it)
        if current_user.is_authenticated and not again:
            return redirect(next_url)
        try:
            issuer = client.load_server_metadata().get("issuer")
            if issuer != oidc.issuer:
                # OpenID Connect Discovery 4.3: the document must name the issuer it was fetched for.
                log.error(
                    "%s's discovery document names the issuer %r, not SWITCHBOARD_OIDC_ISSUER", oidc.issuer, issuer
                )
                return _unusable(oidc)
            # prompt=login: the provider asks for the person's credentials, not just its own session's cookie.
            extra = {"prompt": "login"} if again else {}
            response = client.authorize_redirect(callback_url(services().settings), **extra)
        except _UNREACHABLE as exc:
            return _unreachable(oidc, exc)
        except (RuntimeError, KeyError, ValueError) as exc:  # a discovery document without the endpoints we need
            log.error("cannot use %s's discovery document: %s", oidc.issuer, exc)
            return _unusable(oidc)
        session[_NEXT] = next_url
        return response

    def callback(self) -> ResponseReturnValue:
        """The provider's answer: exchange the code, verify the ID token, and log in whom its address names."""
        oidc, client = self.oidc, self.client
        if error := request.args.get("error"):
            # Only the error code is shown: its description is text anyone could put in a link to this page.
            code = error if error.replace("_", "").isalnum() and len(error) <= 40 else "error"
            return _problem(403, "Not logged in", f"{oidc.name} did not log you in ({code}). Start again, or ask an "
                            "admin if it keeps happening.", oidc)  # fmt: skip
        try:
            token = client.authorize_access_token(claims_options=_claims_options(oidc))
        except MismatchingStateError:
            return _problem(400, "Start again", "This answer does not belong to a login started in this browser: it "
                            "was started in another browser, or was used already. Start again.", oidc)  # fmt: skip
        except _UNREACHABLE as exc:
            return _unreachable(oidc, exc)
        except OAuthError as exc:  # the token endpoint refused the code: used already, expired, or a wrong secret
            log.warning("%s refused to exchange a login's code: %s", oidc.issuer, exc)
            return _unconfirmed(oidc)
        except (JoseError, ValueError) as exc:
            log.warning("refused an ID token from %s: %r", oidc.issuer, exc)
            return _untrusted(oidc)
        except (RuntimeError, KeyError) as exc:  # a discovery document without the key set's address
            log.error("cannot use %s's discovery document: %s", oidc.issuer, exc)
            return _unusable(oidc)
        claims = token.get("userinfo")  # Authlib's name for the verified ID token's claims
        if claims is None:  # no ID token came with the access token: nothing vouches for anyone
            log.warning("%s answered without an ID token", oidc.issuer)
            return _untrusted(oidc)
        if sso.wants_userinfo(claims, oidc):
            try:
                claims = _with_userinfo(client, oidc, token, claims)
            except sso.BadUserinfo as exc:
                log.warning("refused %s's userinfo answer: %s", oidc.issuer, exc)
                return _untrusted(oidc)
            except (requests.HTTPError, OAuthError) as exc:  # a 4xx, or an access token Authlib would not send
                if isinstance(exc, requests.HTTPError) and (exc.response is None or exc.response.status_code >= 500):
                    return _unreachable(oidc, exc)
                log.warning("%s's userinfo endpoint refused the login's access token: %s", oidc.issuer, exc)
                return _unconfirmed(oidc)
            except _UNREACHABLE as exc:
                return _unreachable(oidc, exc)
        try:
            with services().db.transaction() as db_session:
                admitted = sso.admit(db_session, claims, oidc)
                user = SessionUser.of(admitted.user)
        except sso.Refused as refused:
            return _refused(oidc, refused)
        next_url = safe_next(session.get(_NEXT), url_for("incidents.index"))
        provider_session = ProviderSession.of(claims)
        end_session = _end_session(client, oidc, token.get("id_token"))
        response = begin(user, next_url, via_sso=True, end_session=end_session, provider_session=provider_session)
        if provider_session is not None:
            settings = services().settings
            sso_sessions.remember(
                services().redis(), oidc.issuer, provider_session, user.email, settings.session_max_age
            )
        if admitted.kept_admin is not None:  # after begin(): a fresh session keeps no earlier flash
            log.warning("single sign-on kept %s an admin: their groups give %s, but no other admin is active",
                        user.email, admitted.kept_admin)  # fmt: skip
            flash(f"Your groups at {oidc.name} give the role {admitted.kept_admin} here, but you are the last active "
                  "admin, so you stay an admin: make someone else admin first.", "info")  # fmt: skip
        return response

    def logout_claims(self, logout_token: str) -> Mapping[str, Any]:
        """A Logout Token's claims, once its header's `typ` is a Logout Token's (or absent), and its signature,
        issuer, audience and times are checked as an ID token's are (the same key set, algorithms and pins, by
        Authlib and joserfc), with `iat` and `jti` required too; `BadLogoutToken` when one is wrong,
        `KeysUnavailable` when the provider's keys cannot be had. The rules a Logout Token adds are
        hub/sso_logout.py's."""
        oidc = self.oidc
        options = {**_claims_options(oidc), "iat": {"essential": True}, "jti": {"essential": True}}
        try:  # the header first: a token typed for another use is refused before any key is looked for
            header = extract_compact(logout_token.encode()).protected
        except (JoseError, ValueError) as exc:
            raise BadLogoutToken(f"the logout token is not valid: {exc}") from exc
        check_type(header)
        try:
            claims = self.client.parse_id_token(
                {"id_token": logout_token}, nonce=None, claims_options=options, claims_cls=JWTClaims, leeway=LEEWAY
            )
        except _UNREACHABLE as exc:
            log.warning("cannot reach %s for its keys: %s", oidc.issuer, exc)
            raise KeysUnavailable(f"{oidc.issuer} cannot be reached for its keys") from exc
        except (RuntimeError, KeyError) as exc:  # a discovery document without the key set's address
            log.error("cannot use %s's discovery document: %s", oidc.issuer, exc)
            raise KeysUnavailable(f"{oidc.issuer}'s discovery document names no key set") from exc
        except InvalidKeyIdError as exc:  # also when the key set was fetched again too recently to ask once more
            raise BadLogoutToken(
                f"the logout token is not valid: its key id {header.get('kid')!r} is not in {oidc.issuer}'s key set "
                f"(fetched again at most every {KEYS_REFETCH:.0f} seconds)"
            ) from exc
        except (JoseError, ValueError) as exc:
            raise BadLogoutToken(f"the logout token is not valid: {exc}") from exc
        return claims  # type: ignore[no-any-return]


def _with_userinfo(client: Any, oidc: OidcSettings, token: Mapping[str, Any], claims: Any) -> Mapping[str, Any]:
    """The ID token's claims completed from the userinfo endpoint (hub.sso.with_userinfo), asked with the login's
    access token; as they are when the provider names no such endpoint."""
    endpoint = client.server_metadata.get("userinfo_endpoint")
    if not isinstance(endpoint, str):
        return claims  # type: ignore[no-any-return]
    answer = client.get(endpoint, token=token)
    answer.raise_for_status()
    try:
        body = answer.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise sso.BadUserinfo(f"the answer is not a JSON object ({answer.headers.get('Content-Type')})")
    return sso.with_userinfo(claims, body, oidc.roles_claim)


def _end_session(client: Any, oidc: OidcSettings, id_token: object) -> str | None:
    """Where "Log out" sends this browser (RP-Initiated Logout 1.0) when the provider's discovery names an
    end_session_endpoint: there, with the ID token as the hint of whose session ends (when it fits the cookie:
    HINT_MAX) and our client id, to come back to the login page. Kept in the session from the login, so logging
    out needs no word with a provider that may be down."""
    endpoint = client.server_metadata.get("end_session_endpoint")
    if not isinstance(endpoint, str) or origin(endpoint) != origin(oidc.issuer):
        # The pages' form-action allows the issuer's site only (web/security.py), and the token travels there.
        if endpoint is not None:
            log.warning("%s's end_session_endpoint %r is on another site: logging out ends sessions here only",
                        oidc.issuer, endpoint)  # fmt: skip
        return None
    params = {"client_id": oidc.client_id, "post_logout_redirect_uri": logged_out_url(services().settings)}
    if isinstance(id_token, str) and len(id_token) <= HINT_MAX:
        params["id_token_hint"] = id_token
    else:
        log.info("the ID token from %s is too long to keep for logging out; the client id names us", oidc.issuer)
    return str(add_params_to_uri(endpoint, params))


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
        "no_role": f"{name} logged you in as {email}, but none of your groups there gives a role in Switchboard. "
        f"Ask to be added to one of these groups: {', '.join(refused.groups)}; then log in again.",
    }
    log.info("single sign-on refused %s: %s", email or "a token without an address", refused.reason)
    return _problem(403, "Not logged in", messages[refused.reason], oidc, again=False)


def _unconfirmed(oidc: OidcSettings) -> ResponseReturnValue:
    return _problem(400, "Start again", f"{oidc.name} did not confirm this login. Start again; if it happens again, "
                    "an admin should look at the web server's log.", oidc)  # fmt: skip


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
