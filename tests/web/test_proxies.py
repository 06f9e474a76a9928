"""Behind a reverse proxy: X-Forwarded-* believed only from SWITCHBOARD_TRUSTED_PROXIES hops, the public forms'
per-client limits counted on the address that gives, and Secure cookies when people reach the hub by https."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask, jsonify, request
from flask.testing import FlaskClient

from hub import catalogue
from hub.config import Settings
from hub.db import Database
from hub.errors import ConfigError
from tests.conftest import make_settings
from tests.docs import fenced
from tests.web.helpers import csrf_token
from web import create_app, ratelimit
from web.ratelimit import client_key

PROXY = "10.0.0.2"  # the address every request reaches gunicorn from, behind a proxy
FORWARDED = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "help.example.org",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Prefix": "/desk",
}


def app_for(settings: Settings, db: Database, **overrides: object) -> Flask:
    app = create_app(make_settings(settings.home, **overrides), db=db)

    @app.get("/_probe")
    def probe() -> object:  # what the app takes the client to be
        return jsonify(addr=request.remote_addr, scheme=request.scheme, host=request.host, root=request.script_root)

    return app


def probe(app: Flask, headers: dict[str, str]) -> dict[str, str]:
    seen = app.test_client().get("/_probe", headers=headers, environ_base={"REMOTE_ADDR": PROXY}).json
    assert isinstance(seen, dict)
    return seen


def test_forwarded_headers_are_ignored_without_trusted_proxies(settings: Settings, db: Database) -> None:
    seen = probe(app_for(settings, db), FORWARDED)
    assert seen == {"addr": PROXY, "scheme": "http", "host": "localhost", "root": ""}


def test_one_trusted_proxy_gives_the_clients_address_scheme_host_and_prefix(settings: Settings, db: Database) -> None:
    seen = probe(app_for(settings, db, trusted_proxies=1), FORWARDED)
    assert seen == {"addr": "203.0.113.7", "scheme": "https", "host": "help.example.org", "root": "/desk"}


def test_only_the_entries_the_trusted_proxies_added_are_believed(settings: Settings, db: Database) -> None:
    # The client sent "X-Forwarded-For: 198.51.100.1" itself; the proxy appended the address it saw.
    seen = probe(app_for(settings, db, trusted_proxies=1), {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
    assert seen["addr"] == "203.0.113.7"
    two = probe(app_for(settings, db, trusted_proxies=2), {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
    assert two["addr"] == "198.51.100.1"


def test_the_readmes_nginx_block_sends_what_one_trusted_proxy_is_believed_for(settings: Settings, db: Database) -> None:
    """The headers README.md's nginx block sets, with the values nginx gives its variables for a client at
    203.0.113.7 asking https://desk.example.org/ (who sent an X-Forwarded-For of its own)."""
    [block] = fenced("README.md", "Behind a reverse proxy", "nginx")
    nginx = {"$host": "desk.example.org", "$scheme": "https", "$server_port": "443",
             "$proxy_add_x_forwarded_for": "198.51.100.1, 203.0.113.7"}  # fmt: skip
    sent = {name: nginx[value] for name, value in re.findall(r"proxy_set_header (\S+) (\S+);", block)}
    seen = probe(app_for(settings, db, trusted_proxies=1), sent)
    assert seen == {"addr": "203.0.113.7", "scheme": "https", "host": "desk.example.org", "root": ""}


# -- the per-client limit on the status page's form -------------------------------------------------------------


@pytest.fixture
def subscribing(
    settings: Settings, db: Database, redis_url: str, steady_limit_clock: None, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., FlaskClient]:
    """A status page to subscribe to, limits counted in the real Redis; the per-client limit is 2 (10 takes longer
    to reach and proves nothing more)."""
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)
    monkeypatch.setattr("web.status_subscriptions.SUBSCRIBE_PER_CLIENT", ratelimit.PerClient("subscribe", 2, 3600))

    def client(trusted_proxies: int = 0) -> FlaskClient:
        return app_for(settings, db, redis_url=redis_url, trusted_proxies=trusted_proxies).test_client()

    return client


def ask(client: FlaskClient, n: int, forwarded_for: str, remote: str = PROXY) -> tuple[int, str, str | None]:
    """Ask for updates as the client behind `forwarded_for` (through a proxy at `remote`)."""
    headers, environ = {"X-Forwarded-For": forwarded_for}, {"REMOTE_ADDR": remote}
    token = csrf_token(client.get("/status/subscribe", headers=headers, environ_base=environ).get_data(as_text=True))
    answer = client.post("/status/subscribe", data={"csrf_token": token, "email": f"p{n}@example.org"},
                         headers=headers, environ_base=environ)  # fmt: skip
    return answer.status_code, answer.get_data(as_text=True), answer.headers.get("Retry-After")


def test_without_trusted_proxies_spoofed_forwarded_for_values_share_one_count(
    subscribing: Callable[..., FlaskClient],
) -> None:
    client = subscribing()
    codes = [ask(client, n, spoofed)[0] for n, spoofed in enumerate(["1.1.1.1", "2.2.2.2", "3.3.3.3"])]
    assert codes == [200, 200, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_count(subscribing: Callable[..., FlaskClient]) -> None:
    client = subscribing(trusted_proxies=1)
    assert [ask(client, n, "203.0.113.7")[0] for n in range(2)] == [200, 200]
    code, html, retry = ask(client, 2, "203.0.113.7")
    assert code == 429 and "You asked for updates many times" in html
    assert retry is not None and 1 <= int(retry) <= 3600
    assert ask(client, 3, "203.0.113.8")[0] == 200  # another client behind the same proxy


def test_the_limit_for_everyone_still_holds_when_each_client_is_under_its_own(
    subscribing: Callable[..., FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "SUBSCRIBE_IN_ALL", 3)
    client = subscribing(trusted_proxies=1)
    codes = [ask(client, n, f"203.0.113.{n}")[0] for n in range(3)]
    code, html, retry = ask(client, 3, "203.0.113.3")
    assert codes == [200, 200, 200] and code == 429 and "Many people asked" in html and retry is not None


def test_a_client_over_its_own_limit_does_not_spend_everyones(
    subscribing: Callable[..., FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "SUBSCRIBE_IN_ALL", 3)
    client = subscribing(trusted_proxies=1)
    assert [ask(client, n, "198.51.100.9")[0] for n in range(5)] == [200, 200, 429, 429, 429]
    assert ask(client, 5, "203.0.113.1")[0] == 200  # two of everyone's three were spent


def test_forwarded_for_without_trusted_proxies_is_logged_once(
    subscribing: Callable[..., FlaskClient], caplog: pytest.LogCaptureFixture
) -> None:
    ratelimit._warn_proxies_unheeded.cache_clear()
    client = subscribing()
    with caplog.at_level(logging.WARNING, logger="web.ratelimit"):
        ask(client, 0, "1.1.1.1")
        ask(client, 1, "1.1.1.1")
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "SWITCHBOARD_TRUSTED_PROXIES" in caplog.records[0].message


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("", "unknown"),
        (None, "unknown"),
        ("not-an-address", "unknown"),
    ],
)
def test_one_client_is_an_ipv4_address_or_an_ipv6_slash_64(address: str | None, key: str) -> None:
    assert client_key(address) == key


# -- settings and cookies -----------------------------------------------------------------------------------------


def test_trusted_proxies_are_none_unless_set(tmp_path: Path) -> None:
    base = {"SWITCHBOARD_HOME": str(tmp_path), "SECRET_KEY": "k"}
    assert Settings.from_env(base).trusted_proxies == 0
    assert Settings.from_env({**base, "SWITCHBOARD_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    with pytest.raises(ConfigError, match="SWITCHBOARD_TRUSTED_PROXIES"):
        Settings.from_env({**base, "SWITCHBOARD_TRUSTED_PROXIES": "-1"})


@pytest.mark.parametrize(
    ("public_url", "secure"),
    [(None, False), ("http://desk.example.org", False), ("https://desk.example.org", True)],
)
def test_session_cookie_is_secure_when_people_reach_the_hub_by_https(
    settings: Settings, db: Database, public_url: str | None, secure: bool
) -> None:
    client = create_app(make_settings(settings.home, public_url=public_url), db=db).test_client()
    assert ("Secure" in client.get("/login").headers["Set-Cookie"]) is secure
