"""`switchboard problem`, run as a person would: the page's checks, states and audit, without the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub import accounts, problem_followthrough, problems
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import Incident, Problem
from tests.docs import fenced, run_as_printed
from tests.hub.commands import refused, run

BOB = ("--as", "bob@example.com")


def staffed(db: Database, *people: tuple[str, str]) -> None:
    with db.transaction() as session:
        for email, role in people:
            accounts.create_user(session, email=email, password="a long passphrase", role=role)


@pytest.fixture
def desk(runner: CliRunner, tmp_path: Path) -> Iterator[Database]:
    """The command's database, with Bob, an agent, and Vic, who only views."""
    db = Database.connect(f"sqlite:///{tmp_path / 'var' / 'switchboard.db'}")
    staffed(db, ("bob@example.com", "agent"), ("vic@example.com", "viewer"))
    yield db
    db.dispose()


@pytest.fixture
def filed(desk: Database) -> str:
    return f"PRB-{problems.create(desk, 'VPN drops every night', 'ann@example.com')}"


@pytest.mark.parametrize(
    "command", [["problem"], ["problem", "create"], ["problem", "list"], ["problem", "show"], ["problem", "update"]]
)
def test_every_problem_command_has_help(runner: CliRunner, command: list[str]) -> None:
    assert "Usage:" in run(runner, *command, "--help")


def test_create_files_one_as_the_page_does_with_its_owner_and_service(runner: CliRunner, db: Database) -> None:
    staffed(db, ("ann@example.com", "agent"), ("bob@example.com", "agent"))
    run(runner, "service", "add", "--name", "vpn")
    said = run(runner, "problem", "create", "--title", " VPN drops ", "--owner", "bob@example.com", "--service", "vpn",
               "--as", "ann@example.com")  # fmt: skip
    assert said == "PRB-1 filed\n"
    with db.read() as session:
        filed = session.scalars(select(Problem)).one()
        assert (filed.title, filed.owner, filed.service, filed.created_by) == (
            "VPN drops",
            "bob@example.com",
            "vpn",
            "ann@example.com",
        )


def test_create_refuses_an_unknown_service_and_someone_who_may_not_file(runner: CliRunner, db: Database) -> None:
    staffed(db, ("ann@example.com", "agent"))
    unknown = refused(runner, "problem", "create", "--title", "VPN", "--service", "vnp", "--as", "ann@example.com")
    assert "there is no service 'vnp'; `switchboard service list` shows them" in unknown
    stranger = refused(runner, "problem", "create", "--title", "VPN", "--as", "zed@example.com")
    assert "--as zed@example.com: no one here has that address" in stranger
    with db.read() as session:
        assert session.scalars(select(Problem)).all() == []


def test_create_refuses_an_owner_with_no_account(runner: CliRunner, db: Database) -> None:
    staffed(db, ("ann@example.com", "agent"))
    said = refused(
        runner, "problem", "create", "--title", "VPN", "--owner", "nobody@example.com", *("--as", "ann@example.com")
    )
    assert "owner nobody@example.com: no active user has that address; `switchboard user list`" in said


def test_a_problem_is_worked_to_a_known_error_and_shown_with_its_history(runner: CliRunner, filed: str) -> None:
    said = run(runner, "problem", "update", filed, "--state", "investigating", *BOB)
    assert said.strip() == f"{filed} is investigating"
    run(runner, "problem", "update", filed, "--workaround", "Reconnect", "--share-workaround", "--state", "known_error",
        *BOB)  # fmt: skip
    shown = run(runner, "problem", "show", filed)
    assert "workaround: Reconnect" in shown and "workaround shared with requesters" in shown
    assert "ann@example.com filed it" in shown
    assert "bob@example.com changed the workaround, shared the workaround, marked it a known error" in shown
    assert f"{filed}    known_error" in run(runner, "problem", "list", "--state", "known_error")
    assert run(runner, "problem", "list", "--state", "new") == "No problems match\n"


def test_show_names_the_owner_the_filer_and_who_did_each_thing_by_their_display_name(
    runner: CliRunner, filed: str
) -> None:
    run(runner, "user", "create", "--email", "ann@example.com", "--name", "Ann Lee", "--role", "agent",
        "--password", "a long passphrase")  # fmt: skip
    run(runner, "problem", "update", filed, "--owner", "ann@example.com", *BOB)
    shown = run(runner, "problem", "show", filed)
    assert "owner Ann Lee (ann@example.com); filed by Ann Lee (ann@example.com)" in shown
    assert "Ann Lee (ann@example.com) filed it" in shown and " bob@example.com " in shown  # no name: as it is


def test_a_known_error_without_a_workaround_is_refused_as_on_the_page(runner: CliRunner, filed: str) -> None:
    said = refused(runner, "problem", "update", filed, "--state", "known_error", *BOB)
    assert "write down the workaround before marking it a known error" in said


def test_a_move_the_page_does_not_offer_is_refused_with_the_moves_it_does(runner: CliRunner, filed: str) -> None:
    said = refused(runner, "problem", "update", filed, "--state", "resolved", *BOB)
    assert "a new problem can move to closed, investigating, known_error" in said


def test_an_unknown_problem_says_where_to_look(runner: CliRunner, desk: Database) -> None:
    for args in (["show", "PRB-9"], ["update", "PRB-9", "--owner", "bob@example.com", *BOB]):
        assert "`switchboard problem list` shows them" in refused(runner, "problem", *args)


def test_a_viewer_may_not_work_a_problem(runner: CliRunner, filed: str) -> None:
    said = refused(runner, "problem", "update", filed, "--state", "investigating", "--as", "vic@example.com")
    assert "--as vic@example.com: that user is a viewer, who only reads incidents; act as an agent or admin" in said


def test_an_owner_with_no_account_is_refused_saying_where_people_are_listed(runner: CliRunner, filed: str) -> None:
    said = refused(runner, "problem", "update", filed, "--owner", "nobody@example.com", *BOB)
    assert "owner nobody@example.com: no active user has that address; `switchboard user list`" in said


def test_the_documented_problem_walk_runs_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    staffed(db, ("ann@example.com", "agent"))
    walk = fenced("docs/problems.md", "Working a problem without the page", "sh")[0]  # the next one is the API
    out = run_as_printed(walk, settings, tmp_path)
    assert out.startswith("PRB-1 filed\n") and "PRB-1 is known error" in out and "owner ann@example.com" in out
    assert "root cause: The VPN concentrator drops idle tunnels after 60 s" in out


def test_resolving_with_its_incidents_resolves_the_open_ones_and_prints_which(
    settings: Settings, db: Database, intake: Intake, tmp_path: Path
) -> None:
    """docs/problems.md's example, as printed: the incidents a problem explains resolved with it."""
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: VPN\r\n\r\nit drops")
    made = []
    for requester in ("ann@example.org", "bob@example.org"):
        outcome = intake.record(raw, InboundEvent(source="email", title="VPN drops", requester=requester,
                                                  message_id=f"<{requester}>"))  # fmt: skip
        made.append(outcome.incident_id)
    staffed(db, ("ann@example.com", "agent"))
    walk = fenced("docs/problems.md", "Resolving the incidents it explains", "sh")[0]  # the next one is the API
    out = run_as_printed(walk, settings, tmp_path)
    assert made == [1, 2] and out.splitlines()[-1] == "PRB-1 resolved; 2 open incidents resolved with it (INC-1, INC-2)"
    with db.read() as session:
        assert set(session.scalars(select(Incident.status))) == {"resolved"}
    shown = run_as_printed("switchboard problem show PRB-1", settings, tmp_path)
    assert "ann@example.com resolved it, resolved 2 open incidents with it (INC-1, INC-2)" in shown


def test_resolving_incidents_of_a_problem_not_resolved_is_refused_saying_what_to_do(
    runner: CliRunner, filed: str
) -> None:
    assert f"resolve {filed} too (its state resolved)" in refused(runner, "problem", "update", filed,
                                                                  "--resolve-incidents", *BOB)  # fmt: skip


def test_show_says_how_far_the_background_resolving_has_come(
    settings: Settings, db: Database, intake: Intake, tmp_path: Path
) -> None:
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: VPN\r\n\r\nit drops")
    outcome = intake.record(raw, InboundEvent(source="email", title="VPN drops", requester="ann@example.org"))
    assert outcome.incident_id is not None
    number = problems.create(db, "VPN drops every night", "ann@example.com", incident_ids=(outcome.incident_id,))
    problems.update_problem(db, number, "ann@example.com", state="investigating")
    problems.update_problem(db, number, "ann@example.com", state="resolved")
    with db.transaction() as session:
        problem_followthrough.mark(session.get_one(Problem, number), "ann@example.com")
    shown = run_as_printed(f"switchboard problem show PRB-{number}", settings, tmp_path)
    assert "resolving its incidents: 1 still open (asked by ann@example.com " in shown
