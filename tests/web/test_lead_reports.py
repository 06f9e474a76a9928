"""Figures a team lead drills into: each SLA report count, the dashboard's bad answers and its backlog by group and
by age link to the incident list of exactly what they count."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, update

from hub.catalogue import Targets, add_policy
from hub.db import Database
from hub.models import Incident, SatisfactionAnswer, utcnow
from tests.web.helpers import bearer, statements
from tests.web.test_dashboard import href, refs
from web.queries import incident_id

H = timedelta(hours=1)


@pytest.fixture
def breached_and_met(db: Database, raise_incident: Callable[..., str]) -> dict[str, str]:
    """Under a P1 policy: one resolved late, one resolved in time, one still open past its due time; and one P1
    resolved late but opened before the report's period."""
    with db.transaction() as session:
        add_policy(session, name="P1", priority=1, targets=Targets(first_response=H / 2, resolution=4 * H))
    made = {name: raise_incident(f"Switch {name}", dedup_key=name, severity="critical")
            for name in ("late", "in_time", "overdue", "long_ago")}  # fmt: skip
    now = utcnow()
    with db.transaction() as session:
        for name, values in (
            ("late", {"status": "resolved", "resolved_at": now, "sla_due_at": now - H}),
            ("in_time", {"status": "resolved", "resolved_at": now - H, "sla_due_at": now}),
            ("overdue", {"sla_due_at": now - H}),
            ("long_ago", {"status": "resolved", "resolved_at": now, "sla_due_at": now - H,
                          "first_seen": now - timedelta(days=60)}),
        ):  # fmt: skip
            session.execute(update(Incident).where(Incident.id == incident_id(made[name])).values(**values))
    return made


def test_each_sla_report_count_links_to_the_incidents_it_counts(
    logged_in: FlaskClient, breached_and_met: dict[str, str]
) -> None:
    page = logged_in.get("/reports/sla").get_data(as_text=True)
    table = page[page.index('data-dimension="priority"') :].split("</table>", 1)[0]
    breached = logged_in.get(href(table, r'<a href="([^"]*)" aria-label="2 resolution breached, P1">2</a>'))
    met = logged_in.get(href(table, r'<a href="([^"]*)" aria-label="1 resolution met, P1">1</a>'))
    made = breached_and_met
    assert sorted(refs(breached.get_data(as_text=True))) == sorted([made["late"], made["overdue"]])
    assert refs(met.get_data(as_text=True)) == [made["in_time"]]


def test_the_api_lists_incidents_by_how_their_sla_clock_ended(
    client: FlaskClient, api_token: str, breached_and_met: dict[str, str]
) -> None:
    found = client.get("/api/v1/incidents?sla=resolution_breached", headers=bearer(api_token)).json
    made = breached_and_met
    assert sorted(row["ref"] for row in found) == sorted([made["late"], made["overdue"], made["long_ago"]])  # type: ignore[union-attr]


def test_an_unknown_sla_outcome_is_refused_naming_the_choices(client: FlaskClient, api_token: str) -> None:
    answer = client.get("/api/v1/incidents?sla=late", headers=bearer(api_token))
    assert answer.status_code == 400 and "resolution_breached" in answer.get_data(as_text=True)


def test_the_sla_report_csv_has_the_pages_counts(logged_in: FlaskClient, breached_and_met: dict[str, str]) -> None:
    answer = logged_in.get("/reports/sla.csv?days=30")
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    [p1] = [row for row in rows if (row["by"], row["name"]) == ("priority", "P1")]
    assert "sla-30d.csv" in answer.headers["Content-Disposition"]
    assert (p1["incidents"], p1["resolution_met"], p1["resolution_breached"], p1["resolution_attainment"]) == (
        "3", "1", "2", "33.3",
    )  # fmt: skip


def test_the_bad_satisfaction_count_lists_those_incidents_with_their_comments(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    bad, good, old = (raise_incident(f"Printer {n}", dedup_key=n) for n in ("bad", "good", "old"))
    now = utcnow()
    answers = [(bad, "bad", "Took a week", now), (good, "good", None, now), (old, "bad", None, now - 40 * 24 * H)]
    with db.transaction() as session:
        session.execute(insert(SatisfactionAnswer), [
            {"incident_id": incident_id(ref), "requester": "ann@example.com", "rating": rating, "comment": comment,
             "first_answered_at": at, "answered_at": at} for ref, rating, comment, at in answers])  # fmt: skip
    page = logged_in.get("/dashboard").get_data(as_text=True)
    listed = logged_in.get(href(page, r'<a href="([^"]*)" id="csat-bad">1 bad</a>')).get_data(as_text=True)
    assert refs(listed) == [bad] and "Took a week" in listed


def test_each_backlog_age_figure_links_to_the_open_incidents_it_counts(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    made = {days: raise_incident(f"Disk {days}", dedup_key=str(days)) for days in (0, 3, 10, 45)}
    with db.transaction() as session:
        for days, ref in made.items():
            opened = utcnow() - timedelta(days=days, hours=1)
            session.execute(update(Incident).where(Incident.id == incident_id(ref)).values(first_seen=opened))
    page = logged_in.get("/dashboard").get_data(as_text=True)
    table = page[page.index('id="open-by-age"') :].split("</table>", 1)[0]
    for label, days in (("under 1 day", 0), ("1 to 7 days", 3), ("7 to 30 days", 10), ("over 30 days", 45)):
        link = href(table, rf'<a href="([^"]*)" aria-label="1 open, opened {label} ago">1</a>')
        assert refs(logged_in.get(link).get_data(as_text=True)) == [made[days]], label


def test_each_backlog_group_figure_links_to_the_open_incidents_it_counts(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    network, also, storage = (raise_incident(f"Link {n}", dedup_key=n) for n in ("a", "b", "c"))
    with db.transaction() as session:
        for ref, group in ((network, "network"), (also, "network"), (storage, "storage")):
            session.execute(update(Incident).where(Incident.id == incident_id(ref)).values(assignee=group))
    page = logged_in.get("/dashboard").get_data(as_text=True)
    table = page[page.index('id="open-by-group"') :].split("</table>", 1)[0]
    listed = logged_in.get(href(table, r'<a href="([^"]*)" aria-label="2 open, network">2</a>'))
    assert sorted(refs(listed.get_data(as_text=True))) == sorted([network, also])


def test_the_backlog_costs_the_dashboard_one_query_however_many_groups(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    def sent() -> int:
        with statements(db) as found:
            logged_in.get("/dashboard")
        return len(found)

    raise_incident("First", dedup_key="first")
    before = sent()
    for n in range(5):
        ref = raise_incident(f"Other {n}", dedup_key=f"other{n}")
        with db.transaction() as session:
            session.execute(update(Incident).where(Incident.id == incident_id(ref)).values(assignee=f"group{n}"))
    assert sent() == before


@pytest.mark.parametrize(("dimension", "column"), [("group", "assignee"), ("service", "service")])
def test_the_sla_report_none_line_links_to_the_incidents_it_counts(
    logged_in: FlaskClient, db: Database, breached_and_met: dict[str, str], dimension: str, column: str
) -> None:
    made = breached_and_met
    with db.transaction() as session:
        session.execute(update(Incident).values(**{column: "network"}))
        session.execute(update(Incident).where(Incident.id == incident_id(made["late"])).values(**{column: None}))
    page = logged_in.get("/reports/sla").get_data(as_text=True)
    table = page[page.index(f'data-dimension="{dimension}"') :].split("</table>", 1)[0]
    listed = logged_in.get(href(table, r'<a href="([^"]*)" aria-label="1 resolution breached, \(none\)">1</a>'))
    assert refs(listed.get_data(as_text=True)) == [made["late"]]


def test_the_backlog_no_one_figure_links_to_the_open_incidents_assigned_to_no_one(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    nobody, blank, held = (raise_incident(f"Link {n}", dedup_key=n) for n in ("a", "b", "c"))
    with db.transaction() as session:
        for ref, assignee in ((nobody, None), (blank, ""), (held, "network")):
            session.execute(update(Incident).where(Incident.id == incident_id(ref)).values(assignee=assignee))
    page = logged_in.get("/dashboard").get_data(as_text=True)
    link = href(page, r'<a href="([^"]*)" aria-label="2 open, assigned to no one" id="open-by-no-one">')
    listed = logged_in.get(link)
    assert sorted(refs(listed.get_data(as_text=True))) == sorted([nobody, blank])


def test_rated_since_alone_lists_those_answered_since_whatever_the_rating(
    client: FlaskClient, api_token: str, db: Database, raise_incident: Callable[..., str]
) -> None:
    good, bad, old = (raise_incident(f"Printer {n}", dedup_key=n) for n in ("good", "bad", "old"))
    raise_incident("Printer unrated", dedup_key="unrated")
    now = utcnow()
    with db.transaction() as session:
        session.execute(insert(SatisfactionAnswer), [
            {"incident_id": incident_id(ref), "requester": "ann@example.com", "rating": rating,
             "first_answered_at": at, "answered_at": at}
            for ref, rating, at in ((good, "good", now), (bad, "bad", now), (old, "bad", now - 40 * H))])  # fmt: skip
    since = (now - H).isoformat().replace("+00:00", "Z")
    found = client.get(f"/api/v1/incidents?rated_since={since}", headers=bearer(api_token)).json
    assert sorted(row["ref"] for row in found) == sorted([good, bad])  # type: ignore[union-attr]


def test_no_assignee_beside_an_assignee_is_refused_saying_to_drop_one(client: FlaskClient, api_token: str) -> None:
    answer = client.get("/api/v1/incidents?no_assignee=1&assignee=network", headers=bearer(api_token))
    assert answer.status_code == 400 and "leave out 'assignee', or 'no_assignee'" in answer.json["error"]  # type: ignore[index]
