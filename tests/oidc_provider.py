"""A small but real OpenID Connect provider on a free loopback port, for the single sign-on tests.

No identity provider (Keycloak, Dex, Authentik...) installs from Debian here, and a mocked HTTP layer would test
our guesses about the protocol rather than the protocol. So this one speaks it over real HTTP, in a thread:
discovery, the key set of a real RSA key (made with `cryptography`), /authorize (approving its configured person
at once, as a provider does for someone already logged in there), /token, which checks the client's secret,
the code (once only), the redirect URI and the PKCE verifier, and answers with an RS256 ID token and an access
token, /userinfo (OpenID Connect Core 5.3), which answers that access token with the person's claims, and
/logout, the end_session_endpoint of RP-Initiated Logout 1.0, which checks the ID token hint's signature, the
client and the registered post_logout_redirect_uri before sending the browser back. Each login is a session of its
own at the provider, named by the `sid` of its ID token (`sids`, in order), and `logout_token` makes the Logout
Token of Back-Channel Logout 1.0 that the provider would post when one ends (typed `logout+jwt`, or as asked).
`jwks_fetched` counts the key set's fetches, and `rotate()` signs with a new key, under a new key id, from then on.

The token is signed here with `cryptography` directly, not with joserfc, so the app's verification (Authlib and
joserfc) is checked against an independent signer. Its knobs make it misbehave as the tests need: a token signed
with another key, for another audience, expired, with another nonce, an unverified or missing address, claims
left for userinfo only, a userinfo answer about someone else; and leave out userinfo or logout from discovery.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from hub.net import free_port

KID = "test-key-1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _number(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@functools.cache
def _signing_keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """The provider's key and a stranger's (for tokens it did not sign), made once per test process: an RSA key
    takes some 60 ms to make, and each of the SSO tests starts a provider of its own. `rotate` makes new ones."""
    return (rsa.generate_private_key(public_exponent=65537, key_size=2048),
            rsa.generate_private_key(public_exponent=65537, key_size=2048))  # fmt: skip


@dataclass
class Person:
    """Who is logged in at the provider: the claims about them its ID tokens carry (None: the claim is left out)."""

    email: str | None = "agent@example.com"
    email_verified: bool | None = True
    sub: str = "248289761001"
    groups: list[str] | None = None

    def claims(self) -> dict[str, Any]:
        """What the provider says about them, to a client allowed to know all of it."""
        about = {"sub": self.sub, "email": self.email, "email_verified": self.email_verified, "groups": self.groups}
        return {name: value for name, value in about.items() if value is not None}


@dataclass
class Provider:
    """The provider; `start()` serves it on a free loopback port. Change the knobs between logins."""

    redirect_uri: str
    client_id: str = "switchboard"
    client_secret: str = "provider-secret"
    person: Person = field(default_factory=Person)
    # Misbehaviour, off by default:
    audience: str | None = None  # the ID token's aud; None: client_id
    lifetime: int = 300  # seconds until the ID token expires (negative: expired already)
    revoked: bool = False  # access tokens are revoked before they reach /userinfo (an admin ended the session)
    nonce: str | None = None  # the ID token's nonce; None: the one the login sent
    other_key: bool = False  # sign with a key the key set does not hold (under the same key id)
    only_in_userinfo: frozenset[str] = frozenset()  # claims the ID token leaves out (minimal scopes): ask userinfo
    userinfo_sub: str | None = None  # the userinfo answer's sub; None: the person's, as it must be
    # What discovery names (a provider may have neither): the userinfo endpoint, and the end_session_endpoint.
    userinfo: bool = True
    end_session: bool = True
    end_session_site: str = ""  # where discovery says the end_session_endpoint is; "": the issuer's site, as usual
    post_logout_redirect_uri: str = ""  # registered for logging out; "": the redirect URI's site's /login
    authorizations: list[dict[str, str]] = field(default_factory=list)  # what /authorize was asked, in order
    userinfo_asked: int = 0  # how many times /userinfo answered an access token
    logouts: list[dict[str, str]] = field(default_factory=list)  # what /logout was asked, in order
    sids: list[str] = field(default_factory=list)  # the session id of each login's ID token, in order
    jwks_fetched: int = 0  # how many times the key set was asked for

    def __post_init__(self) -> None:
        self._key, self._stranger = _signing_keys()
        self._kid = KID
        self._published = [(KID, self._key)]  # what the key set holds: the current key, and those it replaced
        self._codes: dict[str, dict[str, str]] = {}
        self._access: dict[str, tuple[Person, float]] = {}  # access token -> whom it was issued for, until when
        self._lock = threading.Lock()
        self._routes = Map([Rule("/.well-known/openid-configuration", endpoint="discovery"),
                            Rule("/jwks", endpoint="jwks"), Rule("/authorize", endpoint="authorize"),
                            Rule("/token", endpoint="token", methods=["POST"]),
                            Rule("/userinfo", endpoint="userinfo", methods=["GET", "POST"]),
                            Rule("/logout", endpoint="logout", methods=["GET", "POST"])])  # fmt: skip
        if not self.post_logout_redirect_uri:
            site = self.redirect_uri.split("/login/sso/callback")[0]
            self.post_logout_redirect_uri = f"{site}/login"
        self.port = free_port()
        self._server: Any = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Provider:
        self._server = make_server("127.0.0.1", self.port, self._wsgi, threaded=True)
        # A short poll, so that stopping (each test's teardown) waits for at most 50 ms, not serve_forever's 0.5 s.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="oidc-provider",
                         daemon=True).start()  # fmt: skip
        return self

    def stop(self) -> None:
        """Stop answering (the provider goes down); connections are then refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        endpoint, _ = self._routes.bind_to_environ(environ).match()
        response: Response = getattr(self, f"_{endpoint}")(request)
        return response(environ, start_response)

    def _discovery(self, request: Request) -> Response:
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }
        if self.userinfo:
            document["userinfo_endpoint"] = f"{self.issuer}/userinfo"
        if self.end_session:
            document["end_session_endpoint"] = f"{self.end_session_site or self.issuer}/logout"
        document.update(backchannel_logout_supported=True, backchannel_logout_session_supported=True)
        return _json(document)

    def _jwks(self, request: Request) -> Response:
        with self._lock:
            self.jwks_fetched += 1
        keys = []
        for kid, private in self._published:
            numbers = private.public_key().public_numbers()
            keys.append({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": _number(numbers.n),
                         "e": _number(numbers.e)})  # fmt: skip
        return _json({"keys": keys})

    def rotate(self) -> None:
        """Sign with a new key from now on, published in the key set beside the old one, as providers rotate."""
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = f"test-key-{len(self._published) + 1}"
        self._published.append((self._kid, self._key))

    def _authorize(self, request: Request) -> Response:
        asked = request.args.to_dict()
        self.authorizations.append(asked)
        if asked.get("client_id") != self.client_id or asked.get("redirect_uri") != self.redirect_uri:
            return Response("unknown client or redirect URI", status=400)  # never redirect to an unknown address
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = asked
        answer = urlencode({"code": code, "state": asked.get("state", "")})
        return Response(status=302, headers={"Location": f"{self.redirect_uri}?{answer}"})

    def _token(self, request: Request) -> Response:
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (self.client_id, self.client_secret):
            return _json({"error": "invalid_client"}, 401)
        with self._lock:
            asked = self._codes.pop(request.form.get("code", ""), None)  # a code is good once
        if asked is None or request.form.get("grant_type") != "authorization_code":
            return _json({"error": "invalid_grant"}, 400)
        verifier = request.form.get("code_verifier", "")
        if asked.get("code_challenge_method") != "S256" or asked.get("code_challenge") != _b64(
            hashlib.sha256(verifier.encode()).digest()
        ):
            return _json({"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400)
        if request.form.get("redirect_uri") != asked["redirect_uri"]:
            return _json({"error": "invalid_grant"}, 400)
        access_token, sid = secrets.token_urlsafe(16), secrets.token_urlsafe(12)
        with self._lock:
            self._access[access_token] = (dataclasses.replace(self.person), time.time() + 300)
            self.sids.append(sid)
        return _json({"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                      "id_token": self.id_token(asked.get("nonce"), sid)})  # fmt: skip

    def _userinfo(self, request: Request) -> Response:
        """The person's claims for a bearer of the access token issued with their login (RFC 6750 errors else)."""
        scheme, _, access_token = request.headers.get("Authorization", "").partition(" ")
        with self._lock:
            issued = self._access.get(access_token) if scheme.lower() == "bearer" else None
        if issued is None or issued[1] < time.time() or self.revoked:
            return Response(status=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        self.userinfo_asked += 1
        return _json({**issued[0].claims(), "sub": self.userinfo_sub or issued[0].sub})

    def _logout(self, request: Request) -> Response:
        """RP-Initiated Logout: the client is named by a hint this provider signed (expired or not) or its id, and
        is sent back only to the post-logout address it registered; without one, a page says it is done."""
        asked = request.values.to_dict()
        self.logouts.append(asked)
        hint = self._signed_claims(asked["id_token_hint"]) if "id_token_hint" in asked else {}
        if hint is None or (hint and asked.get("client_id", hint["aud"]) != hint["aud"]):
            return Response("id_token_hint is not a token issued here to that client", status=400)
        client = asked.get("client_id") or hint.get("aud")
        back = asked.get("post_logout_redirect_uri")
        if back is None:
            return Response("You are logged out.", status=200)
        if client != self.client_id or back != self.post_logout_redirect_uri:
            return Response("unknown client or post_logout_redirect_uri", status=400)  # never an unknown address
        state = f"?{urlencode({'state': asked['state']})}" if "state" in asked else ""
        return Response(status=302, headers={"Location": back + state})

    def _signed_claims(self, token: str) -> dict[str, Any] | None:
        """The claims of an ID token this provider signed, or None."""
        try:
            header, body, signature = token.split(".")
            padded = [part + "=" * (-len(part) % 4) for part in (body, signature)]
            self._key.public_key().verify(base64.urlsafe_b64decode(padded[1]), f"{header}.{body}".encode(),
                                          padding.PKCS1v15(), hashes.SHA256())  # fmt: skip
            claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded[0]))
        except (ValueError, binascii.Error, InvalidSignature):
            return None
        return claims if claims.get("iss") == self.issuer else None

    def id_token(self, nonce: str | None, sid: str | None = None) -> str:
        """An RS256 ID token for the configured person, as the knobs make it."""
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "aud": self.audience or self.client_id, "iat": now,
                                  "exp": now + self.lifetime, "nonce": self.nonce or nonce}  # fmt: skip
        if sid is not None:
            claims["sid"] = sid
        claims.update((k, v) for k, v in self.person.claims().items() if k not in self.only_in_userinfo)
        return self._signed(claims, "JWT", stranger=self.other_key)

    def logout_token(self, *, sub: str | None = None, sid: str | None = None, stranger: bool = False,
                     typ: str | None = "logout+jwt", kid: str | None = None, **changes: Any) -> str:  # fmt: skip
        """A Logout Token (Back-Channel Logout 1.0, 2.4) ending the session `sid`, or every session of `sub`, as
        the provider posts it; `changes` replace its claims (None leaves one out), `stranger` signs it with a
        key the key set does not hold, `typ` is its header's (None: left out) and `kid` names another key id."""
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 120,
                                  "jti": secrets.token_urlsafe(12), "sub": sub, "sid": sid,
                                  "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}  # fmt: skip
        claims.update(changes)
        claims = {k: v for k, v in claims.items() if v is not None}
        return self._signed(claims, typ, stranger=stranger, kid=kid)

    def _signed(self, claims: dict[str, Any], typ: str | None, *, stranger: bool, kid: str | None = None) -> str:
        header = {"alg": "RS256", "kid": kid or self._kid} | ({"typ": typ} if typ is not None else {})
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}".encode()
        key = self._stranger if stranger else self._key
        return f"{signing_input.decode()}.{_b64(key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()))}"


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
