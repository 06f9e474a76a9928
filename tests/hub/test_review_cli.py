"""`switchboard review show`: one post-incident review as its page shows it, for chat-ops and scripts, on both
databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from hub import reviews
from hub.cli import main
from hub.db import Database
from hub.intake import Intake
from hub.models import Incident, MajorIncident
from tests.hub.majors import ANN, MAIL, declared, opened, staff
from tests.web.both_databases import runner_on_the_same_database, settings_on_either_database  # noqa: F401

DETECTED = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    staff(db)


def show(runner: CliRunner, ref: str, code: int = 0) -> str:
    result = runner.invoke(main, ["review", "show", ref])
    assert result.exit_code == code, result.output
    return result.output


def reviewed(intake: Intake) -> int:
    """A major incident detected at DETECTED, declared 5 minutes later and resolved 65 minutes after detection,
    whose review Ann started."""
    number = declared(intake, resolved=True)
    with intake.db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == number).values(
            first_seen=DETECTED, resolved_at=DETECTED + timedelta(minutes=65)))  # fmt: skip
        session.execute(update(MajorIncident).where(MajorIncident.incident_id == number).values(
            declared_at=DETECTED + timedelta(minutes=5)))  # fmt: skip
    reviews.start(intake.db, number, ANN)
    return number


def test_review_show_prints_the_state_coordinator_texts_and_key_times(runner: CliRunner, intake: Intake) -> None:
    number = reviewed(intake)
    reviews.save(intake.db, number, {"summary": "Payroll stopped.\nThe disk was full."}, ANN)
    lines = show(runner, f"inc-{number}").splitlines()
    assert lines[:8] == [
        f"INC-{number} Payroll is down", "Review: draft, started by ann@example.com, last saved by ann@example.com",
        "Coordinator: ann@example.com", "", "Summary:", "  Payroll stopped.", "  The disk was full.", "",
    ]  # fmt: skip
    assert lines[8:10] == ["Customer impact:", "  —"]
    times = lines[lines.index("Key times (UTC):") + 1 : lines.index("Follow-up actions:") - 1]
    assert times[:-1] == [
        "  Detected          2025-03-04 09:00",
        "  Declared major    2025-03-04 09:05  (5 min after detected)",
        "  Acknowledged      —",
        "  Resolved          2025-03-04 10:05  (1 h 05 min after detected)",
    ]
    assert times[-1].startswith("  Time as major     ")  # counted from the timeline, as hub/reviews.py's tests say


def test_review_show_lists_follow_ups_with_their_problems_and_states(runner: CliRunner, intake: Intake) -> None:
    number = reviewed(intake)
    filed = reviews.add_action(intake.db, number, "Alert on disk at 80%", ANN, owner="dba@example.com")
    kept = reviews.add_action(intake.db, number, "Rotate the logs", ANN)
    problem = reviews.file_problem(intake.db, number, filed, ANN)
    lines = show(runner, f"INC-{number}").splitlines()
    assert lines[lines.index("Follow-up actions:") + 1 :] == [
        f"  {filed:>4}  Alert on disk at 80% (owner dba@example.com): PRB-{problem} new",
        f"  {kept:>4}  Rotate the logs: not filed",
    ]


def test_review_show_of_a_published_review_says_who_published_it(runner: CliRunner, intake: Intake) -> None:
    number = reviewed(intake)
    reviews.save(intake.db, number, {"summary": "Payroll stopped."}, ANN)
    reviews.publish(intake.db, number, ANN, MAIL)
    assert show(runner, f"INC-{number}").splitlines()[1].startswith("Review: published by ann@example.com 20")


def test_review_show_of_an_incident_without_a_review_says_how_to_start_one(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    said = show(runner, f"INC-{number}", code=1)
    assert f"INC-{number} has no review yet: once the major incident is resolved, start it from its page" in said


def test_review_show_of_no_incident_says_so(runner: CliRunner) -> None:
    assert "there is no incident INC-99" in show(runner, "INC-99", code=1)
