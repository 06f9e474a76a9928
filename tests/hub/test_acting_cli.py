"""`--as` on the incident actions: refused before any work for someone who does not work incidents, and again inside
each transaction of the action (`Database.guarded`), so someone deactivated between the two does not slip through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, update
from sqlalchemy.exc import OperationalError

from hub import accounts, triage
from hub.acting_cli import still_able
from hub.db import Database
from hub.errors import BadInput
from hub.intake import Intake
from hub.models import Incident, User
from tests.hub.commands import refused, run
from tests.hub.majors import ANN, opened, staff
from tests.hub.test_incident_cli import incident, timeline


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    """Ann and Bob agents, Carol an admin, Vic a viewer."""
    staff(db)


def refusing(seen: list[str]) -> Callable[[Connection], None]:
    def guard(conn: Connection) -> None:
        seen.append("checked")
        raise BadInput("not any more")

    return guard


def test_a_guarded_database_refuses_a_transaction_before_its_work(db: Database) -> None:
    seen: list[str] = []
    with pytest.raises(BadInput, match="not any more"), db.guarded(refusing(seen)).transaction():
        seen.append("worked")
    assert seen == ["checked"]


def test_a_guarded_database_refuses_a_core_write_before_its_work(db: Database) -> None:
    seen: list[str] = []
    with pytest.raises(BadInput, match="not any more"), db.guarded(refusing(seen)).write():
        seen.append("worked")
    assert seen == ["checked"]


def test_a_guarded_database_reads_unguarded_and_leaves_the_original_as_it_was(db: Database, intake: Intake) -> None:
    number, seen = opened(intake), []
    with db.guarded(refusing(seen)).read() as session:
        assert session.get(Incident, number) is not None
    triage.set_priority(db, number, 3, ANN)
    assert seen == [] and incident(db, number).priority == 3


def test_someone_deactivated_after_the_first_check_is_refused_in_the_actions_transaction(
    runner: CliRunner, intake: Intake, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = opened(intake)
    set_priority = triage.set_priority

    def deactivated_first(guarded: Database, *args: Any) -> None:
        with db.transaction() as session:  # another admin, between `--as`'s check and the action
            accounts.change_user(session, "ann@example.com", active=False)
        set_priority(guarded, *args)

    monkeypatch.setattr(triage, "set_priority", deactivated_first)
    said = refused(runner, "incident", "priority", f"INC-{number}", "4", "--as", "ann@example.com")
    assert "--as ann@example.com: that user is deactivated; act as an active agent or admin" in said
    assert incident(db, number).priority == 1 and timeline(db, number, "priority") == []


def test_someone_made_a_viewer_after_the_first_check_logs_no_incident(
    runner: CliRunner, intake: Intake, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest import logged_intake

    log_incident = logged_intake.log_incident

    def demoted_first(*args: Any, **kwargs: Any) -> Any:
        with db.transaction() as session:
            accounts.change_user(session, "ann@example.com", role="viewer")
        return log_incident(*args, **kwargs)

    monkeypatch.setattr(logged_intake, "log_incident", demoted_first)
    said = refused(runner, "incident", "create", "--title", "Cannot print", "--as", "ann@example.com")
    assert "--as ann@example.com: that user is a viewer, who only reads incidents" in said
    assert "no incidents match" in run(runner, "incident", "list")


@pytest.fixture
def people(database: Database) -> Database:
    """`database` (SQLite, then PostgreSQL) with the desk's people."""
    staff(database)
    return database


def test_the_guard_lets_an_active_agent_act_and_refuses_them_once_deactivated(people: Database) -> None:
    guarded = people.guarded(still_able("ann@example.com"))
    with guarded.transaction() as session:
        accounts.change_user(session, "bob@example.com", active=False)  # a write as Ann would make one
    with people.transaction() as session:
        accounts.change_user(session, "ann@example.com", active=False)
    with pytest.raises(BadInput, match=r"--as ann@example\.com: that user is deactivated"), guarded.transaction():
        pass


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite's writers take turns already
def test_on_postgresql_deactivating_them_waits_for_the_guarded_action(people: Database) -> None:
    with people.guarded(still_able("ann@example.com")).transaction(), people.engine.connect() as other:
        other.exec_driver_sql("SET lock_timeout = '200ms'")
        with pytest.raises(OperationalError, match="lock"):
            other.execute(update(User).where(User.email == "ann@example.com").values(active=False))
