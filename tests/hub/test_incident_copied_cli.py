"""`switchboard incident copy|uncopy`, run as an admin on the box would: who is copied on an incident's
conversation, through hub/copied_changes.py as the incident page's Copied box, and `incident show` listing them."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hub.db import Database
from hub.intake import Intake
from tests.hub.commands import refused, run
from tests.hub.majors import opened, staff
from tests.hub.test_incident_cli import timeline

ANN = ("--as", "ann@example.com")


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    """Ann and Bob agents, Carol an admin, Vic a viewer."""
    staff(db)


def test_copy_adds_someone_on_the_timeline_and_show_lists_them(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    said = run(runner, "incident", "copy", f"INC-{number}", "Carl@Example.org", *ANN)
    assert said == f"INC-{number} copies carl@example.org: replies and the resolution mail go to them too\n"
    assert timeline(db, number, "copied") == ["carl@example.org copied on the conversation by ann@example.com"]
    assert "\ncopied: carl@example.org\n" in run(runner, "incident", "show", f"INC-{number}")


def test_copying_one_of_the_desks_people_is_refused_in_the_pages_words(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "copy", f"INC-{number}", "bob@example.com", *ANN)
    assert "bob@example.com is one of the desk's people: they can watch the incident instead" in said


def test_uncopy_removes_them_and_someone_not_copied_is_refused(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    run(runner, "incident", "copy", f"INC-{number}", "carl@example.org", *ANN)
    assert run(runner, "incident", "uncopy", f"INC-{number}", "carl@example.org", *ANN) == (
        f"INC-{number} no longer copies carl@example.org\n"
    )
    said = refused(runner, "incident", "uncopy", f"INC-{number}", "carl@example.org", *ANN)
    assert f"INC-{number} does not copy carl@example.org" in said
