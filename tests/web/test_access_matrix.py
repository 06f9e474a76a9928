"""Every method of every route x every role, in one table: who may reach what. A new route, or a new method of one,
fails here until it is given a rule."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub import accounts, calendars, catalogue, cis, knowledge, mail_choices, request_types
from hub.db import Database
from tests.conftest import make_settings, migrated_database
from tests.web.conftest import PASSWORD, app_on
from tests.web.helpers import Login, csrf_token, log_in, post_event

ROLES = ("anonymous", "viewer", "agent", "admin")
EVERYONE = frozenset(ROLES)
PEOPLE = frozenset({"viewer", "agent", "admin"})
STAFF = frozenset({"agent", "admin"})
ADMINS = frozenset({"admin"})

# endpoint -> (path, {method: roles allowed}), every method the route takes. Pages refuse anonymous visitors by
# sending them to log in (302) and logged-in people without the role with 403. Machine endpoints authenticate by
# their own credentials (tested in their own files) and are listed here so that no route goes without a decision.
UI = {
    "dashboard.index": ("/dashboard", {"GET": PEOPLE}),
    "incidents.index": ("/incidents", {"GET": PEOPLE}),
    "incidents.detail": ("/incidents/INC-1", {"GET": PEOPLE}),
    "incident_actions.act": ("/incidents/INC-1/priority", {"POST": STAFF}),
    "incident_notes.note": ("/incidents/INC-1/note", {"POST": STAFF}),
    "incident_notes.reply": ("/incidents/INC-1/reply", {"POST": STAFF}),
    "incident_actions.bulk": ("/incidents/bulk", {"POST": STAFF}),
    "approvals.mine": ("/approvals", {"GET": PEOPLE}),
    "approvals.decide": ("/approvals/1/decision", {"POST": PEOPLE}),
    "new_incident.new": ("/incidents/new", {"GET": STAFF, "POST": STAFF}),
    "incident_export.download": ("/incidents.csv", {"GET": PEOPLE}),
    "saved_replies.index": ("/replies", {"GET": STAFF, "POST": STAFF}),
    "saved_replies.remove": ("/replies/1/remove", {"POST": STAFF}),
    "knowledge.index": ("/articles", {"GET": PEOPLE}),
    "knowledge.new": ("/articles/new", {"GET": STAFF, "POST": STAFF}),
    "knowledge.edit": ("/articles/1", {"GET": PEOPLE, "POST": STAFF}),
    "knowledge.remove": ("/articles/2/remove", {"POST": STAFF}),  # not article 1, whose page the viewer is refused
    "cis.index": ("/cis", {"GET": STAFF}),
    "cis.new": ("/cis/new", {"GET": STAFF, "POST": STAFF}),
    "cis.detail": ("/cis/db1", {"GET": STAFF}),
    "cis.edit": ("/cis/db1/edit", {"GET": STAFF, "POST": STAFF}),
    "cis.retire": ("/cis/db1/retire", {"POST": STAFF}),
    "cis.remove": ("/cis/db1/remove", {"POST": STAFF}),
    "suggest.ci_names": ("/suggest/cis?q=db", {"GET": STAFF}),
    "suggest.people": ("/suggest/people?q=ad", {"GET": STAFF}),
    "suggest.assignee_names": ("/suggest/assignees?q=ad", {"GET": PEOPLE}),
    "catalogue.index": ("/services", {"GET": PEOPLE}),
    "catalogue.add_service": ("/services", {"POST": ADMINS}),
    "catalogue.edit": ("/services/mail/edit", {"GET": ADMINS, "POST": ADMINS}),
    "catalogue.add_policy": ("/services/policies", {"POST": ADMINS}),
    "catalogue.remove_policy": ("/services/policies/P1/remove", {"POST": ADMINS}),
    "catalogue.edit_policy": ("/services/policies/P1/edit", {"GET": ADMINS, "POST": ADMINS}),
    "catalogue.rename": ("/services/mail/rename", {"POST": ADMINS}),
    "catalogue.remove": ("/services/mail/remove", {"POST": ADMINS}),
    "calendars.add": ("/services/calendars", {"POST": ADMINS}),
    "calendars.edit": ("/services/calendars/office/edit", {"GET": ADMINS, "POST": ADMINS}),
    "calendars.remove": ("/services/calendars/office/remove", {"POST": ADMINS}),
    "request_types.index": ("/request-types", {"GET": PEOPLE}),
    "request_types.new": ("/request-types/new", {"GET": ADMINS, "POST": ADMINS}),
    "request_types.edit": ("/request-types/1/edit", {"GET": ADMINS, "POST": ADMINS}),
    "request_types.retire": ("/request-types/1/retire", {"POST": ADMINS}),
    "request_types.restore": ("/request-types/1/restore", {"POST": ADMINS}),
    "integrations.index": ("/integrations", {"GET": STAFF, "POST": ADMINS}),
    "integrations.detail": ("/integrations/monitoring", {"GET": STAFF}),
    "integrations.edit_mapping": ("/integrations/monitoring/mapping", {"POST": ADMINS}),
    "integrations.rotate": ("/integrations/monitoring/rotate", {"POST": ADMINS}),
    "integrations.send_test": ("/integrations/monitoring/test", {"POST": ADMINS}),
    "integration_settings.save": ("/integrations/monitoring/settings", {"POST": ADMINS}),
    "integration_settings.switch": ("/integrations/monitoring/enabled", {"POST": ADMINS}),
    "integration_settings.remove": ("/integrations/monitoring/remove", {"POST": ADMINS}),
    "integration_settings.add_heartbeat": ("/integrations/monitoring/heartbeats", {"POST": ADMINS}),
    "integration_settings.remove_heartbeat": ("/integrations/monitoring/heartbeats/remove", {"POST": ADMINS}),
    "silences.index": ("/silences", {"GET": STAFF, "POST": STAFF}),
    "silences.expire": ("/silences/1/expire", {"POST": STAFF}),
    "problems.index": ("/problems", {"GET": PEOPLE}),
    "problems.create": ("/problems", {"POST": STAFF}),
    "problems.detail": ("/problems/PRB-1", {"GET": PEOPLE}),
    "problems.update": ("/problems/PRB-1", {"POST": STAFF}),
    "reviews.index": ("/reviews", {"GET": PEOPLE}),
    "reviews.detail": ("/incidents/INC-1/review", {"GET": PEOPLE}),
    "reviews.start": ("/incidents/INC-1/review", {"POST": STAFF}),
    "reviews.save": ("/incidents/INC-1/review/text", {"POST": STAFF}),
    "reviews.add_action": ("/incidents/INC-1/review/actions", {"POST": STAFF}),
    "reviews.file_problem": ("/incidents/INC-1/review/actions/1/problem", {"POST": STAFF}),
    "reviews.remove_action": ("/incidents/INC-1/review/actions/1/remove", {"POST": STAFF}),
    "reviews.publish": ("/incidents/INC-1/review/publish", {"POST": STAFF}),
    "mailboxes.index": ("/mailboxes", {"GET": ADMINS, "POST": ADMINS}),
    "mailboxes.test": ("/mailboxes/support/test", {"POST": ADMINS}),
    "mailboxes.remove": ("/mailboxes/support/remove", {"POST": ADMINS}),
    "outbox.index": ("/outbox", {"GET": ADMINS}),
    "outbox.act": ("/outbox/1/retry", {"POST": ADMINS}),
    "outbox.retry_dead": ("/outbox/retry-dead", {"POST": ADMINS}),
    "groups.index": ("/groups", {"GET": ADMINS, "POST": ADMINS}),
    "groups.remove": ("/groups/dba/remove", {"POST": ADMINS}),
    "groups.add_member": ("/groups/dba/members", {"POST": ADMINS}),
    "groups.remove_member": ("/groups/dba/members/remove", {"POST": ADMINS}),
    "oncall.index": ("/oncall", {"GET": PEOPLE}),
    "oncall.set_rotation": ("/oncall", {"POST": ADMINS}),
    "oncall.add_override": ("/oncall/dba/overrides", {"POST": STAFF}),
    "oncall.remove_override": ("/oncall/dba/overrides/1/remove", {"POST": STAFF}),
    "oncall.remove_rotation": ("/oncall/dba/remove", {"POST": ADMINS}),
    "users.index": ("/users", {"GET": ADMINS, "POST": ADMINS}),
    "users.change": ("/users/1", {"POST": ADMINS}),
    "users.reset_password": ("/users/1/password", {"POST": ADMINS}),
    "users.set_name": ("/users/1/name", {"POST": ADMINS}),
    "requesters.index": ("/requesters?email=ann@example.com", {"GET": ADMINS}),
    "requesters.export": ("/requesters/export", {"POST": ADMINS}),
    "requesters.erase": ("/requesters/erase", {"POST": ADMINS}),
    "account.index": ("/account", {"GET": PEOPLE, "POST": PEOPLE}),
    "account.set_timezone": ("/account/timezone", {"POST": PEOPLE}),
    "account.set_name": ("/account/name", {"POST": PEOPLE}),
    "account.mail": ("/account/mail", {"POST": PEOPLE}),
    "account.set_timeline": ("/account/timeline", {"POST": PEOPLE}),
    "account.create_token": ("/account/tokens", {"POST": PEOPLE}),
    "account.end_other_sessions": ("/account/sessions/end-others", {"POST": PEOPLE}),
    "account.revoke_token": ("/account/tokens/mine/revoke", {"POST": PEOPLE}),
    "tokens.index": ("/tokens", {"GET": ADMINS, "POST": ADMINS}),
    "tokens.revoke": ("/tokens/bot/revoke", {"POST": ADMINS}),
    "two_factor.setup": ("/account/two-factor", {"GET": PEOPLE, "POST": PEOPLE}),
    "two_factor.recovery_codes": ("/account/two-factor/recovery-codes", {"POST": PEOPLE}),
    "two_factor.turn_off": ("/account/two-factor/off", {"POST": PEOPLE}),
    "users.reset_two_factor": ("/users/1/two-factor/reset", {"POST": ADMINS}),
    "security_keys.register_options": ("/account/security-keys/options", {"POST": PEOPLE}),
    "security_keys.register": ("/account/security-keys", {"POST": PEOPLE}),
    "security_keys.rename": ("/account/security-keys/1/rename", {"POST": PEOPLE}),
    "security_keys.remove": ("/account/security-keys/1/remove", {"POST": PEOPLE}),
    "audit.index": ("/audit", {"GET": ADMINS}),
    "reports.sla": ("/reports/sla", {"GET": PEOPLE}),
    "reports.time": ("/reports/time", {"GET": PEOPLE}),
    "reports.sla_csv": ("/reports/sla.csv", {"GET": PEOPLE}),
    "reports.time_csv": ("/reports/time.csv", {"GET": PEOPLE}),
    "reports.requests": ("/reports/requests", {"GET": PEOPLE}),
    "reports.requests_csv": ("/reports/requests.csv", {"GET": PEOPLE}),
    "mail_view.download": ("/incidents/INC-1/attachments/1", {"GET": PEOPLE}),
    "unprocessable.index": ("/events/unprocessable", {"GET": ADMINS}),
    "unprocessable.reprocess": ("/events/1/reprocess", {"POST": ADMINS}),
    "changes.index": ("/changes", {"GET": PEOPLE, "POST": STAFF}),
    "changes.calendar": ("/changes/calendar", {"GET": PEOPLE}),
    "changes.detail": ("/changes/CHG-1", {"GET": PEOPLE}),
    "changes.act": ("/changes/CHG-1/assess", {"POST": STAFF}),
    "changes.fix_problem": ("/changes/CHG-1/problem", {"POST": STAFF}),
    "changes.amend": ("/changes/CHG-1/amend", {"POST": STAFF}),
    "rules.index": ("/rules", {"GET": STAFF}),
    "rules.move": ("/rules/1/move", {"POST": ADMINS}),
    "rules.toggle": ("/rules/1/toggle", {"POST": ADMINS}),
    "rules.delete": ("/rules/1/delete", {"POST": ADMINS}),
    "rules.versions": ("/rules/versions", {"GET": STAFF}),
    "rules.version": ("/rules/versions/1", {"GET": STAFF}),
    "rules.restore": ("/rules/versions/1/restore", {"POST": ADMINS}),
    "rule_editor.new": ("/rules/new", {"GET": ADMINS, "POST": ADMINS}),
    "rule_editor.edit": ("/rules/1/edit", {"GET": ADMINS, "POST": ADMINS}),
}
# "/" only redirects to /incidents, which is where the login check happens. The login's second step (the
# authenticator code, or a security key's options and answer) is authorised by the right password moments before
# (tests/web/test_two_factor.py, tests/web/test_security_keys.py). The requester's satisfaction page, their list
# of requests, an agent's acknowledge page and an approver's page are authorised by their signed links
# (tests/web/test_satisfaction.py, tests/web/test_my_requests.py, tests/web/test_acknowledge_link.py,
# tests/web/test_approvals.py).
# Single sign-on's start and callback are how someone without a session gets one: the start only sends the browser
# to the provider, and the callback logs in only whom a verified ID token names, for a login this browser started
# (tests/web/test_sso.py). Its back-channel logout is posted by the provider, server to server, and ends only the
# sessions a Logout Token signed by the provider names (tests/web/test_sso_backchannel.py).
PUBLIC = {
    "incidents.root", "auth.login", "auth.second_step", "security_keys.login_options", "security_keys.login",
    "auth.logout", "sso.start", "sso.callback",
    "sso.backchannel_logout",
    "health.healthz", "health.intake", "metrics.metrics",
    "openapi.openapi", "static",
    "satisfaction.page", "satisfaction.answer", "acknowledge.page", "acknowledge.acknowledge",
    "approval_link.page", "approval_link.answer",
    "status_page.page", "status_page.as_json", "status_page.as_atom", "oncall_feed.personal",
    "request_status.page", "request_status.solved", "request_status.reply", "status_subscriptions.form",
    "status_subscriptions.ask",
    "status_subscriptions.confirm_page", "status_subscriptions.confirm", "status_subscriptions.leave_page",
    "status_subscriptions.leave", "status_subscriptions.choose", "help_centre.index", "help_centre.article",
    "help_centre.helpful", "ask_desk.form", "ask_desk.catalogue", "ask_desk.ask", "ask_desk.confirm_page",
    "ask_desk.confirm", "my_requests.form", "my_requests.ask", "my_requests.page",
}  # fmt: skip
BY_MACHINE_CREDENTIALS = {
    "events.receive", "heartbeats.ping", "pagerduty.enqueue", "pagerduty.change_enqueue",
    "opsgenie.create", "opsgenie.acknowledge", "opsgenie.close",
    "api.incidents", "api.log", "api.incident", "api.incident_file", "api.update_incident", "api.comment",
    "api.log_time", "api.correct_time", "api.add_watcher", "api.remove_watcher", "api.link_problem",
    "api.unlink_problem",
    "major_api.declare", "major_api.hand_over", "major_api.stand_down", "steps_api.tick", "copied_api.copy",
    "copied_api.uncopy",
    "approvals_api.index", "approvals_api.ask", "approvals_api.decide", "approvals_api.withdraw",
    "reviews_api.index", "reviews_api.detail", "reviews_api.start", "reviews_api.save", "reviews_api.publish",
    "reviews_api.add_action", "reviews_api.remove_action", "reviews_api.file_problem",
    "problems_api.api_suggestions", "problems_api.api_index", "problems_api.api_create", "problems_api.api_problem",
    "problems_api.api_update",
    "silences_api.create", "silences_api.index", "silences_api.expire",
    "records_api.events", "records_api.event", "records_api.integrations",
    "knowledge_api.articles", "knowledge_api.article", "knowledge_api.suggest",
    "cis_api.index", "cis_api.detail", "cis_api.put",
    "services_api.index", "services_api.detail", "services_api.create", "services_api.change", "services_api.remove",
    "sla_api.policies", "sla_api.policy", "sla_api.add_policy", "sla_api.change_policy", "sla_api.remove_policy",
    "sla_api.calendar_list", "sla_api.calendar", "sla_api.add_calendar", "sla_api.change_calendar",
    "sla_api.remove_calendar",
    "request_types_api.index", "request_types_api.create", "request_types_api.change",
    "mail_choices_api.read", "mail_choices_api.put", "mail_choices_api.patch",
    "changes_api.index", "changes_api.detail", "changes_api.amend", "changes_api.fix_problem",
    "changes_api.unfix_problem",
    "rules_api.index", "rules_api.export", "rules_api.versions",
    "oncall_api.index", "oncall_api.rotation", "oncall_api.add_override", "oncall_api.remove_override",
    "oncall_feed.feed", "tokens_api.index", "tokens_api.revoke",
}  # fmt: skip


def test_every_route_has_an_access_rule(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(UI) | PUBLIC | BY_MACHINE_CREDENTIALS


def test_every_method_of_every_page_has_an_access_rule(app: Flask) -> None:
    taken = {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint in UI
             for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}  # fmt: skip
    assert taken == set(CASES)


#: (endpoint, method) -> (path, roles allowed): one case per method of every page.
CASES = {(endpoint, method): (path, roles) for endpoint, (path, rules) in UI.items() for method, roles in rules.items()}
BYSTANDER = "bystander@example.com"  # user 1, whom /users/1's forms change: never one of the people logged in


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Flask]:
    """One app for the module (per test worker), with an incident INC-1 on the CI db1 for the detail pages, the
    service mail, the SLA policy P1 and the calendar office for the catalogue's, articles 1 and 2, and a person for
    each role. Made
    once: each case makes one request and asks only whether it was let in, which no earlier case's write changes
    (the forms post nothing valid, and those naming a person name the bystander). A fresh app per case took the
    file past a minute."""
    settings = make_settings(tmp_path_factory.mktemp("matrix") / "var")
    db = migrated_database(settings.database_url, migrated_sqlite, timeout=settings.db_timeout)
    with db.transaction() as session:
        for email, role in ((BYSTANDER, "viewer"), *((f"{role}@example.com", role) for role in ROLES[1:])):
            accounts.create_user(session, email=email, password=PASSWORD, role=role)
        _, secret = accounts.create_integration(session, name="monitoring")
        cis.create(session, cis.CiFields(name="db1", kind="server"))
        catalogue.add_service(session, name="mail")
        calendars.add_calendar(session, name="office", tz="UTC", hours="24x7")
        catalogue.add_policy(session, name="P1", priority=1, targets=catalogue.Targets(resolution=timedelta(hours=4)))
        request_types.add(session, name="New laptop", summary="A laptop for a new starter")
        for title in ("VPN drops", "Printer offline"):
            knowledge.add(session, title=title, body="Restart it.", by=BYSTANDER)
    with app_on(settings, db) as app:
        posted = post_event(app.test_client(), "monitoring", secret, {"title": "Disk full", "labels": {"host": "db1"}})
        assert posted.status_code == 202, posted.get_data(as_text=True)
        yield app
    db.dispose()


@pytest.fixture(scope="module")
def browsers(site: Flask) -> dict[str, tuple[FlaskClient, str]]:
    """A browser per role, logged in as that role's person (anonymous: not at all), with its CSRF token."""
    found = {}
    for role in ROLES:
        client = site.test_client()
        if role != "anonymous":
            assert log_in(client, Login(f"{role}@example.com", PASSWORD)).status_code == 302
        page = "/login" if role == "anonymous" else "/incidents"  # every page a person sees carries a token
        found[role] = (client, csrf_token(client.get(page).get_data(as_text=True)))
    return found


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "method"), sorted(CASES))
def test_page_access(browsers: dict[str, tuple[FlaskClient, str]], endpoint: str, method: str, role: str) -> None:
    path, allowed = CASES[endpoint, method]
    client, token = browsers[role]
    data = {"csrf_token": token, "mapping": "", "save": "1"} if method == "POST" else None
    response = client.open(path, method=method, data=data)
    with client.session_transaction() as session:
        session.pop("_flashes", None)  # a redirect's flash, never shown here, would grow the cookie case by case
    if role == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"], (endpoint, method, role)
    elif role in allowed:
        assert response.status_code not in (401, 403), (endpoint, method, role, response.status_code)
    else:
        assert response.status_code == 403, (endpoint, method, role, response.status_code)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/incidents", "/api/v1/incidents/INC-1", "/api/v1/incidents/INC-1/files/1", "/api/v1/silences",
     "/api/v1/oncall.ics", "/api/v1/users/admin@example.com/mail-choices", "/api/v1/reviews",
     "/api/v1/incidents/INC-1/review", "/api/v1/services", "/api/v1/services/mail", "/api/v1/sla-policies",
     "/api/v1/calendars/office", "/api/v1/request-types", "/api/v1/tokens"],
)  # fmt: skip
def test_api_needs_a_token(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 401


@pytest.mark.parametrize("role", ["viewer", "agent", "admin"])
def test_api_tokens_act_within_their_role(client: FlaskClient, db: Database, role: str) -> None:
    with db.transaction() as session:
        token = accounts.create_token(session, name=f"t-{role}", role=role)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    created = client.post("/api/v1/silences", json={"matchers": ["labels.team=db"], "duration": "1h"}, headers=headers)
    assert created.status_code == (403 if role == "viewer" else 201)


@pytest.mark.parametrize("role", ["viewer", "agent", "admin"])
def test_only_an_admin_token_reads_or_sets_someones_mail_choices(
    client: FlaskClient, db: Database, make_user: Callable[..., Login], role: str
) -> None:
    """A token is no one's: a person's mail choices through the API are an admin's, as the users page is."""
    bob = make_user(email="bob@example.com")
    with db.transaction() as session:
        token = accounts.create_token(session, name=f"t-{role}", role=role)
    every = asdict(mail_choices.DEFAULTS)  # a PUT sends every choice
    for method, body in (("GET", None), ("PUT", every), ("PATCH", {"mentioned": False})):
        answer = client.open(f"/api/v1/users/{bob.email}/mail-choices", method=method, json=body,
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert answer.status_code == (200 if role == "admin" else 403), (method, answer.json)


def test_a_refused_page_says_whose_it_is_and_whom_to_ask(browsers: dict[str, tuple[FlaskClient, str]]) -> None:
    client, _ = browsers["viewer"]
    response = client.get("/rules")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "This is for admins and agents, and your role is viewer. If your work needs it, ask an admin" in page
