"""Whom the assignee fields offer: active agents and admins by address, and groups by name (hub/triage.py `assign`
takes either; a name with an @ is a person's address).

A page lists the first SUGGESTED people, read through the index on addresses (`ix_users_email_c`, in code point
order) which stops there, not every agent of a large desk; when that cut the list, web/static/suggest.js asks
`/suggest/assignees` (`starting`) for those matching what is typed. A field works without script either way: a
typed address or group name is taken as before. The pickers that want one person (a group's new member, who covers
a shift) list none with the page and look the typed address up (`person`).

Who may be paged is decided here once (`people`): hub/groups.py and hub/oncall.py refuse anyone else as a group's
member or a shift's cover, whether a page, the API or the CLI asks; `unable` names those who stopped qualifying
after they joined (deactivated), for the pages to mark and paging to skip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Integer, Row, Select, bindparam, select

from hub import name_words
from hub.addresses import is_address
from hub.errors import BadInput
from hub.models import Group, User
from hub.prefix_match import in_code_point_order, starting_with

#: How many people an assignee field lists with the page, for browsers without script.
SUGGESTED = 300
#: How many people, and then groups, it suggests for what has been typed.
SUGGESTED_AS_TYPED = 20
#: The roles whose holders can be given an incident (a viewer reads, and does not work, incidents).
ASSIGNABLE_ROLES = ("admin", "agent")

_ASSIGNABLE = select(User.email, User.display_name).where(User.active.is_(True), User.role.in_(ASSIGNABLE_ROLES))
_FIRST = (
    select(User.email, User.display_name)
    .where(User.active.is_(True), User.role.in_(ASSIGNABLE_ROLES))
    .order_by(in_code_point_order(User.email))
    .limit(bindparam("most", type_=Integer))
)


@dataclass(frozen=True)
class Listed:
    """The people a page lists in an assignee field, and whether that cut the list (its script then asks for more);
    `names` their display names, by address, for the suggestions to show beside the address they submit."""

    people: tuple[str, ...]
    more: bool
    names: Mapping[str, str] = field(default_factory=dict)


NO_ONE = Listed((), more=False)


def first_people(conn: Connection, most: int = SUGGESTED) -> Listed:
    """The first `most` assignable people by address (it reads `most` + 1 rows, to know whether there are more),
    listed by name (`by_name`)."""
    read = conn.execute(_FIRST, {"most": most + 1}).all()
    names = {row.email: row.display_name for row in read[:most] if row.display_name}
    return Listed(tuple(by_name(read[:most])), len(read) > most, names)


def by_name(people: Iterable[Row[str, str | None]], typed: str = "") -> list[str]:
    """The addresses of these (address, display name) rows as a field lists them (hub/name_words.py `sort_key`):
    the best matches for `typed` first, then by display name, not by address."""
    return [row.email for row in sorted(people, key=lambda row: name_words.sort_key(row.email, row.display_name,
                                                                                     typed))]  # fmt: skip


def group_names(conn: Connection) -> list[str]:
    """Every group's name, in order: a desk has tens of groups, not thousands, so the pages list them all."""
    return list(conn.scalars(select(Group.name).order_by(Group.name)))


def groups_starting(typed: str, most: int = SUGGESTED_AS_TYPED) -> Select[str]:
    """The first `most` groups whose name starts with `typed`, by name, through the index on names in code point
    order (`ix_groups_name_c` on PostgreSQL, migration 0034)."""
    named = select(Group.name).where(starting_with(Group.name, typed))
    return named.order_by(in_code_point_order(Group.name)).limit(most)


def person(conn: Connection, typed: str) -> str:
    """The active agent or admin whose address was typed in a person picker (lower-cased), or BadInput saying
    what to do: the field is plain text without script, so anything may arrive."""
    if not typed.strip():
        raise BadInput("type the person's address, e.g. ann@example.com, and pick them from the suggestions")
    return people(conn, [typed])[0]


def people(conn: Connection, typed: Sequence[str]) -> list[str]:
    """The addresses of active agents and admins, lower-cased, as given; else BadInput naming each one that is not
    and what to do. The one rule for whoever may be paged, a group's member or a shift's cover: they must be able
    to log in and acknowledge. One read, however many."""
    wanted = [t.strip().lower() for t in typed]
    refused = [f"{who!r} is not an email address; type the person's address, e.g. ann@example.com"
               for who in wanted if not is_address(who)]  # fmt: skip
    refused += unable(conn, [w for w in wanted if is_address(w)]).values()
    if refused:
        raise BadInput("; ".join(refused))
    return wanted


def unable(conn: Connection, emails: Iterable[str]) -> dict[str, str]:
    """Of these (lower-cased) addresses, those who could not answer a page, each with why and what to do: no
    user, deactivated (perhaps after they joined a rota), or a viewer. One read."""
    return {who: _refusal(who, why) for who, why in why_unable(conn, emails).items()}


#: Why someone cannot answer a page, in the words that follow their address (`why_unable`).
NO_ACCOUNT = "has no account"
DEACTIVATED = "is deactivated"


def why_unable(conn: Connection, emails: Iterable[str]) -> dict[str, str]:
    """Of these (lower-cased) addresses, those who could not answer a page, each with why in the few words that
    follow their address (NO_ACCOUNT, DEACTIVATED, or "is a viewer"): what an escalation's timeline says of
    someone it passed over, where `unable`'s what-to-do would not fit. One read."""
    wanted = list(dict.fromkeys(emails))
    if not wanted:
        return {}
    rows = conn.execute(select(User.email, User.active, User.role).where(User.email.in_(wanted)))
    found = {row.email: (row.active, row.role) for row in rows}
    return {who: why for who in wanted if (why := why_not(found.get(who))) is not None}


def why_not(user: tuple[bool, str] | None) -> str | None:
    """Why a user, (active, role) as their row says (None: no row), works no incidents, as `why_unable` words it;
    None when they do. The one rule, for whoever is paged, acts with `--as`, or writes by email
    (hub/agent_mail.py)."""
    if user is None:
        return NO_ACCOUNT
    active, role = user
    if not active:
        return DEACTIVATED
    return None if role in ASSIGNABLE_ROLES else f"is a {role}"


def _refusal(who: str, why: str) -> str:
    """`why_unable`'s reason as a picker's refusal: what is wrong and what to do."""
    if why == NO_ACCOUNT:
        return (
            f"no one here has the address {who}; an admin adds them on the Users page (or `switchboard user create`) "
            "first"
        )
    if why == DEACTIVATED:
        return f"{who} {why}; an admin turns them back on on the Users page, or pick someone else"
    return f"{who} {why}, who works no incidents; pick an agent or admin"


def starting(conn: Connection, typed: str, *, groups: bool = True, most: int = SUGGESTED_AS_TYPED) -> list[str]:
    """What an assignee field suggests for `typed`: the first `most` assignable people whose address starts with
    it, then those with a word of their display name starting so (hub/name_words.py), then (with `groups`) the
    first `most` groups whose name does. All read through an index; the people listed by `by_name`."""
    typed = typed.strip()
    found = by_name(name_words.people_starting(conn, _ASSIGNABLE, typed, most), typed)
    if groups and "@" not in typed:  # a group's name never holds an @ (hub/groups.py)
        found += conn.scalars(groups_starting(typed, most))
    return found
