"""Every write of the JSON API (but the intake's; logging an incident by hand is guarded) checks its token again
inside the write's transaction (web/acting.py): a token made a viewer after the route let it in is answered 403 and
nothing is written. The routes come from the app's own map, with a body each that does write when the token keeps
its role, so a route that skips the guard, or a body that no longer writes, fails here;
tests/web/test_acting_guard.py has the incident API's cases on PostgreSQL too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hub import accounts, calendars, catalogue, changes, groups, oncall, request_steps, request_types
from hub.db import Database
from hub.models import ApiToken, Base, SlaPolicy, utcnow
from hub.recipients import Sender
from tests.hub.majors import staff
from tests.web.helpers import bearer
from web import acting
from web.queries import incident_id

TOKEN = "bot"
#: The intake's routes: its group commits mix requests, so they are not guarded (web/acting.py). Logging an incident
#: by hand goes through it too, but is a token acting, so it is checked inside its event's part of the commit.
INTAKE = {"events.receive", "heartbeats.ping", "pagerduty.enqueue", "pagerduty.change_enqueue",
          "opsgenie.create", "opsgenie.acknowledge", "opsgenie.close"}  # fmt: skip
WRITES = ("POST", "PUT", "PATCH", "DELETE")
SOON = (utcnow() + timedelta(hours=1)).isoformat()
LATER = (utcnow() + timedelta(hours=2)).isoformat()

#: endpoint -> (the route's arguments, named after the desk's things in braces, and the JSON body that writes).
ROUTES: dict[str, tuple[dict[str, str], Any]] = {
    "api.log": ({}, {"title": "Cannot print on floor 3"}),
    "api.update_incident": ({"ref": "{open}"}, {"priority": 4}),
    "api.comment": ({"ref": "{open}"}, {"text": "Rebooted the switch"}),
    "api.log_time": ({"ref": "{open}"}, {"minutes": 25}),
    "api.correct_time": ({"ref": "{open}", "entry": "{entry}"}, {"minutes": 30}),
    "api.add_watcher": ({"ref": "{open}", "email": "bob@example.com"}, None),
    "api.remove_watcher": ({"ref": "{open}", "email": "ann@example.com"}, None),
    "api.link_problem": ({"ref": "{plain}"}, {"problem": "PRB-1"}),
    "api.unlink_problem": ({"ref": "{open}"}, None),
    "major_api.declare": ({"ref": "{plain}"}, {"reason": "Payroll is down", "coordinator": "bob@example.com"}),
    "major_api.hand_over": ({"ref": "{open}"}, {"coordinator": "bob@example.com"}),
    "major_api.stand_down": ({"ref": "{open}"}, None),
    "copied_api.copy": ({"ref": "{open}", "email": "dina@example.org"}, None),
    "copied_api.uncopy": ({"ref": "{open}", "email": "carl@example.org"}, None),
    "steps_api.tick": ({"ref": "{plain}", "step": "1"}, {"done": True}),
    "approvals_api.ask": ({"ref": "{plain}"}, {"approver": "vic@example.com", "note": "Within budget?"}),
    "approvals_api.decide": ({"approval_id": "{approval}"}, {"decision": "approve", "approver": "vic@example.com"}),
    "approvals_api.withdraw": ({"approval_id": "{approval}"}, None),
    "reviews_api.start": ({"ref": "{unreviewed}"}, None),
    "reviews_api.save": ({"ref": "{reviewed}"}, {"impact": "No payslips for an hour"}),
    "reviews_api.publish": ({"ref": "{reviewed}"}, None),
    "reviews_api.add_action": ({"ref": "{reviewed}"}, {"text": "Alert on disk at 80%"}),
    "reviews_api.remove_action": ({"ref": "{reviewed}", "action_id": "{action}"}, None),
    "reviews_api.file_problem": ({"ref": "{reviewed}", "action_id": "{action}"}, None),
    "problems_api.api_create": ({}, {"title": "Printers drop off the network"}),
    "problems_api.api_update": ({"ref": "PRB-1"}, {"root_cause": "The VPN's idle timeout"}),
    "changes_api.amend": ({"ref": "CHG-1"}, {"planned_start": "2031-03-08T22:00:00Z"}),
    "changes_api.fix_problem": ({"ref": "CHG-1"}, {"problem": "PRB-2"}),
    "changes_api.unfix_problem": ({"ref": "CHG-1"}, None),
    "cis_api.put": ({"name": "db2"}, {"kind": "server"}),
    "services_api.create": ({}, {"name": "payroll"}),
    "services_api.change": ({"name": "mail"}, {"description": "Mail for everyone"}),
    "services_api.remove": ({"name": "mail"}, None),
    "request_types_api.create": ({}, {"name": "VPN access", "summary": "Remote access to the office"}),
    "request_types_api.change": ({"type_id": "{request_type}"}, {"summary": "A laptop for anyone"}),
    "sla_api.add_policy": ({}, {"name": "P2", "priority": 2, "resolution": "8h"}),
    "sla_api.change_policy": ({"policy_id": "{policy}"}, {"name": "Urgent"}),
    "sla_api.remove_policy": ({"policy_id": "{policy}"}, None),
    "sla_api.add_calendar": ({}, {"name": "shop", "tz": "UTC", "hours": "24x7"}),
    "sla_api.change_calendar": ({"name": "office"}, {"name": "head office"}),
    "sla_api.remove_calendar": ({"name": "office"}, None),
    "silences_api.create": ({}, {"matchers": ["labels.team=db"], "duration": "1h"}),
    "silences_api.expire": ({"silence_id": "{silence}"}, None),
    "oncall_api.add_override": ({"group": "dba"}, {"who": "bob@example.com", "starts_at": SOON, "ends_at": LATER}),
    "oncall_api.remove_override": ({"group": "dba", "override_id": "{override}"}, None),
    "mail_choices_api.put": ({"email": "bob@example.com"},
                             {"assigned_up_to": 2, "mentioned": False, "watching": False, "replies": False,
                              "sla_warnings": False, "steps": False}),
    "mail_choices_api.patch": ({"email": "bob@example.com"}, {"mentioned": False}),
    "tokens_api.revoke": ({"name": "old"}, None),
}  # fmt: skip


def api_writes(app: Flask) -> dict[str, str]:
    """Each write route of the API the app serves, by endpoint: its method."""
    return {rule.endpoint: method for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/") and rule.endpoint not in INTAKE
            for method in (rule.methods or set()) & set(WRITES)}  # fmt: skip


Call = Callable[[str, str, Any], Any]


@pytest.fixture
def call(client: FlaskClient, db: Database) -> Call:
    """Send a request as an admin's token."""
    with db.transaction() as session:
        secret = accounts.create_token(session, name=TOKEN, role="admin")

    def send(method: str, path: str, body: Any = None) -> Any:
        return client.open(path, method=method, json=body, headers=bearer(secret))

    return send


@pytest.fixture
def desk(db: Database, call: Call, raise_incident: Callable[..., str]) -> dict[str, str]:
    """What each route acts on: an open major incident (watched by Ann, copying Carl, part of PRB-1, with a
    time entry), a plain one, a resolved major one with a draft review and a follow-up action, one not reviewed yet;
    problems PRB-1 and PRB-2, CHG-1 fixing PRB-1, an approval asked of Vic on the open one, the service mail, a
    policy, the calendar office, a silence, and
    an on-call rotation for dba with a cover. All made before the window, by the token still an admin."""
    staff(db)
    with db.transaction() as session:
        groups.save_group(session, "dba", ["ann@example.com", "bob@example.com"])
        oncall.set_rotation(session, "dba", zone="UTC", shift="1d", handoff="00:00", now=utcnow())
        catalogue.add_service(session, name="mail")
        calendars.add_calendar(session, name="office", tz="UTC", hours="24x7")
        catalogue.add_policy(session, name="P1", priority=1, targets=catalogue.Targets(resolution=timedelta(hours=4)))
        policy = session.scalars(select(SlaPolicy.id)).one()
        laptop = request_types.add(session, name="New laptop", summary="A laptop for a new starter").id
        accounts.create_token(session, name="old", role="viewer")
    refs = [raise_incident(f"Disk full on db{n}", severity="critical") for n in range(4)]
    with db.write() as conn:
        request_steps.copy_on_opening(
            conn,
            incident_id(refs[1]) or 0,
            [request_steps.Planned("Order a disk")],
            title="Disk full",
            priority=1,
            sender=Sender("desk@example.com", ""),
        )
    things = {
        "open": refs[0],
        "plain": refs[1],
        "reviewed": refs[2],
        "unreviewed": refs[3],
        "policy": str(policy),
        "request_type": str(laptop),
    }

    def ok(method: str, path: str, body: Any = None) -> Any:
        answer = call(method, path, body)
        assert answer.status_code in (200, 201), (path, answer.json)
        return answer.json

    for ref in (refs[0], refs[2], refs[3]):
        ok("POST", f"/api/v1/incidents/{ref}/major", {"reason": "Payroll is down", "coordinator": "ann@example.com"})
    for ref in (refs[2], refs[3]):
        ok("PATCH", f"/api/v1/incidents/{ref}", {"status": "resolved", "resolution": "Freed disk"})
    ok("POST", f"/api/v1/incidents/{refs[2]}/review")
    ok("PATCH", f"/api/v1/incidents/{refs[2]}/review", {"summary": "The database's disk filled"})
    things["action"] = str(ok("POST", f"/api/v1/incidents/{refs[2]}/review/actions", {"text": "Rotate logs"})["id"])
    ok("PUT", f"/api/v1/incidents/{refs[0]}/watchers/ann@example.com")
    ok("PUT", f"/api/v1/incidents/{refs[0]}/copied/carl@example.org")
    ok("POST", "/api/v1/problems", {"title": "The VPN drops every night"})
    ok("POST", "/api/v1/problems", {"title": "The VPN drops at noon"})
    ok("PUT", f"/api/v1/incidents/{refs[0]}/problem", {"problem": "PRB-1"})
    things["entry"] = str(ok("POST", f"/api/v1/incidents/{refs[0]}/time", {"minutes": 15})["time_entries"][0]["id"])
    with db.transaction() as session:
        new = changes.NewChange(title="Raise the VPN idle timeout", type="standard",
                                planned_start=utcnow() + timedelta(days=1), problem="PRB-1")  # fmt: skip
        changes.create(session, new, "carol@example.com")
    things["silence"] = str(ok("POST", "/api/v1/silences", {"matchers": ["labels.team=db"], "duration": "1h"})["id"])
    cover = {"who": "ann@example.com", "starts_at": SOON, "ends_at": LATER}
    things["override"] = str(ok("POST", "/api/v1/oncall/dba/overrides", cover)["id"])
    asked = {"approver": "vic@example.com", "note": "A new disk?"}
    things["approval"] = str(ok("POST", f"/api/v1/incidents/{refs[0]}/approvals", asked)["id"])
    return things


def everything(db: Database) -> dict[str, list[str]]:
    """Every row of every table but the tokens' (which the window changes), to see that nothing else did."""
    with db.read() as session:
        return {table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
                for table in Base.metadata.sorted_tables if table.name != ApiToken.__tablename__}  # fmt: skip


def request_for(app: Flask, endpoint: str, things: dict[str, str]) -> tuple[str, str, Any]:
    arguments, body = ROUTES[endpoint]
    method = api_writes(app)[endpoint]
    values = {name: value.format(**things) for name, value in arguments.items()}
    return method, app.url_map.bind("localhost").build(endpoint, values, method=method), body


def made_a_viewer_in_the_window(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The token made a viewer (committed) as the view asks for its guarded database: after the route's check,
    before any of its write transactions."""
    guard = acting.still_allowed

    def lowered_first(*args: Any) -> Any:
        with db.write() as conn:
            conn.execute(update(ApiToken).where(ApiToken.name == TOKEN).values(role="viewer"))
        return guard(*args)

    monkeypatch.setattr(acting, "still_allowed", lowered_first)


def test_the_table_holds_every_write_of_the_api_but_the_intakes(app: Flask) -> None:
    assert set(ROUTES) == set(api_writes(app))


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_each_api_write_by_a_token_still_allowed_writes(
    app: Flask, db: Database, call: Call, desk: dict[str, str], endpoint: str
) -> None:
    """What makes the next test mean something: each body, sent by a token that keeps its role, writes."""
    method, path, body = request_for(app, endpoint, desk)
    before = everything(db)
    answer = call(method, path, body)
    assert answer.status_code in (200, 201), answer.json
    assert everything(db) != before


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_each_api_write_by_a_token_made_a_viewer_meanwhile_is_403_and_writes_nothing(
    app: Flask, db: Database, call: Call, desk: dict[str, str], endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    method, path, body = request_for(app, endpoint, desk)
    before = everything(db)
    made_a_viewer_in_the_window(db, monkeypatch)
    answer = call(method, path, body)
    assert answer.status_code == 403, answer.json
    assert answer.json == {"error": f"the token {TOKEN!r} may no longer do this (its role changed or it was "
                                    "removed); nothing was changed"}  # fmt: skip
    assert everything(db) == before
