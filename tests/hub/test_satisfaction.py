"""CSAT: the signed survey links (pure), the mail that carries them, and the answers kept against a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from hub import satisfaction, triage
from hub.accounts import create_user
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.domain import Decision, InboundEvent, RuleBook
from hub.intake import Intake, Raw
from hub.intake_notices import NoticeSettings
from hub.models import Incident, OutboxMessage, SatisfactionAnswer, TimelineEntry
from hub.outbox import body_of
from hub.satisfaction import BadAnswer
from hub.signed_links import BadLink, Claim, ExpiredLink, StaleLink
from hub.verifying_keys import VerifyingKeys
from tests.plans import plan

KEY = "test-secret-key"
KEYS = VerifyingKeys(KEY)  # what the pages read links under
BASE = "https://desk.example.com"
NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
AGENT = Actor("agent@example.com")
MAIL = Mail("helpdesk@example.com", BASE, secret_key=KEY)
EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nbroken")


def open_email(db: Database, requester: str = "ann@example.org", *, secret_key: str | None = KEY) -> int:
    notice = NoticeSettings(("helpdesk@example.com",), BASE, secret_key=secret_key)
    event = InboundEvent(source="email", title="Printer is broken", requester=requester, message_id=f"<m1.{requester}>")
    outcome = Intake(db, no_rules, notice).record(EMAIL, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def no_rules(event: InboundEvent, book: RuleBook, now: datetime, *_: object) -> Decision:
    return Decision(priority=3)


def resolution_mails(db: Database, incident_id: int) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.incident_id == incident_id, OutboxMessage.kind == "resolved")
    with db.read() as session:
        return list(session.scalars(query))


def timeline(db: Database, incident_id: int) -> list[TimelineEntry]:
    query = select(TimelineEntry).where(TimelineEntry.incident_id == incident_id, TimelineEntry.kind == "satisfaction")
    with db.read() as session:
        return list(session.scalars(query.order_by(TimelineEntry.id)))


# -- links (pure) -------------------------------------------------------------------------------------------


def test_link_token_names_the_incident_and_the_requester() -> None:
    token = satisfaction.sign(KEY, 42, "Ann@Example.org", now=NOW)
    assert satisfaction.read(KEYS, token, now=NOW + timedelta(days=1)) == Claim(42, "ann@example.org")


def test_tampered_token_is_refused() -> None:
    token = satisfaction.sign(KEY, 42, "ann@example.org", now=NOW)
    _, _, stamp_and_signature = token.partition(".")
    another_incident = satisfaction.sign(KEY, 43, "ann@example.org", now=NOW).partition(".")[0]
    head, signature = token.rsplit(".", 1)
    flipped = signature[:5] + ("B" if signature[5] == "A" else "A") + signature[6:]  # not a padding bit
    for forged in (f"{another_incident}.{stamp_and_signature}", f"{head}.{flipped}", token[:20], "", "a.b.c"):
        with pytest.raises(BadLink):
            satisfaction.read(KEYS, forged, now=NOW)


def test_token_signed_with_another_key_is_refused() -> None:
    token = satisfaction.sign("another-installation", 42, "ann@example.org", now=NOW)
    with pytest.raises(BadLink):
        satisfaction.read(KEYS, token, now=NOW)


def test_token_expires_after_thirty_days() -> None:
    token = satisfaction.sign(KEY, 42, "ann@example.org", now=NOW)
    assert satisfaction.read(KEYS, token, now=NOW + timedelta(days=30)).incident_id == 42
    with pytest.raises(ExpiredLink):
        satisfaction.read(KEYS, token, now=NOW + timedelta(days=30, seconds=1))


def test_links_offer_one_choice_per_rating_under_the_base_url() -> None:
    choices = satisfaction.links(KEY, BASE + "/", 42, "ann@example.org", now=NOW)
    assert [c["rating"] for c in choices] == ["good", "bad"]
    for choice in choices:
        url = urlsplit(choice["url"])
        assert f"{url.scheme}://{url.netloc}" == BASE and url.path.startswith("/satisfaction/")
        assert parse_qs(url.query) == {"rating": [choice["rating"]]}
        token = url.path.removeprefix("/satisfaction/")
        assert satisfaction.read(KEYS, token, now=NOW) == Claim(42, "ann@example.org")


def test_a_comment_over_the_limit_is_refused_and_a_blank_one_is_none() -> None:
    assert satisfaction.clean_comment("  \n ") is None
    with pytest.raises(BadAnswer):
        satisfaction.clean_comment("x" * (satisfaction.MAX_COMMENT + 1))


# -- the mail ---------------------------------------------------------------------------------------------------


def test_resolution_mail_to_the_requester_carries_signed_links_in_text_and_html(db: Database) -> None:
    incident_id = open_email(db)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    [mail] = resolution_mails(db, incident_id)
    assert mail.recipient == "ann@example.org"
    text, html = body_of(mail)  # as the worker will send it
    assert html is not None
    assert "How did we do?" in text and "How did we do?" in html
    for choice in mail.facts["survey"]:  # type: ignore[index]
        assert choice["url"] in text and f'href="{choice["url"]}"' in html
        token = urlsplit(choice["url"]).path.removeprefix("/satisfaction/")
        assert satisfaction.read(KEYS, token) == Claim(incident_id, "ann@example.org")


def test_resolution_mail_asks_nothing_without_a_secret_key(db: Database) -> None:
    incident_id = open_email(db, secret_key=None)
    triage.change_status(db, incident_id, "resolve", AGENT, Mail("helpdesk@example.com", BASE))
    [mail] = resolution_mails(db, incident_id)
    assert "How did we do?" not in body_of(mail)[0]


def test_resolution_mail_owed_before_the_survey_existed_still_renders(db: Database) -> None:
    incident_id = open_email(db)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    [mail] = resolution_mails(db, incident_id)
    del mail.facts["survey"]  # type: ignore[union-attr]  # what a row written by the previous release holds
    text, _ = body_of(mail)
    assert "has been resolved" in text and "How did we do?" not in text


def test_the_assignee_hears_of_the_resolution_without_the_requesters_question(db: Database) -> None:
    with db.transaction() as session:
        create_user(session, email="bob@example.com", password="long enough", role="agent")
    incident_id = open_email(db)
    triage.assign(db, incident_id, "bob@example.com", AGENT, MAIL)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    to_bob = [m for m in resolution_mails(db, incident_id) if m.recipient == "bob@example.com"]
    assert len(to_bob) == 1 and "How did we do?" not in body_of(to_bob[0])[0]


# -- answers ----------------------------------------------------------------------------------------------------


def test_an_answer_is_kept_with_a_timeline_entry(db: Database) -> None:
    incident_id = open_email(db)
    answer = satisfaction.record(db, Claim(incident_id, "ann@example.org"), "good", "  Quick, thanks!  ")
    assert (answer.rating, answer.comment) == ("good", "Quick, thanks!")
    [entry] = timeline(db, incident_id)
    assert entry.summary == "ann@example.org rated the resolution Good"
    assert entry.data == {"by": "ann@example.org", "rating": "good", "comment": "Quick, thanks!"}


def test_a_second_answer_replaces_the_first(db: Database) -> None:
    incident_id = open_email(db)
    claim = Claim(incident_id, "ann@example.org")
    satisfaction.record(db, claim, "good", None)
    satisfaction.record(db, claim, "bad", "It broke again the next day.")
    with db.read() as session:
        assert session.scalar(select(SatisfactionAnswer.rating)) == "bad"
        answer = satisfaction.answer_for(session, incident_id)
    assert answer is not None and answer.comment == "It broke again the next day."
    assert [e.summary for e in timeline(db, incident_id)] == [
        "ann@example.org rated the resolution Good",
        "ann@example.org changed their rating to Bad",
    ]


def test_the_same_answer_again_writes_nothing_more(db: Database) -> None:
    incident_id = open_email(db)
    claim = Claim(incident_id, "ann@example.org")
    satisfaction.record(db, claim, "good", "ok")
    satisfaction.record(db, claim, "good", "ok ")
    assert len(timeline(db, incident_id)) == 1


def test_an_answer_for_an_incident_with_another_requester_is_refused(db: Database) -> None:
    incident_id = open_email(db)
    with db.transaction() as session:
        session.get_one(Incident, incident_id).requester = "bea@example.org"
    with pytest.raises(StaleLink):
        satisfaction.record(db, Claim(incident_id, "ann@example.org"), "good", None)
    with pytest.raises(StaleLink):
        satisfaction.record(db, Claim(incident_id + 1, "ann@example.org"), "good", None)
    assert timeline(db, incident_id) == []


def test_an_unknown_rating_is_refused(db: Database) -> None:
    incident_id = open_email(db)
    with pytest.raises(BadAnswer):
        satisfaction.record(db, Claim(incident_id, "ann@example.org"), "meh", None)


# -- the dashboard's figure -------------------------------------------------------------------------------------


def test_summary_counts_the_last_thirty_days_share_of_good_and_the_latest_comments(db: Database) -> None:
    ids = [open_email(db, f"user{n}@example.org") for n in range(5)]
    answers = [("good", "Great"), ("good", None), ("bad", "Slow"), ("good", "Fine"), ("bad", "Ancient")]
    for incident_id, (n, (rating, comment)) in zip(ids, enumerate(answers), strict=True):
        satisfaction.record(db, Claim(incident_id, f"user{n}@example.org"), rating, comment)
    with db.transaction() as session:  # the last answer was given long ago: outside the period
        session.get_one(SatisfactionAnswer, ids[-1]).answered_at = datetime.now(UTC) - timedelta(days=31)
    with db.read() as session:
        found = satisfaction.summary(session)
    assert (found.answers, found.good, found.percent_good) == (4, 3, 75)
    assert [a.comment for a in found.comments] == ["Fine", "Slow", "Great"]


def test_summary_of_no_answers_has_no_percentage(db: Database) -> None:
    with db.read() as session:
        found = satisfaction.summary(session)
    assert (found.answers, found.percent_good, found.comments) == (0, None, [])


def _answered_by_kind(db: Database) -> None:
    """A good answer about an incident, a bad one about a service request."""
    incident, request = open_email(db, "ann@example.org"), open_email(db, "bea@example.org")
    triage.categorise(db, request, AGENT, kind="request")
    satisfaction.record(db, Claim(incident, "ann@example.org"), "good", "Quick fix")
    satisfaction.record(db, Claim(request, "bea@example.org"), "bad", "Laptop took ages")


def test_summary_of_one_kind_counts_only_the_answers_about_that_kind(db: Database) -> None:
    _answered_by_kind(db)
    with db.read() as session:
        found = satisfaction.summary(session, kind="request")
    assert (found.answers, found.good, [a.comment for a in found.comments]) == (1, 0, ["Laptop took ages"])


def test_the_answers_of_one_kind_are_still_found_through_the_index_on_when_they_were_given(db: Database) -> None:
    found = plan(db, satisfaction.ratings_since(NOW - satisfaction.PERIOD, "request"))
    assert "ix_satisfaction_answers_answered_at" in found and "SCAN satisfaction_answers" not in found, found


def test_summary_of_no_kind_counts_the_answers_about_both(db: Database) -> None:
    _answered_by_kind(db)
    with db.read() as session:
        found = satisfaction.summary(session)
    assert (found.answers, found.good) == (2, 1)
