"""A problem and the changes that fix it, over HTTP: the change's form and page, the problem's page, the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient

from hub import accounts, changes, problems, zones
from hub.db import Database
from hub.models import Problem, utcnow
from tests.web.helpers import csrf_token

CAROL = "carol@example.com"


def post(client: FlaskClient, path: str, page: str, data: dict[str, str]) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client.get(page).get_data(as_text=True)), **data})


def filed(db: Database, title: str = "VPN drops every night") -> str:
    return f"PRB-{problems.create(db, title, CAROL)}"


def requested(db: Database, fixes: str = "", title: str = "Raise the VPN idle timeout") -> str:
    start = utcnow() + timedelta(days=1)
    with db.transaction() as session:
        new = changes.NewChange(title=title, type="standard", planned_start=start, problem=fixes)
        return changes.create(session, new, CAROL).ref


def carried_out(db: Database, ref: str, outcome: str = "implemented") -> None:
    with db.transaction() as session:
        for action in ("schedule", "start"):
            changes.advance(session, ref, action, CAROL)
        changes.advance(session, ref, "finish", CAROL, outcome=outcome)


def test_the_request_form_offers_open_problems_and_files_the_change_against_one(
    db: Database, logged_in: FlaskClient
) -> None:
    problem = filed(db)
    page = logged_in.get("/changes").get_data(as_text=True)
    assert f'<option value="{problem}: VPN drops every night">' in page and 'list="open-problems"' in page
    form = {"title": "Raise the VPN idle timeout", "type": "standard", "risk": "low",
            "problem": f"{problem}: VPN drops every night"}  # fmt: skip
    response = post(logged_in, "/changes", "/changes", form)
    assert response.status_code == 302
    page = logged_in.get("/changes/CHG-1").get_data(as_text=True)
    assert f'<a href="/problems/{problem}">{problem}</a>\n        VPN drops every night' in page


def test_a_request_naming_an_unknown_problem_shows_what_to_type(logged_in: FlaskClient) -> None:
    response = post(logged_in, "/changes", "/changes", {"title": "Patch", "type": "standard", "risk": "low",
                                                        "problem": "the printer"})  # fmt: skip
    assert response.status_code == 400
    assert "type the problem&#39;s reference, like PRB-3" in response.get_data(as_text=True)


def test_the_change_page_sets_and_clears_its_problem_and_its_history_says_so(
    db: Database, logged_in: FlaskClient
) -> None:
    problem, ref = filed(db), requested(db)
    post(logged_in, f"/changes/{ref}/problem", f"/changes/{ref}", {"problem": problem})
    assert f"{ref} fixes {problem}." in logged_in.get(f"/changes/{ref}").get_data(as_text=True)
    post(logged_in, f"/changes/{ref}/problem", f"/changes/{ref}", {"none": "1"})
    page = logged_in.get(f"/changes/{ref}").get_data(as_text=True)
    assert f"{ref} fixes no problem." in page
    assert f"by agent@example.com: fixes {problem}</p>" in page
    assert f"by agent@example.com: fixes no problem (was {problem})</p>" in page


def test_the_problem_page_lists_its_changes_with_their_state_and_planned_time(
    db: Database, logged_in: FlaskClient
) -> None:
    problem = filed(db)
    ref = requested(db, fixes=problem)
    page = logged_in.get(f"/problems/{problem}").get_data(as_text=True)
    assert "Changes to fix it (1)" in page
    assert f'href="/changes/{ref}">{ref}</a></td>' in page and ">new</span>" in page
    assert 'data-label="Planned"><time datetime=' in page
    assert 'id="fixed-by"' not in page


def test_the_problem_page_offers_to_resolve_it_once_a_fix_is_carried_out_and_no_sooner(
    db: Database, logged_in: FlaskClient
) -> None:
    problem = filed(db)
    problems.update_problem(db, int(problem.removeprefix("PRB-")), CAROL, state="investigating")
    failed, fix = requested(db, fixes=problem), requested(db, fixes=problem, title="Replace the VPN box")
    carried_out(db, failed, "failed")
    assert 'id="fixed-by"' not in logged_in.get(f"/problems/{problem}").get_data(as_text=True)
    carried_out(db, fix)
    page = logged_in.get(f"/problems/{problem}").get_data(as_text=True)
    assert f'href="/changes/{fix}">{fix}</a> Replace the VPN box was carried\n    out successfully' in page
    assert "Resolve the problem</button>" in page
    with db.read() as session:
        row = session.get(Problem, int(problem.removeprefix("PRB-")))
        assert row is not None and row.state == "investigating"
    post(logged_in, f"/problems/{problem}", f"/problems/{problem}", {"state": "resolved"})
    assert 'id="fixed-by"' not in logged_in.get(f"/problems/{problem}").get_data(as_text=True)


def test_the_api_sets_and_clears_the_problem_a_change_fixes(
    db: Database, client: FlaskClient, agent_token: str
) -> None:
    problem, ref = filed(db), requested(db)
    headers = {"Authorization": f"Bearer {agent_token}"}
    response = client.put(f"/api/v1/changes/{ref}/problem", json={"problem": problem}, headers=headers)
    assert response.status_code == 200 and response.json["problem"] == problem
    assert client.get(f"/api/v1/changes/{ref}", headers=headers).json["problem"] == problem
    response = client.delete(f"/api/v1/changes/{ref}/problem", headers=headers)
    assert response.status_code == 200 and response.json["problem"] is None


def test_the_api_refuses_a_closed_problem_with_409_and_an_unknown_one_with_404(
    db: Database, client: FlaskClient, agent_token: str
) -> None:
    problem, ref = filed(db), requested(db)
    problems.update_problem(db, int(problem.removeprefix("PRB-")), CAROL, state="closed")
    headers = {"Authorization": f"Bearer {agent_token}"}
    closed = client.put(f"/api/v1/changes/{ref}/problem", json={"problem": problem}, headers=headers)
    assert closed.status_code == 409 and "set this one back to investigating" in closed.json["error"]
    assert client.put(f"/api/v1/changes/{ref}/problem", json={"problem": "PRB-99"}, headers=headers).status_code == 404
    assert client.put("/api/v1/changes/CHG-99/problem", json={"problem": problem}, headers=headers).status_code == 404


def test_a_viewer_token_cannot_say_which_problem_a_change_fixes(
    db: Database, client: FlaskClient, api_token: str
) -> None:
    problem, ref = filed(db), requested(db)
    response = client.put(f"/api/v1/changes/{ref}/problem", json={"problem": problem},
                          headers={"Authorization": f"Bearer {api_token}"})  # fmt: skip
    assert response.status_code == 403


def test_the_problem_page_shows_its_history_in_the_readers_zone(db: Database, logged_in: FlaskClient) -> None:
    with db.transaction() as session:
        accounts.set_timezone(session, "agent@example.com", "Asia/Tokyo")
    problem = filed(db)
    number = int(problem.removeprefix("PRB-"))
    problems.update_problem(db, number, CAROL, state="investigating", root_cause="Idle tunnels dropped")
    problems.update_problem(db, number, CAROL, workaround="Reconnect", state="known_error")
    ref = requested(db, fixes=problem)
    page = logged_in.get(f"/problems/{problem}").get_data(as_text=True)
    history = page.split('id="history"', 1)[1]
    said = [f"{CAROL} filed it", f"{CAROL} changed the root cause, set it investigating",
            f"{CAROL} changed the workaround, marked it a known error", f"{CAROL} linked {ref}"]  # fmt: skip
    positions = [history.index(f'<p class="entry-summary">{line}</p>') for line in said]
    assert positions == sorted(positions)
    with db.read() as session:
        times = [entry.at for entry in problems.history(session, problem)]
    assert len(times) == 4 and all(zones.wall_clock(at, ZoneInfo("Asia/Tokyo")) in history for at in times)
