"""A small but real OpenID Connect provider on a free loopback port, for the single sign-on tests.

No identity provider (Keycloak, Dex, Authentik...) installs from Debian here, and a mocked HTTP layer would test
our guesses about the protocol rather than the protocol. So this one speaks it over real HTTP, in a thread:
discovery, the key set of a real RSA key (made with `cryptography`), /authorize (approving its configured person
at once, as a provider does for someone already logged in there) and /token, which checks the client's secret,
the code (once only), the redirect URI and the PKCE verifier, and answers with an RS256 ID token.

The token is signed here with `cryptography` directly, not with joserfc, so the app's verification (Authlib and
joserfc) is checked against an independent signer. Its knobs make it misbehave as the tests need: a token signed
with another key, for another audience, expired, with another nonce, an unverified or missing address.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

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


@dataclass
class Person:
    """Who is logged in at the provider: the claims about them its ID tokens carry (None: the claim is left out)."""

    email: str | None = "agent@example.com"
    email_verified: bool | None = True
    sub: str = "248289761001"


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
    nonce: str | None = None  # the ID token's nonce; None: the one the login sent
    other_key: bool = False  # sign with a key the key set does not hold (under the same key id)
    authorizations: list[dict[str, str]] = field(default_factory=list)  # what /authorize was asked, in order

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._codes: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self._routes = Map([Rule("/.well-known/openid-configuration", endpoint="discovery"),
                            Rule("/jwks", endpoint="jwks"), Rule("/authorize", endpoint="authorize"),
                            Rule("/token", endpoint="token", methods=["POST"])])  # fmt: skip
        self.port = free_port()
        self._server: Any = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Provider:
        self._server = make_server("127.0.0.1", self.port, self._wsgi, threaded=True)
        threading.Thread(target=self._server.serve_forever, name="oidc-provider", daemon=True).start()
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
        return _json({
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        })  # fmt: skip

    def _jwks(self, request: Request) -> Response:
        numbers = self._key.public_key().public_numbers()
        key = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID, "n": _number(numbers.n), "e": _number(numbers.e)}
        return _json({"keys": [key]})

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
        return _json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                      "id_token": self.id_token(asked.get("nonce"))})  # fmt: skip

    def id_token(self, nonce: str | None) -> str:
        """An RS256 ID token for the configured person, as the knobs make it."""
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "sub": self.person.sub, "aud": self.audience or self.client_id,
                                  "iat": now, "exp": now + self.lifetime, "nonce": self.nonce or nonce}  # fmt: skip
        if self.person.email is not None:
            claims["email"] = self.person.email
        if self.person.email_verified is not None:
            claims["email_verified"] = self.person.email_verified
        header = {"alg": "RS256", "typ": "JWT", "kid": KID}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}".encode()
        key = self._stranger if self.other_key else self._key
        return f"{signing_input.decode()}.{_b64(key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()))}"


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
