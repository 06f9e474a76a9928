"""Problems in the UI and API: a recurring alert is suggested, one action files it, and new incidents join it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import update

from hub import accounts
from hub.db import Database
from hub.models import Incident, Problem
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import csrf_token, post_event


def recur(client: FlaskClient, integration: IntegrationCredentials, times: int, key: str = "disk-db1") -> list[str]:
    refs = []
    for _ in range(times):
        opened = post_event(client, integration.name, integration.secret, {"title": "Disk full", "dedup_key": key})
        refs.append(opened.json["incident"])  # type: ignore[index]
        post_event(client, integration.name, integration.secret, {"status": "resolve", "dedup_key": key})
    return refs


def token(db: Database, role: str = "agent") -> dict[str, str]:
    with db.transaction() as session:
        return {"Authorization": f"Bearer {accounts.create_token(session, name=f'p-{role}', role=role)}"}


def test_the_third_recurrence_is_suggested_on_the_page_and_one_click_files_it(
    logged_in: FlaskClient, integration: IntegrationCredentials
) -> None:
    refs = recur(logged_in, integration, 3)
    page = logged_in.get("/problems").get_data(as_text=True)
    assert "Disk full" in page and "3 incidents" in page
    key = re.search(r'name="suggestion" value="([^"]+)"', page)
    assert key is not None
    created = logged_in.post("/problems", data={"csrf_token": csrf_token(page), "suggestion": key.group(1)})
    assert created.status_code == 302 and created.headers["Location"].endswith("/problems/PRB-1")
    detail = logged_in.get("/problems/PRB-1").get_data(as_text=True)
    assert all(f'href="/incidents/{ref}"' in detail for ref in refs)
    assert "Nothing is recurring right now." in logged_in.get("/problems").get_data(as_text=True)


def mondays(count: int) -> list[datetime]:
    """Mondays at 02:00 UTC a week apart, oldest first, the newest before today: a backup that fails once a week,
    too slowly for the burst rule's window."""
    now = datetime.now(UTC)
    newest = (now - timedelta(days=now.weekday() or 7)).replace(hour=2, minute=0, second=0, microsecond=0)
    return [newest - timedelta(weeks=weeks) for weeks in reversed(range(count))]


def date_back(db: Database, refs: list[str], times: list[datetime]) -> None:
    with db.transaction() as session:
        for ref, when in zip(refs, times, strict=True):
            number = int(ref.removeprefix("INC-"))
            session.execute(update(Incident).where(Incident.id == number).values(first_seen=when))


def test_a_weekly_recurrence_is_suggested_with_its_schedule_in_the_readers_zone_and_files_like_the_others(
    logged_in: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    refs = recur(logged_in, integration, 4, key="backup-nightly")
    date_back(db, refs, mondays(4))
    with db.transaction() as session:
        accounts.set_timezone(session, "agent@example.com", "Asia/Tokyo")
    page = logged_in.get("/problems").get_data(as_text=True)
    assert "4 incidents" in page and '<span class="schedule">about every 7 days, Mondays around 11:00</span>' in page
    assert "or on a steady schedule within 90 days (times in Asia/Tokyo)" in page
    key = re.search(r'name="suggestion" value="([^"]+)"', page)
    assert key is not None
    logged_in.post("/problems", data={"csrf_token": csrf_token(page), "suggestion": key.group(1)})
    detail = logged_in.get("/problems/PRB-1").get_data(as_text=True)
    assert all(f'href="/incidents/{ref}"' in detail for ref in refs)
    assert "Nothing is recurring right now." in logged_in.get("/problems").get_data(as_text=True)


def test_the_api_gives_a_periodic_suggestion_its_period_and_schedule_in_utc(
    client: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    date_back(db, recur(client, integration, 3, key="backup-nightly"), mondays(3))
    [found] = client.get("/api/v1/problems/suggestions", headers=token(db)).json  # type: ignore[misc]
    assert (found["pattern"], found["period_seconds"], found["count"]) == ("periodic", 7 * 86400.0, 3)
    assert found["schedule"] == "about every 7 days, Mondays around 02:00 UTC"


def test_linking_and_unlinking_an_incident_of_a_schedule_shows_in_the_next_listing(
    client: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    """The app keeps the look-back a minute (hub/lookback_cache.py); a link or unlink is seen at once all the same."""
    refs = recur(client, integration, 3, key="backup-nightly")
    date_back(db, refs, mondays(3))
    headers = token(db, "admin")
    assert len(client.get("/api/v1/problems/suggestions", headers=headers).json) == 1  # type: ignore[arg-type]
    filed = client.post("/api/v1/problems", headers=headers, json={"title": "Backup target full"})
    problem = filed.json["ref"]  # type: ignore[index]
    assert (
        client.put(f"/api/v1/incidents/{refs[0]}/problem", headers=headers, json={"problem": problem}).status_code
        == 200
    )
    assert client.get("/api/v1/problems/suggestions", headers=headers).json == []
    assert client.delete(f"/api/v1/incidents/{refs[0]}/problem", headers=headers).status_code == 200
    assert len(client.get("/api/v1/problems/suggestions", headers=headers).json) == 1  # type: ignore[arg-type]


def test_irregular_recurrences_are_not_suggested(
    client: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    first, second, third = mondays(3)
    date_back(db, recur(client, integration, 3, key="backup-nightly"), [first, second - timedelta(days=3), third])
    assert client.get("/api/v1/problems/suggestions", headers=token(db)).json == []


def test_a_known_error_shows_its_workaround_on_new_matching_incidents(
    logged_in: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    recur(logged_in, integration, 3)
    headers = token(db)
    [suggestion] = logged_in.get("/api/v1/problems/suggestions", headers=headers).json  # type: ignore[misc]
    assert (
        logged_in.post("/api/v1/problems", json={"suggestion": suggestion["key"]}, headers=headers).status_code == 201
    )
    form = csrf_token(logged_in.get("/problems/PRB-1").get_data(as_text=True))
    logged_in.post("/problems/PRB-1", data={"csrf_token": form, "workaround": "Rotate the logs: logrotate -f",
                                            "root_cause": "", "owner": ""})  # fmt: skip
    logged_in.post("/problems/PRB-1", data={"csrf_token": form, "state": "known_error"})
    [later] = recur(logged_in, integration, 1)
    page = logged_in.get(f"/incidents/{later}").get_data(as_text=True)
    assert "Known error:" in page and "Rotate the logs: logrotate -f" in page


def test_marking_a_known_error_without_a_workaround_is_refused(logged_in: FlaskClient) -> None:
    form = csrf_token(logged_in.get("/problems").get_data(as_text=True))
    logged_in.post("/problems", data={"csrf_token": form, "title": "VPN drops hourly"})
    logged_in.post("/problems/PRB-1", data={"csrf_token": form, "state": "known_error"})
    assert "write down the workaround" in logged_in.get("/problems/PRB-1").get_data(as_text=True)


def test_a_new_problem_offers_its_moves_in_the_order_of_its_life_not_closed_first(logged_in: FlaskClient) -> None:
    form = csrf_token(logged_in.get("/problems").get_data(as_text=True))
    logged_in.post("/problems", data={"csrf_token": form, "title": "VPN drops hourly"})
    page = logged_in.get("/problems/PRB-1").get_data(as_text=True)
    offered = re.findall(r'name="state" value="(\w+)"', page)
    assert offered == ["investigating", "known_error", "closed"]


def test_api_lists_problems_with_their_incidents(
    client: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    refs = recur(client, integration, 3)
    headers = token(db)
    key = client.get("/api/v1/problems/suggestions", headers=headers).json[0]["key"]  # type: ignore[index]
    created = client.post("/api/v1/problems", json={"suggestion": key}, headers=headers).json
    assert created is not None and sorted(created["incidents"]) == sorted(refs)
    assert [p["ref"] for p in client.get("/api/v1/problems", headers=headers).json] == ["PRB-1"]  # type: ignore[union-attr]


def test_a_viewer_token_cannot_file_problems(client: FlaskClient, db: Database) -> None:
    response = client.post("/api/v1/problems", json={"title": "x"}, headers=token(db, "viewer"))
    assert response.status_code == 403


def test_the_dashboard_shows_a_banner_for_an_unfiled_recurrence(
    logged_in: FlaskClient, integration: IntegrationCredentials
) -> None:
    assert 'id="recurring"' not in logged_in.get("/dashboard").get_data(as_text=True)
    recur(logged_in, integration, 3)
    page = logged_in.get("/dashboard").get_data(as_text=True)
    assert "<strong>Disk full</strong> came back 3 times" in page and 'href="/problems"' in page


def test_the_dashboard_banner_names_what_came_back_lately_and_leaves_schedules_to_the_problems_page(
    logged_in: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    date_back(db, recur(logged_in, integration, 4, key="backup-nightly"), mondays(4))
    assert 'id="recurring"' not in logged_in.get("/dashboard").get_data(as_text=True)
    assert "about every 7 days" in logged_in.get("/problems").get_data(as_text=True)


def file_by_hand(client: FlaskClient, headers: dict[str, str], count: int) -> None:
    for n in range(count):
        assert client.post("/api/v1/problems", json={"title": f"Problem {n + 1}"}, headers=headers).status_code == 201


def test_api_lists_problems_a_page_at_a_time_newest_first_with_the_total(client: FlaskClient, db: Database) -> None:
    headers = token(db)
    file_by_hand(client, headers, 5)
    pages = [client.get(f"/api/v1/problems?limit=2&page={page}", headers=headers) for page in (1, 2, 3, 4)]
    assert [[p["ref"] for p in page.json] for page in pages] == [  # type: ignore[union-attr]
        ["PRB-5", "PRB-4"], ["PRB-3", "PRB-2"], ["PRB-1"], []
    ]  # fmt: skip
    assert {page.headers["X-Total-Count"] for page in pages} == {"5"}


def test_api_problems_default_to_pages_of_100_as_the_other_lists_do(client: FlaskClient, db: Database) -> None:
    headers = token(db)
    with db.transaction() as session:
        session.add_all(Problem(title=f"Problem {n}", created_by="a@example.com") for n in range(101))
    listed = client.get("/api/v1/problems", headers=headers)
    assert len(listed.json) == 100 and listed.headers["X-Total-Count"] == "101"  # type: ignore[arg-type]
    assert [p["ref"] for p in client.get("/api/v1/problems?page=2", headers=headers).json] == ["PRB-1"]  # type: ignore[union-attr]


def test_api_problems_refuse_a_page_that_is_not_a_whole_number(client: FlaskClient, db: Database) -> None:
    response = client.get("/api/v1/problems?page=first", headers=token(db))
    assert response.status_code == 400 and "'page' must be a whole number" in response.json["error"]  # type: ignore[index]


def test_the_problem_list_shows_one_state_when_asked_and_every_state_for_one_it_does_not_know(
    logged_in: FlaskClient, db: Database
) -> None:
    with db.transaction() as session:
        for title, state in (("Printer jams", "known_error"), ("Mail bounces", "new")):
            session.add(Problem(title=title, state=state, root_cause="", workaround="", created_by="a@example.com"))
    known = logged_in.get("/problems?state=known_error").get_data(as_text=True)
    assert "Printer jams" in known and "Mail bounces" not in known
    every = logged_in.get("/problems?state=nonsense").get_data(as_text=True)
    assert "Printer jams" in every and "Mail bounces" in every
