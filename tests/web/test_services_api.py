"""The service catalogue through the API: any token reads services, SLA policies and calendars; admin tokens add,
change, rename and remove them through the hub functions the /services page calls, refused and audited as the page
is; and docs/sla.md's examples run as printed. On SQLite and PostgreSQL (changes take row locks)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts, rulebook
from hub.calendars import add_calendar
from hub.catalogue import Targets, add_policy, add_service
from hub.config import Settings
from hub.db import Database
from hub.domain import RuleSpec
from hub.models import AuditEntry, Incident, Service
from tests.docs import fenced, run_as_printed
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.helpers import bearer
from web.queries import incident_id

H = timedelta(hours=1)


@pytest.fixture
def admin_token(db: Database) -> str:
    """An admin's API token, named as a CMDB sync would be."""
    with db.transaction() as session:
        return accounts.create_token(session, name="cmdb", role="admin")


def call(client: FlaskClient, token: str, method: str, path: str, body: object = None) -> tuple[int, Any]:
    response = client.open(path, method=method, json=body, headers=bearer(token))
    return response.status_code, response.json


def audited(db: Database) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    with db.read() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.actor, e.action, e.target, e.detail) for e in entries]


def on_service(raise_incident: Callable[..., str], service: str, title: str = "Mail is slow") -> str:
    return raise_incident(title, dedup_key=title, labels={"service": service})


# -- reading ----------------------------------------------------------------------------------------------------


def test_any_token_lists_the_services_with_their_unresolved_incidents_and_policies(
    client: FlaskClient, db: Database, api_token: str, raise_incident: Callable[..., str]
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail", owner_group="messaging", description="Exchange", public=True)
        add_service(session, name="vpn")
        add_policy(session, name="P1 mail", priority=1, targets=Targets(resolution=4 * H), service="mail")
    on_service(raise_incident, "mail", "Mail is slow")
    waiting = on_service(raise_incident, "mail", "Mail bounces")
    with db.transaction() as session:
        row = session.get(Incident, incident_id(waiting))
        assert row is not None
        row.status = "waiting"
    status, found = call(client, api_token, "GET", "/api/v1/services")
    assert status == 200
    assert found == [
        {"name": "mail", "owner_group": "messaging", "major_group": None, "public": True, "description": "Exchange",
         "unresolved": {"open": 1, "waiting": 1}, "policies": ["P1 mail"]},
        {"name": "vpn", "owner_group": None, "major_group": None, "public": False, "description": "",
         "unresolved": {}, "policies": []},
    ]  # fmt: skip
    assert call(client, api_token, "GET", "/api/v1/services/vpn") == (200, found[1])


def test_an_unknown_service_is_a_404_saying_where_the_list_is(client: FlaskClient, admin_token: str) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        status, found = call(client, admin_token, method, "/api/v1/services/fax", {"public": True})
        assert status == 404 and found["error"].startswith("there is no service 'fax'"), (method, found)


def test_without_a_valid_token_nothing_is_read_or_changed(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")
    for method, path in (("GET", "/api/v1/services"), ("POST", "/api/v1/services"),
                         ("GET", "/api/v1/services/mail"), ("DELETE", "/api/v1/services/mail"),
                         ("GET", "/api/v1/sla-policies"), ("GET", "/api/v1/calendars")):  # fmt: skip
        assert client.open(path, method=method, json={"name": "x"}).status_code == 401, (method, path)
        response = client.open(path, method=method, json={"name": "x"}, headers=bearer("not-a-token"))
        assert response.status_code == 401 and "Bearer" in response.json["error"]  # type: ignore[index]


@pytest.mark.parametrize("role", ["viewer", "agent"])
def test_viewer_and_agent_tokens_read_the_catalogue_but_may_not_change_it(
    client: FlaskClient, db: Database, role: str
) -> None:
    """As on the page: everyone reads it; changing it moves clocks and the status page, so it is an admin's."""
    with db.transaction() as session:
        token = accounts.create_token(session, name=f"t-{role}", role=role)
        add_service(session, name="mail")
        add_calendar(session, name="office", tz="UTC", hours="24x7")
        policy = add_policy(session, name="P1", priority=1, targets=Targets(resolution=4 * H))
        session.flush()
        policy_id = policy.id
    for path in ("/api/v1/services/mail", f"/api/v1/sla-policies/{policy_id}", "/api/v1/calendars/office"):
        assert call(client, token, "GET", path)[0] == 200
    writes = [("POST", "/api/v1/services", {"name": "fax"}), ("PATCH", "/api/v1/services/mail", {"public": True}),
              ("DELETE", "/api/v1/services/mail", None),
              ("POST", "/api/v1/sla-policies", {"name": "P2", "priority": 2, "resolution": "8h"}),
              ("PATCH", f"/api/v1/sla-policies/{policy_id}", {"resolution": "2h"}),
              ("DELETE", f"/api/v1/sla-policies/{policy_id}", None),
              ("POST", "/api/v1/calendars", {"name": "x", "tz": "UTC", "hours": "24x7"}),
              ("PATCH", "/api/v1/calendars/office", {"hours": "mon-fri 09:00-17:00"}),
              ("DELETE", "/api/v1/calendars/office", None)]  # fmt: skip
    for method, path, body in writes:
        status, found = call(client, token, method, path, body)
        assert status == 403 and role in found["error"], (method, path)
    assert audited(db) == []


# -- services ---------------------------------------------------------------------------------------------------


def test_an_admin_token_adds_a_service_audited_as_the_page_adds_one(
    client: FlaskClient, db: Database, admin_token: str
) -> None:
    response = client.post("/api/v1/services", headers=bearer(admin_token),
                           json={"name": " mail ", "public": True, "description": "Exchange"})  # fmt: skip
    assert response.status_code == 201 and response.headers["Location"] == "/api/v1/services/mail"
    assert response.json == {"name": "mail", "owner_group": None, "major_group": None, "public": True,
                             "description": "Exchange", "unresolved": {}, "policies": [], "warnings": []}  # fmt: skip
    assert audited(db) == [
        ("token:cmdb", "service.add", "mail", {"owner_group": None, "public": True, "major_group": None})
    ]


def test_a_service_named_after_a_group_not_made_yet_is_added_with_a_warning(
    client: FlaskClient, admin_token: str
) -> None:
    status, found = call(client, admin_token, "POST", "/api/v1/services", {"name": "mail", "owner_group": "msg"})
    assert status == 201 and found["owner_group"] == "msg"
    [warning] = found["warnings"]
    assert warning.startswith("there is no group 'msg' yet")


@pytest.mark.parametrize(
    ("body", "field", "said"),
    [
        ({"owner_group": "msg"}, "name", "a service needs 'name'"),
        ({"name": " "}, "name", "a service needs a name of 1 to 100 characters"),
        ({"name": "mail", "public": "yes"}, "public", "'public' is true"),
        ({"name": "mail", "owner_group": 7}, "owner_group", "'owner_group' is text, or null"),
        ({"name": "mail", "description": "x" * 501}, "description", "'description' is at most 500 characters"),
    ],
)
def test_a_mistake_is_a_400_naming_its_field(
    client: FlaskClient, db: Database, admin_token: str, body: dict[str, Any], field: str, said: str
) -> None:
    status, found = call(client, admin_token, "POST", "/api/v1/services", body)
    assert status == 400 and found["field"] == field and found["error"].startswith(said), found
    with db.read() as session:
        assert session.scalars(select(Service)).all() == []


def test_a_body_that_is_no_object_or_has_unknown_fields_is_a_400_listing_the_fields(
    client: FlaskClient, admin_token: str
) -> None:
    for body in (None, [], {}, {"name": "mail", "owner": "msg"}):
        status, found = call(client, admin_token, "POST", "/api/v1/services", body)
        assert status == 400 and "owner_group, major_group, public, description" in found["error"], body


def test_a_name_another_service_has_is_refused_as_the_page_refuses_it(
    client: FlaskClient, db: Database, admin_token: str
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")
    status, found = call(client, admin_token, "POST", "/api/v1/services", {"name": "mail"})
    assert (status, found["field"]) == (400, "name")
    assert found["error"] == "there is already a service named 'mail'; `switchboard service list` shows them"


def test_a_change_sets_what_the_body_gives_and_audits_what_moved(
    client: FlaskClient, db: Database, admin_token: str
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail", owner_group="messaging", description="Exchange")
    status, found = call(client, admin_token, "PATCH", "/api/v1/services/mail",
                         {"public": True, "description": "Exchange", "major_group": "mail-mim"})  # fmt: skip
    assert status == 200
    assert (found["public"], found["description"], found["owner_group"], found["major_group"]) == (
        True, "Exchange", "messaging", "mail-mim",
    )  # fmt: skip
    assert found["warnings"][0].startswith("there is no group 'mail-mim' yet") and "renamed" not in found
    assert audited(db) == [("token:cmdb", "service.change", "mail", {"public": True, "major_group": "mail-mim"})]


def test_null_clears_a_group_and_a_change_that_changes_nothing_is_not_audited(
    client: FlaskClient, db: Database, admin_token: str
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail", owner_group="messaging")
    assert call(client, admin_token, "PATCH", "/api/v1/services/mail", {"owner_group": None})[1]["owner_group"] is None
    assert call(client, admin_token, "PATCH", "/api/v1/services/mail", {"name": "mail", "owner_group": ""})[0] == 200
    assert [action for _, action, _, _ in audited(db)] == ["service.change"]


def test_a_new_name_renames_the_service_and_its_incidents_policies_and_rules_follow(
    client: FlaskClient, db: Database, admin_token: str, raise_incident: Callable[..., str]
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")
        add_policy(session, name="P1 mail", priority=1, targets=Targets(resolution=4 * H), service="mail")
        rulebook.add_rule(session, RuleSpec(id=0, name="mx", when={"field": "title", "op": "contains", "value": "MX"},
                                            actions={"service": "mail"}))  # fmt: skip
    ref = on_service(raise_incident, "mail")
    status, found = call(client, admin_token, "PATCH", "/api/v1/services/mail", {"name": "email", "public": True})
    assert status == 200 and (found["name"], found["public"], found["policies"]) == ("email", True, ["P1 mail"])
    assert found["renamed"] == {"from": "mail", "moved": {"incidents": 1, "SLA policies": 1}, "subscribers": 0,
                                "rules": ["mx"], "testing_rules": [], "silences": []}  # fmt: skip
    assert found["unresolved"] == {"open": 1}
    assert client.get(f"/api/v1/incidents/{ref}", headers=bearer(admin_token)).json["service"] == "email"  # type: ignore[index]
    assert [(action, target) for _, action, target, _ in audited(db)] == [
        ("service.rename", "mail"), ("service.change", "email"),
    ]  # fmt: skip
    assert call(client, admin_token, "GET", "/api/v1/services/mail")[0] == 404


def test_a_rename_to_a_taken_name_is_a_400_about_the_name_and_changes_nothing(
    client: FlaskClient, db: Database, admin_token: str
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")
        add_service(session, name="email")
    status, found = call(client, admin_token, "PATCH", "/api/v1/services/mail", {"name": "email", "public": True})
    assert (status, found["field"]) == (400, "name") and "already a service named 'email'" in found["error"]
    assert call(client, admin_token, "GET", "/api/v1/services/mail")[1]["public"] is False
    assert audited(db) == []


def test_removal_is_refused_while_an_unresolved_incident_names_the_service(
    client: FlaskClient, db: Database, admin_token: str, raise_incident: Callable[..., str]
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")
    ref = on_service(raise_incident, "mail")
    status, found = call(client, admin_token, "DELETE", "/api/v1/services/mail")
    assert status == 409
    assert found["error"] == (f"1 unresolved incident ({ref}) still names service 'mail': resolve the incidents or "
                              "put them on another service, then remove it")  # fmt: skip
    assert call(client, admin_token, "GET", "/api/v1/services/mail")[0] == 200 and audited(db) == []


def test_an_admin_token_removes_a_service_nothing_live_names_audited_as_the_page_does(
    client: FlaskClient, db: Database, admin_token: str
) -> None:
    with db.transaction() as session:
        add_service(session, name="fax")
    status, found = call(client, admin_token, "DELETE", "/api/v1/services/fax")
    assert (status, found) == (200, {"removed": "fax", "cleared": {}, "subscribers": 0, "kept": {}})
    assert audited(db) == [("token:cmdb", "service.remove", "fax", {"cleared": {}, "subscribers": 0, "kept": {}})]
    assert call(client, admin_token, "GET", "/api/v1/services/fax")[0] == 404


def test_a_name_holding_a_slash_is_the_rest_of_the_path(client: FlaskClient, admin_token: str) -> None:
    assert call(client, admin_token, "POST", "/api/v1/services", {"name": "ops/eu"})[0] == 201
    assert call(client, admin_token, "GET", "/api/v1/services/ops/eu")[1]["name"] == "ops/eu"
    assert call(client, admin_token, "GET", "/api/v1/services/ops%2Feu")[1]["name"] == "ops/eu"


def test_a_service_named_under_the_catalogues_own_pages_is_refused_about_its_name(
    client: FlaskClient, admin_token: str
) -> None:
    status, body = call(client, admin_token, "POST", "/api/v1/services", {"name": "policies/x"})
    assert (status, body["field"]) == (400, "name") and "name it e.g. 'policies-x'" in body["error"]


def test_a_service_named_so_before_is_read_changed_and_removed_through_the_api(
    client: FlaskClient, db: Database, admin_token: str
) -> None:
    """The page's routes lose `policies/x` to its fixed ones (such a name is refused now); nothing follows a name in
    the API's, so a service named so before keeps all of it."""
    with db.transaction() as session:
        session.add(Service(name="policies/x"))
    assert call(client, admin_token, "GET", "/api/v1/services/policies/x")[1]["name"] == "policies/x"
    assert call(client, admin_token, "GET", "/api/v1/services/policies%2Fx")[1]["name"] == "policies/x"
    assert call(client, admin_token, "PATCH", "/api/v1/services/policies/x", {"public": True})[1]["public"] is True
    assert call(client, admin_token, "DELETE", "/api/v1/services/policies/x")[1]["removed"] == "policies/x"


# -- SLA policies -----------------------------------------------------------------------------------------------


def test_an_admin_token_adds_changes_and_removes_a_policy_audited_as_the_cli_does(
    client: FlaskClient, db: Database, admin_token: str
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")
        add_calendar(session, name="office", tz="Europe/Berlin", hours="mon-fri 09:00-17:00")
    body = {"name": "P1 mail", "priority": "P1", "first_response": "15m", "resolution": "2h", "service": "mail",
            "calendar": "office"}  # fmt: skip
    response = client.post("/api/v1/sla-policies", json=body, headers=bearer(admin_token))
    assert response.status_code == 201, response.json
    added = response.json
    assert added == {"id": added["id"], "name": "P1 mail", "priority": 1, "first_response": "15m",  # type: ignore[index]
                     "next_update": None, "resolution": "2h", "calendar": "office", "service": "mail",
                     "category": None, "organisation": None, "kind": None, "warn_at": 0.75, "running": 0}  # fmt: skip
    path = response.headers["Location"]
    assert call(client, admin_token, "GET", "/api/v1/sla-policies") == (200, [added])
    status, changed = call(client, admin_token, "PATCH", path, {"resolution": "3h", "calendar": None, "name": "P1m"})
    assert status == 200 and (changed["name"], changed["resolution"], changed["calendar"]) == ("P1m", "3h", None)
    assert changed["first_response"] == "15m" and changed["replanned"] == {"moved": 0, "kept": 0, "stopped": 0}
    assert call(client, admin_token, "DELETE", path) == (200, {"removed": "P1m", "replanned": 0, "stopped": 0})
    assert call(client, admin_token, "GET", path)[0] == 404
    assert [(actor, action, target) for actor, action, target, _ in audited(db)] == [
        ("token:cmdb", "sla.add", "P1 mail"), ("token:cmdb", "sla.change", "P1m"), ("token:cmdb", "sla.remove", "P1m"),
    ]  # fmt: skip


def test_changing_a_policy_replans_the_unresolved_incidents_it_runs(
    client: FlaskClient, db: Database, admin_token: str, raise_incident: Callable[..., str]
) -> None:
    with db.transaction() as session:
        policy = add_policy(session, name="every P3", priority=3, targets=Targets(resolution=8 * H))
        session.flush()
        policy_id = policy.id
    ref = raise_incident("Printer jams", priority=3)
    assert call(client, admin_token, "GET", f"/api/v1/sla-policies/{policy_id}")[1]["running"] == 1
    status, found = call(client, admin_token, "PATCH", f"/api/v1/sla-policies/{policy_id}", {"resolution": "4h"})
    assert (status, found["replanned"]) == (200, {"moved": 1, "kept": 0, "stopped": 0})
    with db.read() as session:
        row = session.get(Incident, incident_id(ref))
        assert row is not None and row.sla_due_at is not None and row.sla_due_at - row.first_seen == 4 * H


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "P1", "resolution": "4h"}, "priority"),
        ({"name": "P1", "priority": 9, "resolution": "4h"}, "priority"),
        ({"name": "P1", "priority": 1, "resolution": "soon"}, "resolution"),
        ({"name": "P1", "priority": 1, "resolution": "99999999999999999999w"}, "resolution"),
        ({"name": "P1", "priority": 1}, "resolution"),
        ({"name": "P1", "priority": 1, "resolution": "4h", "calendar": "nowhere"}, "calendar"),
        ({"name": "P1", "priority": 1, "resolution": "4h", "service": "fax"}, "service"),
        ({"name": "P1", "priority": 1, "resolution": "4h", "warn_at": 1.5}, "warn_at"),
        ({"name": "P1", "priority": 1, "resolution": "4h", "kind": "problem"}, "kind"),
    ],
)
def test_a_policy_the_cli_would_refuse_is_a_400_naming_its_field(
    client: FlaskClient, admin_token: str, body: dict[str, Any], field: str
) -> None:
    status, found = call(client, admin_token, "POST", "/api/v1/sla-policies", body)
    assert (status, found["field"]) == (400, field), found


def test_a_policy_for_requests_reads_back_its_kind_and_a_patch_of_null_makes_it_for_both(
    client: FlaskClient, admin_token: str
) -> None:
    body = {"name": "P3 requests", "priority": 3, "resolution": "5d", "kind": "request"}
    status, added = call(client, admin_token, "POST", "/api/v1/sla-policies", body)
    assert (status, added["kind"]) == (201, "request")
    status, changed = call(client, admin_token, "PATCH", f"/api/v1/sla-policies/{added['id']}", {"kind": None})
    assert (status, changed["kind"]) == (200, None)


def test_an_unknown_kind_is_refused_naming_the_kinds_there_are(client: FlaskClient, admin_token: str) -> None:
    body = {"name": "P3", "priority": 3, "resolution": "5d", "kind": "requests"}
    status, found = call(client, admin_token, "POST", "/api/v1/sla-policies", body)
    assert (status, found["error"]) == (400, "the kind is 'incident' (incidents) or 'request' (service requests), "
                                             "not 'requests'; leave it empty for both")  # fmt: skip


# -- calendars --------------------------------------------------------------------------------------------------


def test_an_admin_token_adds_and_changes_a_calendar_and_it_reads_back_as_sent(
    client: FlaskClient, db: Database, admin_token: str
) -> None:
    body = {"name": "office-berlin", "tz": "Europe/Berlin", "hours": "mon-fri 09:00-17:00", "holidays": "DE-BE",
            "dates": ["2026-12-24"]}  # fmt: skip
    response = client.post("/api/v1/calendars", json=body, headers=bearer(admin_token))
    assert response.status_code == 201 and response.headers["Location"] == "/api/v1/calendars/office-berlin"
    assert response.json == {**body, "policies": []}
    status, found = call(client, admin_token, "PATCH", "/api/v1/calendars/office-berlin",
                         {"hours": "mon-fri 08:00-18:00", "dates": []})  # fmt: skip
    assert status == 200 and (found["hours"], found["dates"], found["holidays"]) == ("mon-fri 08:00-18:00", [], "DE-BE")
    assert [(action, target) for _, action, target, _ in audited(db)] == [
        ("calendar.add", "office-berlin"), ("calendar.change", "office-berlin"),
    ]  # fmt: skip


def test_a_calendar_a_policy_runs_on_is_not_removed_until_none_does(
    client: FlaskClient, db: Database, admin_token: str
) -> None:
    with db.transaction() as session:
        add_calendar(session, name="office", tz="UTC", hours="mon-fri 09:00-17:00")
        add_policy(session, name="P3", priority=3, targets=Targets(resolution=8 * H), calendar="office")
    assert call(client, admin_token, "GET", "/api/v1/calendars")[1][0]["policies"] == ["P3"]
    status, found = call(client, admin_token, "DELETE", "/api/v1/calendars/office")
    assert status == 409 and found["error"].startswith("the clocks of SLA policy 'P3' run on calendar 'office'")
    [policy] = call(client, admin_token, "GET", "/api/v1/sla-policies")[1]
    call(client, admin_token, "PATCH", f"/api/v1/sla-policies/{policy['id']}", {"calendar": None})
    assert call(client, admin_token, "DELETE", "/api/v1/calendars/office") == (200, {"removed": "office"})


def test_a_calendar_mistake_is_a_400_naming_its_field(client: FlaskClient, admin_token: str) -> None:
    for body, field in (({"name": "x", "hours": "24x7"}, "tz"),
                        ({"name": "x", "tz": "Mars/Base", "hours": "24x7"}, "tz"),
                        ({"name": "x", "tz": "UTC", "hours": "sometimes"}, "hours"),
                        ({"name": "x", "tz": "UTC", "hours": "24x7", "dates": ["24.12."]}, "dates")):  # fmt: skip
        status, found = call(client, admin_token, "POST", "/api/v1/calendars", body)
        assert (status, found["field"]) == (400, field), (body, found)


# -- the documentation ------------------------------------------------------------------------------------------


def test_the_documented_api_examples_run_as_printed(
    live_url: str, settings: Settings, tmp_path: Path, admin_token: str, raise_incident: Callable[..., str]
) -> None:
    ref = on_service(raise_incident, "mail")  # an alert names the service before the catalogue holds it
    [example] = fenced("docs/sla.md", "The catalogue through the API", "sh")
    printed = run_as_printed(example.replace("http://127.0.0.1:8000", live_url), settings, tmp_path, TOKEN=admin_token)
    assert printed.splitlines() == [
        "mail public=true",
        "there is no group 'messaging' yet, so no one in it can take this service's incidents: make it on the Groups "
        "page or with `switchboard group set messaging --member ...`",
        "office-berlin: mon-fri 09:00-17:00, holidays DE-BE",
        '{"name":"P1 mail","priority":1,"calendar":"office-berlin","resolution":"2h"}',
        '{"name":"mail","owner_group":"messaging","unresolved":{"open":1},"policies":["P1 mail"]}',
        '{"name":"email","moved":{"SLA policies":1,"incidents":1}}',
        '{"name":"P1 mail","service":"email","resolution":"3h","next_update":"1h",'
        '"replanned":{"kept":0,"moved":0,"stopped":0}}',
        f"1 unresolved incident ({ref}), SLA policy 'P1 mail' still name service 'email': resolve the incidents or "
        "put them on another service, give the policies another service or remove them, then remove it",
    ]


def test_the_documented_policy_for_requests_through_the_api_runs_as_printed(
    live_url: str, settings: Settings, tmp_path: Path, admin_token: str
) -> None:
    [_, example] = fenced("docs/sla.md", "Requests and incidents", "sh")
    printed = run_as_printed(example.replace("http://127.0.0.1:8000", live_url), settings, tmp_path, TOKEN=admin_token)
    assert printed.splitlines() == [
        '{"name":"P3 requests","priority":3,"kind":"request","resolution":"5d"}',
        "kind: the kind is 'incident' (incidents) or 'request' (service requests), not 'requests'; leave it empty "
        "for both",
    ]
