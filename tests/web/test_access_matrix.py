"""Every route x every role, in one table: who may reach what. A new route fails here until it is given a rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub import accounts, calendars, catalogue, cis, mail_choices, request_types
from hub.db import Database
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, csrf_token, log_in

ROLES = ("anonymous", "viewer", "agent", "admin")
EVERYONE = frozenset(ROLES)
PEOPLE = frozenset({"viewer", "agent", "admin"})
STAFF = frozenset({"agent", "admin"})
ADMINS = frozenset({"admin"})

# endpoint -> (method, path, roles allowed). Pages refuse anonymous visitors by sending them to log in (302) and
# logged-in people without the role with 403. Machine endpoints authenticate by their own credentials (tested
# in their own files) and are listed here so that no route goes without a decision.
UI = {
    "dashboard.index": ("GET", "/dashboard", PEOPLE),
    "incidents.index": ("GET", "/incidents", PEOPLE),
    "incidents.detail": ("GET", "/incidents/INC-1", PEOPLE),
    "incident_actions.act": ("POST", "/incidents/INC-1/priority", STAFF),
    "incident_notes.note": ("POST", "/incidents/INC-1/note", STAFF),
    "incident_notes.reply": ("POST", "/incidents/INC-1/reply", STAFF),
    "incident_actions.bulk": ("POST", "/incidents/bulk", STAFF),
    "approvals.mine": ("GET", "/approvals", PEOPLE),
    "approvals.decide": ("POST", "/approvals/1/decision", PEOPLE),
    "new_incident.new": ("GET", "/incidents/new", STAFF),
    "incident_export.download": ("GET", "/incidents.csv", PEOPLE),
    "saved_replies.index": ("GET", "/replies", STAFF),
    "saved_replies.remove": ("POST", "/replies/1/remove", STAFF),
    "knowledge.index": ("GET", "/articles", PEOPLE),
    "knowledge.new": ("GET", "/articles/new", STAFF),
    "knowledge.edit": ("GET", "/articles/1", PEOPLE),
    "knowledge.remove": ("POST", "/articles/1/remove", STAFF),
    "cis.index": ("GET", "/cis", STAFF),
    "cis.new": ("GET", "/cis/new", STAFF),
    "cis.detail": ("GET", "/cis/db1", STAFF),
    "cis.edit": ("GET", "/cis/db1/edit", STAFF),
    "cis.retire": ("POST", "/cis/db1/retire", STAFF),
    "cis.remove": ("POST", "/cis/db1/remove", STAFF),
    "suggest.ci_names": ("GET", "/suggest/cis?q=db", STAFF),
    "suggest.people": ("GET", "/suggest/people?q=ad", STAFF),
    "suggest.assignee_names": ("GET", "/suggest/assignees?q=ad", PEOPLE),
    "catalogue.index": ("GET", "/services", PEOPLE),
    "catalogue.add_service": ("POST", "/services", ADMINS),
    "catalogue.edit": ("GET", "/services/mail/edit", ADMINS),
    "catalogue.add_policy": ("POST", "/services/policies", ADMINS),
    "catalogue.remove_policy": ("POST", "/services/policies/P1/remove", ADMINS),
    "catalogue.edit_policy": ("GET", "/services/policies/P1/edit", ADMINS),
    "catalogue.rename": ("POST", "/services/mail/rename", ADMINS),
    "catalogue.remove": ("POST", "/services/mail/remove", ADMINS),
    "calendars.add": ("POST", "/services/calendars", ADMINS),
    "calendars.edit": ("GET", "/services/calendars/office/edit", ADMINS),
    "calendars.remove": ("POST", "/services/calendars/office/remove", ADMINS),
    "request_types.index": ("GET", "/request-types", PEOPLE),
    "request_types.new": ("GET", "/request-types/new", ADMINS),
    "request_types.edit": ("GET", "/request-types/1/edit", ADMINS),
    "request_types.retire": ("POST", "/request-types/1/retire", ADMINS),
    "request_types.restore": ("POST", "/request-types/1/restore", ADMINS),
    "integrations.index": ("GET", "/integrations", STAFF),
    "integrations.detail": ("GET", "/integrations/monitoring", STAFF),
    "integrations.edit_mapping": ("POST", "/integrations/monitoring/mapping", ADMINS),
    "integrations.rotate": ("POST", "/integrations/monitoring/rotate", ADMINS),
    "integrations.send_test": ("POST", "/integrations/monitoring/test", ADMINS),
    "integration_settings.save": ("POST", "/integrations/monitoring/settings", ADMINS),
    "integration_settings.switch": ("POST", "/integrations/monitoring/enabled", ADMINS),
    "integration_settings.remove": ("POST", "/integrations/monitoring/remove", ADMINS),
    "integration_settings.add_heartbeat": ("POST", "/integrations/monitoring/heartbeats", ADMINS),
    "integration_settings.remove_heartbeat": ("POST", "/integrations/monitoring/heartbeats/remove", ADMINS),
    "silences.index": ("GET", "/silences", STAFF),
    "silences.expire": ("POST", "/silences/1/expire", STAFF),
    "problems.index": ("GET", "/problems", PEOPLE),
    "problems.create": ("POST", "/problems", STAFF),
    "problems.detail": ("GET", "/problems/PRB-1", PEOPLE),
    "problems.update": ("POST", "/problems/PRB-1", STAFF),
    "reviews.index": ("GET", "/reviews", PEOPLE),
    "reviews.detail": ("GET", "/incidents/INC-1/review", PEOPLE),
    "reviews.start": ("POST", "/incidents/INC-1/review", STAFF),
    "reviews.save": ("POST", "/incidents/INC-1/review/text", STAFF),
    "reviews.add_action": ("POST", "/incidents/INC-1/review/actions", STAFF),
    "reviews.file_problem": ("POST", "/incidents/INC-1/review/actions/1/problem", STAFF),
    "reviews.remove_action": ("POST", "/incidents/INC-1/review/actions/1/remove", STAFF),
    "reviews.publish": ("POST", "/incidents/INC-1/review/publish", STAFF),
    "mailboxes.index": ("GET", "/mailboxes", ADMINS),
    "mailboxes.test": ("POST", "/mailboxes/support/test", ADMINS),
    "mailboxes.remove": ("POST", "/mailboxes/support/remove", ADMINS),
    "outbox.index": ("GET", "/outbox", ADMINS),
    "outbox.act": ("POST", "/outbox/1/retry", ADMINS),
    "outbox.retry_dead": ("POST", "/outbox/retry-dead", ADMINS),
    "groups.index": ("GET", "/groups", ADMINS),
    "groups.remove": ("POST", "/groups/dba/remove", ADMINS),
    "groups.add_member": ("POST", "/groups/dba/members", ADMINS),
    "groups.remove_member": ("POST", "/groups/dba/members/remove", ADMINS),
    "oncall.index": ("GET", "/oncall", PEOPLE),
    "oncall.set_rotation": ("POST", "/oncall", ADMINS),
    "oncall.add_override": ("POST", "/oncall/dba/overrides", STAFF),
    "oncall.remove_override": ("POST", "/oncall/dba/overrides/1/remove", STAFF),
    "oncall.remove_rotation": ("POST", "/oncall/dba/remove", ADMINS),
    "users.index": ("GET", "/users", ADMINS),
    "users.change": ("POST", "/users/1", ADMINS),
    "users.reset_password": ("POST", "/users/1/password", ADMINS),
    "users.set_name": ("POST", "/users/1/name", ADMINS),
    "requesters.index": ("GET", "/requesters?email=ann@example.com", ADMINS),
    "requesters.export": ("POST", "/requesters/export", ADMINS),
    "requesters.erase": ("POST", "/requesters/erase", ADMINS),
    "account.index": ("GET", "/account", PEOPLE),
    "account.set_timezone": ("POST", "/account/timezone", PEOPLE),
    "account.set_name": ("POST", "/account/name", PEOPLE),
    "account.mail": ("POST", "/account/mail", PEOPLE),
    "account.set_timeline": ("POST", "/account/timeline", PEOPLE),
    "account.create_token": ("POST", "/account/tokens", PEOPLE),
    "account.revoke_token": ("POST", "/account/tokens/mine/revoke", PEOPLE),
    "tokens.index": ("GET", "/tokens", ADMINS),
    "tokens.revoke": ("POST", "/tokens/bot/revoke", ADMINS),
    "two_factor.setup": ("GET", "/account/two-factor", PEOPLE),
    "two_factor.recovery_codes": ("POST", "/account/two-factor/recovery-codes", PEOPLE),
    "two_factor.turn_off": ("POST", "/account/two-factor/off", PEOPLE),
    "users.reset_two_factor": ("POST", "/users/1/two-factor/reset", ADMINS),
    "security_keys.register_options": ("POST", "/account/security-keys/options", PEOPLE),
    "security_keys.register": ("POST", "/account/security-keys", PEOPLE),
    "security_keys.rename": ("POST", "/account/security-keys/1/rename", PEOPLE),
    "security_keys.remove": ("POST", "/account/security-keys/1/remove", PEOPLE),
    "audit.index": ("GET", "/audit", ADMINS),
    "reports.sla": ("GET", "/reports/sla", PEOPLE),
    "reports.time": ("GET", "/reports/time", PEOPLE),
    "reports.time_csv": ("GET", "/reports/time.csv", PEOPLE),
    "reports.requests": ("GET", "/reports/requests", PEOPLE),
    "reports.requests_csv": ("GET", "/reports/requests.csv", PEOPLE),
    "mail_view.download": ("GET", "/incidents/INC-1/attachments/1", PEOPLE),
    "unprocessable.index": ("GET", "/events/unprocessable", ADMINS),
    "unprocessable.reprocess": ("POST", "/events/1/reprocess", ADMINS),
    "changes.index": ("GET", "/changes", PEOPLE),
    "changes.calendar": ("GET", "/changes/calendar", PEOPLE),
    "changes.detail": ("GET", "/changes/CHG-1", PEOPLE),
    "changes.act": ("POST", "/changes/CHG-1/assess", STAFF),
    "changes.fix_problem": ("POST", "/changes/CHG-1/problem", STAFF),
    "rules.index": ("GET", "/rules", STAFF),
    "rules.move": ("POST", "/rules/1/move", ADMINS),
    "rules.toggle": ("POST", "/rules/1/toggle", ADMINS),
    "rules.delete": ("POST", "/rules/1/delete", ADMINS),
    "rules.versions": ("GET", "/rules/versions", STAFF),
    "rules.version": ("GET", "/rules/versions/1", STAFF),
    "rules.restore": ("POST", "/rules/versions/1/restore", ADMINS),
    "rule_editor.new": ("GET", "/rules/new", ADMINS),
    "rule_editor.edit": ("GET", "/rules/1/edit", ADMINS),
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
    "request_status.page", "request_status.solved", "status_subscriptions.form", "status_subscriptions.ask",
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
    "major_api.declare", "major_api.hand_over", "major_api.stand_down", "steps_api.tick",
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
    "changes_api.index", "changes_api.detail", "changes_api.fix_problem", "changes_api.unfix_problem",
    "rules_api.index", "rules_api.export", "rules_api.versions",
    "oncall_api.index", "oncall_api.rotation", "oncall_api.add_override", "oncall_api.remove_override",
    "oncall_feed.feed", "tokens_api.index", "tokens_api.revoke",
}  # fmt: skip


def test_every_route_has_an_access_rule(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(UI) | PUBLIC | BY_MACHINE_CREDENTIALS


@pytest.fixture
def as_role(
    client: FlaskClient, make_user: Callable[..., Login], integration: IntegrationCredentials, db: Database
) -> Callable[[str], FlaskClient]:
    """A client logged in with a role (or not at all), an incident INC-1 on the CI db1 for the detail pages, and the
    service mail, the SLA policy P1 and the calendar office for the catalogue's."""
    with db.transaction() as session:
        cis.create(session, cis.CiFields(name="db1", kind="server"))
        catalogue.add_service(session, name="mail")
        calendars.add_calendar(session, name="office", tz="UTC", hours="24x7")
        catalogue.add_policy(session, name="P1", priority=1, targets=catalogue.Targets(resolution=timedelta(hours=4)))
        request_types.add(session, name="New laptop", summary="A laptop for a new starter")
    client.post(f"/api/v1/events/{integration.name}", json={"title": "Disk full", "labels": {"host": "db1"}},
                headers={"Authorization": f"Bearer {integration.secret}"})  # fmt: skip

    def login(role: str) -> FlaskClient:
        if role != "anonymous":
            log_in(client, make_user(email=f"{role}@example.com", role=role))
        return client

    return login


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(UI))
def test_page_access(as_role: Callable[[str], FlaskClient], endpoint: str, role: str) -> None:
    method, path, allowed = UI[endpoint]
    client = as_role(role)
    if method == "GET":
        response = client.get(path)
    else:
        page = "/login" if role == "anonymous" else "/incidents"  # every page a person sees carries a token
        token = csrf_token(client.get(page).get_data(as_text=True))
        response = client.post(path, data={"csrf_token": token, "mapping": "", "save": "1"})
    if role == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"], (endpoint, role)
    elif role in allowed:
        assert response.status_code not in (401, 403), (endpoint, role, response.status_code)
    else:
        assert response.status_code == 403, (endpoint, role, response.status_code)


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
