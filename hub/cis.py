"""Configuration items (ITIL configuration management, kept small): what broke, who owns it, which service it
supports, and what depends on it.

A CI is found by its name whatever its case (`name_key`), since monitoring writes `DB1` where the desk wrote `db1`.
Its service must be in the catalogue: the intake copies it onto incidents, and SLAs and the status page go by it.
Changes that decide which incidents a CI is linked to (a new one, a rename, a retirement, another service) bump the
`cis` revision in their transaction, so each process's cache of looked-up names (hub/ci_links.py) starts again;
an edit of attributes or the description does not, so a discovery tool syncing unchanged items costs the intake
nothing. One with incidents pointing at it is retired, never deleted: their history keeps naming it.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, delete, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from hub import counting, revisions
from hub.errors import BadInput, Missing
from hub.models import CiDependency, ConfigurationItem, Incident, Service, utcnow
from hub.names import is_one_line
from hub.prefix_match import escape_like, in_code_point_order, starting_with
from hub.service_names import unknown_service

CI_REVISION = "cis"
KINDS = ("server", "application", "database", "network", "storage", "workstation", "other")
STATUSES = ("active", "retired")
MAX_NAME = 255  # a fully qualified hostname fits
MAX_OWNER = 320  # an address
MAX_DESCRIPTION = 20_000
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_NAME = 100
MAX_ATTRIBUTE_VALUE = 1000
MAX_DEPENDENCIES = 100
_NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})
T = TypeVar("T")


@dataclass(frozen=True)
class CiFields:
    """What a CI is, as a person typed it, a file held it or a tool sent it (see `checked`)."""

    name: str
    kind: str
    service: str | None = None
    owner: str | None = None
    description: str = ""
    attributes: Mapping[str, str] = field(default_factory=lambda: _NO_ATTRIBUTES)

    def same_as(self, row: ConfigurationItem) -> bool:
        """Whether `row` already holds exactly this (an import or a sync then changes nothing)."""
        return (row.name, row.kind, row.service, row.owner, row.description, dict(row.attributes or {})) == (
            self.name, self.kind, self.service, self.owner, self.description, dict(self.attributes),
        )  # fmt: skip


def name_key(name: str) -> str:
    """What names are compared by: `DB1` and `db1` are one CI."""
    return name.strip().casefold()


#: Names that are pages of their own under /cis/.
RESERVED = frozenset({"new", ".", ".."})


def check_ci_name(name: str) -> str:
    """`name` stripped, or BadInput saying what a CI's name may be. It is a path segment of its page and the API's
    URL, so no `/`, and not `new` (the page that adds one)."""
    name = name.strip()
    if not 0 < len(name) <= MAX_NAME or not is_one_line(name) or "/" in name:
        raise BadInput(
            f"a CI needs a name of 1 to {MAX_NAME} characters on one line, without '/', such as db1.example.com"
        )
    if name.casefold() in RESERVED:
        raise BadInput(f"{name!r} cannot name a CI (it is the address of a page); call it something else")
    return name


def attribute_value(value: Any, key: str) -> str:
    """An attribute's value as text: tools send numbers and booleans too (`"port": 5432`); nothing nested."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value).strip()
    raise BadInput(f"attribute {key!r} must be a text, a number or true/false, not {type(value).__name__}")


def checked(fields: CiFields, services: Container[str]) -> CiFields:
    """`fields` cleaned (stripped; blank is none), or BadInput naming what is wrong. `services`: the catalogue's
    names."""
    name = check_ci_name(fields.name)
    kind = fields.kind.strip().lower()
    if kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}, not {fields.kind.strip()!r}")
    service = (fields.service or "").strip() or None
    if service is not None and service not in services:
        raise unknown_service(service)
    owner = (fields.owner or "").strip() or None
    if owner is not None and (len(owner) > MAX_OWNER or not is_one_line(owner)):
        raise BadInput(f"the owner is a user's address or a group's name, one line of at most {MAX_OWNER} characters")
    description = fields.description.replace("\r\n", "\n").strip()
    if len(description) > MAX_DESCRIPTION:
        raise BadInput(f"the description is {len(description):,} characters; keep it under {MAX_DESCRIPTION:,}")
    return CiFields(name, kind, service, owner, description, MappingProxyType(_attributes(fields.attributes)))


def _attributes(given: Mapping[str, Any]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for raw_key, raw_value in given.items():
        key = str(raw_key).strip()
        value = attribute_value(raw_value, key)
        if not key or len(key) > MAX_ATTRIBUTE_NAME or not is_one_line(key):
            raise BadInput(f"an attribute needs a name of 1 to {MAX_ATTRIBUTE_NAME} characters on one line")
        if len(value) > MAX_ATTRIBUTE_VALUE or not is_one_line(value):
            raise BadInput(f"attribute {key!r} must be one line of at most {MAX_ATTRIBUTE_VALUE} characters")
        if value:  # a blank value is no attribute
            kept[key] = value
    if len(kept) > MAX_ATTRIBUTES:
        raise BadInput(f"a CI has at most {MAX_ATTRIBUTES} attributes; keep the ones the desk needs")
    return dict(sorted(kept.items()))


def parse_attributes(text: str) -> dict[str, str]:
    """`key=value` lines as a form's text area holds them; BadInput names a line without `=`."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, equals, value = line.partition("=")
        if not equals or not key.strip():
            raise BadInput(f"attributes line {number} is not key=value: {line.strip()[:60]!r}")
        found[key.strip()] = value.strip()
    return found


def format_attributes(attributes: Mapping[str, str]) -> str:
    return "\n".join(f"{key}={value}" for key, value in attributes.items())


# -- reading ---------------------------------------------------------------------------------------------------


def service_names(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(Service.name)))


def find(session: Session, name: str) -> ConfigurationItem | None:
    return session.scalar(select(ConfigurationItem).where(ConfigurationItem.name_key == name_key(name)))


def get(session: Session, name: str) -> ConfigurationItem:
    found = find(session, name)
    if found is None:
        raise Missing(f"there is no CI {name.strip()!r}; `switchboard ci list` shows them")
    return found


@dataclass(frozen=True)
class CiFilter:
    """What the list page, the API and `switchboard ci list` narrow CIs by; empty: no narrowing."""

    query: str = ""  # words in the name, description or owner
    kind: str = ""
    service: str = ""
    status: str = "active"  # "" for both
    limit: int = 500
    offset: int = 0  # how many to pass over first: the API's pages


def listing(session: Session, wanted: CiFilter = CiFilter()) -> list[ConfigurationItem]:
    """CIs by name, narrowed by `wanted`; a one-word search lists the names starting with it first.

    Those come through the index on `name_key` in code point order (hub/prefix_match.py), so a word that starts
    as many names as the page holds ("srv" among 50,000 servers) reads only them. Every other search still reads
    each CI in turn: a word inside a name, a description or an owner (`LIKE '%word%'`) has no index, and neither
    has a search of several words; at tens of thousands of CIs that is some tens of milliseconds.
    """
    query, words = _narrowed(select(ConfigurationItem), wanted)
    if len(words) == 1:
        return _prefix_first(session, query, words[0], _mentioning(words[0]), wanted.limit, wanted.offset)
    for word in words:
        query = query.where(_mentioning(word))
    by_name = query.order_by(ConfigurationItem.name_key).limit(wanted.limit).offset(wanted.offset)
    return list(session.scalars(by_name))


def count(session: Session, wanted: CiFilter = CiFilter()) -> int:
    """How many CIs `listing` finds over all its pages (those starting with a word hold it too)."""
    query, words = _narrowed(select(ConfigurationItem.id), wanted)
    return counting.counted(session, query.where(*(_mentioning(word) for word in words)), None)[0]


def _narrowed(query: Select[T], wanted: CiFilter) -> tuple[Select[T], list[str]]:
    """`query` narrowed by `wanted`'s kind, service and status, and the words (folded, ten at most) searched."""
    if wanted.kind:
        query = query.where(ConfigurationItem.kind == wanted.kind)
    if wanted.service:
        query = query.where(ConfigurationItem.service == wanted.service)
    if wanted.status:
        query = query.where(ConfigurationItem.status == wanted.status)
    return query, [word.casefold() for word in wanted.query.split()[:10]]


def _mentioning(word: str) -> ColumnElement[bool]:
    """A CI whose name, description or owner holds `word` (folded) anywhere."""
    pattern = f"%{escape_like(word)}%"
    searched = (
        ConfigurationItem.name_key,
        func.lower(ConfigurationItem.description),
        func.lower(ConfigurationItem.owner),
    )
    return or_(*(column.like(pattern, escape="\\") for column in searched))


def _prefix_first(
    session: Session, query: Select[T], word: str, matching: ColumnElement[bool], limit: int, offset: int = 0
) -> list[T]:
    """`query`'s rows whose name starts with `word` (folded), by name, then the others `matching`, by name: what
    one types is most often the start of a name; `limit` of them from `offset`. By name in code point order, as
    the index the first read goes through holds them (hub/prefix_match.py), so it stops after `limit`."""
    starts = starting_with(ConfigurationItem.name_key, word)
    by_name = in_code_point_order(ConfigurationItem.name_key)
    found = list(session.scalars(query.where(starts).order_by(by_name).limit(limit).offset(offset)))
    if len(found) < limit:
        # A page wholly past those starting with it skips the rest of what came before it among the others.
        passed = offset - counting.counted(session, query.where(starts), None)[0] if offset and not found else 0
        rest = query.where(matching, not_(starts)).order_by(by_name).limit(limit - len(found)).offset(passed)
        found.extend(session.scalars(rest))
    return found


#: How many names a CI field suggests with the page: the first few hundred by name, for browsers without script.
SUGGESTED_NAMES = 300
#: How many it suggests for what has been typed (web/static/suggest.js asks as one types).
SUGGESTED_AS_TYPED = 20


def active_names(session: Session, limit: int = SUGGESTED_NAMES) -> list[str]:
    """The active CIs' names, for the fields where people link an incident to one (a datalist)."""
    query = select(ConfigurationItem.name).where(ConfigurationItem.status == "active")
    return list(session.scalars(query.order_by(ConfigurationItem.name_key).limit(limit)))


def suggested_names(session: Session, typed: str, limit: int = SUGGESTED_AS_TYPED) -> list[str]:
    """The active CIs' names for what has been typed into a CI field: those starting with it first (read through
    the index), then, when they are fewer than `limit`, those holding it elsewhere (`prod-db1` for `db`), which
    reads every active CI's name until enough are found."""
    typed = name_key(typed)
    active = select(ConfigurationItem.name).where(ConfigurationItem.status == "active")
    inside = ConfigurationItem.name_key.like(f"%{escape_like(typed)}%", escape="\\")
    return _prefix_first(session, active, typed, inside, limit)


def depends_on(session: Session, ci_id: int) -> list[ConfigurationItem]:
    """What this CI needs to work."""
    return _across(session, CiDependency.ci_id, CiDependency.depends_on_id, ci_id)


def dependents(session: Session, ci_id: int) -> list[ConfigurationItem]:
    """What depends on this CI: its impact when it breaks."""
    return _across(session, CiDependency.depends_on_id, CiDependency.ci_id, ci_id)


def _across(session: Session, this: Any, other: Any, ci_id: int) -> list[ConfigurationItem]:
    """The CIs at the `other` end of the dependencies whose `this` end is `ci_id`, by name."""
    query = select(ConfigurationItem).join(CiDependency, other == ConfigurationItem.id).where(this == ci_id)
    return list(session.scalars(query.order_by(ConfigurationItem.name_key)))


# -- writing ---------------------------------------------------------------------------------------------------


def create(session: Session, fields: CiFields) -> ConfigurationItem:
    """A new CI; BadInput when the name (in any case) is taken."""
    fields = checked(fields, service_names(session))
    if find(session, fields.name) is not None:
        raise BadInput(f"there is already a CI named {fields.name!r}; change that one instead")
    return _add(session, fields)


def _add(session: Session, fields: CiFields) -> ConfigurationItem:
    now = utcnow()
    row = ConfigurationItem(name=fields.name, name_key=name_key(fields.name), kind=fields.kind, service=fields.service,
                            owner=fields.owner, description=fields.description, attributes=dict(fields.attributes),
                            status="active", created_at=now, updated_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    revisions.bump(session, CI_REVISION)
    return row


def change(session: Session, row: ConfigurationItem, fields: CiFields, *, status: str | None = None) -> bool:
    """Make `row` what `fields` say (a new name too, if it is free), and set its status if given. Returns whether
    anything changed."""
    fields = checked(fields, service_names(session))
    if status is not None and status not in STATUSES:
        raise BadInput(f"status must be {' or '.join(STATUSES)}, not {status!r}")
    status = status or row.status
    if fields.same_as(row) and status == row.status:
        return False
    if name_key(fields.name) != row.name_key:
        taken = find(session, fields.name)
        if taken is not None and taken.id != row.id:
            raise BadInput(f"there is already a CI named {taken.name!r}")
    links_change = (name_key(fields.name), fields.service, status) != (row.name_key, row.service, row.status)
    row.name, row.name_key, row.kind, row.service = fields.name, name_key(fields.name), fields.kind, fields.service
    row.owner, row.description, row.attributes = fields.owner, fields.description, dict(fields.attributes)
    row.status, row.updated_at = status, utcnow()
    if links_change:
        revisions.bump(session, CI_REVISION)
    return True


def put(
    session: Session, fields: CiFields, *, status: str | None = None, known_services: Container[str] | None = None
) -> tuple[ConfigurationItem, str]:
    """Create the CI named, or make the one of that name exactly `fields` (a discovery tool's sync, a file's row):
    returns it and "created", "updated" or "unchanged". `known_services` spares an import one query per row."""
    fields = checked(fields, service_names(session) if known_services is None else known_services)
    row = find(session, fields.name)
    if row is None:
        row = _add(session, fields)
        if status is not None and status != row.status:
            change(session, row, fields, status=status)
        return row, "created"
    return row, "updated" if change(session, row, fields, status=status) else "unchanged"


def retire(session: Session, name: str) -> ConfigurationItem:
    """Mark a CI retired: new events naming it link to nothing; its incidents keep it. Retiring twice is harmless."""
    row = get(session, name)
    if row.status != "retired":
        row.status, row.updated_at = "retired", utcnow()
        revisions.bump(session, CI_REVISION)
    return row


def remove(session: Session, name: str) -> str:
    """Delete a CI no incident points at (a typo, a duplicate); returns its name. One with incidents is retired."""
    row = get(session, name)
    if session.scalar(select(exists().where(Incident.ci_id == row.id))):
        raise BadInput(f"incidents point at {row.name}; retire it instead, so their history keeps naming it")
    session.delete(row)
    revisions.bump(session, CI_REVISION)
    return row.name


def set_dependencies(session: Session, row: ConfigurationItem, names: Sequence[str]) -> bool:
    """Make `row` depend on exactly the CIs named; returns whether that changed. A CI cannot depend on itself."""
    wanted: dict[int, str] = {}
    for name in names:
        if not name.strip():
            continue
        other = get(session, name)
        if other.id == row.id:
            raise BadInput(f"{row.name} cannot depend on itself")
        wanted[other.id] = other.name
    if len(wanted) > MAX_DEPENDENCIES:
        raise BadInput(f"a CI depends on at most {MAX_DEPENDENCIES} others here; name the ones outages follow")
    current = set(session.scalars(select(CiDependency.depends_on_id).where(CiDependency.ci_id == row.id)))
    if current == set(wanted):
        return False
    session.execute(delete(CiDependency).where(CiDependency.ci_id == row.id))
    session.add_all(CiDependency(ci_id=row.id, depends_on_id=other_id) for other_id in wanted)
    return True
