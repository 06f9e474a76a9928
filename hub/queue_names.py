"""Queue names in use that no group holds: a rule's `assignee: dba` or `group: dba`, or open incidents assigned
to `dba`, while no group `dba` exists. Anyone may coin such a name (docs/architecture.md: rules' queue names are not
checked), so the groups page lists them, or it would say "No groups yet" while incidents already wait in `dba`.

Two queries: the rules, and the open incidents' assignees counted; the groups are the page's own read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.addresses import is_address
from hub.domain import RuleSpec
from hub.models import OPEN_STATUSES, Incident
from hub.rulebook import load_rules


@dataclass(frozen=True)
class QueueName:
    """A name that work is assigned to with no group behind it: who names it."""

    name: str
    rules: tuple[str, ...]  # the enabled rules that assign to it, by name
    open_incidents: int


def named(rules: Iterable[RuleSpec], open_counts: Mapping[str, int], groups: Iterable[str]) -> list[QueueName]:
    """The queue names the enabled `rules` assign to or the open incidents (`open_counts`: assignee -> count) are
    in, less the `groups` there are, by name. Pure."""
    by_rules: dict[str, list[str]] = {}
    for rule in rules:
        if not rule.enabled:
            continue
        effects = rule.effects()
        for name in (effects.get("group"), effects.get("assignee")):
            if isinstance(name, str) and name.strip() and not is_address(name.strip()):
                by_rules.setdefault(name.strip(), []).append(rule.name)
    held = set(groups)
    names = sorted((set(by_rules) | set(open_counts)) - held, key=str.lower)
    return [QueueName(n, tuple(dict.fromkeys(by_rules.get(n, ()))), open_counts.get(n, 0)) for n in names]


def unheld(session: Session, groups: Iterable[str]) -> list[QueueName]:
    """The queue names in use that none of `groups` (the groups there are, which the page has read) holds: two
    queries."""
    counts = session.execute(
        select(Incident.assignee, func.count())
        .where(Incident.status.in_(OPEN_STATUSES), Incident.assignee.not_like("%@%"), Incident.assignee != "")
        .group_by(Incident.assignee)
    ).all()
    return named(load_rules(session), {str(name): int(n) for name, n in counts}, groups)
