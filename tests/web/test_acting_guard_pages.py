"""The pages beyond the incident's that write check who acts again inside the write's transaction too
(web/acting.py): an admin deactivated after the route let them in is sent back to the page with why, and nothing is
written. A few representative forms (problems, changes, rules), each also shown to write while the admin stays; the
problem page's case runs on PostgreSQL in tests/web/test_acting_guard.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hub import changes, problems, triage
from hub.db import Database
from hub.models import Base, Incident, User, utcnow
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, csrf_token, log_in
from web import acting

ADMIN = "root@example.com"
REFUSED = "Your account was deactivated or its role changed meanwhile, so nothing was changed"

#: name -> (the page the form is on, where it posts, its fields).
FORMS: dict[str, tuple[str, str, dict[str, str]]] = {
    "new problem": ("/problems", "/problems", {"title": "Printers drop off the network"}),
    "problem's root cause": ("/problems/PRB-1", "/problems/PRB-1", {"root_cause": "The VPN's idle timeout"}),
    "new change": ("/changes", "/changes", {"title": "Patch the VPN", "type": "standard", "risk": "low"}),
    "change's problem": ("/changes/CHG-1", "/changes/CHG-1/problem", {"problem": "PRB-1"}),
    "change's plan": (
        "/changes/CHG-1",
        "/changes/CHG-1/amend",
        {"title": "Raise the VPN idle timeout to 1h", "risk": "low"},
    ),
    "rule disabled": ("/rules", "/rules/1/toggle", {"enabled": "0"}),
    "integration's test alert": ("/integrations/monitoring", "/integrations/monitoring/test", {}),
    "integration's settings": ("/integrations/monitoring", "/integrations/monitoring/settings", {"threshold": "3/5m"}),
    "integration disabled": ("/integrations/monitoring", "/integrations/monitoring/enabled", {"enabled": "no"}),
    "new incident": ("/incidents/new", "/incidents/new", {"title": "Cannot print on floor 3", "channel": "phone"}),
}


@pytest.fixture
def admin(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, integration: IntegrationCredentials
) -> FlaskClient:
    """An admin logged in, a problem PRB-1, a change CHG-1 fixing none and the integration monitoring."""
    log_in(client, make_user(email=ADMIN, role="admin"))
    problems.create(db, "The VPN drops every night", ADMIN)
    with db.transaction() as session:
        new = changes.NewChange(title="Raise the VPN idle timeout", type="standard",
                                planned_start=utcnow() + timedelta(days=1))  # fmt: skip
        changes.create(session, new, ADMIN)
    return client


def everything(db: Database) -> dict[str, list[str]]:
    """Every row of every table but the people's (which the window changes)."""
    with db.read() as session:
        return {table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
                for table in Base.metadata.sorted_tables if table.name != User.__tablename__}  # fmt: skip


def submit(client: FlaskClient, form: str) -> Any:
    page, path, fields = FORMS[form]
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields}, headers={"Referer": f"http://localhost{page}"})


def changed_in_the_window(db: Database, monkeypatch: pytest.MonkeyPatch, **change: Any) -> None:
    """The admin's account changed (committed; by hand, as another admin's change would be) as the view asks for
    its guarded database: after the route's check, before any of its write transactions."""
    guard = acting.still_allowed

    def changed_first(*args: Any) -> Any:
        with db.write() as conn:
            conn.execute(update(User).where(User.email == ADMIN).values(**change))
        return guard(*args)

    monkeypatch.setattr(acting, "still_allowed", changed_first)


def flashed(client: FlaskClient) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


@pytest.mark.parametrize("form", sorted(FORMS))
def test_each_form_sent_by_an_admin_still_active_writes(admin: FlaskClient, db: Database, form: str) -> None:
    before = everything(db)
    answer = submit(admin, form)
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)
    assert everything(db) != before


@pytest.mark.parametrize("form", sorted(FORMS))
def test_each_form_sent_by_an_admin_deactivated_meanwhile_writes_nothing_and_says_why(
    admin: FlaskClient, db: Database, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = everything(db)
    changed_in_the_window(db, monkeypatch, active=False)
    answer = submit(admin, form)
    assert (answer.status_code, answer.headers["Location"]) == (303, FORMS[form][0])
    assert any(REFUSED in message for message in flashed(admin))
    assert everything(db) == before


def test_someone_made_a_viewer_meanwhile_requests_no_change(
    admin: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The changes page lets viewers in and asks more of who requests one: that, not the page's, is asked again."""
    before = everything(db)
    changed_in_the_window(db, monkeypatch, role="viewer")
    assert submit(admin, "new change").status_code == 303
    assert any(REFUSED in message for message in flashed(admin))
    assert everything(db) == before


def bulk_resolve(client: FlaskClient, refs: list[str], token: str) -> Any:
    return client.post("/incidents/bulk", data={"csrf_token": token, "action": "resolve", "ids": refs,
                                                "resolution": "Freed disk", "back": "/incidents"})  # fmt: skip


def statuses(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Incident.status).order_by(Incident.id)))


def test_a_bulk_action_by_someone_deactivated_before_it_began_tries_no_incident_and_says_why(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    refs = [raise_incident("A", dedup_key="a"), raise_incident("B", dedup_key="b")]
    token = csrf_token(admin.get("/incidents").get_data(as_text=True))
    before = everything(db)
    changed_in_the_window(db, monkeypatch, active=False)
    answer = bulk_resolve(admin, refs, token)
    assert (answer.status_code, answer.headers["Location"]) == (303, "/incidents")
    assert [message for message in flashed(admin) if REFUSED in message]
    assert everything(db) == before


def test_someone_deactivated_partway_through_a_bulk_action_keeps_what_changed_and_is_told_what_did_not(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, *rest = [raise_incident(title, dedup_key=title) for title in ("A", "B", "C")]
    token = csrf_token(admin.get("/incidents").get_data(as_text=True))
    change = triage.change_status

    def then_deactivated(*args: Any, **kwargs: Any) -> Any:
        changed = change(*args, **kwargs)
        with db.write() as conn:
            conn.execute(update(User).where(User.email == ADMIN).values(active=False))
        return changed

    monkeypatch.setattr(triage, "change_status", then_deactivated)
    assert bulk_resolve(admin, [first, *rest], token).status_code == 303
    assert statuses(db) == ["resolved", "open", "open"]
    assert flashed(admin) == [f"Resolved 1: {first}; {', '.join(rest)} not changed: your account was deactivated or "
                              "its role changed meanwhile; ask an admin if you should still do this."]  # fmt: skip
