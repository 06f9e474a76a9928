"""`GET /incidents.csv`: the list page's incidents, all pages, as a spreadsheet that runs nothing it was sent. On
SQLite and PostgreSQL (rows are streamed from a server-side cursor there)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from hub import cis, satisfaction
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import Incident
from hub.signed_links import Claim
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.helpers import Login, log_in


def rows(client: FlaskClient, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/incidents.csv{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and response.headers["Content-Disposition"].startswith("attachment;")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # so spreadsheet programs read it as UTF-8
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_every_incident_is_a_row_with_the_list_pages_sort(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    for n in range(3):
        raise_incident(f"Disk full on db{n}", severity="critical", labels={"team": "db"})
    found = rows(logged_in)
    assert [r["ref"] for r in found] == ["INC-3", "INC-2", "INC-1"]
    assert (found[0]["title"], found[0]["status"], found[0]["severity"], found[0]["labels"]) == (
        "Disk full on db2", "open", "critical", '{"team": "db"}'
    )  # fmt: skip


def test_it_holds_every_page_not_only_the_first(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    for n in range(55):  # the list page shows 50
        raise_incident(f"Alert {n}")
    assert len(rows(logged_in)) == 55


def test_the_list_pages_filters_narrow_it(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    raise_incident("Disk full on db1")
    raise_incident("Printer jammed")
    assert [r["title"] for r in rows(logged_in, "?q=printer")] == ["Printer jammed"]


def test_a_bad_filter_is_a_400_naming_it(logged_in: FlaskClient) -> None:
    response = logged_in.get("/incidents.csv?status=sleeping")
    assert response.status_code == 400 and "&#39;status&#39; must be one of" in response.get_data(as_text=True)


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    raise_incident('=HYPERLINK("http://evil.example","click")')
    (row,) = rows(logged_in)
    assert row["title"] == '\'=HYPERLINK("http://evil.example","click")'


def test_commas_quotes_and_line_breaks_stay_inside_their_cell(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    raise_incident('Disk "data", full', description="line one\nline two")
    (row,) = rows(logged_in)
    assert row["title"] == 'Disk "data", full'


def test_viewers_may_download_it_too(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user("viewer@example.com", role="viewer"))
    assert rows(client) == []


def test_the_list_page_links_to_it_with_its_filters(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    raise_incident("Printer jammed")
    page = logged_in.get("/incidents?q=printer&priority=3").get_data(as_text=True)
    assert 'href="/incidents.csv?priority=3&amp;q=printer"' in page


def test_the_requesters_answer_to_how_did_we_do_is_in_its_row(
    logged_in: FlaskClient, intake: Intake, db: Database, raise_incident: Callable[..., str]
) -> None:
    raise_incident("Disk full on db1")
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nIt jams")
    event = InboundEvent(source="email", title="Printer jams", requester="ann@example.org", message_id="<p@x>")
    incident_id = intake.record(raw, event).incident_id
    assert incident_id is not None
    satisfaction.record(db, Claim(incident_id, "ann@example.org"), "bad", "=took three days")
    by_ref = {r["ref"]: r for r in rows(logged_in)}
    answered = by_ref[f"INC-{incident_id}"]
    assert (answered["satisfaction"], answered["satisfaction_comment"]) == ("bad", "'=took three days")
    assert (by_ref["INC-1"]["satisfaction"], by_ref["INC-1"]["satisfaction_comment"]) == ("", "")


#: Every kind of cell the file holds, byte for byte: the header, times in the asked zone with their offset (and
#: empty ones), labels as one JSON cell (sorted keys, as written), quoting of commas, quotes and line breaks, a
#: formula written as text, the CI's name, a number, the requester's answer. Written when each row was an API
#: dict; a faster writer must give the same bytes.
PINNED = (
    "\ufeffref,title,status,priority,severity,category,kind,service,ci,assignee,requester,source,occurrences,"
    "first_seen,last_seen,acknowledged_at,resolved_at,resolution,labels,minutes_spent,satisfaction,satisfaction_comment\r\n"
    'INC-2,"Disk ""data"", full",open,3,unknown,general,request,,,service-desk,ann@example.org,email,1,'
    '2026-11-27T10:14:00+01:00,2026-11-27T10:14:00+01:00,,,,"{""organisation"": ""example.org""}",'
    '0,bad,"\'=took three\ndays"\r\n'
    "INC-1,'=SUM(A1),resolved,2,critical,general,incident,,db1.example.net,bob@example.com,,generic,4,"
    "2026-07-01T14:00:00+02:00,2026-07-01T16:30:00+02:00,2026-07-01T14:05:00+02:00,2026-07-02T08:00:00+02:00,"
    '"rebooted, then fine","{""zone"": ""eu"", ""équipe"": ""db""}",25,,\r\n'
)


def test_the_file_is_written_byte_for_byte_as_pinned(
    logged_in: FlaskClient, intake: Intake, db: Database, raise_incident: Callable[..., str]
) -> None:
    raise_incident("=SUM(A1)", severity="critical", labels={"équipe": "db", "zone": "eu"})
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: Disk\r\n\r\nFull")
    event = InboundEvent(source="email", title='Disk "data", full', requester="ann@example.org", message_id="<d@x>",
                         kind="request")  # fmt: skip
    second = intake.record(raw, event).incident_id
    assert second == 2
    satisfaction.record(db, Claim(second, "ann@example.org"), "bad", "=took three\ndays")
    summer, winter = datetime(2026, 7, 1, 12, 0, tzinfo=UTC), datetime(2026, 11, 27, 9, 14, tzinfo=UTC)
    with db.transaction() as session:
        ci = cis.create(session, cis.CiFields(name="db1.example.net", kind="server"))
        session.flush()
        first, answered = session.scalars(select(Incident).order_by(Incident.id))
        first.status, first.priority, first.occurrences, first.assignee = "resolved", 2, 4, "bob@example.com"
        first.first_seen, first.last_seen = summer, summer + timedelta(hours=2, minutes=30)
        first.acknowledged_at, first.resolved_at = summer + timedelta(minutes=5), summer + timedelta(hours=18)
        first.resolution, first.minutes_spent, first.ci_id = "rebooted, then fine", 25, ci.id
        answered.first_seen = answered.last_seen = winter
    response = logged_in.get("/incidents.csv?tz=Europe/Berlin")
    assert response.get_data(as_text=True) == PINNED
