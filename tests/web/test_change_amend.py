"""A change's plan amended on its page and through the API, starting early, the review's words and the incidents
that followed a change, over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import update

from hub import changes
from hub.db import Database
from hub.models import User, utcnow
from tests.staff import agents
from tests.web.helpers import csrf_token, token_headers

AGENT = "agent@example.com"  # the `logged_in` agent


def request(db: Database, by: str = AGENT, **fields: Any) -> str:
    with db.transaction() as session:
        return changes.create(
            session, changes.NewChange(**{"title": "Patch the VPN", "type": "standard", **fields}), by
        ).ref


def post(client: FlaskClient, path: str, page: str, data: dict[str, str]) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client.get(page).get_data(as_text=True)), **data})


def shown(client: FlaskClient, page: str) -> str:
    return unescape(client.get(page).get_data(as_text=True))


def test_the_requester_gives_a_change_its_window_on_the_page_and_it_can_then_be_scheduled(
    db: Database, logged_in: FlaskClient
) -> None:
    ref = request(db)
    plan = {
        "title": "Patch the VPN",
        "risk": "low",
        "planned_start": "2031-03-08T22:00",
        "planned_end": "2031-03-08T23:00",
    }
    post(logged_in, f"/changes/{ref}/amend", f"/changes/{ref}", plan)
    post(logged_in, f"/changes/{ref}/schedule", f"/changes/{ref}", {})
    page = shown(logged_in, f"/changes/{ref}")
    assert f"{ref} is scheduled." in page and "planned start — → 2031-03-08 22:00 UTC" in page  # the history's line


def test_the_history_shows_an_amended_window_in_the_viewer_s_zone(db: Database, logged_in: FlaskClient) -> None:
    ref = request(db)
    with db.transaction() as session:
        changes.amend(session, ref, changes.Amendment(planned_start=datetime(2031, 3, 8, 22, tzinfo=UTC)), AGENT)
        session.execute(update(User).where(User.email == AGENT).values(timezone="Europe/Berlin"))
    page = shown(logged_in, f"/changes/{ref}")
    assert 'planned start — → <span title="2031-03-08 22:00 UTC">2031-03-08 23:00 CET</span>' in page


def test_an_agent_who_did_not_request_a_change_is_refused_its_amendment_saying_whom_to_ask(
    db: Database, logged_in: FlaskClient
) -> None:
    ref = request(db, by="carol@example.com")
    assert 'id="amend"' not in shown(logged_in, f"/changes/{ref}")
    post(logged_in, f"/changes/{ref}/amend", f"/changes/{ref}", {"title": "Mine now", "risk": "low"})
    assert f"Nothing changed: only {ref}'s requester, carol@example.com, or an admin may amend" in shown(
        logged_in, f"/changes/{ref}"
    )


def test_starting_a_change_hours_before_its_window_warns_with_its_times(db: Database, logged_in: FlaskClient) -> None:
    ref = request(db, planned_start=utcnow() + timedelta(hours=5))
    post(logged_in, f"/changes/{ref}/schedule", f"/changes/{ref}", {})
    post(logged_in, f"/changes/{ref}/start", f"/changes/{ref}", {})
    page = shown(logged_in, f"/changes/{ref}")
    assert f"{ref} is implementing." in page and f"Note: {ref} was started 4 h 59 min before its window (" in page


def test_the_review_s_words_are_shown_on_the_change_page(db: Database, logged_in: FlaskClient) -> None:
    ref = request(db, planned_start=utcnow())
    with db.transaction() as session:
        for action in ("schedule", "start"):
            changes.advance(session, ref, action, AGENT)
        changes.advance(session, ref, "finish", AGENT, outcome="implemented")
    post(logged_in, f"/changes/{ref}/review", f"/changes/{ref}", {"review": "Went to plan; tunnels back in 2 min"})
    page = shown(logged_in, f"/changes/{ref}")
    assert '<h2>Review</h2>\n  <pre class="text">Went to plan; tunnels back in 2 min</pre>' in page


def carried_out(db: Database) -> str:
    """A change on no service, started an hour into its window and finished (failed): incidents may follow it."""
    ref = request(db, service=None, planned_start=utcnow() - timedelta(hours=1))
    with db.transaction() as session:
        for action in ("schedule", "start"):
            changes.advance(session, ref, action, AGENT)
        changes.advance(session, ref, "finish", AGENT, outcome="failed")
    return ref


def test_the_change_page_lists_the_incidents_that_followed_it(
    db: Database, logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = carried_out(db)
    incident = raise_incident("VPN tunnels down")
    page = shown(logged_in, f"/changes/{ref}")
    assert f'<a href="/incidents/{incident}">{incident}</a> VPN tunnels down' in page


def test_the_api_lists_the_incidents_that_followed_a_change_in_utc(
    client: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    ref = carried_out(db)
    incident = raise_incident("VPN tunnels down")
    answer = client.get(f"/api/v1/changes/{ref}", headers=token_headers(db, name="desk", role="agent"))
    [followed] = answer.json["incidents_after"]
    assert (followed["ref"], followed["title"], followed["likely_culprit"]) == (incident, "VPN tunnels down", False)
    assert followed["first_seen"].endswith("+00:00")


def test_the_api_moves_an_approved_change_s_window_and_it_is_to_be_approved_again(
    client: FlaskClient, db: Database
) -> None:
    agents(db, "ann@example.com")
    ref = request(db, type="normal", approvers=("ann@example.com",), planned_start=utcnow() + timedelta(days=2))
    with db.transaction() as session:
        changes.advance(session, ref, "assess", AGENT)
        changes.decide(session, ref, "ann@example.com", "approve")
    answer = client.patch(f"/api/v1/changes/{ref}", json={"planned_start": "2031-03-08T22:00:00Z"},
                          headers=token_headers(db, name="desk", role="admin"))  # fmt: skip
    assert answer.status_code == 200, answer.json
    assert (answer.json["state"], answer.json["planned_start"]) == ("assessed", "2031-03-08T22:00:00+00:00")
