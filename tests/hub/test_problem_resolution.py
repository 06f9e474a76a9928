"""Resolving a problem with the incidents it explains: each open one resolved as an agent's resolve does it, its
requester told the cause is fixed, all in the problem's transaction."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from hub import accounts, audit, problem_resolution, problems, triage
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import Incident, OutboxMessage, Problem, TimelineEntry
from hub.outbox import body_of
from hub.problem_resolution import Resolved
from hub.problems import ProblemError

LEAD = "lead@example.com"
AGENT = Actor("agent@example.com")
MAIL = Mail(desk_address="helpdesk@example.com", base_url="https://desk.example.com")
ROOT_CAUSE = "The VPN concentrator dropped idle tunnels after 60 s"


def request(intake: Intake, requester: str, title: str | None = None) -> int:
    """A request mailed by `requester`: an incident whose requester hears of its resolution."""
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: VPN\r\n\r\nit drops")
    title = title or f"VPN drops for {requester}"
    slug = re.sub(r"\W", "-", title)
    event = InboundEvent(source="email", title=title, requester=requester,
                         message_id=f"<vpn.{slug}.{requester}@example.org>")  # fmt: skip
    outcome = intake.record(raw, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def investigated(db: Database, incident_ids: tuple[int, ...], root_cause: str = ROOT_CAUSE) -> int:
    """A problem explaining the incidents, investigated as far as its root cause: ready to be resolved."""
    number = problems.create(db, "VPN drops every night", LEAD, incident_ids=incident_ids)
    problems.update_problem(db, number, LEAD, state="investigating", root_cause=root_cause)
    return number


def statuses(db: Database, *incident_ids: int) -> list[str]:
    with db.read() as session:
        found = dict(session.execute(select(Incident.id, Incident.status).where(Incident.id.in_(incident_ids))).all())
    return [found[i] for i in incident_ids]


def resolution_mails(db: Database) -> list[tuple[int | None, str]]:
    with db.read() as session:
        rows = session.execute(select(OutboxMessage.incident_id, OutboxMessage.recipient)
                               .where(OutboxMessage.kind == "resolved").order_by(OutboxMessage.id))  # fmt: skip
        return [(incident_id, recipient) for incident_id, recipient in rows]


def test_the_open_incidents_are_resolved_and_the_rest_left_as_they_were(
    database: Database, stored_intake: Intake
) -> None:
    opened, acked, waiting, done, closed, merged = (
        request(stored_intake, f"{name}@example.org") for name in ("ann", "bob", "cat", "dan", "eve", "fay")
    )
    triage.change_status(database, acked, "acknowledge", AGENT, MAIL)
    triage.change_status(database, waiting, "wait", AGENT, MAIL)
    triage.change_status(database, done, "resolve", AGENT, MAIL, resolution="Rebooted the router.")
    for action in ("resolve", "close"):
        triage.change_status(database, closed, action, AGENT, MAIL)
    triage.merge(database, merged, opened, AGENT, MAIL)
    number = investigated(database, (opened, acked, waiting, done, closed, merged))

    updated = problems.update_problem(database, number, LEAD, state="resolved", resolve_incidents=MAIL)

    assert updated.resolved == Resolved((f"INC-{opened}", f"INC-{acked}", f"INC-{waiting}"), still_open=0)
    assert statuses(database, opened, acked, waiting, done, closed, merged) == [
        "resolved", "resolved", "resolved", "resolved", "closed", "closed"
    ]  # fmt: skip
    with database.read() as session:
        resolutions = dict(session.execute(select(Incident.id, Incident.resolution)).all())
    said = f"The underlying problem, PRB-{number} (VPN drops every night), is resolved.\n\nRoot cause: {ROOT_CAUSE}"
    assert [resolutions[i] for i in (opened, acked, waiting)] == [said] * 3
    assert (resolutions[done], resolutions[closed]) == ("Rebooted the router.", None)


def test_each_requester_is_told_once_that_the_cause_is_fixed(db: Database, intake: Intake) -> None:
    """A merged request's requester hears through the request it was merged into, as after an agent's resolve."""
    ann, bob, done, fay = (request(intake, f"{name}@example.org") for name in ("ann", "bob", "dan", "fay"))
    triage.change_status(db, done, "resolve", AGENT, MAIL)
    triage.merge(db, fay, ann, AGENT, MAIL)
    before = resolution_mails(db)
    number = investigated(db, (ann, bob, done, fay))
    problems.update_problem(db, number, LEAD, state="resolved", resolve_incidents=MAIL)
    told = resolution_mails(db)[len(before) :]
    assert sorted(told) == [(ann, "ann@example.org"), (bob, "bob@example.org"), (fay, "fay@example.org")]
    with db.read() as session:
        mail = session.scalars(select(OutboxMessage).where(OutboxMessage.incident_id == ann,
                                                           OutboxMessage.kind == "resolved")).one()  # fmt: skip
    body, _ = body_of(mail)
    assert f"PRB-{number} (VPN drops every night)" in body and ROOT_CAUSE in body


def mail_on(db: Database, incident_id: int) -> OutboxMessage:
    with db.read() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.incident_id == incident_id,
                                                           OutboxMessage.kind == "resolved")).one()  # fmt: skip


def test_a_requester_of_several_incidents_is_sent_one_mail_listing_them(db: Database, intake: Intake) -> None:
    """Not one a request: the mail goes on their oldest request, naming the others by reference and title."""
    first, bob, second, third = (request(intake, requester, title) for requester, title in (
        ("ann@example.org", "VPN drops at home"), ("bob@example.org", None),
        ("ANN@example.org", "VPN drops in the train"), ("ann@example.org", "Teams calls cut off")))  # fmt: skip
    number = investigated(db, (first, bob, second, third))
    problems.update_problem(db, number, LEAD, state="resolved", resolve_incidents=MAIL)
    assert sorted(resolution_mails(db)) == [(first, "ann@example.org"), (bob, "bob@example.org")]
    mail = mail_on(db, first)
    assert mail.subject == f"[INC-{first}] Resolved: your 3 requests, with PRB-{number} (VPN drops every night)"
    body, html = body_of(mail)
    for ref, title in (
        (first, "VPN drops at home"),
        (second, "VPN drops in the train"),
        (third, "Teams calls cut off"),
    ):
        assert f"INC-{ref}: {title}" in body and f"INC-{ref}</strong>: {title}" in (html or "")
    assert f"PRB-{number} (VPN drops every night)" in body and ROOT_CAUSE in body
    assert mail_on(db, bob).template == "requester_resolved"  # alone in the problem: the usual mail
    with db.read() as session:
        others = TimelineEntry.incident_id.in_((second, third))
        told = session.scalars(select(TimelineEntry.summary).where(others, TimelineEntry.kind == "notification")).all()
    said = f"resolved to ann@example.org told in the mail about INC-{first}, with their other requests"
    assert [line for line in told if line.startswith("resolved")] == [said] * 2


def test_each_resolve_is_on_its_timeline_as_the_actors_and_the_problem_history_names_them(
    db: Database, intake: Intake
) -> None:
    first, second = request(intake, "ann@example.org"), request(intake, "bob@example.org")
    number = investigated(db, (first, second))
    problems.update_problem(db, number, LEAD, state="resolved", resolve_incidents=MAIL)
    with db.read() as session:
        entries = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "resolved")).all()
        [update] = [e for e in problems.history(session, f"PRB-{number}") if "incidents_resolved" in (e.detail or {})]
    assert sorted((e.incident_id, e.summary, e.data["by"]) for e in entries) == [
        (first, f"Resolved by {LEAD}", LEAD), (second, f"Resolved by {LEAD}", LEAD)
    ]  # fmt: skip
    assert update.actor == LEAD
    assert problems.what_happened(update.action, update.detail) == (
        f"resolved it, resolved 2 open incidents with it (INC-{first}, INC-{second})"
    )


def test_left_unchecked_resolving_the_problem_resolves_none_of_its_incidents(db: Database, intake: Intake) -> None:
    incident = request(intake, "ann@example.org")
    number = investigated(db, (incident,))
    updated = problems.update_problem(db, number, LEAD, state="resolved")
    assert updated.resolved is None and updated.problem.state == "resolved"
    assert statuses(db, incident) == ["open"] and resolution_mails(db) == []


def test_incidents_are_resolved_only_with_a_resolved_problem(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password="a long passphrase", role="agent")
    incident = request(intake, "ann@example.org")
    number = investigated(db, (incident,))
    with pytest.raises(ProblemError, match=f"resolve PRB-{number} too"):
        problems.update_problem(db, number, LEAD, owner="ann@example.com", resolve_incidents=MAIL)
    assert statuses(db, incident) == ["open"]
    with db.read() as session:
        assert session.get(Problem, number).owner is None  # type: ignore[union-attr]


def test_a_failure_in_the_middle_leaves_the_problem_and_every_incident_as_they_were(
    database: Database, stored_intake: Intake
) -> None:
    first, second = request(stored_intake, "ann@example.org"), request(stored_intake, "bob@example.org")
    number = investigated(database, (first, second))
    when = f"NEW.id = {second} AND NEW.status = 'resolved'"
    with database.transaction() as session:  # the second incident cannot be resolved: its row refuses
        if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
            session.execute(text("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                                 "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"))  # fmt: skip
            session.execute(text(f"CREATE TRIGGER refuse BEFORE UPDATE ON incidents FOR EACH ROW WHEN ({when}) "
                                 "EXECUTE FUNCTION refuse()"))  # fmt: skip
        else:
            session.execute(text(f"CREATE TRIGGER refuse BEFORE UPDATE ON incidents WHEN {when} "
                                 "BEGIN SELECT RAISE(ABORT, 'refused'); END"))  # fmt: skip
    with pytest.raises(DBAPIError, match="refused"):
        problems.update_problem(database, number, LEAD, state="resolved", resolve_incidents=MAIL)
    assert statuses(database, first, second) == ["open", "open"]
    with database.read() as session:
        problem = session.get(Problem, number)
        assert problem is not None and (problem.state, problem.resolved_at) == ("investigating", None)
        assert session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "resolved")).all() == []
        assert audit.recent(session, action="problem.update")[0].detail == {"state": "new → investigating",
                                                                             "root_cause": "changed"}  # fmt: skip
    assert resolution_mails(database) == []


def test_past_a_batch_the_oldest_go_first_and_asking_again_takes_the_rest(db: Database, intake: Intake) -> None:
    made = tuple(request(intake, f"user{n}@example.org") for n in range(3))
    number = investigated(db, made)
    with db.transaction() as session:  # a batch of two stands for the BATCH a request takes
        problem = session.get(Problem, number)
        assert problem is not None
        first = problem_resolution.resolve_open(session, problem, Actor(LEAD), MAIL, limit=2)
    assert first == Resolved((f"INC-{made[0]}", f"INC-{made[1]}"), still_open=1)
    problems.update_problem(db, number, LEAD, state="resolved")
    again = problems.update_problem(db, number, LEAD, resolve_incidents=MAIL)  # already resolved: the next batch
    assert again.resolved == Resolved((f"INC-{made[2]}",), still_open=0)
    assert statuses(db, *made) == ["resolved"] * 3


def test_without_a_root_cause_the_resolution_names_the_problem_alone(db: Database, intake: Intake) -> None:
    incident = request(intake, "ann@example.org")
    number = investigated(db, (incident,), root_cause="")
    problems.update_problem(db, number, LEAD, state="resolved", resolve_incidents=MAIL)
    with db.read() as session:
        resolution = session.scalar(select(Incident.resolution).where(Incident.id == incident))
    assert resolution == f"The underlying problem, PRB-{number} (VPN drops every night), is resolved."


@pytest.mark.parametrize(
    ("resolved", "said"),
    [
        (Resolved(("INC-7", "INC-9", "INC-12"), 0), "PRB-4 resolved; 3 open incidents resolved with it "
                                                    "(INC-7, INC-9, INC-12)"),
        (Resolved(("INC-7",), 0), "PRB-4 resolved; 1 open incident resolved with it (INC-7)"),
        (Resolved((), 0), "PRB-4 resolved; none of its incidents was open"),
        (Resolved(tuple(f"INC-{n}" for n in range(1, 101)), 4_900),
         "PRB-4 resolved; 100 open incidents resolved with it (INC-1, INC-2, INC-3, INC-4, INC-5, INC-6, INC-7, "
         "INC-8, INC-9, INC-10 and 90 more); the other 4,900 are being resolved in the background"),
        (Resolved(("INC-7",), 1), "PRB-4 resolved; 1 open incident resolved with it (INC-7); the other 1 is being "
                                  "resolved in the background"),
    ],
)  # fmt: skip
def test_the_answer_says_how_many_were_resolved_and_which(resolved: Resolved, said: str) -> None:
    assert problem_resolution.said("PRB-4", "resolved", resolved) == said
