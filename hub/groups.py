"""Groups (teams) incidents are assigned to, and the routing state rules need about them.

The rules engine is pure: before deciding, the intake looks up here what the rule book's group strategies need
(members in order, their open incidents, the round-robin pointer), and afterwards moves the pointer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.orm import Session

from hub import assignees, oncall
from hub.domain import GroupState, RoutingState
from hub.errors import BadInput
from hub.models import OPEN_CONDITION, Group, GroupMember, Incident, OnCallRotation
from hub.names import check_name


@dataclass(frozen=True)
class GroupInfo:
    name: str
    members: tuple[str, ...]
    last_assigned: str | None


def save_group(session: Session, name: str, members: Sequence[str]) -> GroupInfo:
    """Create the group or replace its members (in this order: the order strategies go round in)."""
    name = check_name(name, "group", "dba")
    emails = list(dict.fromkeys(assignees.people(session.connection(), [m for m in members if m.strip()])))
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        if "@" in name:  # an assignee with an @ is a person's address everywhere (filters, notices, checks)
            raise BadInput(f"a group's name has no @, or it would be taken for a person's address: not {name!r}")
        group = Group(name=name)
        session.add(group)
        session.flush()
    session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    for position, email in enumerate(emails):
        session.add(GroupMember(group_id=group.id, email=email, position=position))
    session.flush()
    return GroupInfo(group.name, tuple(emails), group.last_assigned)


def add_member(session: Session, name: str, email: str) -> GroupInfo:
    """Put `email` last in the group's rota (the group page's member picker: one person, typed, not the whole
    list); refused, changing nothing, for a group that does not exist, a member it already has, or someone who
    could not answer a page."""
    group, members = _members(session, name)
    email = assignees.person(session.connection(), email)
    if email in members:
        raise BadInput(f"{email} is in {name} already")
    session.add(GroupMember(group_id=group.id, email=email, position=len(members)))
    session.flush()
    return GroupInfo(group.name, (*members, email), group.last_assigned)


def remove_member(session: Session, name: str, email: str) -> GroupInfo:
    """Take one member out of the group's rota, the others keeping their order (whoever they are now: a
    deactivated member is removed like any other)."""
    group, members = _members(session, name)
    email = email.strip().lower()
    if email not in members:
        raise BadInput(f"{email} is not in {name}; the Groups page and `switchboard group list` show its members")
    session.execute(delete(GroupMember).where(GroupMember.group_id == group.id, GroupMember.email == email))
    later = GroupMember.group_id == group.id, GroupMember.position > members.index(email)
    session.execute(update(GroupMember).where(*later).values(position=GroupMember.position - 1))  # no gap
    kept = tuple(m for m in members if m != email)
    return GroupInfo(group.name, kept, group.last_assigned)


def _members(session: Session, name: str) -> tuple[Group, list[str]]:
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        raise BadInput(f"there is no group {name!r}; make it first with its members")
    members = session.scalars(
        select(GroupMember.email).where(GroupMember.group_id == group.id).order_by(GroupMember.position)
    )
    return group, list(members)


def remove_group(session: Session, name: str) -> None:
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        raise BadInput(f"there is no group {name!r}; `switchboard group list` shows them")
    session.delete(group)


def list_groups(session: Session) -> list[GroupInfo]:
    groups = session.scalars(select(Group).order_by(Group.name)).all()
    members = session.execute(select(GroupMember.group_id, GroupMember.email).order_by(GroupMember.position)).all()
    by_group: dict[int, list[str]] = {}
    for group_id, email in members:
        by_group.setdefault(group_id, []).append(email)
    return [GroupInfo(g.name, tuple(by_group.get(g.id, ())), g.last_assigned) for g in groups]


def routing_state(db: Connection | Session, names: Sequence[str], now: datetime) -> RoutingState:
    """Members, open-incident counts, pointers and on-call rotations (as of `now`) of the named groups, and which
    of their people could not work an incident (deactivated since they joined): three indexed reads, three more
    for groups with a rotation; none if no names."""
    if not names:
        return RoutingState()
    rows = db.execute(
        select(Group.name, Group.last_assigned, GroupMember.email, OnCallRotation.group_id)
        .outerjoin(GroupMember, GroupMember.group_id == Group.id)
        .outerjoin(OnCallRotation, OnCallRotation.group_id == Group.id)
        .where(Group.name.in_(names))
        .order_by(Group.name, GroupMember.position)
    ).all()
    members: dict[str, list[str]] = {}
    pointers: dict[str, str | None] = {}
    rotating: set[str] = set()
    for name, last, email, rotation in rows:
        pointers[name] = last
        members.setdefault(name, [])
        if email is not None:
            members[name].append(email)
        if rotation is not None:
            rotating.add(name)
    found = oncall.rotations(db, sorted(rotating), now) if rotating else {}
    everyone = {m for group in members.values() for m in group}
    paged = everyone.union(*(oncall.people_of(rotation) for rotation in found.values()))
    conn = db if isinstance(db, Connection) else db.connection()
    unable = frozenset(assignees.why_unable(conn, paged))
    counts: dict[str, int] = {}
    if everyone:
        counted = db.execute(
            select(Incident.assignee, func.count())
            .where(OPEN_CONDITION, Incident.assignee.in_(everyone))
            .group_by(Incident.assignee)
        ).all()
        counts = {str(assignee): n for assignee, n in counted}
    return RoutingState(
        MappingProxyType(
            {
                name: GroupState(
                    members=tuple(group),
                    open_counts=MappingProxyType({m: counts.get(m, 0) for m in group}),
                    last_assigned=pointers[name],
                    rotation=found.get(name),
                    unable=unable,
                )
                for name, group in members.items()
            }
        )
    )


def advance_pointer(conn: Connection | Session, group: str, member: str) -> None:
    """Remember who a group's strategy picked last, so round robin goes on from there."""
    conn.execute(update(Group).where(Group.name == group).values(last_assigned=member))
