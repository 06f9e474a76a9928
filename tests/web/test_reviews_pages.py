"""Post-incident reviews on the pages: started from a resolved major incident, written, filed and published, read
by everyone who sees incidents, and listed with those owed and overdue. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hub import accounts, zones
from hub.db import Database
from hub.models import Incident, OutboxMessage, Problem, utcnow
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.helpers import Login, csrf_token, log_in, statements
from tests.web.test_incident_actions import act


@pytest.fixture
def resolved_major(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> str:
    """A major incident the logged-in agent declared, acknowledged and resolved."""
    ref = raise_incident("Payroll is down")
    act(logged_in, ref, "major", reason="Nobody can run payroll")
    act(logged_in, ref, "acknowledge")
    act(logged_in, ref, "resolve", resolution="Freed disk on the database")
    return ref


@pytest.fixture
def review(logged_in: FlaskClient, resolved_major: str) -> str:
    """The review of `resolved_major`, started from its page."""
    post(logged_in, f"/incidents/{resolved_major}/review", page=f"/incidents/{resolved_major}")
    return resolved_major


def post(client: FlaskClient, path: str, page: str, **fields: str) -> str:
    """Post a form of `page` (with its CSRF token) to `path`, and return the page the redirect lands on."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, **fields})
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def on_review(client: FlaskClient, ref: str, path: str = "", **fields: str) -> str:
    return post(client, f"/incidents/{ref}/review{path}", page=f"/incidents/{ref}/review", **fields)


def major_resolved(client: FlaskClient, raise_incident: Callable[..., str], title: str) -> str:
    """Another major incident declared and resolved from its page."""
    ref = raise_incident(title)
    act(client, ref, "major", reason="Everyone")
    act(client, ref, "resolve")
    return ref


def resolved_days_ago(db: Database, ref: str, days: int) -> None:
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == int(ref.removeprefix("INC-")))
                        .values(resolved_at=utcnow() - timedelta(days=days)))  # fmt: skip


def test_a_resolved_major_incident_offers_its_review_and_starting_opens_the_draft(
    logged_in: FlaskClient, resolved_major: str
) -> None:
    assert "Start review" in logged_in.get(f"/incidents/{resolved_major}").get_data(as_text=True)
    page = post(logged_in, f"/incidents/{resolved_major}/review", page=f"/incidents/{resolved_major}")
    assert f"{resolved_major} has its review started." in page
    assert f">Review of {resolved_major}: Payroll is down</h1>" in page and ">draft</span>" in page
    incident_page = logged_in.get(f"/incidents/{resolved_major}").get_data(as_text=True)
    assert "Start review" not in incident_page
    assert f'href="/incidents/{resolved_major}/review">draft</a>' in incident_page


def test_an_unresolved_major_incident_offers_no_review_yet(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    act(logged_in, ref, "major", reason="Nobody can run payroll")
    assert "Start review" not in logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    page = post(logged_in, f"/incidents/{ref}/review", page=f"/incidents/{ref}")
    assert "is open; its review starts once it is resolved." in page
    assert logged_in.get(f"/incidents/{ref}/review").status_code == 404


def test_the_draft_keeps_what_was_typed_and_the_published_review_shows_it_as_escaped_text(
    logged_in: FlaskClient, review: str
) -> None:
    typed = "The disk filled at 02:00.\r\n<b>Payroll</b> stopped."
    page = on_review(logged_in, review, "/text", summary=typed, impact="", root_cause="Logs never rotated",
                     went_well="", went_badly="")  # fmt: skip
    assert f"{review} has its review saved." in page
    assert "The disk filled at 02:00.\n&lt;b&gt;Payroll&lt;/b&gt; stopped.</textarea>" in page
    page = on_review(logged_in, review, "/publish")
    assert f"{review} has its review published." in page and "<textarea" not in page
    shown = "The disk filled at 02:00.\n&lt;b&gt;Payroll&lt;/b&gt; stopped."
    assert f'<pre class="text" id="review-summary">{shown}</pre>' in page


def test_publishing_without_a_summary_says_to_write_one(logged_in: FlaskClient, review: str) -> None:
    assert "Write its summary first: what happened, in a few lines." in on_review(logged_in, review, "/publish")


def test_publishing_mails_the_coordinator_its_link(
    logged_in: FlaskClient, review: str, make_user: Callable[..., Login], db: Database, app_client_pair: tuple
) -> None:
    bob = make_user(email="bob@example.com")
    act(logged_in, review, "reopen")  # hand over while it is unresolved, then resolve again
    act(logged_in, review, "coordinator", coordinator=bob.email)
    act(logged_in, review, "resolve")
    on_review(logged_in, review, "/text", summary="The disk filled up.")
    on_review(logged_in, review, "/publish")
    with db.read() as session:
        [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "review_published"))
    assert row.recipient == bob.email and row.facts is not None
    assert row.facts["review_url"].endswith(f"/incidents/{review}/review")


def test_a_follow_up_is_filed_as_a_problem_in_one_click_and_shows_its_state(
    logged_in: FlaskClient, review: str, db: Database
) -> None:
    page = on_review(logged_in, review, "/actions", text="Alert on disk use at 80%", owner="dba")
    assert f"{review} has a new follow-up action." in page and "not yet a problem" in page
    action = re.search(rf"/incidents/{review}/review/actions/(\d+)/problem", page)
    assert action is not None
    page = on_review(logged_in, review, f"/actions/{action.group(1)}/problem")
    with db.read() as session:
        [problem] = session.scalars(select(Problem))
    assert f"{review} has that follow-up tracked as {problem.ref}." in page
    assert f'>{problem.ref}</a> <span class="badge state-new">new</span>' in page
    problem_page = logged_in.get(f"/problems/{problem.ref}").get_data(as_text=True)
    assert f'<a href="/incidents/{review}/review" id="from-review">the review of {review}</a>' in problem_page


def test_a_follow_up_not_filed_is_removed_from_the_draft(logged_in: FlaskClient, review: str) -> None:
    page = on_review(logged_in, review, "/actions", text="Buy a bigger disk")
    action = re.search(rf"/incidents/{review}/review/actions/(\d+)/remove", page)
    assert action is not None
    page = on_review(logged_in, review, f"/actions/{action.group(1)}/remove")
    assert "has that follow-up action taken out of its review" in page and "Buy a bigger disk" not in page


def test_the_review_shows_key_times_and_the_timeline_in_the_readers_time_zone(
    logged_in: FlaskClient, review: str, user: Login, db: Database
) -> None:
    with db.transaction() as session:
        accounts.set_timezone(session, user.email, "Asia/Tokyo")
        incident = session.get(Incident, int(review.removeprefix("INC-")))
        assert incident is not None and incident.resolved_at is not None
        detected, resolved = incident.first_seen, incident.resolved_at
    page = logged_in.get(f"/incidents/{review}/review").get_data(as_text=True)
    tokyo = ZoneInfo("Asia/Tokyo")
    assert zones.wall_clock(detected, tokyo) in page and zones.wall_clock(resolved, tokyo) in page
    assert "Times in Asia/Tokyo." in page
    assert re.search(r'id="as-major">\d+ s</dd>', page)
    assert re.search(r'id="to-acknowledge">\d+ s after detection', page)
    timeline = page[page.index("<h2>Timeline</h2>") :]
    assert "Declared a major incident by agent@example.com" in timeline and "Review started by" in timeline
    assert "Resolved by agent@example.com" in timeline and "<textarea" not in timeline


def test_a_viewer_reads_a_review_but_cannot_change_it(
    logged_in: FlaskClient, review: str, make_user: Callable[..., Login], app_client_pair: tuple
) -> None:
    viewer: FlaskClient = app_client_pair[1]
    log_in(viewer, make_user(email="vic@example.com", role="viewer"))
    page = viewer.get(f"/incidents/{review}/review").get_data(as_text=True)
    assert f"Review of {review}" in page and "<textarea" not in page and "Publish review" not in page
    token = csrf_token(page)
    for path in ("/text", "/publish", "/actions"):
        response = viewer.post(f"/incidents/{review}/review{path}", data={"csrf_token": token, "summary": "x"})
        assert response.status_code == 403, path


def test_anonymous_visitors_are_sent_to_log_in_before_a_review(client: FlaskClient) -> None:
    response = client.get("/incidents/INC-1/review")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_reviews_page_lists_those_owed_overdue_ones_marked_and_the_reviews_written(
    logged_in: FlaskClient, review: str, raise_incident: Callable[..., str], db: Database
) -> None:
    late = raise_incident("Mail is down")
    act(logged_in, late, "major", reason="No mail")
    act(logged_in, late, "resolve")
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == int(late.removeprefix("INC-")))
                        .values(resolved_at=utcnow() - timedelta(days=6)))  # fmt: skip
    page = logged_in.get("/reviews").get_data(as_text=True)
    owed = page[page.index('id="owed"') : page.index('id="reviews"')]
    assert owed.index(late) < owed.index(review)  # the longest owed first
    assert owed.count("overdue</span>") == 1 and "not started" in owed and ">draft</a>" in owed
    written = page[page.index('id="reviews"') :]
    assert f">{review}</a>" in written and late not in written
    assert "1 post-incident review is overdue" in logged_in.get("/dashboard").get_data(as_text=True)


def test_a_published_review_is_no_longer_owed(logged_in: FlaskClient, review: str) -> None:
    on_review(logged_in, review, "/text", summary="The disk filled up.")
    on_review(logged_in, review, "/publish")
    page = logged_in.get("/reviews").get_data(as_text=True)
    assert "None: every resolved major incident has its review published." in page
    assert '<span class="badge state-published">published</span>' in page


def test_the_reviews_page_lists_what_the_api_lists(
    logged_in: FlaskClient, review: str, raise_incident: Callable[..., str], db: Database, api_token: str
) -> None:
    """Owed with the same overdue marks, and the same reviews written in the same order: one definition of both."""
    late = major_resolved(logged_in, raise_incident, "Mail is down")  # owed, not started, overdue
    resolved_days_ago(db, late, 6)
    published = major_resolved(logged_in, raise_incident, "VPN is down")
    post(logged_in, f"/incidents/{published}/review", page=f"/incidents/{published}")
    on_review(logged_in, published, "/text", summary="The VPN concentrator rebooted.")
    on_review(logged_in, published, "/publish")
    reopened = major_resolved(logged_in, raise_incident, "Printers are down")  # a draft, owed no more while open
    post(logged_in, f"/incidents/{reopened}/review", page=f"/incidents/{reopened}")
    act(logged_in, reopened, "reopen")
    page = logged_in.get("/reviews").get_data(as_text=True)
    owed, written = page[page.index('id="owed"') : page.index('id="reviews"')], page[page.index('id="reviews"') :]
    rows = logged_in.get("/api/v1/reviews", headers={"Authorization": f"Bearer {api_token}"}).json
    assert isinstance(rows, list) and len(rows) == 4
    page_owed = re.findall(r'<tr class="(overdue|)">\s*<td data-label="Incident"><a class="ref" href="/incidents/'
                           r'(INC-\d+)"', owed)  # fmt: skip
    assert page_owed == [("overdue", late), ("", review)]
    assert sorted((ref, bool(mark)) for mark, ref in page_owed) == sorted(
        (row["incident"], row["overdue"]) for row in rows if row["due_at"] is not None
    )
    page_written = re.findall(r'href="/incidents/(INC-\d+)/review">INC-\d+</a></td>.*?state-(\w+)"', written, re.S)
    assert page_written == [(reopened, "draft"), (published, "published"), (review, "draft")]
    assert page_written == [(row["incident"], row["state"]) for row in rows if row["state"] != "not_started"]


def test_the_reviews_page_reads_in_the_same_queries_for_one_review_or_several(
    logged_in: FlaskClient, review: str, raise_incident: Callable[..., str], db: Database
) -> None:
    """Owed and written are a query each, their follow-ups counted within: none more per review or follow-up."""

    def queries_for_the_page() -> int:
        with statements(db) as sent:
            assert logged_in.get("/reviews").status_code == 200
        return len(sent)

    one = queries_for_the_page()
    major_resolved(logged_in, raise_incident, "Mail is down")
    other = major_resolved(logged_in, raise_incident, "VPN is down")
    post(logged_in, f"/incidents/{other}/review", page=f"/incidents/{other}")
    for ref in (review, other):
        page = on_review(logged_in, ref, "/actions", text="Alert on disk use at 80%")
        on_review(logged_in, ref, "/actions", text="Rotate logs")
        action = re.search(rf"/incidents/{ref}/review/actions/(\d+)/problem", page)
        assert action is not None
        on_review(logged_in, ref, f"/actions/{action.group(1)}/problem")
    assert ">2</td>" in logged_in.get("/reviews").get_data(as_text=True)
    assert queries_for_the_page() == one
