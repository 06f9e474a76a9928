"""Browser-facing safety: headers on every response, cookie flags, no inline code, safe redirects, roles."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub import accounts, credentials
from hub.config import Settings
from hub.db import Database
from hub.errors import BadInput
from hub.incident_time_cli import ANYONES
from hub.models import User
from tests.conftest import make_settings
from tests.web.conftest import PASSWORD, IntegrationCredentials
from tests.web.helpers import Login, csrf_token, log_in, post_event
from web import create_app
from web.permissions import MANAGE_USERS, PERMISSIONS, VIEW_INCIDENTS, allowed, requires
from web.security import safe_next

TEMPLATES = Path(__file__).parents[2] / "web" / "templates"
#: The one way a page may load script: an empty element naming a file under web/static/.
STATIC_SCRIPT = re.compile(r"""<script src="\{\{ url_for\('static', filename='[\w-]+\.js'\) \}\}" defer></script>""")


@pytest.mark.parametrize("path", ["/login", "/incidents", "/healthz", "/static/app.css", "/no-such-page"])
def test_security_headers_are_on_every_response(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_forms_post_to_this_site_only_without_an_identity_provider(client: FlaskClient) -> None:
    assert "form-action 'self';" in client.get("/login").headers["Content-Security-Policy"]


def test_security_headers_are_on_api_errors(client: FlaskClient) -> None:
    headers = client.post("/api/v1/events/x", json={}).headers
    assert "Content-Security-Policy" in headers and headers["X-Content-Type-Options"] == "nosniff"


def test_pages_are_not_cached_but_static_files_may_be(logged_in: FlaskClient) -> None:
    assert logged_in.get("/incidents").headers["Cache-Control"] == "no-store"
    assert "no-store" not in logged_in.get("/static/app.css").headers.get("Cache-Control", "")


def test_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient) -> None:
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_when_configured(settings: Settings, db: Database) -> None:
    client = create_app(make_settings(settings.home, secure_cookies=True), db=db).test_client()
    assert "Secure" in client.get("/login").headers["Set-Cookie"]


def test_api_ignores_and_never_sets_the_session_cookie(
    logged_in: FlaskClient, integration: IntegrationCredentials
) -> None:
    response = post_event(logged_in, integration.name, integration.secret, {"title": "Disk full"})
    assert response.status_code == 202 and "Set-Cookie" not in response.headers
    # A browser session is no API credential.
    assert logged_in.get("/api/v1/incidents").status_code == 401


@pytest.mark.parametrize("mode", ["cors", "same-origin", "no-cors"])
def test_a_scripts_fetch_or_a_stylesheet_sends_no_session_back(logged_in: FlaskClient, mode: str) -> None:
    """Each runs beside the forms a person posts: an unchanged session sent back from it could land after a
    post's answer and undo what the post set."""
    for path in ("/suggest/people?q=a", "/static/app.css"):
        answer = logged_in.get(path, headers={"Sec-Fetch-Mode": mode})
        assert answer.status_code == 200 and "Set-Cookie" not in answer.headers, path


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Mode": "navigate"}, {}], ids=["navigation", "client-says-nothing"])
def test_opening_a_page_sends_the_session_back_restarting_its_inactivity_clock(
    logged_in: FlaskClient, headers: dict[str, str]
) -> None:
    answer = logged_in.get("/incidents", headers=headers)
    assert answer.status_code == 200 and "switchboard_session=" in answer.headers["Set-Cookie"]


def test_the_message_a_post_flashes_survives_a_fetch_that_left_before_the_post_answered(
    app: Flask, client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    """The groups page asks for suggestions as one types: a person who clicks Add within a moment has that fetch
    and the post under way together, the fetch carrying the cookie from before the post (a Chromium test lost the
    post's message so). The browser's cookie jar is `client`'s; `fetch` is the request that left earlier."""
    log_in(client, make_user(email="root@example.com", role="admin"))
    page = client.get("/groups").get_data(as_text=True)
    make_user(email="ann@example.com")
    client.post("/groups", data={"csrf_token": csrf_token(page), "name": "dba", "members": "root@example.com"})
    client.get("/groups")  # the save's message, shown and gone from the session
    before_the_post = client.get_cookie("switchboard_session")
    assert before_the_post is not None
    client.post("/groups/dba/members", data={"csrf_token": csrf_token(page), "who": "ann@example.com"})
    fetch = app.test_client()
    fetch.set_cookie("switchboard_session", before_the_post.value)
    fetched = fetch.get("/suggest/assignees?groups=no&q=ann", headers={"Sec-Fetch-Mode": "cors"})
    assert fetched.status_code == 200
    sent_back = fetch.get_cookie("switchboard_session")
    if "switchboard_session=" in fetched.headers.get("Set-Cookie", "") and sent_back:  # the browser's jar takes it
        client.set_cookie("switchboard_session", sent_back.value)
    assert "Group dba: root@example.com, ann@example.com." in client.get("/groups").get_data(as_text=True)


def test_templates_have_no_inline_scripts_styles_or_safe_filter() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = STATIC_SCRIPT.sub("", template.read_text())
        for forbidden in ("<script", "<style", "style=", "|safe", "| safe", "autoescape false", "onclick="):
            assert forbidden not in text, f"{template.name} contains {forbidden!r}"


def test_a_page_may_load_a_script_file_but_never_inline_code() -> None:
    allowed = """<script src="{{ url_for('static', filename='mentions.js') }}" defer></script>"""
    assert STATIC_SCRIPT.sub("", allowed) == ""
    refused = (
        "<script>alert(1)</script>",
        """<script src="{{ url_for('static', filename='a.js') }}" defer>alert(1)</script>""",
        """<script src="https://cdn.example/a.js" defer></script>""",
    )
    for inline in refused:
        assert "<script" in STATIC_SCRIPT.sub("", inline), inline


def test_an_address_with_markup_is_refused_and_one_stored_anyway_is_escaped(client: FlaskClient, db: Database) -> None:
    """No address has angle brackets, so none is taken; a row that holds one all the same (written before
    addresses were checked) is shown as text, not markup."""
    hostile = "<b>x</b>@example.com"
    with pytest.raises(BadInput, match="not an email address"), db.transaction() as session:
        accounts.create_user(session, email=hostile, password=PASSWORD, role="agent")
    with db.transaction() as session:
        session.add(User(email=hostile, password_hash=credentials.hash_password(PASSWORD), role="agent"))
    log_in(client, Login(hostile, PASSWORD))
    page = client.get("/incidents").get_data(as_text=True)
    assert "&lt;b&gt;x&lt;/b&gt;@example.com" in page and "<b>x</b>" not in page


@pytest.mark.parametrize("target", ["/incidents", "/incidents/INC-3?x=1", "/"])
def test_safe_next_keeps_local_paths(target: str) -> None:
    assert safe_next(target, "/default") == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "incidents",
        "/\tevil",
        "///evil.example",
    ],
)
def test_safe_next_refuses_anything_that_could_leave_the_site(target: str | None) -> None:
    assert safe_next(target, "/default") == "/default"


def test_every_role_may_view_incidents_and_unknown_roles_may_not() -> None:
    assert all(allowed(role, VIEW_INCIDENTS) for role in ("admin", "agent", "viewer"))
    assert not allowed("intruder", VIEW_INCIDENTS)


def test_the_command_line_lets_whom_the_page_lets_change_anyones_time() -> None:
    """`switchboard incident time-correct|time-take-back` (hub, which cannot import this table) names the role."""
    assert PERMISSIONS[MANAGE_USERS] == {ANYONES}


def test_requires_refuses_an_unknown_permission_at_import_time() -> None:
    with pytest.raises(ValueError, match="unknown permission"):
        requires("incidents.teleport")
