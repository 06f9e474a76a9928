"""Post-incident reviews through the API: listed owed and written with their filters and pages, read one at a time
with key times and follow-ups, and written by agent tokens as the page does. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from hub import problems, reviews
from hub.agent_action import Actor
from hub.config import Settings
from hub.db import Database
from hub.models import Incident, utcnow
from tests.docs import fenced, run_as_printed
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.helpers import Login, bearer


@pytest.fixture
def ann(make_user: Callable[..., Login]) -> Login:
    return make_user(email="ann@example.com")


@pytest.fixture
def major(client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login) -> Callable[..., str]:
    """Raise an incident and declare it major (coordinated by Ann), resolved unless asked not to."""

    def make(title: str = "Payroll is down", *, resolved: bool = True) -> str:
        ref = raise_incident(title)
        body = {"reason": "Nobody can run payroll", "coordinator": "ann@example.com"}
        assert client.post(f"/api/v1/incidents/{ref}/major", json=body, headers=bearer(agent_token)).status_code == 201
        if resolved:
            done = client.patch(f"/api/v1/incidents/{ref}", json={"status": "resolved"}, headers=bearer(agent_token))
            assert done.status_code == 200, done.json
        return ref

    return make


def listed(client: FlaskClient, token: str, query: str = "") -> tuple[list[tuple[str, str]], str]:
    response = client.get(f"/api/v1/reviews{query}", headers=bearer(token))
    assert response.status_code == 200, response.json
    return [(r["incident"], r["state"]) for r in response.json], response.headers["X-Total-Count"]  # type: ignore[union-attr]


def test_a_token_starts_writes_and_publishes_a_review(client: FlaskClient, major: Callable[..., str],
                                                      agent_token: str) -> None:  # fmt: skip
    ref = major()
    started = client.post(f"/api/v1/incidents/{ref}/review", headers=bearer(agent_token))
    assert started.status_code == 201
    assert (started.json["state"], started.json["started_by"]) == ("draft", "token:chatops")  # type: ignore[index]
    texts = {"summary": "Payroll stopped for 40 minutes.", "root_cause": "The database disk filled up."}
    saved = client.patch(f"/api/v1/incidents/{ref}/review", json=texts, headers=bearer(agent_token))
    assert saved.status_code == 200 and saved.json["root_cause"] == "The database disk filled up."  # type: ignore[index]
    published = client.post(f"/api/v1/incidents/{ref}/review/publish", headers=bearer(agent_token))
    assert published.status_code == 200
    assert (published.json["state"], published.json["published_by"]) == ("published", "token:chatops")  # type: ignore[index]


def test_starting_a_review_that_exists_answers_it_with_200(client: FlaskClient, major: Callable[..., str],
                                                           agent_token: str) -> None:  # fmt: skip
    ref = major()
    client.post(f"/api/v1/incidents/{ref}/review", headers=bearer(agent_token))
    again = client.post(f"/api/v1/incidents/{ref}/review", headers=bearer(agent_token))
    assert again.status_code == 200 and again.json["state"] == "draft"  # type: ignore[index]


def test_a_review_of_an_unresolved_major_incident_cannot_start_yet(client: FlaskClient, major: Callable[..., str],
                                                                   agent_token: str) -> None:  # fmt: skip
    ref = major(resolved=False)
    refused = client.post(f"/api/v1/incidents/{ref}/review", headers=bearer(agent_token))
    assert refused.status_code == 409
    assert refused.json == {"error": f"{ref} is open; its review starts once it is resolved"}
    missing = client.get(f"/api/v1/incidents/{ref}/review", headers=bearer(agent_token))
    assert missing.status_code == 404 and f"start it with POST /api/v1/incidents/{ref}/review" in missing.json["error"]  # type: ignore[index]


def test_a_published_review_no_longer_changes(client: FlaskClient, major: Callable[..., str], agent_token: str) -> None:
    ref = major()
    client.post(f"/api/v1/incidents/{ref}/review", headers=bearer(agent_token))
    client.patch(f"/api/v1/incidents/{ref}/review", json={"summary": "Payroll stopped."}, headers=bearer(agent_token))
    client.post(f"/api/v1/incidents/{ref}/review/publish", headers=bearer(agent_token))
    changed = client.patch(f"/api/v1/incidents/{ref}/review", json={"summary": "x"}, headers=bearer(agent_token))
    assert changed.status_code == 409 and "it is the record now and no longer changes" in changed.json["error"]  # type: ignore[index]


def test_publishing_without_a_summary_is_a_conflict_saying_to_write_one(
    client: FlaskClient, major: Callable[..., str], agent_token: str
) -> None:
    ref = major()
    client.post(f"/api/v1/incidents/{ref}/review", headers=bearer(agent_token))
    refused = client.post(f"/api/v1/incidents/{ref}/review/publish", headers=bearer(agent_token))
    assert refused.status_code == 409
    assert refused.json == {"error": "write its summary first: what happened, in a few lines"}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "send a JSON object of texts, any of summary, impact, root_cause, went_well, went_badly"),
        ({"summary": 3}, "send a JSON object of texts"),
        ({"state": "published"}, "unknown field(s) state; a review's texts are summary, impact, root_cause"),
    ],
)
def test_a_patch_other_than_texts_is_refused(
    client: FlaskClient, major: Callable[..., str], agent_token: str, body: dict, error: str
) -> None:
    ref = major()
    client.post(f"/api/v1/incidents/{ref}/review", headers=bearer(agent_token))
    response = client.patch(f"/api/v1/incidents/{ref}/review", json=body, headers=bearer(agent_token))
    assert response.status_code == 400 and response.json["error"].startswith(error)  # type: ignore[index]


def test_a_review_reads_its_texts_key_times_and_follow_ups_with_their_problems(
    client: FlaskClient, major: Callable[..., str], agent_token: str, db: Database
) -> None:
    ref = major()
    number = int(ref.removeprefix("INC-"))
    client.post(f"/api/v1/incidents/{ref}/review", headers=bearer(agent_token))
    filed = reviews.add_action(db, number, "Alert on disk at 80%", Actor("ann@example.com"), owner="dba")
    reviews.add_action(db, number, "Rotate logs", Actor("ann@example.com"))
    problem_id = reviews.file_problem(db, number, filed, Actor("ann@example.com"))
    problems.update_problem(db, problem_id, "ann@example.com", state="investigating")
    found = client.get(f"/api/v1/incidents/{ref}/review", headers=bearer(agent_token)).json
    assert (found["incident"], found["state"], found["coordinator"], found["summary"]) == (  # type: ignore[index]
        ref, "draft", "ann@example.com", "")  # fmt: skip
    assert [(a["text"], a["owner"], a["problem"], a["problem_state"]) for a in found["actions"]] == [  # type: ignore[index]
        ("Alert on disk at 80%", "dba", f"PRB-{problem_id}", "investigating"), ("Rotate logs", None, None, None)
    ]  # fmt: skip
    times = found["key_times"]  # type: ignore[index]
    assert times["declared"] and times["resolved"] and times["acknowledged"] is None
    assert times["as_major_seconds"] == times["to_resolve_seconds"] - times["to_declare_seconds"]


@pytest.fixture
def drafted(client: FlaskClient, major: Callable[..., str], agent_token: str) -> str:
    """A resolved major incident whose review an agent token started: a draft with no follow-up yet."""
    ref = major()
    assert client.post(f"/api/v1/incidents/{ref}/review", headers=bearer(agent_token)).status_code == 201
    return ref


def add(client: FlaskClient, token: str, ref: str, text: str = "Alert on disk at 80%", **more: str | None) -> dict:
    """Add a follow-up action through the API; the answer's JSON."""
    added = client.post(f"/api/v1/incidents/{ref}/review/actions", json={"text": text, **more}, headers=bearer(token))
    assert added.status_code == 201, added.json
    return added.json  # type: ignore[return-value]


def test_a_token_adds_a_follow_up_action_that_the_review_lists_by_its_id(
    client: FlaskClient, drafted: str, agent_token: str
) -> None:
    added = add(client, agent_token, drafted, owner="dba@example.com")
    assert (added["text"], added["owner"], added["created_by"], added["problem"]) == (
        "Alert on disk at 80%", "dba@example.com", "token:chatops", None)  # fmt: skip
    review = client.get(f"/api/v1/incidents/{drafted}/review", headers=bearer(agent_token)).json
    assert [(a["id"], a["text"]) for a in review["actions"]] == [(added["id"], "Alert on disk at 80%")]  # type: ignore[index]


def test_a_token_files_a_follow_up_as_a_problem_and_is_answered_its_ref(
    client: FlaskClient, drafted: str, agent_token: str
) -> None:
    action = add(client, agent_token, drafted, owner="dba@example.com")["id"]
    filed = client.post(f"/api/v1/incidents/{drafted}/review/actions/{action}/problem", headers=bearer(agent_token))
    assert filed.status_code == 201 and filed.json["problem"].startswith("PRB-")  # type: ignore[index]
    problem = client.get(filed.headers["Location"], headers=bearer(agent_token)).json
    assert (problem["ref"], problem["title"], problem["owner"]) == (  # type: ignore[index]
        filed.json["problem"], "Alert on disk at 80%", "dba@example.com")  # type: ignore[index]  # fmt: skip


def test_filing_a_follow_up_again_is_a_conflict_naming_its_problem(
    client: FlaskClient, drafted: str, agent_token: str
) -> None:
    action = add(client, agent_token, drafted)["id"]
    path = f"/api/v1/incidents/{drafted}/review/actions/{action}/problem"
    problem = client.post(path, headers=bearer(agent_token)).json["problem"]  # type: ignore[index]
    again = client.post(path, headers=bearer(agent_token))
    assert again.status_code == 409 and again.json == {"error": f"that action is tracked as {problem} already"}


def test_a_token_removes_a_follow_up_not_filed_and_is_answered_the_review(
    client: FlaskClient, drafted: str, agent_token: str
) -> None:
    kept, dropped = add(client, agent_token, drafted)["id"], add(client, agent_token, drafted, "Rotate logs")["id"]
    removed = client.delete(f"/api/v1/incidents/{drafted}/review/actions/{dropped}", headers=bearer(agent_token))
    assert removed.status_code == 200 and [a["id"] for a in removed.json["actions"]] == [kept]  # type: ignore[index]


def test_a_follow_up_filed_as_a_problem_is_not_removed(client: FlaskClient, drafted: str, agent_token: str) -> None:
    action = add(client, agent_token, drafted)["id"]
    path = f"/api/v1/incidents/{drafted}/review/actions/{action}"
    problem = client.post(f"{path}/problem", headers=bearer(agent_token)).json["problem"]  # type: ignore[index]
    refused = client.delete(path, headers=bearer(agent_token))
    assert refused.status_code == 409
    assert refused.json == {"error": f"that action is tracked as {problem}; close the problem if it is not to be done"}


def test_a_published_review_takes_no_follow_up_and_loses_none(
    client: FlaskClient, drafted: str, agent_token: str
) -> None:
    action = add(client, agent_token, drafted)["id"]
    client.patch(f"/api/v1/incidents/{drafted}/review", json={"summary": "Payroll."}, headers=bearer(agent_token))
    client.post(f"/api/v1/incidents/{drafted}/review/publish", headers=bearer(agent_token))
    added = client.post(f"/api/v1/incidents/{drafted}/review/actions", json={"text": "Rotate logs"},
                        headers=bearer(agent_token))  # fmt: skip
    removed = client.delete(f"/api/v1/incidents/{drafted}/review/actions/{action}", headers=bearer(agent_token))
    for refused in (added, removed):
        assert refused.status_code == 409 and "it is the record now and no longer changes" in refused.json["error"]  # type: ignore[index]


def test_a_published_reviews_follow_up_is_still_filed_as_a_problem(
    client: FlaskClient, drafted: str, agent_token: str
) -> None:
    action = add(client, agent_token, drafted)["id"]
    client.patch(f"/api/v1/incidents/{drafted}/review", json={"summary": "Payroll."}, headers=bearer(agent_token))
    client.post(f"/api/v1/incidents/{drafted}/review/publish", headers=bearer(agent_token))
    filed = client.post(f"/api/v1/incidents/{drafted}/review/actions/{action}/problem", headers=bearer(agent_token))
    assert filed.status_code == 201 and filed.json["problem_state"] == "new"  # type: ignore[index]


def test_a_follow_up_of_another_review_is_not_found_in_this_one(
    client: FlaskClient, major: Callable[..., str], drafted: str, agent_token: str
) -> None:
    other = major("Mail is down")
    client.post(f"/api/v1/incidents/{other}/review", headers=bearer(agent_token))
    theirs = add(client, agent_token, other)["id"]
    for method, path in (("DELETE", ""), ("POST", "/problem")):
        answer = client.open(f"/api/v1/incidents/{drafted}/review/actions/{theirs}{path}", method=method,
                             headers=bearer(agent_token))  # fmt: skip
        assert answer.status_code == 404, (method, answer.json)
        assert answer.json == {"error": f"the review of {drafted} has no follow-up action {theirs}"}


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({}, 400, "send a JSON object with the action's text and, optionally, its owner"),
        ({"text": "Rotate logs", "owner": 7}, 400, "send a JSON object with the action's text"),
        ({"text": "Rotate logs", "problem": "PRB-1"}, 400, "unknown field(s) problem; an action has a text and"),
        ({"text": "  "}, 409, "the follow-up action is empty; say what is to be done"),
        ({"text": "Rotate\nlogs"}, 409, "the follow-up action must be one line of text"),
    ],
)
def test_an_action_other_than_one_line_of_text_and_an_owner_is_refused(
    client: FlaskClient, drafted: str, agent_token: str, body: dict, status: int, error: str
) -> None:
    answer = client.post(f"/api/v1/incidents/{drafted}/review/actions", json=body, headers=bearer(agent_token))
    assert answer.status_code == status and answer.json["error"].startswith(error)  # type: ignore[index]


def test_the_list_has_reviews_owed_and_written_newest_incident_first(
    client: FlaskClient, major: Callable[..., str], agent_token: str
) -> None:
    first, second = major("Payroll is down"), major("Mail is down")
    major("VPN is down", resolved=False)  # in progress: no review owed yet
    client.post(f"/api/v1/incidents/{first}/review", headers=bearer(agent_token))
    assert listed(client, agent_token) == ([(second, "not_started"), (first, "draft")], "2")
    [row] = client.get("/api/v1/reviews?state=draft", headers=bearer(agent_token)).json  # type: ignore[misc]
    assert (row["coordinator"], row["overdue"], row["started_by"], row["follow_ups"]) == (
        "ann@example.com", False, "token:chatops", {"total": 0, "unfiled": 0, "open": 0})  # fmt: skip


def test_the_list_filters_by_state_and_pages(client: FlaskClient, major: Callable[..., str], agent_token: str) -> None:
    refs = [major(f"Outage {n}") for n in range(3)]
    client.post(f"/api/v1/incidents/{refs[0]}/review", headers=bearer(agent_token))
    assert listed(client, agent_token, "?state=not_started,draft&limit=1&page=2") == ([(refs[1], "not_started")], "3")
    assert listed(client, agent_token, "?state=published") == ([], "0")


def test_overdue_lists_the_unpublished_reviews_owed_past_their_due_day(
    client: FlaskClient, major: Callable[..., str], agent_token: str, db: Database
) -> None:
    late, recent, published = major("Payroll is down"), major("Mail is down"), major("VPN is down")
    for ref in (late, published):
        client.post(f"/api/v1/incidents/{ref}/review", headers=bearer(agent_token))
    client.patch(f"/api/v1/incidents/{published}/review", json={"summary": "VPN."}, headers=bearer(agent_token))
    client.post(f"/api/v1/incidents/{published}/review/publish", headers=bearer(agent_token))
    with db.transaction() as session:  # SWITCHBOARD_REVIEW_DUE_DAYS is 5
        long_ago = utcnow().replace(microsecond=0) - reviews.DEFAULT_DUE * 2
        ids = [int(ref.removeprefix("INC-")) for ref in (late, published)]
        session.execute(update(Incident).where(Incident.id.in_(ids)).values(resolved_at=long_ago))
    assert listed(client, agent_token, "?overdue=1") == ([(late, "draft")], "1")
    rows = {row["incident"]: row for row in client.get("/api/v1/reviews", headers=bearer(agent_token)).json}  # type: ignore[union-attr]
    assert (rows[late]["overdue"], rows[recent]["overdue"], rows[published]["overdue"]) == (True, False, False)
    assert rows[late]["due_at"] == (long_ago + reviews.DEFAULT_DUE).isoformat() and rows[published]["due_at"] is None


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("?state=owed", "'state' must be one of not_started, draft, published, or several joined by commas"),
        ("?overdue=yes", "'overdue' must be 1 (only those) or 0, not 'yes'"),
        ("?page=0", "'page' must be a whole number from 1 to 1000000, not '0'"),
    ],
)
def test_a_list_filter_out_of_its_values_is_a_400_naming_them(
    client: FlaskClient, agent_token: str, query: str, error: str
) -> None:
    response = client.get(f"/api/v1/reviews{query}", headers=bearer(agent_token))
    assert response.status_code == 400 and response.json["error"].startswith(error)  # type: ignore[index]


def test_a_viewer_token_reads_reviews_but_does_not_write_them(
    client: FlaskClient, major: Callable[..., str], api_token: str, agent_token: str
) -> None:
    ref = major()
    client.post(f"/api/v1/incidents/{ref}/review", headers=bearer(agent_token))
    action = add(client, agent_token, ref)["id"]
    assert client.get("/api/v1/reviews", headers=bearer(api_token)).status_code == 200
    assert client.get(f"/api/v1/incidents/{ref}/review", headers=bearer(api_token)).status_code == 200
    writes = (("POST", ""), ("PATCH", ""), ("POST", "/publish"), ("POST", "/actions"),
              ("DELETE", f"/actions/{action}"), ("POST", f"/actions/{action}/problem"))  # fmt: skip
    for method, path in writes:
        answer = client.open(f"/api/v1/incidents/{ref}/review{path}", method=method, json={"summary": "x"},
                             headers=bearer(api_token))  # fmt: skip
        assert answer.status_code == 403, (method, path)
    assert client.get("/api/v1/reviews").status_code == 401


def test_an_unknown_incident_has_no_review(client: FlaskClient, agent_token: str) -> None:
    for path in ("/api/v1/incidents/INC-99/review", "/api/v1/incidents/INC-x/review"):
        assert client.get(path, headers=bearer(agent_token)).status_code == 404
    assert client.post("/api/v1/incidents/INC-99/review", headers=bearer(agent_token)).status_code == 404


def test_the_documented_review_examples_run_as_printed(
    live_url: str, settings: Settings, tmp_path: Path, major: Callable[..., str], agent_token: str, db: Database
) -> None:
    ref = major()
    resolved_at = utcnow().replace(microsecond=0) - timedelta(days=9)
    with db.transaction() as session:
        session.execute(
            update(Incident).where(Incident.id == int(ref.removeprefix("INC-"))).values(resolved_at=resolved_at)
        )
    api, shell, show = fenced("docs/major-incidents.md", "Reviews through the API and the command line", "sh")
    due = resolved_at + reviews.DEFAULT_DUE
    assert run_as_printed(shell, settings, tmp_path).startswith(
        f"INC-1    not_started OVERDUE since {due:%Y-%m-%d %H:%M}"
    )
    printed = run_as_printed(api.replace("http://127.0.0.1:8000", live_url), settings, tmp_path, TOKEN=agent_token)
    assert printed.splitlines() == [
        f"INC-1 not_started ann@example.com {due.isoformat()}", "draft",
        '{"id":1,"text":"Alert on disk at 80%","problem":null}', "2", '["Alert on disk at 80%"]',
        '{"id":1,"problem":"PRB-1","problem_state":"new"}',
        '{"incident":"INC-1","state":"published","published_by":"token:chatops"}',
    ]  # fmt: skip
    assert (
        run_as_printed(shell, settings, tmp_path) == "No reviews match: a major incident owes one once it is resolved\n"
    )
    shown = run_as_printed(show, settings, tmp_path).splitlines()
    assert shown[0] == "INC-1 Payroll is down" and shown[1].startswith("Review: published by token:chatops")
    assert shown[-2:] == ["Follow-up actions:", "     1  Alert on disk at 80% (owner ann@example.com): PRB-1 new"]
