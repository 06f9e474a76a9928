"""Whose work an incident is: a person's queue (assigned to them, or to a group they are a member of) and the
incidents no one will see as theirs (unassigned).

Both are SQL conditions, so the list, its CSV, the API and the dashboard read them inside the one query each
already makes: the groups a person is in are a subquery there, never a lookup per group.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, or_, select, union_all
from sqlalchemy.orm import Session

from hub.kind_filter import of_kind
from hub.models import Group, GroupMember, Incident, User

#: The names someone sees in their queue: an active person's address, or the name of a group with an active member.
#: Anything else (a queue name a rule coined that no group holds, a group whose members were all deactivated,
#: someone who left) is in nobody's queue. UNION ALL, so a filter by one name is pushed into each arm's index.
HELD = union_all(
    select(User.email.label("name")).where(User.active.is_(True)),
    select(Group.name)
    .join(GroupMember, GroupMember.group_id == Group.id)
    .join(User, User.email == GroupMember.email)
    .where(User.active.is_(True)),
)

#: An incident no one will see as theirs: no assignee at all, an empty one, or one no one holds (`HELD`); else the
#: default rule's "service-desk" with no such group would wait in no one's queue while the dashboard said "0 open
#: unassigned". One condition, its subquery read once per statement (hashed on PostgreSQL), never a query per
#: incident: correlated lookups per row made a large desk's unassigned list twice as slow on PostgreSQL.
UNASSIGNED: ColumnElement[bool] = or_(
    Incident.assignee.is_(None), Incident.assignee == "", Incident.assignee.not_in(HELD)
)


def held_by_no_one(session: Session, assignee: str | None) -> bool:
    """Whether an incident assigned to `assignee` is in no one's queue though it names one, for its page to say
    why the list has it under Unassigned (no assignee at all says so by itself)."""
    return assignee in unheld_among(session, [assignee]) if assignee else False


def unheld_among(session: Session, names: Iterable[str]) -> set[str]:
    """Of these assignees (a list page's, a group page's groups), the ones no one holds: `HELD` narrowed to the
    names, a lookup by key in each of its tables, one query however many there are."""
    wanted = {name for name in names if name}
    if not wanted:
        return set()
    held = HELD.subquery("held")
    return wanted - set(session.scalars(select(held.c.name).where(held.c.name.in_(wanted))))


def _member_of(address: str) -> Select[str]:
    """The names of the groups `address` is a member of (members are stored lower-cased, so any case matches)."""
    return (
        select(Group.name)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .where(GroupMember.email == address.strip().lower())
    )


def groups_of(session: Session, address: str) -> list[str]:
    """The groups `address` is a member of, by name: one query, however many there are."""
    return list(session.scalars(_member_of(address).order_by(Group.name)))


def in_queue(address: str) -> ColumnElement[bool]:
    """Incidents assigned to `address` (any case, as addresses are stored lower-cased) or to one of its groups."""
    address = address.strip().lower()
    return or_(Incident.assignee == address, Incident.assignee.in_(_member_of(address)))


@dataclass(frozen=True)
class Waiting:
    """What waits to be picked up, as the dashboard counts it for one person."""

    queue: int  # open incidents in their queue
    unassigned: int  # open incidents in no one's queue (UNASSIGNED)
    groups: tuple[str, ...]  # the groups they are in: with none, their queue is only what is assigned to them


def waiting(session: Session, address: str, kind: str | None = None) -> Waiting:
    """Open (not yet acknowledged) incidents in `address`'s queue and unassigned, of `kind` only when given: two
    queries, the count over the open incidents only (the index on status and last seen)."""
    queue, unassigned = session.execute(
        select(
            func.count().filter(in_queue(address)),
            func.count().filter(UNASSIGNED),
        ).where(Incident.status == "open", *of_kind(kind))
    ).one()
    return Waiting(int(queue or 0), int(unassigned or 0), tuple(groups_of(session, address)))
