"""Each person chooses on /account which way an incident's timeline reads, oldest first (the default) or newest
first; the incident page and its review follow it, say which order they are in, and link to the other way once."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from hub.audit import recent
from hub.db import Database
from hub.models import TimelineEntry, User
from tests.web.helpers import Login, csrf_token
from tests.web.test_incident_actions import act
from web.timeline_order import in_order, newest_first

SUMMARY = re.compile(r'<p class="entry-summary">(.*?)</p>')


@pytest.fixture
def ref(raise_incident: Callable[..., str], db: Database) -> str:
    """An incident whose timeline, after its opening, is the lines 'Step 1' to 'Step 3', in that order."""
    ref = raise_incident()
    add_steps(db, ref, 3)
    return ref


def add_steps(db: Database, ref: str, count: int) -> None:
    with db.transaction() as session:
        number = int(ref.removeprefix("INC-"))
        session.add_all(
            TimelineEntry(incident_id=number, kind="note", summary=f"Step {n}") for n in range(1, count + 1)
        )


def steps(page: str) -> list[str]:
    """The page's timeline lines that are steps, top to bottom."""
    return [line for line in SUMMARY.findall(page) if line.startswith("Step ")]


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def choose(client: FlaskClient, order: str, *, token: bool = True) -> TestResponse:
    form = {"order": order, **({"csrf_token": csrf_token(page(client, "/account"))} if token else {})}
    return client.post("/account/timeline", data=form)


def prefers_newest(db: Database, user: Login) -> bool:
    with db.read() as session:
        return session.scalars(select(User.timeline_newest_first).where(User.email == user.email)).one()


def test_asking_for_an_order_wins_over_the_preference_and_anything_else_is_no_ask() -> None:
    assert newest_first("newest", False) and not newest_first("oldest", True)
    assert newest_first(None, True) and newest_first("Newest!", True) and not newest_first("", False)


def test_newest_first_is_the_entries_reversed_and_oldest_first_leaves_them_be() -> None:
    assert in_order([1, 2, 3], True) == [3, 2, 1] and in_order([1, 2, 3], False) == [1, 2, 3]


def test_the_timeline_reads_oldest_first_by_default_and_links_to_newest_first(logged_in: FlaskClient, ref: str) -> None:
    shown = page(logged_in, f"/incidents/{ref}")
    assert steps(shown) == ["Step 1", "Step 2", "Step 3"]
    assert "Oldest first (" in shown and f'href="/incidents/{ref}?timeline=newest#timeline"' in shown


def test_the_account_page_offers_oldest_first_as_the_default(logged_in: FlaskClient) -> None:
    assert '<option selected value="oldest">Oldest first (default)</option>' in page(logged_in, "/account")


def test_choosing_newest_first_is_saved_audited_and_shown_on_the_account_page(
    logged_in: FlaskClient, user: Login, db: Database
) -> None:
    response = choose(logged_in, "newest")
    assert response.status_code == 303 and response.headers["Location"].endswith("/account#timeline")
    assert prefers_newest(db, user)
    shown = page(logged_in, "/account")
    assert "Incident timelines now read newest first." in shown
    assert '<option selected value="newest">Newest first</option>' in shown
    with db.read() as session:
        [entry] = recent(session, action="user.timeline")
    assert (entry.actor, entry.target, entry.detail) == (user.email, user.email, {"order": "newest"})


def test_choosing_the_order_already_chosen_is_not_audited_again(
    logged_in: FlaskClient, user: Login, db: Database
) -> None:
    choose(logged_in, "newest")
    assert choose(logged_in, "newest").status_code == 303
    choose(logged_in, "oldest")
    assert not prefers_newest(db, user)
    with db.read() as session:
        assert [e.detail for e in recent(session, action="user.timeline")] == [{"order": "oldest"}, {"order": "newest"}]


def test_someone_who_chose_newest_first_sees_the_latest_entry_at_the_top(logged_in: FlaskClient, ref: str) -> None:
    choose(logged_in, "newest")
    shown = page(logged_in, f"/incidents/{ref}")
    assert steps(shown) == ["Step 3", "Step 2", "Step 1"]
    assert SUMMARY.findall(shown)[-1].startswith("Opened")  # the opening line is the oldest: last
    assert "Newest first (" in shown and f'href="/incidents/{ref}?timeline=oldest#timeline"' in shown


def test_newest_first_on_a_long_timeline_starts_with_its_latest_entries(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    long = raise_incident()
    add_steps(db, long, 400)
    choose(logged_in, "newest")
    shown = steps(page(logged_in, f"/incidents/{long}"))
    assert shown[:2] == ["Step 400", "Step 399"] and shown[-1] == "Step 1" and len(shown) == 400


def test_asking_for_newest_first_shows_it_once_and_changes_no_preference(
    logged_in: FlaskClient, user: Login, ref: str, db: Database
) -> None:
    shown = page(logged_in, f"/incidents/{ref}?timeline=newest")
    assert steps(shown) == ["Step 3", "Step 2", "Step 1"] and "Newest first, this once." in shown
    assert steps(page(logged_in, f"/incidents/{ref}")) == ["Step 1", "Step 2", "Step 3"]
    assert not prefers_newest(db, user)
    with db.read() as session:
        assert recent(session, action="user.timeline") == []


def test_asking_for_oldest_first_overrides_a_newest_first_preference(logged_in: FlaskClient, ref: str) -> None:
    choose(logged_in, "newest")
    shown = page(logged_in, f"/incidents/{ref}?timeline=oldest")
    assert steps(shown) == ["Step 1", "Step 2", "Step 3"] and "Oldest first, this once." in shown
    assert f'href="/incidents/{ref}?timeline=newest#timeline"' in shown


def test_an_order_the_page_does_not_know_shows_the_persons_own(logged_in: FlaskClient, ref: str) -> None:
    choose(logged_in, "newest")
    assert steps(page(logged_in, f"/incidents/{ref}?timeline=upside-down")) == ["Step 3", "Step 2", "Step 1"]


def test_without_the_pages_csrf_token_the_order_is_not_saved(logged_in: FlaskClient, user: Login, db: Database) -> None:
    assert choose(logged_in, "newest", token=False).status_code == 400
    assert not prefers_newest(db, user)
    with db.read() as session:
        assert recent(session, action="user.timeline") == []


def test_an_order_the_form_does_not_offer_is_refused_and_nothing_changes(
    logged_in: FlaskClient, user: Login, db: Database
) -> None:
    response = choose(logged_in, "sideways")
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    assert not prefers_newest(db, user)


def test_an_incident_page_reshown_with_a_draft_links_the_other_order_to_the_incident_page(
    logged_in: FlaskClient, ref: str
) -> None:
    six = [(io.BytesIO(b"log"), f"{n}.log") for n in range(6)]  # one too many: the page comes back with the note
    token = csrf_token(page(logged_in, f"/incidents/{ref}"))
    response = logged_in.post(f"/incidents/{ref}/note", data={"csrf_token": token, "text": "Logs.", "files": six},
                              content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 400 and "attach at most 5" in response.get_data(as_text=True)
    assert f'href="/incidents/{ref}?timeline=newest#timeline"' in response.get_data(as_text=True)


def test_the_review_page_follows_the_same_preference_and_the_same_ask(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident("Payroll is down")
    act(logged_in, ref, "major", reason="Nobody can run payroll")
    act(logged_in, ref, "resolve", resolution="Freed disk")
    act(logged_in, ref, "review")
    add_steps(db, ref, 2)
    assert steps(page(logged_in, f"/incidents/{ref}/review")) == ["Step 1", "Step 2"]
    choose(logged_in, "newest")
    shown = page(logged_in, f"/incidents/{ref}/review")
    assert steps(shown) == ["Step 2", "Step 1"]
    assert f'href="/incidents/{ref}/review?timeline=oldest#timeline"' in shown
    assert steps(page(logged_in, f"/incidents/{ref}/review?timeline=oldest")) == ["Step 1", "Step 2"]
