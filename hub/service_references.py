"""Where a service's name is kept, and renaming or removing a service everywhere it is kept, in one transaction.

A service is named, not referred to by id: alerts, rules and people name services in words (an alert may name one
the catalogue does not hold), so incidents, SLA policies, CIs, problems (and the recurrence a problem covers),
changes, change freezes and help-centre requests keep its name in a text column; status-page subscribers keep the
names they chose, the status page what it last told of each public service under its name, and rules set a service
by name. A rename rewrites all of them with the service's own row and bumps the revisions of what processes keep
(the SLA book, the rule book, CIs, the look-back problem suggestions keep). No clock moves: each incident's policy
is renamed with it. An event that the intake records at the same moment, under the rules as they were, may still
store the old name, as any alert may name a service the catalogue does not hold: its incident's page and the list
show it, and an agent corrects it.
Nothing makes the two wait for each other, as the foreign key to a policy does when one is removed: an incident
names its service in words, and a share lock the intake took on the service row (or on the revisions it reads)
would be written by every incident opened, on rows openings share, for the sake of a rare admin action; and after
waiting, the intake would still have to read the rules and policies again to follow the new name.

What is not rewritten is what events say. A rule's condition or a silence that tests an event's `service` label
matches the words an alert brings, and an alert source keeps sending its own label after the rename: rewriting
the test would stop it matching them. Those are listed for the admin instead, on the page before renaming and in
the answer after it, to change where they meant the catalogue's service (the help centre's requests and the
incidents agents log carry the new name from then on).

Removing is refused while unresolved incidents, SLA policies or rules that set the service name it: each would be
left naming nothing (incidents no SLA or owner group follows, a policy nothing can fit, rules putting new
incidents on it), and only a person can say where they belong. Otherwise what lived only for the service goes with
it (the status page's last word on it, the subscribers' choice of it, a pending help-centre request's choice, a
CI's link to it), and records keep the name they were made with: resolved incidents, problems, changes, freezes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from hub import revisions, rulebook, silences
from hub.catalogue import get_service, service_name
from hub.catalogue_rows import bump_version, quoted
from hub.cis import CI_REVISION
from hub.domain import format_ref
from hub.errors import BadField, BadInput
from hub.lookback_cache import SUGGESTIONS_REVISION
from hub.models import (
    Change,
    ConfigurationItem,
    FreezeWindow,
    Incident,
    PendingRequest,
    Problem,
    Service,
    SlaPolicy,
    StatusSnapshot,
    StatusSubscriber,
)
from hub.status_page import LIVE


@dataclass(frozen=True)
class Place:
    """A column that keeps a service's name, and what its rows are called."""

    column: InstrumentedAttribute[str | None]
    one: str
    many: str

    def counted(self, number: int) -> str:
        """`1 CI`, `3 CIs`."""
        return f"{number} {self.one if number == 1 else self.many}"


#: Every column that keeps a service's name, by what its rows are called.
NAMED_IN = {
    place.many: place
    for place in (
        Place(Incident.service, "incident", "incidents"),
        Place(SlaPolicy.service, "SLA policy", "SLA policies"),
        Place(ConfigurationItem.service, "CI", "CIs"),
        Place(Problem.service, "problem", "problems"),
        Place(Change.service, "change", "changes"),
        Place(FreezeWindow.service, "change freeze", "change freezes"),
        Place(PendingRequest.service, "help-centre request", "help-centre requests"),
    )
}
#: What removing a service clears rather than keeps as a record: links that would lead nowhere.
CLEARED = ("CIs", "help-centre requests")
#: How many of a service's unresolved incidents a refusal names (the page links to them all).
NAMED_INCIDENTS = 5


def in_words(counts: Sequence[tuple[str, int]]) -> str:
    """`3 incidents, 1 CI`: counts of NAMED_IN's rows in words."""
    return ", ".join(NAMED_IN[what].counted(number) for what, number in counts)


@dataclass(frozen=True)
class References:
    """Everything that names one service: what renaming it rewrites, and what keeps it from being removed."""

    name: str
    rows: tuple[tuple[str, int], ...]  # (NAMED_IN's key, how many) of the rows naming it, kinds with none left out
    unresolved: tuple[tuple[str, int], ...]  # its unresolved incidents by status, in LIVE's order
    first_unresolved: tuple[int, ...]  # the oldest of them, by id
    policies: tuple[str, ...]
    setting_rules: tuple[tuple[int, str], ...]  # (id, name) of the rules that put incidents on it
    testing_rules: tuple[tuple[int, str], ...]  # (id, name) of the rules whose conditions test its label
    silences: tuple[tuple[int, str], ...]  # (id, matchers) of the silences not ended that test its label
    subscribers: int  # status-page subscribers who chose it

    @property
    def counted(self) -> str:
        """`3 incidents, 1 CI`."""
        return in_words(self.rows)

    @property
    def unresolved_count(self) -> int:
        return sum(count for _, count in self.unresolved)

    @property
    def blocks_removal(self) -> bool:
        return bool(self.unresolved or self.policies or self.setting_rules)

    def why_not_removed(self) -> str:
        """Why it cannot be removed and what to do first, in words ("" when it can be)."""
        named, todo = [], []
        if self.unresolved:
            refs = ", ".join(format_ref(i) for i in self.first_unresolved)
            more = ", …" if self.unresolved_count > len(self.first_unresolved) else ""
            number = self.unresolved_count
            named.append(f"{number} unresolved incident{'' if number == 1 else 's'} ({refs}{more})")
            todo.append("resolve the incidents or put them on another service")
        if self.policies:
            named.append(f"SLA {quoted('policy', 'policies', self.policies)}")
            todo.append("give the policies another service or remove them")
        if self.setting_rules:
            named.append(f"{quoted('rule', 'rules', [n for _, n in self.setting_rules])} setting it")
            todo.append("change what the rules set")
        if not named:
            return ""
        one = len(named) == 1 and self.unresolved_count + len(self.policies) + len(self.setting_rules) == 1
        verb = "names" if one else "name"
        return f"{', '.join(named)} still {verb} service {self.name!r}: {', '.join(todo)}, then remove it"


def references(session: Session, name: str) -> References:
    """Everything that names the service `name` (a query per kind of row: this is for one admin's page)."""
    rows = []
    for what, place in NAMED_IN.items():
        number = int(session.scalar(select(func.count()).where(place.column == name)) or 0)
        if number:
            rows.append((what, number))
    mine = (Incident.service == name, Incident.status.in_(LIVE))
    by_status = dict(
        session.execute(select(Incident.status, func.count()).where(*mine).group_by(Incident.status)).all()
    )
    first = session.scalars(select(Incident.id).where(*mine).order_by(Incident.id).limit(NAMED_INCIDENTS))
    policies = session.scalars(select(SlaPolicy.name).where(SlaPolicy.service == name).order_by(SlaPolicy.name))
    testing = silences.testing(session, rulebook.SERVICE_FIELDS, name)
    return References(
        name=name,
        rows=tuple(rows),
        unresolved=tuple((status, int(by_status[status])) for status in LIVE if by_status.get(status)),
        first_unresolved=tuple(first),
        policies=tuple(policies),
        setting_rules=tuple((rule.id, rule.name) for rule in rulebook.setting_service(session, name)),
        testing_rules=tuple((rule.id, rule.name) for rule in rulebook.testing_service(session, name)),
        silences=tuple((silence.id, silences.describe(silence)) for silence in testing),
        subscribers=sum(1 for chosen in _choices(session.connection()).values() if name in chosen),
    )


def _choices(conn: Connection) -> dict[int, list[str]]:
    """The services each status-page subscriber chose, by id (those who chose every one left out). Read whole:
    JSON lists do not compare alike in SQLite's SQL and PostgreSQL's, and subscribers are few."""
    rows = conn.execute(select(StatusSubscriber.id, StatusSubscriber.services)).all()
    return {row.id: list(row.services) for row in rows if isinstance(row.services, list)}


def _rewrite_choices(conn: Connection, old: str, new: str | None) -> int:
    """Subscribers who chose `old` now choose `new` instead (None: nothing instead); returns how many. One who
    chose only a service removed hears of nothing until they choose again, as each earlier update's link lets them."""
    changed = 0
    for subscriber_id, chosen in _choices(conn).items():
        if old in chosen:
            kept = [name for name in (new if name == old else name for name in chosen) if name is not None]
            conn.execute(update(StatusSubscriber).where(StatusSubscriber.id == subscriber_id).values(services=kept))
            changed += 1
    return changed


# -- renaming ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Renamed:
    old: str
    new: str
    moved: tuple[tuple[str, int], ...]  # (NAMED_IN's key, how many) of the rows now naming `new`
    subscribers: int  # status-page subscribers whose choice now names `new`
    rules: tuple[str, ...]  # the rules that now set `new`
    testing_rules: tuple[str, ...]  # the rules whose conditions still test an event's label for `old`
    silences: tuple[int, ...]  # the silences that still do

    def detail(self) -> dict[str, object]:
        """What the audit log keeps of it."""
        return {"renamed_to": self.new, **dict(self.moved), "subscribers": self.subscribers, "rules": list(self.rules)}


def rename_service(session: Session, name: str, new_name: str, *, author: str) -> Renamed:
    """Rename the service `name` everywhere its name is kept (see the module's doc); `author` is recorded with the
    rule version when rules change. BadField about `new_name` when the name is taken or not a name."""
    row = get_service(session, name, lock=True)
    old, new = row.name, service_name(new_name, "new_name")
    if new == old:
        raise BadField("new_name", f"the service is named {old!r} already; type the name it should have")
    if session.scalar(select(Service.id).where(Service.name == new)) is not None:
        raise BadField("new_name", f"there is already a service named {new!r}; two services are not made one by "
                                   "renaming: rename or remove the other one first")  # fmt: skip
    conn = session.connection()
    _rekey_problems(conn, old, new)
    moved = []
    for what, place in NAMED_IN.items():
        number = conn.execute(update(place.column.class_).where(place.column == old).values({place.column.key: new}))
        if number.rowcount:
            moved.append((what, number.rowcount))
    conn.execute(delete(StatusSnapshot).where(StatusSnapshot.service == new))  # left by a service removed
    conn.execute(update(StatusSnapshot).where(StatusSnapshot.service == old).values(service=new))
    subscribers = _rewrite_choices(conn, old, new)
    rules = rulebook.rename_service(session, old, new, author=author)
    row.name = new
    session.flush()
    bump_version(session)
    if "CIs" in dict(moved):
        revisions.bump(session, CI_REVISION)
    if "incidents" in dict(moved):  # their recurrences are named anew (hub/lookback_cache.py)
        revisions.bump(session, SUGGESTIONS_REVISION)
    testing = rulebook.testing_service(session, old)
    still = silences.testing(session, rulebook.SERVICE_FIELDS, old)
    return Renamed(old, new, tuple(moved), subscribers, tuple(rules), tuple(rule.name for rule in testing),
                   tuple(silence.id for silence in still))  # fmt: skip


def _rekey_problems(conn: Connection, old: str, new: str) -> None:
    """Problems covering a service's recurrence (its service and category, hub/recurrence.py) go on covering it
    under the new name, so its next incidents still join them."""
    query = select(Problem.id, Problem.category, Problem.match_key).where(Problem.service == old)
    for problem_id, category, key in conn.execute(query).all():
        if category is not None and key == f"service:{old}:{category}":
            rekeyed = update(Problem).where(Problem.id == problem_id).values(match_key=f"service:{new}:{category}")
            conn.execute(rekeyed)


def describe_rename(done: Renamed) -> str:
    """What followed the rename and what still tests the old name, in words."""
    parts = [NAMED_IN[what].counted(number) for what, number in done.moved] + _choices_said(done.subscribers)
    alone = len(parts) == 1 and parts[0].startswith("1 ")
    told = f"service {done.old} renamed to {done.new}"
    if parts:
        told += f"; {', '.join(parts)} {'follows' if alone else 'follow'}"
    if done.rules:
        told += f"; {quoted('rule', 'rules', done.rules)} now {'sets' if len(done.rules) == 1 else 'set'} it"
    testing = [quoted("rule", "rules", done.testing_rules)] if done.testing_rules else []
    if done.silences:
        testing.append(("silence " if len(done.silences) == 1 else "silences ") + ", ".join(map(str, done.silences)))
    if testing:
        told += (f". Still testing an event's service label for {done.old!r}, which alerts keep sending: "
                 f"{' and '.join(testing)}; change them where they meant the catalogue's service")  # fmt: skip
    return told


def _choices_said(subscribers: int) -> list[str]:
    """`1 status-page subscriber's choice`, `3 status-page subscribers' choices`; nothing for none."""
    if not subscribers:
        return []
    return [
        "1 status-page subscriber's choice" if subscribers == 1 else f"{subscribers} status-page subscribers' choices"
    ]


# -- removing ---------------------------------------------------------------------------------------------------


class ServiceInUse(BadInput):
    """Unresolved incidents, SLA policies or rules that set it still name the service; `references` says which."""

    def __init__(self, found: References) -> None:
        super().__init__(found.why_not_removed())
        self.references = found


@dataclass(frozen=True)
class Removed:
    name: str
    cleared: tuple[tuple[str, int], ...]  # (NAMED_IN's key, how many) of the rows that no longer name it
    subscribers: int  # status-page subscribers whose choice no longer names it
    kept: tuple[tuple[str, int], ...]  # (NAMED_IN's key, how many) of the records that keep its name

    def detail(self) -> dict[str, object]:
        """What the audit log keeps of it."""
        return {"cleared": dict(self.cleared), "subscribers": self.subscribers, "kept": dict(self.kept)}


def remove_service(session: Session, name: str) -> Removed:
    """Remove the service `name` unless something live still names it (ServiceInUse, saying what); see the
    module's doc for what becomes of the rest."""
    row = get_service(session, name, lock=True)
    found = references(session, row.name)
    if found.blocks_removal:
        raise ServiceInUse(found)
    conn = session.connection()
    for what in CLEARED:
        column = NAMED_IN[what].column
        conn.execute(update(column.class_).where(column == row.name).values({column.key: None}))
    subscribers = _rewrite_choices(conn, row.name, None)
    conn.execute(delete(StatusSnapshot).where(StatusSnapshot.service == row.name))
    session.delete(row)
    session.flush()
    bump_version(session)
    cleared = tuple((what, number) for what, number in found.rows if what in CLEARED)
    if "CIs" in dict(cleared):
        revisions.bump(session, CI_REVISION)
    kept = tuple((what, number) for what, number in found.rows if what not in CLEARED)
    return Removed(row.name, cleared, subscribers, kept)


def describe_removal(done: Removed) -> str:
    """What became of what named it, in words."""
    told = f"service {done.name} removed"
    cleared = [NAMED_IN[what].counted(number) for what, number in done.cleared] + _choices_said(done.subscribers)
    if cleared:
        told += f"; no longer naming it: {', '.join(cleared)}"
    if done.kept:
        told += f"; keeping its name as a record: {in_words(done.kept)}"
    return told
