"""API tokens' lifecycle and personal tokens (hub/api_tokens.py, web/tokens.py, web/tokens_api.py): revoked and
expired tokens are refused, their last use is kept, the admins' page makes one and shows it once, and a personal
token is its person on the API."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hub import accounts, api_tokens
from hub.account_cli import token
from hub.db import Database
from hub.models import ApiToken, AuditEntry, TimelineEntry, User, utcnow
from tests.web.helpers import Login, bearer, csrf_token, log_in
from web.acting import NoLongerAllowed, acting_db
from web.permissions import MANAGE_USERS, WORK_INCIDENTS

INCIDENTS = "/api/v1/incidents"


def made(db: Database, name: str = "bot", **options: object) -> str:
    with db.transaction() as session:
        return api_tokens.create_token(session, name=name, **options)  # type: ignore[arg-type]


def test_a_revoked_token_is_refused_at_once(client: FlaskClient, db: Database) -> None:
    value = made(db)
    assert client.get(INCIDENTS, headers=bearer(value)).status_code == 200
    with db.transaction() as session:
        api_tokens.revoke(session, "bot")
    assert client.get(INCIDENTS, headers=bearer(value)).status_code == 401


def test_an_expired_token_is_refused_saying_it_expired_and_how_to_get_another(
    client: FlaskClient, db: Database
) -> None:
    value = made(db, expires_in_days=1)
    with db.write() as conn:
        conn.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    answer = client.get(INCIDENTS, headers=bearer(value))
    assert answer.status_code == 401
    assert "expired" in answer.json["error"] and "switchboard token create" in answer.json["error"]  # type: ignore[index]


def test_a_use_is_written_once_a_minute_and_the_list_shows_it(client: FlaskClient, db: Database) -> None:
    value = made(db)
    client.get(INCIDENTS, headers=bearer(value))
    with db.read() as session:
        first = session.scalars(select(ApiToken.last_used_at)).one()
    client.get(INCIDENTS, headers=bearer(value))
    with db.read() as session:
        assert first is not None and session.scalars(select(ApiToken.last_used_at)).one() == first
    listed = CliRunner().invoke(token, ["list", "--json"], env={"DATABASE_URL": str(db.engine.url)})
    assert listed.exit_code == 0, listed.output
    assert '"last_used_at": null' not in listed.output and '"name": "bot"' in listed.output


def test_a_read_with_a_token_is_answered_at_once_while_another_process_writes(
    client: FlaskClient, db: Database
) -> None:
    value = made(db)
    other_process = Database.connect(str(db.engine.url), timeout=db.timeout)
    try:
        with other_process.write():  # holds the write slot: the token's last use cannot be written now
            started = time.monotonic()
            answer = client.get(INCIDENTS, headers=bearer(value))
            waited = time.monotonic() - started
    finally:
        other_process.dispose()
    assert answer.status_code == 200 and waited < db.timeout / 2
    with db.read() as session:
        assert session.scalars(select(ApiToken.last_used_at)).one() is None  # still due: the next request writes it


def test_the_tokens_page_makes_one_and_shows_its_value_once(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    log_in(client, make_user(email="admin@example.com", role="admin"))
    form = csrf_token(client.get("/tokens").get_data(as_text=True))
    answer = client.post("/tokens", data={"csrf_token": form, "token_name": "grafana", "role": "viewer"},
                         follow_redirects=True)  # fmt: skip
    with db.read() as session:
        stored = session.scalars(select(ApiToken.token_hash)).one()
    shown = answer.get_data(as_text=True).split('<code id="secret">')[1].split("<")[0]
    assert answer.headers["Cache-Control"] == "no-store" and api_tokens.credentials.digest(shown) == stored
    assert shown not in client.get("/tokens").get_data(as_text=True)


def test_an_admin_cannot_make_someone_elses_personal_token_on_the_tokens_page(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    make_user(email="vic@example.com", role="viewer")
    log_in(client, make_user(email="admin@example.com", role="admin"))
    form = csrf_token(client.get("/tokens").get_data(as_text=True))
    vics = {"csrf_token": form, "token_name": "as-vic", "role": "viewer", "owner": "vic@example.com"}
    client.post("/tokens", data=vics)
    with db.read() as session:
        assert session.execute(select(ApiToken.name, ApiToken.user_id)).all() == [("as-vic", None)]


def test_a_token_made_on_the_account_page_is_its_makers_whatever_the_form_claims(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    make_user(email="boss@example.com", role="admin")
    agent = make_user(email="ann@example.com", role="agent")
    log_in(client, agent)
    form = csrf_token(client.get("/account").get_data(as_text=True))
    client.post("/account/tokens", data={"csrf_token": form, "token_name": "mine", "role": "admin",
                                         "owner": "boss@example.com", "password": agent.password})  # fmt: skip
    with db.read() as session:
        owner = session.scalar(select(User.email).join(ApiToken, ApiToken.user_id == User.id))
        listed = api_tokens.listing(session)
    assert owner == "ann@example.com" and [row.role for row in listed] == ["agent"]


def test_a_token_made_on_the_account_page_is_shown_once_uncached_and_never_audited_or_logged(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ann = make_user(email="ann@example.com", role="agent")
    log_in(client, ann)
    form = csrf_token(client.get("/account").get_data(as_text=True))
    with caplog.at_level(logging.DEBUG):
        answer = client.post("/account/tokens", data={"csrf_token": form, "token_name": "laptop",
                                                      "password": ann.password}, follow_redirects=True)  # fmt: skip
    shown = answer.get_data(as_text=True).split('<code id="secret">')[1].split("<")[0]
    with db.read() as session:
        audited = repr(session.execute(select(AuditEntry.actor, AuditEntry.target, AuditEntry.detail)).all())
    assert answer.headers["Cache-Control"] == "no-store"
    assert shown not in audited and shown not in caplog.text and "laptop" in audited
    assert shown not in client.get("/account").get_data(as_text=True)


@pytest.mark.parametrize(("page", "made"), [("/tokens", {"role": "viewer"}), ("/account", {})])
def test_reloading_the_page_that_shows_a_new_token_makes_no_second(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, page: str, made: dict[str, str]
) -> None:
    admin = make_user(email="admin@example.com", role="admin")
    log_in(client, admin)
    form = {"csrf_token": csrf_token(client.get(page).get_data(as_text=True)), "token_name": "ci",
            "password": admin.password, **made}  # fmt: skip
    answer = client.post("/tokens" if page == "/tokens" else "/account/tokens", data=form)
    assert answer.status_code == 303 and answer.headers["Location"] == page  # a reload asks for the page again
    assert '<code id="secret">' in client.get(page).get_data(as_text=True)
    reloaded = client.get(page)
    assert reloaded.status_code == 200 and '<code id="secret">' not in reloaded.get_data(as_text=True)
    with db.read() as session:
        assert session.scalars(select(ApiToken.name)).all() == ["ci"]


@pytest.mark.parametrize("given", ["0d", "3651", "-5", "soon"])
def test_an_expiry_outside_1_to_3650_days_is_refused_saying_what_fits(db: Database, given: str) -> None:
    answer = CliRunner().invoke(token, ["create", "--name", "bot", "--expires-in", given],
                                env={"DATABASE_URL": str(db.engine.url)})  # fmt: skip
    assert answer.exit_code == 2 and "from 1 to 3650" in answer.output


def test_a_viewer_cannot_reach_the_tokens_page(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user(email="vic@example.com", role="viewer"))
    assert client.get("/tokens").status_code == 403


def test_a_personal_token_has_its_persons_role_now_and_is_refused_once_they_are_deactivated(
    client: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    make_user(email="ann@example.com", role="agent")
    value = made(db, "ann-laptop", owner="ann@example.com")
    silence = {"matchers": ["labels.team=db"], "duration": "1h"}
    with db.transaction() as session:
        accounts.change_user(session, "ann@example.com", role="viewer")
    assert client.post("/api/v1/silences", json=silence, headers=bearer(value)).status_code == 403
    with db.transaction() as session:
        accounts.change_user(session, "ann@example.com", active=False)
    answer = client.get(INCIDENTS, headers=bearer(value))
    assert answer.status_code == 401 and "deactivated" in answer.json["error"]  # type: ignore[index]


def test_a_note_through_a_personal_token_is_the_persons(
    client: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    make_user(email="ann@example.com", role="agent")
    value, ref = made(db, "ann-laptop", owner="ann@example.com"), raise_incident()
    answer = client.post(f"{INCIDENTS}/{ref}/comments", json={"text": "Rebooted it"}, headers=bearer(value))
    assert answer.status_code == 201, answer.json
    with db.read() as session:
        notes = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "note")).all()
    assert [note.summary for note in notes] == ["Note by ann@example.com"]


def ask_vic(client: FlaskClient, db: Database, make_user: Callable[..., Login], ref: str) -> int:
    make_user(email="vic@example.com", role="viewer")
    asked = client.post(f"/api/v1/incidents/{ref}/approvals", json={"approver": "vic@example.com"},
                        headers=bearer(made(db, "desk", role="agent")))  # fmt: skip
    assert asked.status_code == 201, asked.json
    return int(asked.json["id"])  # type: ignore[index]


def test_the_approver_decides_through_the_api_with_their_personal_token(
    client: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    approval = ask_vic(client, db, make_user, raise_incident())
    mine = made(db, "vic-phone", owner="vic@example.com")
    answer = client.post(f"/api/v1/approvals/{approval}/decision", json={"decision": "approve"}, headers=bearer(mine))
    assert answer.status_code == 200, answer.json
    assert answer.json["state"] == "approved"  # type: ignore[index]


def test_someone_elses_personal_token_cannot_decide_it(
    client: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    approval = ask_vic(client, db, make_user, raise_incident())
    make_user(email="ann@example.com", role="admin")
    anns = made(db, "ann-laptop", owner="ann@example.com")
    answer = client.post(f"/api/v1/approvals/{approval}/decision", json={"decision": "approve"}, headers=bearer(anns))
    assert answer.status_code == 403, answer.json


def test_a_person_revokes_only_their_own_token(
    client: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    log_in(client, make_user(email="ann@example.com", role="agent"))
    made(db, "desk-bot", role="admin")
    form = csrf_token(client.get("/account").get_data(as_text=True))
    client.post("/account/tokens/desk-bot/revoke", data={"csrf_token": form})
    with db.read() as session:
        assert session.scalars(select(ApiToken.name)).all() == ["desk-bot"]


def principal_of(db: Database, value: str) -> api_tokens.Principal:
    with db.read() as session:
        found = api_tokens.authenticate(session, value, utcnow())
    assert isinstance(found, api_tokens.Authenticated)
    return found.principal


def test_a_personal_tokens_write_is_refused_when_its_person_is_made_a_viewer_after_the_check(
    app: Flask, db: Database, make_user: Callable[..., Login]
) -> None:
    make_user(email="ann@example.com", role="agent")
    principal = principal_of(db, made(db, "ann-laptop", owner="ann@example.com"))
    with db.transaction() as session:
        accounts.change_user(session, "ann@example.com", role="viewer")
    with app.test_request_context(method="POST"):
        g.principal, g.required = principal, WORK_INCIDENTS
        with pytest.raises(NoLongerAllowed, match=r"ann@example\.com"), acting_db().transaction():
            pass


def test_a_revoked_desk_tokens_write_is_refused_though_a_personal_token_took_its_name(
    app: Flask, db: Database, make_user: Callable[..., Login]
) -> None:
    make_user(email="boss@example.com", role="admin")
    principal = principal_of(db, made(db, "bot", role="admin"))
    with db.transaction() as session:
        api_tokens.revoke(session, "bot")
        api_tokens.create_token(session, name="bot", owner="boss@example.com")
    with app.test_request_context(method="POST"):
        g.principal, g.required = principal, MANAGE_USERS
        with pytest.raises(NoLongerAllowed), acting_db().transaction():
            pass


def test_a_token_name_from_the_address_is_escaped_in_the_refusal(
    client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    log_in(client, make_user(email="admin@example.com", role="admin"))
    form = csrf_token(client.get("/tokens").get_data(as_text=True))
    page = client.post("/tokens/%3Cscript%3Ex/revoke", data={"csrf_token": form}, follow_redirects=True)
    assert "&lt;script&gt;x" in page.get_data(as_text=True) and "<script>x" not in page.get_data(as_text=True)


def test_an_admins_personal_token_loses_the_admin_api_the_moment_they_are_made_an_agent(
    client: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    make_user(email="boss@example.com", role="admin")
    make_user(email="deputy@example.com", role="admin")  # the last admin is never made an agent
    value = made(db, "boss-laptop", owner="boss@example.com")
    assert client.get("/api/v1/tokens", headers=bearer(value)).status_code == 200
    with db.transaction() as session:
        accounts.change_user(session, "boss@example.com", role="agent")
    assert [client.get(path, headers=bearer(value)).status_code for path in ("/api/v1/tokens", INCIDENTS)] == [403, 200]
