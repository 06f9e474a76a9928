"""Time spent from the incident page, the API and the report, as a browser or a script sends it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from flask.testing import FlaskClient

from hub import accounts
from hub.db import Database
from tests.web.helpers import Login, csrf_token, log_in

HEADERS: dict[str, str] = {}


def act(client: FlaskClient, ref: str, action: str, **fields: str) -> str:
    token = csrf_token(client.get(f"/incidents/{ref}").get_data(as_text=True))
    response = client.post(f"/incidents/{ref}/{action}", data={"csrf_token": token, **fields})
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def token(db: Database, name: str = "bot", role: str = "agent") -> dict[str, str]:
    with db.transaction() as session:
        return {"Authorization": f"Bearer {accounts.create_token(session, name=name, role=role)}"}


def test_time_logged_on_the_page_shows_in_its_total_and_list(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    page = act(logged_in, ref, "time", spent="1h 30m", what="<b>on site</b>")
    assert "has 1 h 30 min more spent on it" in page and "Time spent: 1 h 30 min" in page
    assert "&lt;b&gt;on site&lt;/b&gt;" in page and "<b>on site</b>" not in page


def test_a_note_with_time_spent_logs_both(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    ref = raise_incident()
    page = act(logged_in, ref, "note", text="Swapped the disk.", spent="20m")
    assert "Time spent: 20 min" in page and "(20 min spent)" in page


def test_a_note_with_a_time_that_is_none_saves_nothing(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    page = act(logged_in, ref, "note", text="Swapped the disk.", spent="a while")
    assert "Nothing was saved: &#39;a while&#39; is not a time spent" in page
    assert "Swapped the disk." not in page and "Time spent: 0 min" in page


def test_people_take_back_only_their_own_time(
    app_client_pair: tuple[FlaskClient, FlaskClient],
    make_user: Callable[..., Login],
    raise_incident: Callable[..., str],
) -> None:
    ann, bob = app_client_pair
    log_in(ann, make_user("ann@example.com"))
    log_in(bob, make_user("bob@example.com"))
    ref = raise_incident()
    page = act(ann, ref, "time", spent="45")
    assert "Take back" in page
    assert "Take back" not in bob.get(f"/incidents/{ref}").get_data(as_text=True)
    refused = act(bob, ref, "time_back", entry="1")
    assert "only they or an admin can take it back" in refused and "Time spent: 45 min" in refused
    assert "Time spent: 0 min" in act(ann, ref, "time_back", entry="1")


def test_an_admin_takes_back_anyones_time(
    app_client_pair: tuple[FlaskClient, FlaskClient],
    make_user: Callable[..., Login],
    raise_incident: Callable[..., str],
) -> None:
    ann, boss = app_client_pair
    log_in(ann, make_user("ann@example.com"))
    log_in(boss, make_user("boss@example.com", role="admin"))
    ref = raise_incident()
    act(ann, ref, "time", spent="45")
    assert "Time spent: 0 min" in act(boss, ref, "time_back", entry="1")


def test_the_api_logs_time_and_answers_the_total(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    headers = token(db)
    logged = client.post(f"/api/v1/incidents/{ref}/time", json={"minutes": 25, "what": "call"}, headers=headers)
    assert logged.status_code == 201 and logged.json["minutes_spent"] == 25  # type: ignore[index]
    noted = client.post(f"/api/v1/incidents/{ref}/comments", json={"text": "done", "minutes": 5}, headers=headers)
    assert noted.status_code == 201 and noted.json["minutes_spent"] == 30  # type: ignore[index]
    listed = client.get("/api/v1/incidents", headers=headers).json
    assert listed[0]["minutes_spent"] == 30  # type: ignore[index]


def test_the_api_refuses_a_time_that_is_no_whole_number_of_minutes(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    headers = token(db)
    for body in ({"minutes": "25"}, {"minutes": 0}, {"minutes": True}, {"minutes": 5, "what": 7}, []):
        answer = client.post(f"/api/v1/incidents/{ref}/time", json=body, headers=headers)
        assert answer.status_code == 400, body
    refused = client.post(f"/api/v1/incidents/{ref}/comments", json={"text": "x", "minutes": 9999}, headers=headers)
    assert refused.status_code == 400 and "12 hours" in refused.json["error"]  # type: ignore[index]


def test_the_report_sums_time_by_person_and_downloads_as_csv(
    logged_in: FlaskClient, raise_incident: Callable[..., str], user: Login
) -> None:
    ref = raise_incident(category="hardware")
    act(logged_in, ref, "time", spent="1h")
    act(logged_in, ref, "time", spent="30m")
    page = logged_in.get("/reports/time?days=7").get_data(as_text=True)
    assert "1 h 30 min logged on incidents" in page
    assert f'<td data-label="Person">{user.email}</td><td data-label="Time">1 h 30 min</td>' in page
    download = logged_in.get("/reports/time.csv?days=7")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["by", "name", "minutes", "incidents", "entries"]
    assert ["who", user.email, "90", "1", "2"] in rows


def test_the_incident_export_carries_the_time_spent(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    ref = raise_incident()
    act(logged_in, ref, "time", spent="15")
    rows = list(csv.DictReader(io.StringIO(logged_in.get("/incidents.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0]["minutes_spent"] == "15"


def test_people_correct_their_own_time_on_the_page(
    logged_in: FlaskClient, raise_incident: Callable[..., str], user: Login
) -> None:
    ref = raise_incident()
    page = act(logged_in, ref, "time", spent="3", what="a call")
    assert 'name="spent" value="3m"' in page and 'name="what" value="a call"' in page  # the form starts as it was
    page = act(logged_in, ref, "time_fix", entry="1", spent="30m", what="a long call")
    assert "has that time entry corrected to 30 min" in page and "Time spent: 30 min" in page
    assert f"3 min spent by {user.email} corrected to 30 min by {user.email}: a long call" in page


def test_a_correction_to_no_time_saves_nothing_and_says_why(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    act(logged_in, ref, "time", spent="45")
    page = act(logged_in, ref, "time_fix", entry="1", spent="90h", what="")
    assert "Nothing was corrected: time spent is logged from 1 minute to 12 hours" in page
    assert "Time spent: 45 min" in page


def test_people_correct_only_their_own_time_and_admins_anyones(
    app_client_pair: tuple[FlaskClient, FlaskClient],
    make_user: Callable[..., Login],
    raise_incident: Callable[..., str],
    client: FlaskClient,
) -> None:
    ann, bob = app_client_pair
    log_in(ann, make_user("ann@example.com"))
    log_in(bob, make_user("bob@example.com"))
    log_in(client, make_user("boss@example.com", role="admin"))
    ref = raise_incident()
    assert "time_fix" in act(ann, ref, "time", spent="45")
    assert "time_fix" not in bob.get(f"/incidents/{ref}").get_data(as_text=True)
    refused = act(bob, ref, "time_fix", entry="1", spent="1h")
    assert "only they or an admin can correct it" in refused and "Time spent: 45 min" in refused
    assert "time_fix" in client.get(f"/incidents/{ref}").get_data(as_text=True)
    assert "Time spent: 1 h" in act(client, ref, "time_fix", entry="1", spent="1h")


def test_the_report_shows_the_corrected_time(
    logged_in: FlaskClient, raise_incident: Callable[..., str], user: Login
) -> None:
    ref = raise_incident()
    act(logged_in, ref, "time", spent="3")
    act(logged_in, ref, "time_fix", entry="1", spent="30")
    page = logged_in.get("/reports/time?days=7").get_data(as_text=True)
    assert f'<td data-label="Person">{user.email}</td><td data-label="Time">30 min</td>' in page


def entry_id(client: FlaskClient, ref: str, headers: dict[str, str]) -> int:
    """The id of the incident's last time entry, as a script finds it: in the incident's `time_entries`."""
    return int(client.get(f"/api/v1/incidents/{ref}", headers=headers).json["time_entries"][-1]["id"])  # type: ignore[index]


def test_the_incident_answer_lists_its_time_entries_with_their_ids(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref, headers = raise_incident(), token(db)
    client.post(f"/api/v1/incidents/{ref}/time", json={"minutes": 25, "what": "call"}, headers=headers)
    client.post(f"/api/v1/incidents/{ref}/comments", json={"text": "done", "minutes": 5}, headers=headers)
    entries = client.get(f"/api/v1/incidents/{ref}", headers=headers).json["time_entries"]  # type: ignore[index]
    assert [(e["who"], e["minutes"], e["what"]) for e in entries] == [("token:bot", 25, "call"), ("token:bot", 5, None)]
    timeline = client.get(f"/api/v1/incidents/{ref}", headers=headers).json["timeline"]  # type: ignore[index]
    logged = [e["data"]["time_entry"] for e in timeline if e.get("data") and "time_entry" in e["data"]]
    assert [e["id"] for e in entries] == logged  # the same ids the timeline names


def test_the_api_corrects_a_time_entry_by_minutes_or_as_typed(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref, headers = raise_incident(), token(db)
    client.post(f"/api/v1/incidents/{ref}/time", json={"minutes": 3, "what": "call"}, headers=headers)
    url = f"/api/v1/incidents/{ref}/time/{entry_id(client, ref, headers)}"
    corrected = client.patch(url, json={"minutes": 30}, headers=headers)
    assert corrected.status_code == 200 and corrected.json["minutes_spent"] == 30  # type: ignore[index]
    corrected = client.patch(url, json={"spent": "1h 30m", "what": None}, headers=headers)
    assert corrected.status_code == 200 and corrected.json["minutes_spent"] == 90  # type: ignore[index]
    last = corrected.json["timeline"][-1]  # type: ignore[index]
    assert last["data"]["before"] == {"minutes": 30, "what": "call"}
    assert last["data"]["after"] == {"minutes": 90, "what": None}


def test_the_api_refuses_a_correction_that_says_no_time(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref, headers = raise_incident(), token(db)
    client.post(f"/api/v1/incidents/{ref}/time", json={"minutes": 25}, headers=headers)
    url = f"/api/v1/incidents/{ref}/time/{entry_id(client, ref, headers)}"
    bodies = ({}, [], {"minutes": 0}, {"minutes": "30"}, {"minutes": True}, {"spent": "soon"}, {"spent": 30},
              {"minutes": 30, "spent": "30m"}, {"what": 7}, {"minutes": 9999})  # fmt: skip
    for body in bodies:
        assert client.patch(url, json=body, headers=headers).status_code == 400, body
    assert client.get(f"/api/v1/incidents/{ref}", headers=headers).json["minutes_spent"] == 25  # type: ignore[index]


def test_the_api_answers_404_for_an_unknown_time_entry(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref, headers = raise_incident(), token(db)
    client.post(f"/api/v1/incidents/{ref}/time", json={"minutes": 25}, headers=headers)
    known = entry_id(client, ref, headers)
    for url in (f"/api/v1/incidents/{ref}/time/{known + 1}", f"/api/v1/incidents/{ref}/time/x",
                f"/api/v1/incidents/INC-99/time/{known}"):  # fmt: skip
        assert client.patch(url, json={"minutes": 30}, headers=headers).status_code == 404, url


def test_the_api_corrects_another_tokens_time_only_for_an_admin(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref, bot = raise_incident(), token(db)
    client.post(f"/api/v1/incidents/{ref}/time", json={"minutes": 25}, headers=bot)
    url = f"/api/v1/incidents/{ref}/time/{entry_id(client, ref, bot)}"
    refused = client.patch(url, json={"minutes": 30}, headers=token(db, "other-bot"))
    assert refused.status_code == 403 and "logged by token:bot" in refused.json["error"]  # type: ignore[index]
    allowed = client.patch(url, json={"minutes": 30}, headers=token(db, "admin-bot", "admin"))
    assert allowed.status_code == 200 and allowed.json["minutes_spent"] == 30  # type: ignore[index]
