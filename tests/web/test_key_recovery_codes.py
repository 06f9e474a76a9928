"""Recovery codes for people whose second factor is a security key (web/security_keys.py, web/two_factor.py,
web/auth.py): shown once with their first key, good at the login's second step, renewed from the account page, and
left as they are when the authenticator app is set up beside the key. The key is tests/soft_authenticator.py."""

from __future__ import annotations

import re
import time

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from hub import totp
from hub.audit import recent
from hub.db import Database
from hub.models import RecoveryCode, utcnow
from tests.soft_authenticator import SoftKey
from tests.web.conftest import PASSWORD
from tests.web.helpers import Login, csrf_token, log_in
from tests.web.test_security_keys import ORIGIN, add_key, key_step, logged_in_as_someone

_CODES = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")
_APP_KEY = re.compile(r'id="two-factor-key">([A-Z2-7 ]+)<')


def with_a_key(app: Flask, user: Login) -> tuple[SoftKey, list[str]]:
    """The person's first key, added from their account page, and the recovery codes its answer carried."""
    browser, key = app.test_client(), SoftKey(ORIGIN, "localhost")
    log_in(browser, user)
    answer = add_key(browser, key).get_json()
    return key, answer["recovery_codes"]


def second_step(client: FlaskClient, typed: str) -> int:
    token = csrf_token(client.get("/login/code").get_data(as_text=True))
    return client.post("/login/code", data={"csrf_token": token, "code": typed}).status_code


def test_a_first_key_answers_with_ten_recovery_codes_to_show_once(
    app: Flask, user: Login, logged_in: FlaskClient
) -> None:
    codes = add_key(logged_in, SoftKey(ORIGIN, "localhost")).get_json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    page = logged_in.get("/account").get_data(as_text=True)
    assert "10 recovery codes left" in page and not any(code in page for code in codes)


def test_a_second_key_answers_with_no_codes(logged_in: FlaskClient) -> None:
    add_key(logged_in, SoftKey(ORIGIN, "localhost"), "YubiKey 5")
    assert "recovery_codes" not in add_key(logged_in, SoftKey(ORIGIN, "localhost"), "Laptop").get_json()


def test_the_account_page_hands_the_script_the_words_for_the_codes(logged_in: FlaskClient) -> None:
    page = logged_in.get("/account").get_data(as_text=True)
    template = page[page.index("<template data-recovery-codes>") : page.index("</template>")]
    assert "Keep these codes somewhere safe" in template and '<ol class="recovery-codes">' in template
    assert "data-recovery-codes-done" in template


def test_someone_with_keys_only_logs_in_with_a_recovery_code_and_is_told_how_many_are_left(
    app: Flask, client: FlaskClient, user: Login
) -> None:
    _, codes = with_a_key(app, user)
    log_in(client, user)
    assert second_step(client, codes[0]) == 302
    assert "9 left" in client.get("/incidents").get_data(as_text=True)


def test_a_wrong_recovery_code_does_not_log_in_and_speaks_of_no_app(
    app: Flask, client: FlaskClient, user: Login
) -> None:
    with_a_key(app, user)
    log_in(client, user)
    token = csrf_token(client.get("/login/code").get_data(as_text=True))
    refused = client.post("/login/code", data={"csrf_token": token, "code": "aaaaa-bbbbb"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "That code is not right, or was used already." in text
    assert "your app" not in text and not logged_in_as_someone(client)


def test_someone_with_keys_only_makes_new_recovery_codes_with_their_password(
    app: Flask, client: FlaskClient, user: Login, db: Database
) -> None:
    key, old = with_a_key(app, user)
    log_in(client, user)
    key_step(client, key)
    page = client.get("/account").get_data(as_text=True)
    assert 'id="recovery-codes"' in page and "Make new recovery codes" in page
    made = client.post("/account/two-factor/recovery-codes",
                       data={"csrf_token": csrf_token(page), "password": user.password})  # fmt: skip
    new = _CODES.findall(client.get(made.headers["Location"]).get_data(as_text=True))
    assert made.status_code == 303 and len(new) == 10 and not set(new) & set(old)
    with db.read() as session:
        assert [e.action for e in recent(session, action="user.2fa_codes")] == ["user.2fa_codes"]
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").get_data(as_text=True))})
    log_in(client, user)
    assert second_step(client, old[0]) == 400 and second_step(client, new[0]) == 302


def test_the_account_page_says_when_no_recovery_codes_are_left(
    app: Flask, client: FlaskClient, user: Login, db: Database
) -> None:
    key, _ = with_a_key(app, user)
    with db.transaction() as session:
        session.execute(update(RecoveryCode).values(used_at=utcnow()))
    log_in(client, user)
    key_step(client, key)
    assert "You have no recovery codes left: make new ones" in client.get("/account").get_data(as_text=True)


def test_without_a_second_factor_the_account_page_offers_no_recovery_codes(logged_in: FlaskClient) -> None:
    page = logged_in.get("/account").get_data(as_text=True)
    assert 'id="recovery-codes"' not in page and "Make new recovery codes" not in page


def test_setting_up_the_app_beside_a_key_keeps_the_codes_and_says_so(
    app: Flask, client: FlaskClient, user: Login
) -> None:
    key, codes = with_a_key(app, user)
    log_in(client, user)
    key_step(client, key)
    page = client.get("/account/two-factor").get_data(as_text=True)
    match = _APP_KEY.search(page)
    assert match, "the setup page shows no key"
    app_code = totp.code_at(match.group(1).replace(" ", ""), totp.step_at(time.time()) - 1)
    response = client.post("/account/two-factor", data={"csrf_token": csrf_token(page), "code": app_code,
                                                      "password": PASSWORD})  # fmt: skip
    assert response.status_code == 303 and response.headers["Location"] == "/account#two-factor"
    shown = client.get("/account").get_data(as_text=True)
    assert "your recovery codes stay as they were" in shown and "10 recovery codes left" in shown
    client.post("/logout", data={"csrf_token": csrf_token(shown)})
    log_in(client, user)
    assert second_step(client, codes[0]) == 302
