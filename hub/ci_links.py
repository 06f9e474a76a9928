"""Which configuration item an inbound event is about, found cheaply enough for the ingest hot path.

An event names its CI by a label: `ci` (said on purpose), else what monitoring tools call the machine: `host`,
`hostname`, `instance` (Prometheus's `host:port`, the port dropped) or `node`. A rule may name it instead
(`set: {ci: ...}`), and then wins. Only an active CI is linked.

A host has two names, and monitoring and the CMDB need not agree on which: `db1.example.com` in an alert finds the
CI `db1` when no CI has the full name, and `db1` finds the CI `db1.example.com` when it is the only active CI of
that short name (two, in two domains, and the alert's name says neither: nothing is linked rather than a guess).
IP addresses are only ever matched whole.

Each process keeps the names it has looked up (found or not) while the `cis` revision stays, so a repeat of a
known host costs no query at all: the revision is read with the rule book's, once per transaction. A name not seen
since the last change costs a lookup on the unique index of `name_key` (and one for its other name when that
misses), and none at all in an installation that
never stored a CI (its revision is still 0), where every new alert would otherwise name a host to look up.

The rules' trials decide many events at once, so they read every active CI once per run instead (`active`, an
`ActiveCis`); both find a name by the same rule, `matched`.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import Connection, bindparam, select

from hub.cis import CI_REVISION, name_key
from hub.domain import Decision, InboundEvent
from hub.models import ConfigurationItem
from hub.prefix_match import in_range, upper_bound
from hub.prepared import Prepared
from hub.revisions import Revisions

#: The labels that name an event's CI, in the order they are believed.
LABELS = ("ci", "host", "hostname", "instance", "node")
#: Names remembered per process before starting again: events name a fleet's hosts, not unbounded text.
MAX_REMEMBERED = 20_000

_ACTIVE = Prepared(
    select(ConfigurationItem.id, ConfigurationItem.name, ConfigurationItem.service).where(
        ConfigurationItem.name_key == bindparam("key"), ConfigurationItem.status == "active"
    ),
    ("key",),
)

#: Active CIs whose name is `short.<domain>`, for a short name: those from `short.` (`prefix`) up to `short/`
#: (`after`, hub/prefix_match.py), a range the index on names reads, where a LIKE would read every CI on SQLite.
#: Two are enough to know there is no one.
UNDER_A_DOMAIN = (
    select(ConfigurationItem.id, ConfigurationItem.name, ConfigurationItem.service)
    .where(
        in_range(ConfigurationItem.name_key, bindparam("prefix"), bindparam("after")),
        ConfigurationItem.status == "active",
    )
    .limit(2)
)
_UNDER_A_DOMAIN = Prepared(UNDER_A_DOMAIN, ("prefix", "after"))


@dataclass(frozen=True)
class Linked:
    """The active CI an event names: what the incident records, and the service it supports."""

    id: int
    name: str
    service: str | None


def named_in(labels: Mapping[str, str]) -> str | None:
    """The CI name the first of LABELS present gives, the port taken off an `instance`; None when none does."""
    for label in LABELS:
        value = (labels.get(label) or "").strip()
        if label == "instance":
            value = without_port(value)
        if value:
            return value
    return None


def named_by(decision: Decision, event: InboundEvent) -> str | None:
    """The CI name a rule set, else the one the event's labels give."""
    return decision.ci or named_in(event.labels)


def without_port(address: str) -> str:
    """`db1:9100` -> `db1`, `[2001:db8::1]:9100` -> `2001:db8::1`; a bare IPv6 address is left whole."""
    if address.startswith("[") and "]" in address:
        return address[1 : address.index("]")]
    host, colon, port = address.rpartition(":")
    if colon and port.isdigit() and ":" not in host:
        return host
    return address


def why_not_linked(conn: Connection, name: str) -> str:
    """Why no incident can be linked to the CI `name` that a person gave, in words that say what to do instead."""
    stored = conn.scalar(select(ConfigurationItem.name).where(ConfigurationItem.name_key == name_key(name)))
    if stored is None:
        return f"there is no CI {name.strip()!r}; choose one the CI field offers, look it up or add it at /cis"
    # Not active, so retired: no new incident is linked to it.
    return (
        f"{stored} is retired; choose an active CI (/cis lists them), or make it active again on its page if it is "
        "back in service"
    )


class CiLinks:
    """Per process: the names events gave and the active CI each is (or None), kept while the `cis` revision stays."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = None
        self._found: dict[str, Linked | None] = {}

    def find(self, conn: Connection, name: str, seen: Revisions) -> Linked | None:
        """The active CI named `name`, in the caller's transaction."""
        key = name_key(name)
        version = seen.of(conn).get(CI_REVISION, 0)
        if not version:  # no CI was ever stored here: every alert's `instance` names none, and needs no lookup
            return None
        with self._lock:
            if self._version is None or version > self._version:
                self._version, self._found = version, {}
            current = version == self._version  # an older transaction than the last reader's: look, don't keep
            if current and key in self._found:
                return self._found[key]
        linked = lookup(conn, key)
        if current:
            with self._lock:
                if version == self._version:
                    if len(self._found) >= MAX_REMEMBERED:
                        self._found = {}
                    self._found[key] = linked
        return linked


def lookup(conn: Connection, key: str) -> Linked | None:
    """The active CI of the name `key` (see name_key), or of the same host's other name (the module's docstring)."""

    def exact(name: str) -> Linked | None:
        row = _ACTIVE.first(conn, {"key": name})
        return Linked(*row) if row is not None else None

    def under_a_domain(short: str) -> list[Linked]:
        prefix = short + "."
        return [Linked(*row) for row in _UNDER_A_DOMAIN.execute(conn, {"prefix": prefix, "after": upper_bound(prefix)})]

    return matched(key, exact, under_a_domain)


def matched(
    key: str, exact: Callable[[str], Linked | None], under_a_domain: Callable[[str], Sequence[Linked]]
) -> Linked | None:
    """Which CI the name `key` is, given the active CI of an exact name key and (at least two of) those named
    `short.<domain>`: the one rule of names, for a lookup in the database and one in `ActiveCis` alike (pure)."""
    found = exact(key)
    if found is None and not _is_ip(key):
        short, dot, _domain = key.partition(".")
        if dot and short:
            found = exact(short)
        elif not dot:
            under = under_a_domain(key)
            found = under[0] if len(under) == 1 else None
    return found


@dataclass(frozen=True)
class ActiveCis:
    """Every active CI, by name key and by the short name before its first dot (two at most, all `matched` needs),
    read once for a trial of the rules over many events (rules/backtest.py), where `CiLinks` would ask per name."""

    by_key: Mapping[str, Linked] = field(default_factory=lambda: MappingProxyType({}))
    by_short: Mapping[str, tuple[Linked, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def find(self, name: str) -> Linked | None:
        """The active CI named `name`, as `CiLinks.find` would find it (pure)."""
        return matched(name_key(name), self.by_key.get, lambda short: self.by_short.get(short, ()))


def active(conn: Connection) -> ActiveCis:
    """Every active CI, in one query."""
    by_key: dict[str, Linked] = {}
    by_short: dict[str, tuple[Linked, ...]] = {}
    query = select(ConfigurationItem.name_key, ConfigurationItem.id, ConfigurationItem.name,
                   ConfigurationItem.service).where(ConfigurationItem.status == "active")  # fmt: skip
    for key, ci_id, name, service in conn.execute(query):
        linked = by_key[key] = Linked(ci_id, name, service)
        short, dot, _domain = key.partition(".")
        if dot and len(by_short.get(short, ())) < 2:
            by_short[short] = (*by_short.get(short, ()), linked)
    return ActiveCis(MappingProxyType(by_key), MappingProxyType(by_short))


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
