"""Who is paged for a major incident, per service: the service's major-incident group instead of the installation's
(SWITCHBOARD_MAJOR_INCIDENT_GROUP, GROUP here: Dave and Erin), which stays the fallback; on declaring, standing down
and publishing the review alike, and a hand-over pages neither."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from hub import accounts, catalogue, groups, major_incidents, reviews, service_references, triage
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from hub.models import Service, TimelineEntry
from tests.docs import fenced, run_as_printed
from tests.hub.majors import ANN, BOB, CAROL, GROUP, MAIL, mailed, opened, staff

#: Payroll's own incident managers: Frank and Gina.
PAYROLL_MIM = "payroll-mim"


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    """The desk of tests/hub/majors.py, with payroll's incident managers and the services `payroll` (which names
    them) and `mail` (which names no major-incident group)."""
    staff(db)
    with db.transaction() as session:
        for email in ("frank@example.com", "gina@example.com"):
            accounts.create_user(session, email=email, password="correct horse battery", role="agent")
        groups.save_group(session, PAYROLL_MIM, ["frank@example.com", "gina@example.com"])
        catalogue.add_service(session, name="payroll", major_group=PAYROLL_MIM)
        catalogue.add_service(session, name="mail")


def on(intake: Intake, service: str | None) -> int:
    """A new P1 incident, put on `service` by Carol (as an agent corrects what the rules guessed)."""
    number = opened(intake)
    if service is not None:
        triage.categorise(intake.db, number, CAROL, service=service)
    return number


def declare(db: Database, number: int) -> None:
    major_incidents.declare(db, number, "Nobody can run payroll", ANN, MAIL, coordinator="bob@example.com",
                            group=GROUP)  # fmt: skip


def notifications(db: Database, number: int) -> list[str]:
    with db.read() as session:
        query = select(TimelineEntry.summary).where(TimelineEntry.incident_id == number,
                                                    TimelineEntry.kind == "notification")  # fmt: skip
        return list(session.scalars(query.order_by(TimelineEntry.id)))


def test_declaring_an_incident_on_a_service_with_a_group_pages_that_group_and_not_the_default(
    db: Database, intake: Intake
) -> None:
    number = on(intake, "payroll")
    declare(db, number)
    assert mailed(db, number, "major_declared") == ["bob@example.com", "frank@example.com", "gina@example.com"]


def test_declaring_an_incident_on_a_service_without_a_group_pages_the_default(db: Database, intake: Intake) -> None:
    number = on(intake, "mail")
    declare(db, number)
    assert mailed(db, number, "major_declared") == ["bob@example.com", "dave@example.com", "erin@example.com"]


def test_declaring_an_incident_on_no_service_pages_the_default(db: Database, intake: Intake) -> None:
    number = on(intake, None)
    declare(db, number)
    assert mailed(db, number, "major_declared") == ["bob@example.com", "dave@example.com", "erin@example.com"]


def test_a_services_group_is_paged_with_no_default_group_set(db: Database, intake: Intake) -> None:
    number = on(intake, "payroll")
    major_incidents.declare(db, number, "Nobody can run payroll", ANN, MAIL, coordinator="bob@example.com")
    assert mailed(db, number, "major_declared") == ["bob@example.com", "frank@example.com", "gina@example.com"]


def test_someone_in_both_the_services_group_and_the_assignee_is_paged_once_and_never_the_declarer(
    db: Database, intake: Intake
) -> None:
    with db.transaction() as session:
        groups.save_group(session, PAYROLL_MIM, ["ann@example.com", "frank@example.com"])
    number = opened(intake, assignee="frank@example.com")
    triage.categorise(db, number, CAROL, service="payroll")
    declare(db, number)
    assert mailed(db, number, "major_declared") == ["bob@example.com", "frank@example.com"]


def test_a_services_group_with_no_one_active_falls_back_to_the_default_and_the_timeline_says_so(
    db: Database, intake: Intake
) -> None:
    with db.transaction() as session:
        catalogue.set_service(session, "mail", major_group="mail-mim")  # not made yet
    number = on(intake, "mail")
    declare(db, number)
    assert mailed(db, number, "major_declared") == ["bob@example.com", "dave@example.com", "erin@example.com"]
    assert [said for said in notifications(db, number) if "major-incident group" in said] == [
        "The service mail's major-incident group mail-mim has no active members (or does not exist): the "
        "major-incident group major-incident was told instead"
    ]


def test_standing_down_tells_the_services_group_not_the_default(db: Database, intake: Intake) -> None:
    number = on(intake, "payroll")
    declare(db, number)
    major_incidents.stand_down(db, number, ANN, MAIL, note="Only the test payroll", group=GROUP)
    assert mailed(db, number, "major_stood_down") == ["bob@example.com", "frank@example.com", "gina@example.com"]


def test_standing_down_an_incident_on_a_service_without_a_group_tells_the_default(db: Database, intake: Intake) -> None:
    number = on(intake, "mail")
    declare(db, number)
    major_incidents.stand_down(db, number, ANN, MAIL, group=GROUP)
    assert mailed(db, number, "major_stood_down") == ["bob@example.com", "dave@example.com", "erin@example.com"]


def test_handing_over_pages_the_new_coordinator_alone_whichever_group_the_service_names(
    db: Database, intake: Intake
) -> None:
    number = on(intake, "payroll")
    declare(db, number)
    major_incidents.hand_over(db, number, "carol@example.com", BOB, MAIL)
    assert mailed(db, number, "major_declared")[3:] == ["carol@example.com"]


def test_the_published_reviews_link_goes_to_the_services_group_not_the_default(db: Database, intake: Intake) -> None:
    number = on(intake, "payroll")
    declare(db, number)
    triage.change_status(db, number, "resolve", ANN, MAIL, resolution="Freed disk on the database")
    reviews.start(db, number, ANN)
    reviews.save(db, number, {"summary": "The payroll database ran out of disk"}, ANN)
    reviews.publish(db, number, ANN, MAIL, group=GROUP)
    assert mailed(db, number, "review_published") == ["bob@example.com", "frank@example.com", "gina@example.com"]


def test_a_renamed_service_keeps_its_group_and_its_incidents_page_it(db: Database, intake: Intake) -> None:
    number = on(intake, "payroll")
    with db.transaction() as session:
        service_references.rename_service(session, "payroll", "salaries", author="carol@example.com")
    declare(db, number)
    assert mailed(db, number, "major_declared") == ["bob@example.com", "frank@example.com", "gina@example.com"]


def test_the_documented_commands_name_and_clear_services_groups(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    with db.transaction() as session:
        service_references.remove_service(session, "payroll")
    [commands] = fenced("docs/major-incidents.md", "A major-incident group per service", "sh")
    printed = run_as_printed(commands, settings, tmp_path)
    assert "service 'hr': not on the status page; its major incidents page payroll-mim\n" in printed
    assert re.search(r"^payroll +payroll-ops +major incidents: payroll-mim $", printed, re.M)
    with db.read() as session:
        chosen = dict(session.execute(select(Service.name, Service.major_group).where(Service.name != "mail")).all())
    assert chosen == {"payroll": "payroll-mim", "hr": None}
