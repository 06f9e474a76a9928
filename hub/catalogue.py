"""The service catalogue and SLA policies: stored, listed, and read as values for the clocks.

Every change bumps the `sla` revision in the same transaction (hub/catalogue_rows.py), so each process's SlaBook
(hub/sla.py) reloads policies and calendars only when they change, and whatever else a process keeps of the
catalogue (a service's owner group) knows when to read it again.

What people type (a name, a priority, a target, a scope) is checked here, once, for the commands
(hub/service_cli.py, hub/sla_cli.py) and the /services pages (web/catalogue.py) alike, whether adding or changing;
a mistake in one field is a BadField naming it, so the page shows it beside that field. The business calendars the
policies run on are hub/calendars.py's. Changing or removing a policy re-plans the clocks running under it, so that
lives beside them (hub/sla_edits.py, hub/sla_removal.py), as renaming and removing a service lives with what names
it (hub/service_references.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypedDict

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from hub.business_hours import ALWAYS, Calendar
from hub.calendars import calendar_of
from hub.catalogue_rows import bump_version, checked_name, get_entry, store, store_change
from hub.domain import INCIDENT_KINDS, KIND_WORDS
from hub.durations import describe_duration, parse_duration
from hub.errors import BadField, BadInput
from hub.models import BusinessCalendar, Group, Service, SlaPolicy
from hub.names import NAME_WIDTH, is_one_line
from hub.numbers import whole_number
from hub.service_names import service_id
from hub.sla_clocks import DEFAULT_WARN_AT, PolicySpec

#: The width of `sla_policies.organisation`: an organisation label may be longer than a name.
ORGANISATION_WIDTH = 200
#: The longest target a policy keeps: a year of business time is already no promise, and its seconds fit the column.
LONGEST_TARGET = timedelta(weeks=52)
_SERVICES, _POLICIES = "switchboard service list", "switchboard sla list"  # the commands that list them
#: The /services page's own sub-pages (web/catalogue.py, web/calendars.py). A service named under one would lose
#: its page's address to them (/services/policies/P1/edit is SLA policy P1's, whatever service "policies/P1" says),
#: so no service is given such a name; one named so before keeps working everywhere but on its page.
TAKEN_BY_PAGES = {"policies/": "SLA policies", "calendars/": "business calendars"}


def _optional(text: str | None, field: str, width: int = NAME_WIDTH) -> str | None:
    """One line of at most `width` characters, or None when nothing (or only blanks) was given."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > width or not is_one_line(text):
        raise BadField(field, f"the {field} is at most {width} characters on one line")
    return text


def _group(text: str | None, field: str) -> str | None:
    """A group's name as typed for `field` (`owner_group`, `major_group`), checked; None when left empty."""
    text = (text or "").strip()
    return checked_name(text, "group", field) if text else None


# -- services ---------------------------------------------------------------------------------------------------


def add_service(
    session: Session, *, name: str, owner_group: str | None = None, description: str = "", public: bool = False,
    major_group: str | None = None,
) -> Service:  # fmt: skip
    """Add a service. Its owner group and major-incident group may not exist yet: `missing_owner` and
    `missing_major_group` say so, for the caller to warn."""
    row = Service(name=service_name(name), owner_group=_group(owner_group, "owner_group"),
                  description=description.strip(), public=public,
                  major_group=_group(major_group, "major_group"))  # fmt: skip
    store(session, row, "service", _SERVICES)
    return row


def service_name(text: str, field: str = "name") -> str:
    """A new service's name, checked (BadField about `field`): a name, and not under the /services page's own
    sub-pages (TAKEN_BY_PAGES), which would take its page's address."""
    name = checked_name(text, "service", field)
    if (prefix := page_taken(name)) is not None:
        instead = name.replace("/", "-", 1)
        raise BadField(field, f"a service's name cannot start with {prefix!r}: /services/{prefix}... are the "
                              f"{TAKEN_BY_PAGES[prefix]}' pages; name it e.g. {instead!r}")  # fmt: skip
    return name


def page_taken(name: str) -> str | None:
    """The sub-page prefix (TAKEN_BY_PAGES) that takes the address of service `name`'s page, if one does."""
    return next((prefix for prefix in TAKEN_BY_PAGES if name.startswith(prefix)), None)


def set_service(
    session: Session, name: str, *, public: bool | None = None, owner_group: str | None = None,
    description: str | None = None, major_group: str | None = None,
) -> Service:  # fmt: skip
    """Change what is given of a service: whether the public status page shows it (hub/status_page.py), its
    owner group, its description, the group paged for its major incidents (hub/major_incidents.py); an empty
    group's name clears it."""
    row = get_service(session, name)
    before = (row.public, row.owner_group, row.description, row.major_group)
    if public is not None:
        row.public = public
    if owner_group is not None:
        row.owner_group = _group(owner_group, "owner_group")
    if description is not None:
        row.description = description.strip()
    if major_group is not None:
        row.major_group = _group(major_group, "major_group")
    if (row.public, row.owner_group, row.description, row.major_group) != before:
        bump_version(session)
    return row


def service_fields(row: Service) -> dict[str, Any]:
    """What may change of a service but its name: what a change compares and audits."""
    return {"owner_group": row.owner_group, "description": row.description, "public": row.public,
            "major_group": row.major_group}  # fmt: skip


def get_service(session: Session, name: str, *, lock: bool = False) -> Service:
    """The service `name`; `lock`: locked for the caller's change, so two admins' changes of it take turns."""
    return get_entry(session, Service, name, what="service", listing=_SERVICES, lock=lock)


def missing_owner(session: Session, owner_group: str | None) -> str | None:
    """A warning when `owner_group` names no group, else None. A service may name its group before the group is
    made (a catalogue is often written first), so this warns rather than refuses: a group that does not exist has
    no one to take the service's incidents."""
    if not _no_group(session, owner_group):
        return None
    return (f"there is no group {owner_group!r} yet, so no one in it can take this service's incidents: make it "
            f"on the Groups page or with `switchboard group set {owner_group} --member ...`")  # fmt: skip


def missing_major_group(session: Session, major_group: str | None) -> str | None:
    """A warning when `major_group` names no group, else None; warned, not refused, as `missing_owner` is. Until
    it is made, the service's major incidents page the installation's major-incident group instead."""
    if not _no_group(session, major_group):
        return None
    return (f"there is no group {major_group!r} yet, so this service's major incidents page the installation's "
            f"major-incident group (if any) instead: make it on the Groups page or with `switchboard group set "
            f"{major_group} --member ...`")  # fmt: skip


def missing_groups(session: Session, row: Service, *, owner: bool = True, major: bool = True) -> list[str]:
    """The warnings about the service's owner group (when `owner`) and major-incident group (when `major`) that
    name no group yet: what adding or changing it warns of."""
    warnings = [missing_owner(session, row.owner_group) if owner else None,
                missing_major_group(session, row.major_group) if major else None]  # fmt: skip
    return [warning for warning in warnings if warning]


def _no_group(session: Session, name: str | None) -> bool:
    """Whether `name` is a group's name no group has."""
    return name is not None and session.scalar(select(Group.id).where(Group.name == name)) is None


def services(session: Session) -> list[Service]:
    return list(session.scalars(select(Service).order_by(Service.name)))


# -- policies ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    first_response: timedelta | None = None
    next_update: timedelta | None = None
    resolution: timedelta | None = None

    @classmethod
    def parse(cls, *, first_response: str | None, next_update: str | None, resolution: str | None) -> Targets:
        """Targets as typed: `30m`, `4h`, `3d`, `1w` of business time; empty or None for a clock not kept."""
        return cls(first_response=parse_target(first_response, "first_response"),
                   next_update=parse_target(next_update, "next_update"),
                   resolution=parse_target(resolution, "resolution"))  # fmt: skip


def parse_target(text: str | None, field: str) -> timedelta | None:
    """One target as typed (`30m`, `4h`, `3d`), None when left empty; a mistake is about `field`."""
    if text is None or not text.strip():
        return None
    try:
        span = parse_duration(text)
    except BadInput as exc:
        raise BadField(field, str(exc)) from None
    if span > LONGEST_TARGET:
        raise BadField(field, f"{text.strip()!r} is longer than a target can be; write at most 52w")
    return span


def parse_priority(text: str) -> int:
    """A priority as people write it: `P1` (highest) to `P5`, or the bare number."""
    number = whole_number(text.strip().upper().removeprefix("P"))
    if number is None:
        raise BadField("priority", f"{text!r} is not a priority; write P1 to P5")
    return number


class PolicyTerms(TypedDict):
    """What `switchboard sla add` takes of a policy but its name: as typed (checked when stored) or stored."""

    priority: int
    targets: Targets
    calendar: str | None  # a calendar's name; None or empty: 24x7 UTC
    service: str | None  # None or empty: every service (and so on for category and organisation)
    category: str | None
    organisation: str | None
    kind: str | None  # one of INCIDENT_KINDS; None or empty: both
    warn_at: float


def add_policy(
    session: Session,
    *,
    name: str,
    priority: int,
    targets: Targets,
    calendar: str | None = None,
    service: str | None = None,
    category: str | None = None,
    organisation: str | None = None,
    kind: str | None = None,
    warn_at: float = DEFAULT_WARN_AT,
) -> SlaPolicy:
    """Store a policy; its calendar and service must exist (24x7 UTC when no calendar is named). Empty narrowing
    fields are None: the policy is for every service, category, organisation, kind."""
    terms = PolicyTerms(priority=priority, targets=targets, calendar=calendar, service=service, category=category,
                        organisation=organisation, kind=kind, warn_at=warn_at)  # fmt: skip
    row = SlaPolicy(name=checked_name(name, "policy"), **_policy_columns(session, terms))
    store(session, row, "policy", _POLICIES)
    return row


def change_policy(session: Session, name: str, terms: PolicyTerms, *, new_name: str | None = None) -> bool:
    """Give the policy `name` (locked) new terms, checked as `add_policy` checks them, and a new name when
    `new_name` is given; whether anything changed. Re-planning the clocks it runs is hub/sla_edits.py's."""
    row = get_policy(session, name, lock=True)
    return store_change(session, row, _policy_columns(session, terms), new_name=new_name, what="policy",
                        listing=_POLICIES)  # fmt: skip


def get_policy(session: Session, name: str, *, lock: bool = False) -> SlaPolicy:
    """The policy `name`; `lock`: locked for the caller's change."""
    return get_entry(session, SlaPolicy, name, what="SLA policy", listing=_POLICIES, lock=lock)


def _policy_columns(session: Session, terms: PolicyTerms) -> dict[str, Any]:
    """A policy's columns but its name, checked; a mistake names its field."""
    priority, targets, warn_at = terms["priority"], terms["targets"], terms["warn_at"]
    if priority not in range(1, 6):
        raise BadField("priority", f"priority must be P1 (highest) to P5, not P{priority}")
    if not 0 < warn_at < 1:
        raise BadField("warn_at", "warn-at is a share of the target between 0 and 1, e.g. 0.75")
    if targets.first_response is None and targets.resolution is None:
        raise BadField("resolution", "a policy needs a first-response or a resolution target, e.g. --resolution 4h")
    calendar, service = _optional(terms["calendar"], "calendar"), _optional(terms["service"], "service")
    category = _optional(terms["category"], "category")
    organisation = _optional(terms["organisation"], "organisation", ORGANISATION_WIDTH)
    kind = policy_kind(terms["kind"])
    calendar_id = None
    if calendar is not None:
        calendar_id = session.scalar(select(BusinessCalendar.id).where(BusinessCalendar.name == calendar))
        if calendar_id is None:
            raise BadField("calendar", f"there is no calendar {calendar!r}; add it with `switchboard calendar add`")
    if service is not None:
        service_id(session, service)

    def seconds(span: timedelta | None) -> int | None:
        return int(span.total_seconds()) if span is not None else None

    return {
        "priority": priority, "service": service, "category": category, "organisation": organisation, "kind": kind,
        "calendar_id": calendar_id, "first_response": seconds(targets.first_response),
        "next_update": seconds(targets.next_update), "resolution": seconds(targets.resolution), "warn_at": warn_at,
    }  # fmt: skip


def policy_kind(text: str | None) -> str | None:
    """The kind a policy is limited to, as typed (`incident` or `request`), checked; None when left empty: both.
    The one check of it, for the command, the page and the API."""
    kind = (text or "").strip().lower()
    if not kind:
        return None
    if kind not in INCIDENT_KINDS:
        allowed = " or ".join(f"{k!r} ({KIND_WORDS[k]}s)" for k in INCIDENT_KINDS)
        raise BadField("kind", f"the kind is {allowed}, not {text!r}; leave it empty for both")
    return kind


def policy_terms(session: Session, policy: SlaPolicy) -> PolicyTerms:
    """A stored policy's terms: what a change keeps of those it does not give, and what its form starts from."""
    calendar = None
    if policy.calendar_id is not None:
        calendar = session.scalar(select(BusinessCalendar.name).where(BusinessCalendar.id == policy.calendar_id))
    targets = Targets(first_response=_span(policy.first_response), next_update=_span(policy.next_update),
                      resolution=_span(policy.resolution))  # fmt: skip
    return PolicyTerms(priority=policy.priority, targets=targets, calendar=calendar, service=policy.service,
                       category=policy.category, organisation=policy.organisation, kind=policy.kind,
                       warn_at=policy.warn_at)  # fmt: skip


def policies(session: Session) -> list[tuple[SlaPolicy, str | None]]:
    """Every policy with its calendar's name, by priority then name."""
    query = (
        select(SlaPolicy, BusinessCalendar.name)
        .outerjoin(BusinessCalendar, SlaPolicy.calendar_id == BusinessCalendar.id)
        .order_by(SlaPolicy.priority, SlaPolicy.name)
    )
    return [(p, c) for p, c in session.execute(query).all()]


def describe_scope(policy: SlaPolicy) -> str:
    """Which incidents a policy is for, beyond its priority: "service requests only, service mail, category
    outage", or "all"."""
    scope = (("service", policy.service), ("category", policy.category), ("organisation", policy.organisation))
    said = [f"{what} {value}" for what, value in scope if value]
    if policy.kind:
        said.insert(0, f"{KIND_WORDS.get(policy.kind, policy.kind)}s only")
    return ", ".join(said) or "all"


def describe_targets(policy: SlaPolicy) -> str:
    """A policy's targets in words: "first response 30m, resolution 4h"."""
    targets = (("first response", policy.first_response), ("next update", policy.next_update),
               ("resolution", policy.resolution))  # fmt: skip
    return ", ".join(
        f"{what} {describe_duration(timedelta(seconds=value))}" for what, value in targets if value is not None
    )


def policy_detail(policy: SlaPolicy, calendar: str | None) -> dict[str, Any]:
    """What the audit log keeps of a policy added: whom it is for, its targets, its calendar."""
    return {"priority": f"P{policy.priority}", "for": describe_scope(policy), "targets": describe_targets(policy),
            "warn_at": policy.warn_at, "calendar": (calendar or "").strip() or "24x7 UTC"}  # fmt: skip


def load_policies(conn: Connection | Session) -> tuple[dict[int, PolicySpec], dict[int, Calendar]]:
    """Every policy as a PolicySpec (its calendar built), and the calendars by id, for the clocks."""
    cals = {row.id: calendar_of(row) for row in conn.execute(select(*BusinessCalendar.__table__.c)).all()}
    specs = {}
    for row in conn.execute(select(*SlaPolicy.__table__.c).order_by(SlaPolicy.id)).all():
        specs[row.id] = PolicySpec(
            id=row.id, name=row.name, priority=row.priority, service=row.service, category=row.category,
            organisation=row.organisation, kind=row.kind,
            calendar=cals[row.calendar_id] if row.calendar_id is not None else ALWAYS,
            first_response=_span(row.first_response), next_update=_span(row.next_update),
            resolution=_span(row.resolution), warn_at=row.warn_at,
        )  # fmt: skip
    return specs, cals


def _span(seconds: int | None) -> timedelta | None:
    return timedelta(seconds=seconds) if seconds is not None else None
