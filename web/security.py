"""Browser-facing safety: cookie settings, response headers, stateless API requests and safe redirects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from werkzeug.routing import IntegerConverter, ValidationError

from hub.config import Settings
from hub.numbers import MAX_EVENT_ID, MAX_ID, row_id

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: A logged-in session ends after this long without a visit.
SESSION_LIFETIME = timedelta(hours=12)

#: Requests under these paths are authenticated by a token, never by a cookie: they get no session.
#: (/v2/ is where PagerDuty- and Opsgenie-compatible senders post.)
STATELESS_PREFIXES = ("/api/", "/v2/", "/healthz", "/metrics")


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    """No inline scripts or styles anywhere: the one stylesheet is web/static/app.css, and the scripts,
    web/static/mentions.js and web/static/suggest.js, are files here that only add to a page that works without
    them (the note box's @mention suggestions, the CI fields' suggestions as one types); their data is a JSON
    attribute or a same-origin request (`default-src 'self'` is what `connect-src` falls back to), never code.
    Forms post here only, and their redirects stay here, except to `form_targets` (origins): browsers hold a
    form's redirects to form-action too, and "Log out" of a login through the identity provider goes on to it."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            " ".join(("form-action 'self'", *form_targets)),
            "frame-ancestors 'none'",
        )
    )


def security_headers(form_targets: Iterable[str] = ()) -> tuple[tuple[str, str], ...]:
    return (
        ("Content-Security-Policy", content_security_policy(form_targets)),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),  # for browsers that predate frame-ancestors
    )


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL: what a Content-Security-Policy source names."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_stateless(path: str) -> bool:
    """Whether a request path belongs to the token-authenticated API or the health check."""
    return path.startswith(STATELESS_PREFIXES)


class UISessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions for the UI only.

    API and health requests get Flask's null session: no cookie is read, signed or set, which keeps the event
    path fast, and any attempt to write to the session there fails loudly instead of leaking a cookie.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_stateless(request.path):
            return None
        return super().open_session(app, request)

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        """A session nothing changed is sent again (its inactivity clock restarted) only in answer to a page
        the person opened. A script's fetch or a stylesheet runs beside a form's post: its answer, written from
        the cookie as it was when it left, would land after the post's and undo what the post set (the message
        saying what the post did, a login's second step)."""
        if session.modified:
            return True
        return (
            super().should_set_cookie(app, session) and request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate"
        )


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: a whole number that fits a database id. A larger one matches no route (404)
    instead of reaching the database, which cannot bind it or compare an id with it (500s that schemathesis and
    a PostgreSQL probe found)."""

    regex = r"\d{1,10}"
    limit = MAX_ID

    def to_python(self, value: str) -> int:
        number = row_id(value, limit=self.limit)
        if number is None:
            raise ValidationError()
        return number


class EventId(DatabaseId):
    """`<event:...>`: an event's id, which is 64-bit."""

    regex = r"\d{1,18}"
    limit = MAX_EVENT_ID


def configure(app: Flask, settings: Settings) -> None:
    """Apply the keys and cookie settings, and wrap the app so every response carries the security headers."""
    app.url_map.converters["int"] = DatabaseId
    app.url_map.converters["event"] = EventId
    keys = settings.verifying_keys
    app.config.update(
        # Sessions are signed with SECRET_KEY and read under the former keys too, so a new key logs no one out
        # while the old one is listed (hub/verifying_keys.py).
        SECRET_KEY=keys.current,
        SECRET_KEY_FALLBACKS=list(keys.older),
        # Flask-WTF 1.3 reads CSRF tokens with its own serializer under this (else SECRET_KEY alone, ignoring the
        # fallbacks); itsdangerous takes a list: every key verifies, the last, the current one, signs. So a form
        # opened before the key changed still sends.
        WTF_CSRF_SECRET_KEY=list(keys.all),
        SESSION_COOKIE_NAME="switchboard_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookies_secure,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.cookies_secure,
        # A login form left open for hours should still work; the token stays bound to the session.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = UISessionInterface()
    provider = (origin(settings.oidc.issuer),) if settings.oidc is not None else ()  # its end_session_endpoint
    app.wsgi_app = SecurityHeaders(app.wsgi_app, security_headers(provider))  # type: ignore[method-assign]


class SecurityHeaders:
    """WSGI middleware adding the security headers to every response: pages, API answers, errors, static files.

    Working on the plain header list costs a few microseconds per response; an `after_request` hook editing
    werkzeug's `Headers` cost several times more on the event hot path. A header a view set itself is kept.
    """

    def __init__(self, wsgi_app: WSGIApplication, headers: tuple[tuple[str, str], ...]) -> None:
        self.wsgi_app = wsgi_app
        # Pages show incident data to logged-in people: keep them out of shared caches and the back-forward cache
        # after logout. Static files stay cacheable.
        self.static_headers = headers
        self.dynamic_headers = (*headers, ("Cache-Control", "no-store"))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        static = environ.get("PATH_INFO", "").startswith("/static/")
        extra = self.static_headers if static else self.dynamic_headers

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            return start_response(status, [*headers, *(h for h in extra if h[0].lower() not in present)], exc_info)

        return self.wsgi_app(environ, start)


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`: a login link must not redirect elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    # Browsers read "/\evil.example" as "//evil.example", and control characters can smuggle either form.
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
