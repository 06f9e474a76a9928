"""Removing an SLA policy from a real database with real incidents: the clocks it runs are re-planned, never left
behind without a policy, and new incidents no longer get it. On SQLite and PostgreSQL (the foreign key's ON DELETE
SET NULL and the row lock are the databases')."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.catalogue import Targets, add_policy
from hub.db import Database
from hub.domain import Action
from hub.errors import Missing
from hub.intake import Intake
from hub.models import SlaPolicy
from hub.sla_removal import Removal, describe, remove_policy
from hub.sla_replanning import running_clocks
from tests.hub.replanned import RAW, H, critical, incident, sla_timeline
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)


def policies(db: Database, *specs: tuple[str, timedelta]) -> None:
    with db.transaction() as session:
        for name, resolution in specs:
            add_policy(session, name=name, priority=1, targets=Targets(resolution=resolution))


def remove(db: Database, name: str) -> Removal:
    with db.transaction() as session:
        return remove_policy(session, name)


def test_its_unresolved_incidents_are_replanned_under_the_policy_that_fits_without_it(
    db: Database, intake: Intake
) -> None:
    policies(db, ("P1", 4 * H), ("P1 slow", 8 * H))  # equally specific: the oldest, P1, wins
    opened = intake.record(RAW, critical("db")).incident_id or 0
    assert remove(db, "P1") == Removal("P1", replanned=1, stopped=0)
    replanned = incident(db, opened)
    assert replanned.sla_due_at == replanned.first_seen + 8 * H and replanned.sla_state == "ok"
    assert sla_timeline(db, opened)[-1] == "SLA re-planned under P1 slow (SLA policy P1 was removed)"


def test_with_no_other_policy_fitting_the_clocks_stop_and_the_timeline_says_why(db: Database, intake: Intake) -> None:
    policies(db, ("P1", 4 * H))
    opened = intake.record(RAW, critical("db")).incident_id or 0
    assert remove(db, "P1") == Removal("P1", replanned=0, stopped=1)
    stopped = incident(db, opened)
    assert (stopped.sla_policy_id, stopped.sla_state, stopped.sla_due_at, stopped.sla_next_at) == (None,) * 4
    assert sla_timeline(db, opened)[-1] == "SLA clocks stopped (SLA policy P1 was removed): no policy fits"


def test_resolved_incidents_are_not_replanned_and_lose_the_policy(db: Database, intake: Intake) -> None:
    policies(db, ("P1", 4 * H), ("P1 slow", 8 * H))
    opened = intake.record(RAW, critical("db")).incident_id or 0
    intake.record(RAW, critical("db", Action.RESOLVE))
    due = incident(db, opened).sla_due_at
    assert remove(db, "P1") == Removal("P1", replanned=0, stopped=0)
    resolved = incident(db, opened)
    assert resolved.sla_policy_id is None and resolved.sla_due_at == due
    assert not any("removed" in line for line in sla_timeline(db, opened))


def test_new_incidents_no_longer_get_it(db: Database, intake: Intake) -> None:
    policies(db, ("P1", 4 * H))
    intake.record(RAW, critical("before"))  # the intake has read the policies once
    remove(db, "P1")
    later = incident(db, intake.record(RAW, critical("after")).incident_id or 0)
    assert (later.sla_policy_id, later.sla_due_at) == (None, None)


def test_running_clocks_counts_only_unresolved_incidents_per_policy(db: Database, intake: Intake) -> None:
    policies(db, ("P1", 4 * H))
    for key in ("a", "b", "c"):
        intake.record(RAW, critical(key))
    intake.record(RAW, critical("c", Action.RESOLVE))
    with db.read() as session:
        policy_id = session.scalar(select(SlaPolicy.id))
        assert running_clocks(session) == {policy_id: 2}


def test_an_unknown_policy_is_refused_with_the_command_that_lists_them(db: Database) -> None:
    with pytest.raises(Missing, match="no SLA policy 'P9'; `switchboard sla list` shows them"):
        remove(db, "P9")


@pytest.mark.parametrize(
    ("removal", "said"),
    [
        (Removal("P1", 0, 0), "no unresolved incident ran clocks under it"),
        (
            Removal("P1", 2, 1),
            "2 unresolved incident(s) re-planned under the policy that now fits; "
            "1 left without clocks, since no other policy fits them",
        ),
    ],
)
def test_what_became_of_the_clocks_is_said_in_words(removal: Removal, said: str) -> None:
    assert describe(removal) == said
