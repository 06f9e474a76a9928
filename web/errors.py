"""Error answers: JSON `{"error": ...}` on the API and health paths, a readable page in the UI. A path or a method
the API has not got is answered in words that say where to look (`_api_words`), not Werkzeug's for a browser.

`StorageUnavailable` becomes 503 with Retry-After wherever it is raised, so no view needs its own try/except
and nothing is acknowledged that was not committed. So does a unique constraint another request won at the same
moment (a second click, two processes on PostgreSQL): the whole transaction was rolled back, and trying again
meets what the winner saved.

`NoLongerAllowed` (web/acting.py: whoever acts lost the permission between the route's check and the write) has one
answer everywhere, here: 403 `{"error": ...}` on the API; on a page the message flashed and the person sent back to
the page the form was on, as any refused action is.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from hub.errors import StorageUnavailable
from web.acting import NoLongerAllowed
from web.observe import logged_path
from web.responses import RETRY_AFTER, json_error, storage_unavailable
from web.security import is_stateless, safe_next

log = logging.getLogger(__name__)

# Werkzeug describes a CSRF failure in developer terms; people need to know what to do.
CSRF_HELP = "This form was out of date or incomplete. Go back, reload the page and try again."


def init_app(app: Flask) -> None:
    app.register_error_handler(StorageUnavailable, handle_storage_unavailable)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(IntegrityError, handle_conflict)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(NoLongerAllowed, handle_no_longer_allowed)


def handle_http_error(exc: HTTPException) -> Response | tuple[str, int, dict[str, str]]:
    code = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    if is_stateless(request.path):
        return json_error(code, _api_words(exc) or exc.description or exc.name, headers)
    return render_template("error.html", code=code, title=exc.name, message=exc.description), code, headers


def _api_words(exc: HTTPException) -> str | None:
    """What to do next, in place of Werkzeug's words for a browser ("If you entered the URL manually..."), for a
    path or a method the API has not got or a body over its limit; None where a view gave its own words or the
    answer is not one of those."""
    if not request.path.startswith("/api/") or exc.description != type(exc).description:
        return None
    if isinstance(exc, NotFound):
        bare = request.path.rstrip("/")
        adapter = current_app.create_url_adapter(request)
        if bare != request.path and adapter is not None and adapter.test(bare, request.method):
            return f"the API has nothing at {request.path}: its paths end without a slash, {bare}"
        return f"the API has nothing at {request.path}; its paths are listed at /api/v1/openapi.json"
    if isinstance(exc, RequestEntityTooLarge) and request.max_content_length:
        return f"the body is over the {request.max_content_length:,} bytes this path takes; send less"
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        methods = sorted(set(exc.valid_methods) - {"HEAD", "OPTIONS"})
        return f"{request.method} is not allowed on {request.path}; it takes {', '.join(methods)}"
    return None


def handle_csrf_error(exc: CSRFError) -> Response | tuple[str, int, dict[str, str]]:
    log.info("CSRF check failed on %s: %s", logged_path(), exc.description)
    return render_template("error.html", code=400, title="Please try again", message=CSRF_HELP), 400, {}


def handle_storage_unavailable(exc: StorageUnavailable) -> Response | tuple[str, int, dict[str, str]]:
    log.warning("%s %s: %s", request.method, logged_path(), exc)
    if is_stateless(request.path):
        return storage_unavailable()
    message = "The database is not answering right now. Nothing was changed; try again in a few seconds."
    # bare: the page must not look up the logged-in user, which needs the very database that is down. Nor may
    # Flask-Login's context processor, which loads them again for every template when loading them is what failed.
    if "_login_user" not in g:
        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    page = render_template("error.html", code=503, title="Temporarily unavailable", message=message, bare=True)
    return page, 503, {"Retry-After": RETRY_AFTER}


def handle_conflict(exc: IntegrityError) -> Response | tuple[str, int, dict[str, str]]:
    """A unique constraint a concurrent request won: nothing of this one was saved. API and webhook callers get
    503 with Retry-After, so a sender retries and its event is not lost; people get a page saying what happened."""
    log.warning("%s %s lost a race: %s", request.method, logged_path(), exc.orig)
    if is_stateless(request.path):
        return json_error(503, "a request saved the same thing at the same moment; nothing was stored, retry",
                          {"Retry-After": RETRY_AFTER})  # fmt: skip
    message = (
        "Someone saved the same thing at the same moment (perhaps a second click), so nothing of this "
        "request was saved. Reload the page to see what is there now, then try again if it is still needed."
    )
    return render_template("error.html", code=409, title="Saved at the same moment", message=message), 409, {}


def handle_no_longer_allowed(exc: NoLongerAllowed) -> ResponseReturnValue:
    """Nothing was written: the API says so with 403; a page flashes why and goes back where the form was."""
    log.info("%s %s refused inside its transaction: %s", request.method, logged_path(), exc)
    if is_stateless(request.path):
        return json_error(403, str(exc))
    flash(str(exc), "error")
    return redirect(_came_from(), code=303)


def _came_from() -> str:
    """The page the refused form was on: its `back` field, else the browser's same-origin Referer, else the list."""
    back = request.form.get("back")
    if back:
        return safe_next(back, url_for("incidents.index"))
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path:
        return safe_next(referrer._replace(scheme="", netloc="").geturl(), url_for("incidents.index"))
    return url_for("incidents.index")
