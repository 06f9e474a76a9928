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
    assert started.status_code == 201 and (started.json["state"], started.json["started_by"]) == ("draft", "chatops")  # type: ignore[index]
    texts = {"summary": "Payroll stopped for 40 minutes.", "root_cause": "The database disk filled up."}
    saved = client.patch(f"/api/v1/incidents/{ref}/review", json=texts, headers=bearer(agent_token))
    assert saved.status_code == 200 and saved.json["root_cause"] == "The database disk filled up."  # type: ignore[index]
    published = client.post(f"/api/v1/incidents/{ref}/review/publish", headers=bearer(agent_token))
    assert published.status_code == 200
    assert (published.json["state"], published.json["published_by"]) == ("published", "chatops")  # type: ignore[index]


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


def test_the_list_has_reviews_owed_and_written_newest_incident_first(
    client: FlaskClient, major: Callable[..., str], agent_token: str
) -> None:
    first, second = major("Payroll is down"), major("Mail is down")
    major("VPN is down", resolved=False)  # in progress: no review owed yet
    client.post(f"/api/v1/incidents/{first}/review", headers=bearer(agent_token))
    assert listed(client, agent_token) == ([(second, "not_started"), (first, "draft")], "2")
    [row] = client.get("/api/v1/reviews?state=draft", headers=bearer(agent_token)).json  # type: ignore[misc]
    assert (row["coordinator"], row["overdue"], row["started_by"], row["follow_ups"]) == (
        "ann@example.com", False, "chatops", {"total": 0, "unfiled": 0, "open": 0})  # fmt: skip


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
    assert client.get("/api/v1/reviews", headers=bearer(api_token)).status_code == 200
    assert client.get(f"/api/v1/incidents/{ref}/review", headers=bearer(api_token)).status_code == 200
    for method, path in (("POST", ""), ("PATCH", ""), ("POST", "/publish")):
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
    api, shell = fenced("docs/major-incidents.md", "Reviews through the API and the command line", "sh")
    due = resolved_at + reviews.DEFAULT_DUE
    assert run_as_printed(shell, settings, tmp_path).startswith(
        f"INC-1    not_started OVERDUE since {due:%Y-%m-%d %H:%M}"
    )
    printed = run_as_printed(api.replace("http://127.0.0.1:8000", live_url), settings, tmp_path, TOKEN=agent_token)
    assert printed.splitlines() == [
        f"INC-1 not_started ann@example.com {due.isoformat()}", "draft",
        '{"incident":"INC-1","state":"published","published_by":"chatops"}',
    ]  # fmt: skip
    assert run_as_printed(shell, settings, tmp_path) == ""
