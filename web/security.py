"""Browser-facing safety: cookie settings, response headers, stateless API requests and safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from hub.config import Settings

#: Requests under these paths are authenticated by a bearer token, never by a cookie: they get no session.
STATELESS_PREFIXES = ("/api/", "/healthz")

# No inline scripts or styles anywhere: the one stylesheet is web/static/app.css, and the UI needs no script.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),  # for browsers that predate frame-ancestors
)


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


def configure(app: Flask, settings: Settings) -> None:
    """Apply the cookie settings and register the headers every response carries."""
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="switchboard_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        # A login form left open for hours should still work; the token stays bound to the session.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = UISessionInterface()
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Every response, API and errors included, carries the same headers."""
    headers = response.headers
    for name, value in SECURITY_HEADERS:
        headers.setdefault(name, value)
    # Pages show incident data to logged-in people: keep them out of shared caches and the back-forward cache
    # after logout. Static files stay cacheable.
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    return response


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
