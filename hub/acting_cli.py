"""Who acts on the command line: `--as`, an active agent or admin, as only they do on the page what these commands do.
The command line is no one, so each command a page lets an agent do names someone: incident actions
(hub/incident_actions_cli.py, hub/incident_writing_cli.py, ingest/logged_cli.py), changes, problems, CIs,
articles, silences, on-call cover and SLA waits. Commands whose page wants an admin (users, tokens, rules, the
catalogue, integrations...) are the operator's on the box and record `cli` (docs/architecture.md's row on `--as`).

They are checked twice. First, before any work, so nothing is done for someone refused (not even a reply's files
stored). Then inside each transaction of the action itself (`Database.guarded`), under its lock, so someone
deactivated, made a viewer or removed between the two does not slip through: the page's own functions open those
transactions, and this way they need no word of it.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

from hub.cli import with_database

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from hub.agent_action import Actor
    from hub.config import Settings
    from hub.db import Database, Guard

T = TypeVar("T")

AS = click.option("--as", "actor", required=True, metavar="EMAIL",
                  help="Who does it: an active agent's or admin's email, for the timeline and the mail.")  # fmt: skip


#: Refuses (BadInput, saying what to do) someone who may not act: (connection, their address) -> None.
Refusal = Callable[["Connection", str], None]


def acting(actor: str, work: Callable[[Database, Settings, Actor], T], *, refuse: Refusal | None = None) -> T:
    """`work(db, settings, Actor)` done as `actor`, once they are known to work incidents: an active agent or
    admin, as on the page; anyone else is refused, saying what to do. Every write transaction `work` opens checks
    it again. `refuse`: another rule for who may act (an approver deciding: any active user)."""
    from hub.agent_action import Actor

    who, refusal = actor.strip().lower(), refuse or _refuse_unless_able

    def run(db: Database, settings: Settings) -> T:
        with db.read() as session:
            refusal(session.connection(), who)
        return work(db.guarded(_holding(who, refusal)), settings, Actor(who))

    found: T = with_database(run)
    return found


def acting_in(actor: str, work: Callable[[Session, str], T], *, refuse: Refusal | None = None) -> T:
    """`work(session, who)` in one transaction, done as `actor` as `acting` checks them (before, and again as the
    transaction's first read); `who` is their address, lower-cased, for the audit log."""

    def run(db: Database, _: Settings, who: Actor) -> T:
        with db.transaction() as session:
            return work(session, who.name)

    return acting(actor, run, refuse=refuse)


def still_able(who: str) -> Guard:
    """The guard that refuses a write transaction when `who` no longer works incidents."""
    return _holding(who, _refuse_unless_able)


def refuse_unless_active(conn: Connection, who: str) -> None:
    """Refuse anyone but an active user, whatever their role (an approver: managers are often viewers)."""
    from hub.errors import BadInput
    from hub.outbox import is_active_user

    if not is_active_user(conn, who):
        raise BadInput(f"--as {who}: no active user has that address; the approver decides as themselves")


def _holding(who: str, refuse: Refusal) -> Guard:
    """The guard that refuses a write transaction when `refuse` refuses `who` now."""

    def guard(conn: Connection) -> None:
        from sqlalchemy import select

        from hub.models import User

        # PostgreSQL holds their row till the commit, so deactivating them waits for the action rather than slipping
        # in after this read (SQLite's writers already take turns: the action holds the write lock).
        conn.execute(select(User.id).where(User.email == who).with_for_update(read=True))
        refuse(conn, who)

    return guard


def _refuse_unless_able(conn: Connection, who: str) -> None:
    from hub import assignees
    from hub.errors import BadInput

    why = assignees.why_unable(conn, [who]).get(who)
    if why is not None:
        raise BadInput(_refusal(who, why))


def _refusal(who: str, why: str) -> str:
    """Why `--as` cannot act, and what to do."""
    from hub.assignees import DEACTIVATED, NO_ACCOUNT

    if why == NO_ACCOUNT:
        return f"--as {who}: no one here has that address; an admin adds them with `switchboard user create` first"
    if why == DEACTIVATED:
        return f"--as {who}: that user is deactivated; act as an active agent or admin"
    return f"--as {who}: that user {why}, who only reads incidents; act as an agent or admin"
