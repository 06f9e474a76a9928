"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): the provider posts a signed Logout Token when a
session ends there, and the Switchboard sessions it names end at their next request. Against the real provider on
loopback (tests/oidc_provider.py) and a real Redis, where the ended sessions are kept."""

from __future__ import annotations

import dataclasses
import json
import shlex
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub.audit import recent
from hub.config import OidcSettings, Settings
from hub.db import Database
from tests.conftest import make_settings
from tests.docs import fenced
from tests.oidc_provider import Provider
from tests.web.helpers import Login, csrf_token, log_in

# Fixtures (the provider, apps with other settings) and a browser's steps:
from tests.web.sso_fixtures import (  # noqa: F401
    PUBLIC,
    SECTION,
    apps_with_other_settings,
    logged_in_as,
    running_provider,
    through_provider,
)
from web import create_app
from web.services import services
from web.sso_keys import RefetchGate

ROUTE = "/login/sso/backchannel-logout"
OTHER = "other@example.com"


@pytest.fixture(name="settings")
def settings_with_a_provider_and_redis(tmp_path: Path, provider: Provider, redis_url: str) -> Settings:
    oidc = OidcSettings(provider.issuer, provider.client_id, provider.client_secret, name="Example SSO")
    return make_settings(tmp_path / "var", public_url=PUBLIC, oidc=oidc, redis_url=redis_url)


def browser(app: Flask) -> FlaskClient:
    """Another browser: a client with a cookie jar of its own."""
    return app.test_client()


def post_logout(app: Flask, token: str) -> TestResponse:
    """The provider posts the token, server to server: no cookie, no CSRF token."""
    return app.test_client().post(ROUTE, data={"logout_token": token})


def sso_sessions(app: Flask, count: int) -> list[FlaskClient]:
    """`count` browsers of the provider's person, each logged in through the provider (each a session there)."""
    clients = [browser(app) for _ in range(count)]
    for client in clients:
        through_provider(client)
        assert logged_in_as(client) == "agent@example.com"
    return clients


def test_a_token_naming_a_session_ends_that_session_only(app: Flask, user: Login, provider: Provider) -> None:
    first, second = sso_sessions(app, 2)
    answer = post_logout(app, provider.logout_token(sub=provider.person.sub, sid=provider.sids[0]))
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert logged_in_as(first) is None
    assert logged_in_as(second) == user.email


def test_the_ended_session_is_asked_to_log_in_and_told_why(app: Flask, user: Login, provider: Provider) -> None:
    [client] = sso_sessions(app, 1)
    post_logout(app, provider.logout_token(sid=provider.sids[0]))
    page = client.get("/incidents")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert "You were logged out at Example SSO" in client.get("/login").get_data(as_text=True)


def test_a_token_naming_the_person_ends_their_provider_sessions_but_not_anothers_password_login(
    app: Flask, user: Login, make_user: Callable[..., Login], provider: Provider
) -> None:
    first, second = sso_sessions(app, 2)
    other = browser(app)
    log_in(other, make_user(OTHER))
    assert post_logout(app, provider.logout_token(sub=provider.person.sub)).status_code == 200
    assert logged_in_as(first) is None and logged_in_as(second) is None
    assert logged_in_as(other) == OTHER


def test_a_token_naming_the_person_leaves_their_password_login(app: Flask, user: Login, provider: Provider) -> None:
    [through_sso] = sso_sessions(app, 1)
    with_password = browser(app)
    log_in(with_password, user)
    post_logout(app, provider.logout_token(sub=provider.person.sub))
    assert logged_in_as(through_sso) is None
    assert logged_in_as(with_password) == user.email  # the provider vouched for no password


def test_logging_in_again_after_every_session_ended_stays_logged_in(
    app: Flask, user: Login, provider: Provider
) -> None:
    [client] = sso_sessions(app, 1)
    post_logout(app, provider.logout_token(sub=provider.person.sub))
    assert logged_in_as(client) is None
    through_provider(client)
    assert logged_in_as(client) == user.email


def test_the_logout_is_audited_under_the_persons_address(
    app: Flask, db: Database, user: Login, provider: Provider
) -> None:
    sso_sessions(app, 1)
    post_logout(app, provider.logout_token(sub=provider.person.sub, sid=provider.sids[0]))
    with db.read() as session:
        [entry] = recent(session, action="user.logout")
        assert (entry.actor, entry.target, entry.detail) == ("sso", user.email, {"ended": "one session"})


def test_a_logout_of_someone_never_logged_in_here_is_taken_and_audited_by_sub(
    app: Flask, db: Database, provider: Provider
) -> None:
    assert post_logout(app, provider.logout_token(sub="stranger-42")).status_code == 200
    with db.read() as session:
        [entry] = recent(session, action="user.logout")
        assert (entry.target, entry.detail) == ("sub stranger-42", {"ended": "every session"})


#: Claims changed from a good token's (None leaves one out; `iat` and `exp` are seconds from now), and the words
#: the answer says what is wrong in.
REFUSED = {
    "a signature by another key": ({"stranger": True}, "bad_signature"),
    "another audience": ({"aud": "someone-else"}, "'aud'"),
    "another issuer": ({"iss": "https://id.example.net"}, "'iss'"),
    "no events claim": ({"events": None}, "events"),
    "events without the logout event": ({"events": {"http://schemas.openid.net/event/other": {}}}, "events"),
    "a nonce": ({"nonce": "n-0S6_WzA2Mj"}, "nonce"),
    "an expiry passed": ({"iat": -400, "exp": -300}, "expired"),
    "an iat long ago": ({"iat": -3600}, "more than 600 seconds ago"),
    "an iat in the future": ({"iat": 3600, "exp": 3700}, "future"),
    "no jti": ({"jti": None}, "'jti'"),
    "neither sub nor sid": ({"sub": None, "sid": None}, "sub or a sid"),
}


@pytest.mark.parametrize(("changes", "words"), REFUSED.values(), ids=REFUSED.keys())
def test_a_token_that_breaks_a_rule_is_refused_and_ends_nothing(
    app: Flask, db: Database, user: Login, provider: Provider, changes: dict[str, object], words: str
) -> None:
    [client] = sso_sessions(app, 1)
    now = int(time.time())
    times = {name: now + int(seconds) for name, seconds in changes.items() if name in ("iat", "exp")}  # type: ignore[call-overload]
    claims = {"sub": provider.person.sub, "sid": provider.sids[0], **changes, **times}
    answer = post_logout(app, provider.logout_token(**claims))  # type: ignore[arg-type]
    assert answer.status_code == 400 and answer.headers["Cache-Control"] == "no-store"
    assert answer.json is not None and answer.json["error"] == "invalid_request"
    assert words in answer.json["error_description"]
    assert logged_in_as(client) == user.email
    with db.read() as session:
        assert recent(session, action="user.logout") == []


def test_a_token_sent_again_is_refused_and_ends_no_later_login(app: Flask, user: Login, provider: Provider) -> None:
    [client] = sso_sessions(app, 1)
    token = provider.logout_token(sub=provider.person.sub)
    assert post_logout(app, token).status_code == 200
    through_provider(client)
    again = post_logout(app, token)
    assert again.status_code == 400 and "used already" in again.json["error_description"]  # type: ignore[index]
    assert logged_in_as(client) == user.email


def test_a_post_without_a_token_is_refused(app: Flask) -> None:
    answer = app.test_client().post(ROUTE, data={})
    assert answer.status_code == 400
    assert "logout_token" in answer.json["error_description"]  # type: ignore[index]


def test_only_the_back_channel_route_goes_without_a_csrf_token(app: Flask, user: Login, provider: Provider) -> None:
    [client] = sso_sessions(app, 1)
    assert client.post("/logout").status_code == 400  # the browser's own logout still needs its token
    assert logged_in_as(client) == user.email
    token = csrf_token(client.get("/account").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_while_redis_is_down_the_provider_is_told_to_send_it_again(
    app_with: Callable[..., Flask], user: Login, provider: Provider, closed_port: int
) -> None:
    app = app_with(redis_url=f"redis://127.0.0.1:{closed_port}/0")  # nothing listens there
    [client] = sso_sessions(app, 1)  # logging in does not need it
    answer = post_logout(app, provider.logout_token(sid=provider.sids[0]))
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert answer.json is not None and answer.json["error"] == "temporarily_unavailable"
    assert logged_in_as(client) == user.email  # pages do not need it either


def test_without_a_provider_there_is_no_back_channel_route(settings: Settings, db: Database) -> None:
    app = create_app(dataclasses.replace(settings, oidc=None), db=db)
    assert app.test_client().post(ROUTE, data={"logout_token": "x"}).status_code == 404
    with app.app_context():
        services().close()


def test_a_session_through_the_provider_asks_redis_once_a_request_as_a_password_session_does(
    app: Flask, user: Login, make_user: Callable[..., Login], redis_url: str
) -> None:
    [through_sso] = sso_sessions(app, 1)
    with_password = browser(app)
    log_in(with_password, make_user(OTHER))
    stats = redis.Redis.from_url(redis_url)
    stats.config_resetstat()
    for _ in range(3):
        assert with_password.get("/incidents").status_code == 200
    assert commands_run(stats) == {"mget": 3}
    for _ in range(3):
        assert through_sso.get("/incidents").status_code == 200
    assert commands_run(stats) == {"mget": 6}
    stats.close()


def commands_run(stats: redis.Redis) -> dict[str, int]:
    """How many times Redis ran each command since its figures were reset, but for asking for them."""
    figures = stats.info("commandstats")
    calls = {name.removeprefix("cmdstat_"): int(figure["calls"]) for name, figure in figures.items()}
    return {name: count for name, count in calls.items() if not name.startswith(("config", "info"))}


def test_the_documented_check_from_the_providers_host_is_answered_as_documented(app: Flask) -> None:
    [check] = [block for block in fenced("README.md", SECTION, "sh") if block.startswith("curl")]
    command, comment = check.split("\n", 1)
    words = shlex.split(command)
    url, data = words[words.index("POST") + 1], words[words.index("-d") + 1]
    assert url == "https://desk.example.org" + ROUTE
    answer = app.test_client().post(ROUTE, data=dict([data.split("=", 1)]))
    shown = json.loads(comment.removeprefix("# ").split(": reachable")[0].replace("...", "X"))
    assert answer.status_code == 400 and answer.json is not None
    assert answer.json["error"] == shown["error"]
    assert answer.json["error_description"].startswith(shown["error_description"].removesuffix("X"))


@pytest.mark.parametrize("typ", ["logout+jwt", "application/logout+jwt", "Logout+JWT", None])
def test_a_token_typed_as_a_logout_token_or_not_at_all_is_taken(
    app: Flask, user: Login, provider: Provider, typ: str | None
) -> None:
    [client] = sso_sessions(app, 1)
    assert post_logout(app, provider.logout_token(sid=provider.sids[0], typ=typ)).status_code == 200
    assert logged_in_as(client) is None


@pytest.mark.parametrize("typ", ["JWT", "at+jwt", "application/jwt"])
def test_a_token_typed_for_another_use_is_refused_and_ends_nothing(
    app: Flask, user: Login, provider: Provider, typ: str
) -> None:
    [client] = sso_sessions(app, 1)
    answer = post_logout(app, provider.logout_token(sid=provider.sids[0], typ=typ))
    assert answer.status_code == 400 and answer.json is not None
    assert answer.json["error_description"] == f"the token's typ is {typ!r}: a logout token is typed logout+jwt (or " \
                                               "not at all)"  # fmt: skip
    assert logged_in_as(client) == user.email


def test_a_flood_of_unknown_key_ids_fetches_the_key_set_once_and_valid_tokens_still_end_sessions(
    app: Flask, user: Login, provider: Provider
) -> None:
    [client] = sso_sessions(app, 1)  # the login fetched the key set
    fetched = provider.jwks_fetched
    for n in range(20):
        answer = post_logout(app, provider.logout_token(sid=provider.sids[0], kid=f"made-up-{n}", stranger=True))
        assert answer.status_code == 400 and answer.json is not None
        assert f"its key id 'made-up-{n}' is not in" in answer.json["error_description"]
    assert provider.jwks_fetched == fetched + 1
    assert logged_in_as(client) == user.email
    assert post_logout(app, provider.logout_token(sid=provider.sids[0])).status_code == 200
    assert logged_in_as(client) is None and provider.jwks_fetched == fetched + 1


def test_a_key_new_at_the_provider_is_fetched_for_its_first_token(app: Flask, user: Login, provider: Provider) -> None:
    [client] = sso_sessions(app, 1)
    fetched = provider.jwks_fetched
    provider.rotate()
    assert post_logout(app, provider.logout_token(sid=provider.sids[0])).status_code == 200
    assert logged_in_as(client) is None and provider.jwks_fetched == fetched + 1


def test_the_key_set_is_fetched_again_once_per_interval_at_most() -> None:
    now = [1000.0]
    gate = RefetchGate(60, clock=lambda: now[0])
    assert gate.allow() and not gate.allow()
    now[0] += 59.9
    assert not gate.allow()
    now[0] += 0.1
    assert gate.allow() and not gate.allow()
