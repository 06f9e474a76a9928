"""Agents for tests to put in groups and on call: only someone who can log in and acknowledge may be paged
(hub/assignees.py `people`), so a test's rota members and shift covers are made users first."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from hub.cli import main
from hub.db import Database
from hub.models import User, utcnow


def agents(target: Database | Session, *emails: str, role: str = "agent") -> list[str]:
    """Active users with these addresses (agents unless `role` says), those not there yet; they cannot log in (no
    password hash matches). Returns the addresses, for a group's members."""
    if isinstance(target, Database):
        with target.transaction() as session:
            return agents(session, *emails, role=role)
    have = set(target.scalars(select(User.email).where(User.email.in_(emails))))
    rows = [{"email": e, "password_hash": "x", "role": role, "active": True, "created_at": utcnow()}
            for e in dict.fromkeys(emails) if e not in have]  # fmt: skip
    if rows:
        target.execute(insert(User), rows)
    return list(emails)


def deactivate(db: Database, *emails: str) -> None:
    """Turn these people off, as an admin does on the Users page after they joined a rota."""
    with db.transaction() as session:
        session.execute(update(User).where(User.email.in_(emails)).values(active=False))


def hire(runner: CliRunner, *emails: str, role: str = "agent") -> None:
    """The same from the command line, as an admin does (`switchboard user create`)."""
    for email in emails:
        made = runner.invoke(main, ["user", "create", "--email", email, "--role", role, "--password", "long enough"])
        assert made.exit_code == 0, made.output
