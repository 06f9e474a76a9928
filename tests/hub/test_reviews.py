"""Post-incident reviews: when one is owed, its draft and publication, and follow-up actions filed as problems."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from hub import accounts, audit, major_incidents, problems, review_search, reviews, triage
from hub.agent_action import TriageError
from hub.db import Database
from hub.intake import Intake
from hub.models import Incident, MajorIncident, OutboxMessage, Problem, TimelineEntry, utcnow
from hub.review_search import Listed, Wanted
from tests.hub.majors import ANN, BOB, CAROL, GROUP, MAIL, declared, mailed, opened, rendered, staff


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    staff(db)


def owed(db: Database, now: datetime, due: timedelta = reviews.DEFAULT_DUE) -> list[Listed]:
    """The reviews owed at `now`, as /reviews lists them."""
    with db.read() as session:
        return review_search.page(session, now, due, Wanted(owed=True), longest_owed_first=True)


@pytest.fixture
def reviewed(db: Database, intake: Intake) -> int:
    """A resolved major incident, coordinated by Bob, whose review Ann started."""
    number = declared(intake, resolved=True, coordinator="bob@example.com")
    assert reviews.start(db, number, ANN)
    return number


def test_a_review_starts_once_the_major_incident_is_resolved(db: Database, intake: Intake) -> None:
    number = declared(intake)
    with pytest.raises(TriageError, match="is open; its review starts once it is resolved"):
        reviews.start(db, number, ANN)
    triage.change_status(db, number, "resolve", ANN, MAIL)
    assert reviews.start(db, number, ANN)
    with db.read() as session:
        review = reviews.of_incident(session, number)
    assert review is not None and (review.state, review.started_by) == ("draft", "ann@example.com")


def test_only_major_incidents_are_reviewed(db: Database, intake: Intake) -> None:
    number = opened(intake)
    triage.change_status(db, number, "resolve", ANN, MAIL)
    with pytest.raises(TriageError, match="is not a major incident; only major incidents are reviewed"):
        reviews.start(db, number, ANN)


def test_a_major_incident_merged_into_another_is_reviewed_there(db: Database, intake: Intake) -> None:
    number = declared(intake)
    survivor = opened(intake, "Payroll still down")
    triage.merge(db, number, survivor, ANN, MAIL)
    with pytest.raises(TriageError, match=f"was merged into INC-{survivor}; review that one"):
        reviews.start(db, number, ANN)
    assert owed(db, utcnow()) == []


def test_starting_a_review_already_started_keeps_the_first(db: Database, reviewed: int) -> None:
    assert not reviews.start(db, reviewed, BOB)
    with db.read() as session:
        assert reviews.of_incident(session, reviewed).started_by == "ann@example.com"  # type: ignore[union-attr]


def test_a_draft_keeps_plain_text_as_typed_with_its_lines(db: Database, reviewed: int) -> None:
    typed = "The disk filled at 02:00.\r\n<b>Payroll</b> stopped.\r\n"
    assert reviews.save(db, reviewed, {"summary": typed, "root_cause": "Logs never rotated"}, BOB)
    assert not reviews.save(db, reviewed, {"summary": typed}, BOB)  # nothing changed
    with db.read() as session:
        review = reviews.of_incident(session, reviewed)
    assert review is not None
    assert (review.summary, review.root_cause, review.impact) == (
        "The disk filled at 02:00.\n<b>Payroll</b> stopped.", "Logs never rotated", ""
    )  # fmt: skip
    assert review.updated_by == "bob@example.com"


def test_a_text_too_long_to_keep_is_refused(db: Database, reviewed: int) -> None:
    with pytest.raises(TriageError, match="Customer impact is 20,001 characters"):
        reviews.save(db, reviewed, {"impact": "x" * 20_001}, BOB)


def test_publishing_needs_a_summary(db: Database, reviewed: int) -> None:
    with pytest.raises(TriageError, match="write its summary first"):
        reviews.publish(db, reviewed, ANN, MAIL, group=GROUP)


def test_publishing_is_audited_and_mails_the_coordinator_and_the_group_its_link(db: Database, reviewed: int) -> None:
    reviews.save(db, reviewed, {"summary": "The disk filled up."}, ANN)
    reviews.publish(db, reviewed, CAROL, MAIL, group=GROUP)
    with db.read() as session:
        review = reviews.of_incident(session, reviewed)
        [record] = audit.recent(session, action="review.publish")
        [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "review_published",
                                                            OutboxMessage.recipient == "bob@example.com"))  # fmt: skip
    assert review is not None and (review.state, review.published_by) == ("published", "carol@example.com")
    assert (record.actor, record.target) == ("carol@example.com", f"INC-{reviewed}")
    assert mailed(db, reviewed, "review_published") == ["bob@example.com", "dave@example.com", "erin@example.com"]
    assert row.facts is not None and row.facts["review_url"] == f"https://desk.example/incidents/INC-{reviewed}/review"


def test_the_review_mail_names_whoever_published_it_by_their_display_name(db: Database, reviewed: int) -> None:
    with db.transaction() as session:
        accounts.set_display_name(session, "carol@example.com", "Carol King")
    reviews.save(db, reviewed, {"summary": "The disk filled up."}, ANN)
    reviews.publish(db, reviewed, CAROL, MAIL)
    text, html = rendered(db, "review_published", "bob@example.com")
    assert text.startswith("Carol King (carol@example.com) published the post-incident review")
    assert "Carol King (carol@example.com) published" in html


def test_a_published_review_is_the_record_and_no_longer_changes(db: Database, reviewed: int) -> None:
    reviews.save(db, reviewed, {"summary": "The disk filled up."}, ANN)
    reviews.publish(db, reviewed, ANN, MAIL)
    for change in (lambda: reviews.save(db, reviewed, {"summary": "Something else"}, ANN),
                   lambda: reviews.add_action(db, reviewed, "Rotate logs", ANN),
                   lambda: reviews.publish(db, reviewed, ANN, MAIL)):  # fmt: skip
        with pytest.raises(TriageError, match="is published: it is the record now"):
            change()


def test_a_follow_up_action_is_filed_as_a_problem_owned_by_its_owner(db: Database, reviewed: int) -> None:
    action = reviews.add_action(db, reviewed, "Alert on disk use at 80%", ANN, owner="dba")
    problem_id = reviews.file_problem(db, reviewed, action, BOB)
    with db.read() as session:
        problem = session.get(Problem, problem_id)
        review = reviews.of_incident(session, reviewed)
        [record] = audit.recent(session, action="problem.create")
        [said] = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "problem"))
    assert problem is not None and (problem.title, problem.owner, problem.state) == ("Alert on disk use at 80%", "dba",
                                                                                     "new")  # fmt: skip
    assert review is not None and review.actions[0].problem_id == problem_id
    assert record.detail == {"incidents": 0, "review": f"INC-{reviewed}"}
    assert said.summary == (
        f"Follow-up PRB-{problem_id} filed from the review by bob@example.com: Alert on disk use at 80%"
    )


def test_a_follow_up_is_filed_once(db: Database, reviewed: int) -> None:
    action = reviews.add_action(db, reviewed, "Rotate logs", ANN)
    problem_id = reviews.file_problem(db, reviewed, action, ANN)
    with pytest.raises(TriageError, match=f"tracked as PRB-{problem_id} already"):
        reviews.file_problem(db, reviewed, action, ANN)


def test_a_filed_follow_up_stays_on_the_review(db: Database, reviewed: int) -> None:
    action = reviews.add_action(db, reviewed, "Rotate logs", ANN)
    problem_id = reviews.file_problem(db, reviewed, action, ANN)
    with pytest.raises(TriageError, match=f"tracked as PRB-{problem_id}; close the problem"):
        reviews.remove_action(db, reviewed, action, ANN)


def test_a_follow_up_not_filed_can_be_taken_out_of_the_draft(db: Database, reviewed: int) -> None:
    action = reviews.add_action(db, reviewed, "Buy a bigger disk", ANN)
    reviews.remove_action(db, reviewed, action, ANN)
    with db.read() as session:
        assert reviews.of_incident(session, reviewed).actions == []  # type: ignore[union-attr]


def test_a_published_reviews_follow_ups_can_still_be_filed(db: Database, reviewed: int) -> None:
    action = reviews.add_action(db, reviewed, "Rotate logs", ANN)
    reviews.save(db, reviewed, {"summary": "The disk filled up."}, ANN)
    reviews.publish(db, reviewed, ANN, MAIL)
    assert reviews.file_problem(db, reviewed, action, ANN) > 0


def test_another_reviews_action_is_not_found_through_this_one(db: Database, intake: Intake, reviewed: int) -> None:
    other = declared(intake, "Mail is down", resolved=True)
    reviews.start(db, other, ANN)
    action = reviews.add_action(db, other, "Add a second relay", ANN)
    with pytest.raises(TriageError, match=f"the review of INC-{reviewed} has no follow-up action {action}"):
        reviews.file_problem(db, reviewed, action, ANN)


def test_owed_reviews_become_overdue_the_given_days_after_resolution(db: Database, intake: Intake) -> None:
    number = declared(intake, resolved=True)
    declared(intake, "Mail is down")  # not resolved: no review owed yet
    now = utcnow()
    [soon] = owed(db, now, timedelta(days=5))
    [late] = owed(db, now + timedelta(days=5, minutes=1), timedelta(days=5))
    assert (soon.ref, soon.state, soon.overdue) == (f"INC-{number}", "not_started", False)
    assert late.overdue and late.due_at is not None and late.resolved_at is not None
    assert late.due_at - late.resolved_at == timedelta(days=5)


def test_a_draft_is_still_owed_and_a_published_review_is_not(db: Database, reviewed: int) -> None:
    assert [o.state for o in owed(db, utcnow())] == ["draft"]
    reviews.save(db, reviewed, {"summary": "The disk filled up."}, ANN)
    reviews.publish(db, reviewed, ANN, MAIL)
    assert owed(db, utcnow()) == []


def test_a_stood_down_incident_owes_no_review(db: Database, intake: Intake) -> None:
    number = declared(intake)
    major_incidents.stand_down(db, number, ANN, MAIL)
    triage.change_status(db, number, "resolve", ANN, MAIL)
    assert owed(db, utcnow() + timedelta(days=30)) == []


def test_the_list_counts_follow_ups_not_filed_and_those_still_open(db: Database, reviewed: int) -> None:
    for text in ("Rotate logs", "Alert at 80%", "Bigger disk"):
        reviews.add_action(db, reviewed, text, ANN)
    with db.read() as session:
        first, second, _ = reviews.of_incident(session, reviewed).actions  # type: ignore[union-attr]
    done = reviews.file_problem(db, reviewed, first.id, ANN)
    reviews.file_problem(db, reviewed, second.id, ANN)
    problems.update_problem(db, done, "ann@example.com", state="closed")
    with db.read() as session:
        [listed] = review_search.page(session, utcnow(), reviews.DEFAULT_DUE, Wanted(states=("draft", "published")))
    assert (listed.ref, listed.state, listed.actions, listed.unfiled, listed.open) == (
        f"INC-{reviewed}", "draft", 3, 1, 1
    )  # fmt: skip


def test_a_problem_filed_from_a_review_names_its_incident(db: Database, reviewed: int) -> None:
    problem_id = reviews.file_problem(db, reviewed, reviews.add_action(db, reviewed, "Rotate logs", ANN), ANN)
    other = problems.create(db, "VPN drops", "ann@example.com")
    with db.read() as session:
        assert reviews.review_of_problem(session, problem_id) == f"INC-{reviewed}"
        assert reviews.review_of_problem(session, other) is None


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_key_times_follow_the_record() -> None:
    timeline = [(T0 + 95 * MINUTE, "resolved")]
    times = reviews.key_times(T0, T0 + 5 * MINUTE, T0 + 95 * MINUTE, [(T0 + 20 * MINUTE, None)], timeline,
                              T0 + 999 * MINUTE)  # fmt: skip
    assert (times.to_declare, times.to_acknowledge, times.to_resolve_after_acknowledged, times.to_resolve,
            times.as_major) == (20 * MINUTE, 5 * MINUTE, 90 * MINUTE, 95 * MINUTE, 75 * MINUTE)  # fmt: skip


def test_key_times_not_reached_are_none() -> None:
    times = reviews.key_times(T0, None, None, [], [], T0 + MINUTE)
    assert (times.declared, times.to_acknowledge, times.to_resolve, times.as_major) == (None, None, None, timedelta())


def test_key_times_of_a_major_incident_reopened_leave_out_the_time_it_was_resolved(
    db: Database, intake: Intake
) -> None:
    number = declared(intake, resolved=True)
    triage.change_status(db, number, "reopen", BOB, MAIL)
    triage.change_status(db, number, "resolve", BOB, MAIL)
    with db.transaction() as session:  # declared at 0, resolved at 1, reopened at 5, resolved again at 6
        session.execute(update(MajorIncident).where(MajorIncident.incident_id == number).values(declared_at=T0))
        moments = iter((T0 + 60 * MINUTE, T0 + 300 * MINUTE, T0 + 360 * MINUTE))
        changes = select(TimelineEntry).where(TimelineEntry.incident_id == number,
                                              TimelineEntry.kind.in_(("resolved", "open")))  # fmt: skip
        for entry in session.scalars(changes.order_by(TimelineEntry.id)):
            entry.at = next(moments)
        session.execute(update(Incident).where(Incident.id == number).values(resolved_at=T0 + 360 * MINUTE))
    with db.read() as session:
        incident = session.get(Incident, number)
        assert incident is not None
        times = reviews.key_times_of(incident, major_incidents.declarations(session, number), T0 + 999 * MINUTE)
    assert times.as_major == 120 * MINUTE
