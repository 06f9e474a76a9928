"""Refusing a person, group or channel named where one must exist: a change's approvers, a problem's owner, an
escalation's targets. Named wrongly, they would never be asked, never work it, never be paged, and no one would
notice until it mattered; so the name is refused when given, saying how to find the right one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import Connection, select
from sqlalchemy.orm import InstrumentedAttribute

from hub.errors import BadInput
from hub.models import Channel, Group, User

PEOPLE_LISTED = "`switchboard user list` lists the people (an admin adds one with `switchboard user create`)"
GROUPS_LISTED = "`switchboard group list` lists the groups (`switchboard group set` makes one)"
CHANNELS_LISTED = "`switchboard channel list` lists the channels (`switchboard channel create` makes one)"


def refuse_unknown_people(
    conn: Connection, emails: Iterable[str], what: str, error: type[BadInput] = BadInput, *,
    roles: Collection[str] | None = None, why: str = "",
) -> None:  # fmt: skip
    """Refuse (`error`, a BadInput the caller's page answers) unless every one of `emails` is an active user, of one
    of `roles` when given (`why` says what only they may do: "vote on changes"); `what` names them in the message
    ("approver", "owner")."""
    wanted = list(dict.fromkeys(e.strip().lower() for e in emails if e.strip()))
    if not wanted:
        return
    found = conn.execute(select(User.email, User.role).where(User.email.in_(wanted), User.active.is_(True)))
    active = {email: role for email, role in found}
    if missing := [who for who in wanted if who not in active]:
        raise error(f"{what} {', '.join(missing)}: no active user has that address; {PEOPLE_LISTED}")
    if roles is not None and (others := [who for who in wanted if active[who] not in roles]):
        holders = " and ".join(f"{role}s" for role in sorted(roles))
        raise error(f"{what} {', '.join(others)}: only {holders} may {why}; name one of them, or have an admin "
                    "change the role (`switchboard user set EMAIL --role agent`)")  # fmt: skip


def refuse_unknown_groups(conn: Connection, names: Iterable[str], what: str) -> None:
    """Refuse (BadInput) unless every one of `names` is a group here."""
    _refuse_unknown(conn, Group.name, names, what, "group", GROUPS_LISTED)


def refuse_unknown_channels(conn: Connection, names: Iterable[str], what: str) -> None:
    """Refuse (BadInput) unless every one of `names` is a channel here."""
    _refuse_unknown(conn, Channel.name, names, what, "channel", CHANNELS_LISTED)


def _refuse_unknown(
    conn: Connection, column: InstrumentedAttribute[str], names: Iterable[str], what: str, thing: str, listed: str
) -> None:
    """Refuse the `names` no row holds in `column`, each said as a target is written (`group:dba`)."""
    wanted = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if not wanted:
        return
    found = set(conn.scalars(select(column).where(column.in_(wanted))))
    if missing := [name for name in wanted if name not in found]:
        said = ", ".join(f"{thing}:{name}" for name in missing)
        raise BadInput(f"{what} {said}: there is no such {thing}; {listed}")
