"""SLA clocks where people and scripts read them: the API, the incident page and the attainment report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from hub.calendars import add_calendar
from hub.catalogue import Targets, add_policy, add_service
from hub.db import Database
from hub.models import Incident
from hub.sla_report import attainment
from tests.web.helpers import bearer
from web.queries import incident_id

H = timedelta(hours=1)


@pytest.fixture
def p1_policy(db: Database) -> None:
    with db.transaction() as session:
        add_calendar(session, name="office", tz="Europe/Berlin", hours="mon-fri 09:00-17:00")
        add_policy(session, name="P1 office", priority=1, calendar="office",
                   targets=Targets(first_response=H / 2, resolution=4 * H))  # fmt: skip


def test_the_api_carries_the_resolution_due_time_and_state(
    client: FlaskClient, api_token: str, raise_incident: Callable[..., str], p1_policy: None
) -> None:
    ref = raise_incident("Disk full", severity="critical")
    [listed] = client.get("/api/v1/incidents", headers=bearer(api_token)).json  # type: ignore[misc]
    one = client.get(f"/api/v1/incidents/{ref}", headers=bearer(api_token)).json
    assert listed["sla_state"] in ("ok", "warning") and one is not None and one["sla_due_at"] == listed["sla_due_at"]
    assert datetime.fromisoformat(listed["sla_due_at"]) > datetime.fromisoformat(listed["first_seen"])


def test_an_incident_without_a_policy_has_null_sla_fields(
    client: FlaskClient, api_token: str, raise_incident: Callable[..., str], p1_policy: None
) -> None:
    raise_incident("FYI", severity="info")
    [listed] = client.get("/api/v1/incidents", headers=bearer(api_token)).json  # type: ignore[misc]
    assert (listed["sla_state"], listed["sla_due_at"]) == (None, None)


def test_a_breached_incident_reads_breached_before_any_sweep(
    client: FlaskClient, db: Database, api_token: str, raise_incident: Callable[..., str], p1_policy: None
) -> None:
    ref = raise_incident("Disk full", severity="critical")
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == incident_id(ref)).values(
            sla_due_at=datetime.fromisoformat("2020-01-01T00:00:00+00:00")))  # fmt: skip
    [listed] = client.get("/api/v1/incidents", headers=bearer(api_token)).json  # type: ignore[misc]
    assert listed["sla_state"] == "breached"


def test_the_incident_page_shows_each_clock(
    logged_in: FlaskClient, raise_incident: Callable[..., str], p1_policy: None
) -> None:
    ref = raise_incident("Disk full", severity="critical")
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert "Service levels" in page and "First response" in page and "Resolution" in page
    assert "of business time left" in page or "breached" in page


def test_the_report_counts_met_and_breached_resolutions_per_priority(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str], p1_policy: None
) -> None:
    late, in_time = (incident_id(raise_incident(t, severity="critical")) for t in ("late", "in time"))
    with db.transaction() as session:
        for which, resolved in ((late, 10 * H), (in_time, H)):
            row = session.get(Incident, which)
            assert row is not None and row.sla_due_at is not None
            row.status, row.resolved_at = "resolved", row.sla_due_at - 2 * H + resolved
            row.acknowledged_at = row.first_seen
    with db.read() as session:
        now = datetime.now().astimezone()
        [p1] = attainment(session, "priority", now - 30 * 24 * H, now + H, now + 30 * 24 * H)
    assert (p1.key, p1.incidents, p1.resolution_met, p1.resolution_breached, p1.resolution) == ("P1", 2, 1, 1, 0.5)
    page = logged_in.get("/reports/sla").get_data(as_text=True)
    assert "By priority" in page and "By group" in page and "By service" in page and "50%" in page


def test_the_report_counts_kept_and_missed_next_updates(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    with db.transaction() as session:
        add_policy(session, name="P1 updates", priority=1, targets=Targets(next_update=H, resolution=4 * H))
    kept, missed, _unanswered = (incident_id(raise_incident(t, severity="critical")) for t in ("kept", "missed", "new"))
    with db.transaction() as session:
        for which in (kept, missed):
            row = session.get(Incident, which)
            assert row is not None
            row.acknowledged_at = row.first_seen
        done = session.get(Incident, kept)
        late = session.get(Incident, missed)
        assert done is not None and late is not None
        done.status, done.resolved_at = "resolved", done.first_seen + H / 2
        late.sla_update_missed_at = late.first_seen + H
    with db.read() as session:
        now = datetime.now().astimezone()
        [p1] = attainment(session, "priority", now - 30 * 24 * H, now + H, now)
    assert (p1.incidents, p1.update_met, p1.update_breached, p1.update) == (3, 1, 1, 0.5)
    page = logged_in.get("/reports/sla").get_data(as_text=True)
    assert "Updates kept" in page and "50%" in page


def test_the_report_lists_the_policies_calendars_and_services_it_measures_against(
    logged_in: FlaskClient, db: Database, p1_policy: None
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail", owner_group="messaging", description="Exchange <and> the MX relays")
        add_policy(session, name="P2 mail", priority=2, service="mail", targets=Targets(resolution=8 * H))
    page = logged_in.get("/reports/sla").get_data(as_text=True)
    policies = page.split('<table class="sla-policies">', 1)[1].split("</table>", 1)[0]
    assert policies.index("P1 office") < policies.index("P2 mail")  # by priority
    assert "first response 30 min, resolution 4 h" in policies and ">office<" in policies
    assert "service mail" in policies and "24x7 UTC" in policies
    assert "office: Europe/Berlin, mon-fri 09:00-17:00" in page
    assert "messaging" in page and "Exchange &lt;and&gt; the MX relays" in page


def test_with_nothing_set_up_the_report_says_how_to_add_a_policy(logged_in: FlaskClient) -> None:
    page = logged_in.get("/reports/sla").get_data(as_text=True)
    assert "No SLA policies" in page and "switchboard sla add" in page and "switchboard service add" in page
    assert '<a href="/services#policies">Services</a>' in page and "(docs/sla.md)" not in page
