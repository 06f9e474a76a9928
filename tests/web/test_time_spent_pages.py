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


def token(db: Database) -> dict[str, str]:
    with db.transaction() as session:
        return {"Authorization": f"Bearer {accounts.create_token(session, name='bot', role='agent')}"}


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
