"""Who acts on the incident page and the API is checked again inside each write transaction of the action
(web/acting.py, `Database.guarded`): someone deactivated or made a viewer, or a token whose role was lowered or that
was removed, between the route's check and the action's transaction is refused there and nothing is written. On
SQLite and PostgreSQL; the person or token is changed inside that window by wrapping the hub function the view calls,
as tests/hub/test_acting_cli.py does for `--as`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from flask_login import login_user
from sqlalchemy import delete, select, update
from sqlalchemy.exc import OperationalError

from hub import accounts, incident_fields, incident_notes, problems, reviews, triage
from hub.accounts import Principal
from hub.db import Database
from hub.intake import Intake
from hub.models import ApiToken, Incident, Problem, TimelineEntry, User
from tests.hub.majors import ANN, declared, staff
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.helpers import Login, bearer, csrf_token
from web.acting import NoLongerAllowed, acting_db, still_allowed
from web.auth import SessionUser
from web.permissions import MANAGE_USERS, WORK_INCIDENTS

AGENT = "agent@example.com"


def in_the_window(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, change: Callable[[], None]) -> None:
    """`module.name` does `change` (another admin's, committed) before its work: after the route checked who acts,
    before the action's own transaction."""
    work = getattr(module, name)

    def changed_first(*args: Any, **kwargs: Any) -> Any:
        change()
        return work(*args, **kwargs)

    monkeypatch.setattr(module, name, changed_first)


def changing_user(db: Database, **change: Any) -> Callable[[], None]:
    def run() -> None:
        with db.transaction() as session:
            accounts.change_user(session, AGENT, **change)

    return run


def changing_token(db: Database, name: str, role: str | None) -> Callable[[], None]:
    """The token's role changed to `role`, or the token removed when None (there is no command for either yet)."""

    def run() -> None:
        with db.write() as conn:
            tokens = update(ApiToken).values(role=role) if role is not None else delete(ApiToken)
            conn.execute(tokens.where(ApiToken.name == name))

    return run


def priority_of(db: Database, ref: str) -> int:
    with db.read() as session:
        found = session.get(Incident, int(ref.removeprefix("INC-")))
        assert found is not None
        return found.priority


def entries(db: Database, ref: str, kind: str) -> list[str]:
    with db.read() as session:
        query = select(TimelineEntry.summary).where(
            TimelineEntry.incident_id == int(ref.removeprefix("INC-")), TimelineEntry.kind == kind
        )
        return list(session.scalars(query))


def post_form(client: FlaskClient, ref: str, action: str, **fields: Any) -> str:
    """Post one of the incident page's forms; the path it redirects to (a refused action comes back too)."""
    token = csrf_token(client.get(f"/incidents/{ref}").get_data(as_text=True))
    multipart = {"content_type": "multipart/form-data"} if action in ("note", "reply") else {}
    answer = client.post(f"/incidents/{ref}/{action}", data={"csrf_token": token, **fields}, **multipart)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return answer.headers["Location"]


def flashed(client: FlaskClient) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


REFUSED_PAGE = "Your account was deactivated or its role changed meanwhile, so nothing was changed"


def test_someone_made_a_viewer_after_the_check_does_not_change_the_priority_on_the_page(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = raise_incident(severity="critical")
    in_the_window(monkeypatch, triage, "set_priority", changing_user(db, role="viewer"))
    back = post_form(logged_in, ref, "priority", priority="4")
    page = logged_in.get(back).get_data(as_text=True)  # a viewer still sees the incident, and why nothing changed
    assert REFUSED_PAGE in page
    assert priority_of(db, ref) == 1 and entries(db, ref, "priority") == []


def test_someone_deactivated_after_the_check_adds_no_note(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = raise_incident()
    in_the_window(monkeypatch, incident_notes, "add_note", changing_user(db, active=False))
    post_form(logged_in, ref, "note", text="Rebooted the switch")
    assert any(REFUSED_PAGE in message for message in flashed(logged_in))
    assert entries(db, ref, "note") == []


def test_someone_made_a_viewer_after_the_check_adds_no_follow_up_to_a_review(
    logged_in: FlaskClient, intake: Intake, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff(db)
    number = declared(intake, resolved=True)
    reviews.start(db, number, ANN)
    in_the_window(monkeypatch, reviews, "add_action", changing_user(db, role="viewer"))
    token = csrf_token(logged_in.get(f"/incidents/INC-{number}/review").get_data(as_text=True))
    answer = logged_in.post(f"/incidents/INC-{number}/review/actions", data={"csrf_token": token, "text": "Alert"})
    assert answer.status_code == 303
    assert any(REFUSED_PAGE in message for message in flashed(logged_in))
    with db.read() as session:
        review = reviews.of_incident(session, number)
        assert review is not None and review.actions == []


def test_an_agent_still_active_acts_as_before(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident(severity="critical")
    post_form(logged_in, ref, "priority", priority="4")
    assert priority_of(db, ref) == 4


def test_a_token_made_viewer_after_the_check_changes_nothing_and_is_403(
    client: FlaskClient, agent_token: str, raise_incident: Callable[..., str], db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    ref = raise_incident(severity="critical")
    in_the_window(monkeypatch, incident_fields, "change", changing_token(db, "chatops", "viewer"))
    answer = client.patch(f"/api/v1/incidents/{ref}", json={"priority": 4}, headers=bearer(agent_token))
    assert answer.status_code == 403
    assert answer.json == {"error": "the token 'chatops' may no longer do this (its role changed or it was removed); "
                                    "nothing was changed"}  # fmt: skip
    assert priority_of(db, ref) == 1


def test_a_token_removed_after_the_check_adds_no_comment(
    client: FlaskClient, agent_token: str, raise_incident: Callable[..., str], db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    ref = raise_incident()
    in_the_window(monkeypatch, incident_notes, "add_note", changing_token(db, "chatops", None))
    answer = client.post(f"/api/v1/incidents/{ref}/comments", json={"text": "Rebooted"}, headers=bearer(agent_token))
    assert answer.status_code == 403 and "may no longer do this" in answer.json["error"]  # type: ignore[index]
    assert entries(db, ref, "note") == []


def test_an_admin_token_made_agent_after_the_check_corrects_no_one_elses_time(
    client: FlaskClient, agent_token: str, raise_incident: Callable[..., str], db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Correcting anyone's entry is an admin's right beyond the route's (`with_right`): checked again too."""
    ref = raise_incident()
    client.post(f"/api/v1/incidents/{ref}/time", json={"minutes": 25}, headers=bearer(agent_token))
    with db.transaction() as session:
        admin = accounts.create_token(session, name="ops-admin", role="admin")
    entry = client.get(f"/api/v1/incidents/{ref}", headers=bearer(admin)).json["time_entries"][-1]["id"]  # type: ignore[index]
    in_the_window(monkeypatch, incident_notes, "correct_time", changing_token(db, "ops-admin", "agent"))
    answer = client.patch(f"/api/v1/incidents/{ref}/time/{entry}", json={"minutes": 5}, headers=bearer(admin))
    assert answer.status_code == 403 and "may no longer do this" in answer.json["error"]  # type: ignore[index]
    assert client.get(f"/api/v1/incidents/{ref}", headers=bearer(agent_token)).json["minutes_spent"] == 25  # type: ignore[index]


def test_an_admin_token_still_admin_corrects_anyones_time(
    client: FlaskClient, agent_token: str, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    client.post(f"/api/v1/incidents/{ref}/time", json={"minutes": 25}, headers=bearer(agent_token))
    with db.transaction() as session:
        admin = accounts.create_token(session, name="ops-admin", role="admin")
    entry = client.get(f"/api/v1/incidents/{ref}", headers=bearer(admin)).json["time_entries"][-1]["id"]  # type: ignore[index]
    answer = client.patch(f"/api/v1/incidents/{ref}/time/{entry}", json={"minutes": 5}, headers=bearer(admin))
    assert answer.status_code == 200 and answer.json["minutes_spent"] == 5  # type: ignore[index]


def test_a_token_made_viewer_after_the_check_files_no_problem_and_is_403(
    client: FlaskClient, agent_token: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond the incident API, through the one answer every refusal has (web/errors.py); every route in
    tests/web/test_acting_guard_api.py."""
    in_the_window(monkeypatch, problems, "create", changing_token(db, "chatops", "viewer"))
    answer = client.post("/api/v1/problems", json={"title": "VPN drops"}, headers=bearer(agent_token))
    assert answer.status_code == 403 and "may no longer do this" in answer.json["error"]  # type: ignore[index]
    assert problem_titles(db) == []


def test_someone_deactivated_after_the_check_files_no_problem_on_the_page(
    logged_in: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond the incident page too; more pages in tests/web/test_acting_guard_pages.py."""
    in_the_window(monkeypatch, problems, "create", changing_user(db, active=False))
    token = csrf_token(logged_in.get("/problems").get_data(as_text=True))
    answer = logged_in.post("/problems", data={"csrf_token": token, "title": "VPN drops"},
                            headers={"Referer": "http://localhost/problems"})  # fmt: skip
    assert (answer.status_code, answer.headers["Location"]) == (303, "/problems")
    assert any(REFUSED_PAGE in message for message in flashed(logged_in))
    assert problem_titles(db) == []


def problem_titles(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Problem.title)))


def test_the_guard_asks_the_permission_of_the_role_read_again(db: Database, user: Login) -> None:
    def role(conn: Any) -> str | None:
        return conn.scalar(select(User.role).where(User.email == AGENT))

    with db.guarded(still_allowed(WORK_INCIDENTS, role, "no")).transaction():
        pass  # an agent works incidents
    with pytest.raises(NoLongerAllowed, match="no"), db.guarded(still_allowed(MANAGE_USERS, role, "no")).write():
        pass  # but manages no users


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite's writers take turns already
@pytest.mark.parametrize("acting_for", ["person", "token"])
def test_on_postgresql_changing_who_acts_waits_for_their_action_to_commit(
    app: Flask, db: Database, user: Login, agent_token: str, acting_for: str
) -> None:
    if acting_for == "person":
        row = update(User).where(User.email == AGENT).values(active=False)
    else:
        row = update(ApiToken).where(ApiToken.name == "chatops").values(role="viewer")
    with app.test_request_context(method="POST"):
        g.required = WORK_INCIDENTS
        if acting_for == "person":
            login_user(SessionUser.of(user_row(db)))
        else:
            g.principal = Principal("chatops", "agent")
        with acting_db().transaction(), db.engine.connect() as other:
            other.exec_driver_sql("SET lock_timeout = '200ms'")
            with pytest.raises(OperationalError, match="lock"):
                other.execute(row)


def user_row(db: Database) -> User:
    with db.read() as session:
        found = session.scalar(select(User).where(User.email == AGENT))
        assert found is not None
        return found
