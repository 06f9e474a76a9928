"""Silences in the hub: stored, validated, and honoured by the intake (counted, not notified)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub import silences
from hub.accounts import create_user
from hub.cli import main
from hub.db import Database
from hub.domain import Action, InboundEvent, Matcher, RuleSpec
from hub.errors import BadInput
from hub.intake import Intake, Raw
from hub.models import Incident, OutboxMessage, TimelineEntry, utcnow
from hub.rulebook import add_rule

RAW = Raw("generic", "application/json", b"{}")


def alert(action: Action = Action.TRIGGER, team: str = "db") -> InboundEvent:
    return InboundEvent(source="generic", title="Disk full", severity="critical", dedup_key=f"disk-{team}",
                        action=action, labels={"team": team})  # fmt: skip


@pytest.fixture
def oncall(db: Database) -> None:
    with db.transaction() as s:
        create_user(s, email="oncall@example.com", password="correct horse", role="agent")
        add_rule(s, RuleSpec(id=0, name="to on-call", field="severity", op="equals", value="critical",
                             set_assignee="oncall@example.com"))  # fmt: skip


def silence_db_team(db: Database, minutes: int = 60) -> int:
    with db.transaction() as s:
        row = silences.add_silence(s, matchers=[Matcher("labels.team", "=", "db")],
                                   ends_at=utcnow() + timedelta(minutes=minutes), created_by="test")  # fmt: skip
        return row.id


def outbox_kinds(db: Database) -> list[str]:
    with db.read() as s:
        return [m.kind for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_silenced_event_opens_and_counts_its_incident_but_notifies_no_one(
    db: Database, intake: Intake, oncall: None
) -> None:
    silence_id = silence_db_team(db)
    first = intake.record(RAW, alert())
    again = intake.record(RAW, alert())
    assert first.created and again.occurrences == 2
    assert outbox_kinds(db) == []
    with db.read() as s:
        summary = s.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "opened")).one()
    assert f"silenced by silence {silence_id}" in summary


def test_events_the_silence_does_not_match_still_notify(db: Database, intake: Intake, oncall: None) -> None:
    silence_db_team(db)
    intake.record(RAW, alert(team="web"))
    assert outbox_kinds(db) == ["assigned"]


def test_a_resolve_still_resolves_and_is_notified_under_a_silence(db: Database, intake: Intake, oncall: None) -> None:
    intake.record(RAW, alert())
    silence_db_team(db)
    resolved = intake.record(RAW, alert(action=Action.RESOLVE))
    assert resolved.incident_status == "resolved"
    assert outbox_kinds(db) == ["assigned", "resolved"]


def test_expired_silence_no_longer_holds(db: Database, intake: Intake, oncall: None) -> None:
    silence_id = silence_db_team(db)
    with db.transaction() as s:
        silences.expire_silence(s, silence_id)
    intake.record(RAW, alert())
    assert outbox_kinds(db) == ["assigned"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [("team", "not a matcher"), ("nosuch=x", "unknown field"), ("title=~(", "invalid regular expression")],
)
def test_bad_matchers_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(BadInput, match=problem):
        silences.parse_matcher(text)


def test_a_silence_without_matchers_or_ending_before_it_starts_is_refused(db: Database) -> None:
    with db.transaction() as s, pytest.raises(BadInput, match="at least one matcher"):
        silences.add_silence(s, matchers=[], ends_at=utcnow() + timedelta(hours=1), created_by="t")
    with db.transaction() as s, pytest.raises(BadInput, match="end after"):
        silences.add_silence(s, matchers=[Matcher("severity", "=", "info")], ends_at=utcnow(), created_by="t")


def test_cli_adds_lists_and_expires_silences(runner: CliRunner, oncall: None) -> None:
    cli, agent = runner, ["--as", "oncall@example.com"]
    added = cli.invoke(main, ["silence", "add", "--match", "labels.team=db", "--match", "severity!=info",
                              "--duration", "90m", "--comment", "DB upgrade", *agent])  # fmt: skip
    assert added.exit_code == 0, added.output
    silence_id = added.output.split()[-1]
    listed = cli.invoke(main, ["silence", "list"]).output
    assert "labels.team=db, severity!=info" in listed and "DB upgrade" in listed
    assert cli.invoke(main, ["silence", "expire", silence_id, *agent]).exit_code == 0
    assert cli.invoke(main, ["silence", "list"]).output == ""
    bad = cli.invoke(main, ["silence", "add", "--match", "team", "--duration", "2h", *agent])
    assert bad.exit_code == 1 and "not a matcher" in bad.output


def test_incidents_are_not_lost_to_a_silence(db: Database, intake: Intake) -> None:
    silence_db_team(db)
    intake.record(RAW, alert())
    with db.read() as s:
        assert s.scalars(select(Incident.status)).all() == ["open"]
