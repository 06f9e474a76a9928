"""Finding incidents: the filters, sort orders and pages the list page, `GET /api/v1/incidents` and
`switchboard incident list` share.

`IncidentFilter.from_args` turns query-string arguments into a checked value (a bad one raises FilterError naming
it), and `search` runs it as one query plus one count, so a page of 50 costs the same with 10 or 100,000 rows. The
count stops at COUNT_CAP (or the page's end, past it): the page then says "more than 10,000", as a full count of a
large desk reads every incident; the API counts all unless asked `total=capped`.

`status` is one status or several joined by commas (`open,acknowledged`, what the dashboard counts as open), so a
figure's link lists exactly what the figure counts.

Whose incidents: `assignee` names one person or group; `queue` is `mine` (assigned to whoever asks or to a group
they are in), a person's address (the same for them: API tokens belong to no one), or `unassigned`. A separate
argument, since a group may be given any name: no value of `assignee` could be kept for these.

`approval=pending` keeps those awaiting an approval (hub/approvals.py): an EXISTS on the approvals of each incident.

`new=1` keeps those with activity the person asking has not seen (hub/read_markers.py): like `queue=mine`, it is
theirs, so an API token must not ask it.

`sla=` keeps those whose SLA clock ended one way (hub/sla_outcomes.py: `resolution_breached`, `response_met`...),
as the SLA report counts them; with `opened_since`/`opened_before` (ISO 8601 instants) a report's count links to the
list of exactly the incidents it counts. `satisfaction=good|bad` keeps those whose requester answered so (since
`rated_since`, as the dashboard's CSAT counts the period's answers); `rated_since` alone keeps those answered since
then, whatever the rating, rather than being ignored.

`no_assignee=1` and `no_service=1` keep those with none (NULL or empty), what a report's "(none)" line and the
dashboard's "No one" row count: flags of their own, since a group or service may be given any name, "none" too.

`sort=due` ("Due soonest", hub/sla_due.py) puts breached SLAs first, then the nearest due, then paused clocks, then
those with no target; what is breached depends on the moment asked, so its ORDER BY is built then (`sorted_by`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, cast, func, literal_column, null, or_, select, true, union_all
from sqlalchemy.orm import Session

from hub import approvals, counting, incident_words, major_incidents, queues, read_markers, sla_due, sla_outcomes
from hub.addresses import is_address
from hub.cis import name_key
from hub.domain import INCIDENT_KINDS
from hub.incident_reading import WITH_MAJOR
from hub.models import (
    INCIDENT_STATUSES,
    OPEN_STATUSES,
    UNRESOLVED_STATUSES,
    ConfigurationItem,
    Incident,
    RequestType,
    SatisfactionAnswer,
    utcnow,
)
from hub.numbers import row_id, whole_number
from hub.triage import PRIORITIES

PAGE_SIZE = 50  # the list page
API_PAGE_SIZE = 100
MAX_LIMIT = 500
MAX_TEXT = 200
#: How far `search` counts by default: a filter finding more says "more than" this (or the page's end, past it).
COUNT_CAP = 10_000
#: The sorts by id, in whose runs of one assignee the index on assignee (its entries in id order) holds the order.
ID_SORTS = ("newest", "oldest")

#: name -> (column, descending) pairs of its ORDER BY, newest first unless it says otherwise
SORT_KEYS: dict[str, tuple[tuple[str, bool], ...]] = {
    "newest": (("id", True),),
    "oldest": (("id", False),),
    "priority": (("priority", False), ("id", True)),
    "last_seen": (("last_seen", True), ("id", True)),
    "occurrences": (("occurrences", True), ("id", True)),
}


def ordering(sort: str, columns: Any) -> tuple[ColumnElement[Any], ...]:
    """`sort`'s ORDER BY over `columns` (a table's or a subquery's `.c`)."""
    return tuple(columns[name].desc() if descending else columns[name].asc() for name, descending in SORT_KEYS[sort])


#: name -> ORDER BY
SORTS = {name: ordering(name, Incident.__table__.c) for name in SORT_KEYS}
#: "Due soonest" (hub/sla_due.py): breached first, then nearest due, then those without a target. Not in SORTS, as
#: its order is built for the moment asked (`sorted_by`).
DUE = "due"
#: Every sort the list, the API, the CSV and the command line take.
SORT_NAMES = (*SORT_KEYS, DUE)


def sorted_by(sort: str, now: datetime) -> tuple[ColumnElement[Any], ...]:
    """`sort`'s ORDER BY over the incidents table, as of `now` (what is breached depends on it)."""
    if sort == DUE:
        return sla_due.order(sla_due.rank(now), Incident.sla_next_due_at, Incident.id)
    return SORTS[sort]


#: The `status` of what the desk counts as open (the dashboard's "Open incidents"): open or acknowledged, not waiting
#: on the requester, resolved or closed.
OPEN = ",".join(OPEN_STATUSES)

#: The `queue` values besides a person's address (which always holds an `@`, so neither can be one).
MY_QUEUE = "mine"
#: The one `approval` value: incidents with an approval pending.
APPROVAL_PENDING = "pending"
UNASSIGNED = "unassigned"
#: The `satisfaction` values: the requester's answer (hub/satisfaction.py RATINGS).
SATISFACTION_RATINGS = ("good", "bad")


class FilterError(ValueError):
    """A query-string argument the client should fix; the message names it."""


def chosen_kind(value: str | None) -> str | None:
    """The `kind=` asked for (one of INCIDENT_KINDS; none or empty: both), the same check for the list, the
    dashboard and the reports, so each refuses a bad one in the same words."""
    value = (value or "").strip() or None
    if value is not None and value not in INCIDENT_KINDS:
        raise FilterError(f"'kind' must be {' or '.join(INCIDENT_KINDS)}, not {value!r}")
    return value


@dataclass(frozen=True)
class IncidentFilter:
    status: str | None = None  # one of INCIDENT_STATUSES, or several joined by commas, each once (`open,acknowledged`)
    priority: int | None = None
    category: str | None = None
    kind: str | None = None  # one of INCIDENT_KINDS: incidents or service requests only
    request_type: str | None = None  # a request type's name (hub/request_types.py): requests asked as that type
    assignee: str | None = None
    source: str | None = None
    service: str | None = None
    ci: str | None = None  # a configuration item's name, whatever its case (hub/cis.py)
    requester: str | None = None
    text: str | None = None
    queue: str | None = None  # MY_QUEUE, UNASSIGNED or a person's address, lower-cased
    major: bool = False  # only major incidents (hub/major_incidents.py): those whose declaration stands
    news: bool = False  # only those with activity `me` has not seen (hub/read_markers.py)
    approval: str | None = None  # APPROVAL_PENDING: only those awaiting an approval (hub/approvals.py)
    sla: str | None = None  # one of sla_outcomes.OUTCOMES: how a clock ended, as the SLA report counts it
    opened_since: datetime | None = None  # first seen at or after this instant
    opened_before: datetime | None = None  # first seen before this instant
    satisfaction: str | None = None  # one of SATISFACTION_RATINGS: the requester's answer
    rated_since: datetime | None = None  # answered (last) at or after this instant; alone: whatever the rating
    no_assignee: bool = False  # only those assigned to no one (a report's "(none)" group, the dashboard's "No one")
    no_service: bool = False  # only those of no service (a report's "(none)" service)
    sort: str = "newest"
    page: int = 1
    limit: int = PAGE_SIZE
    me: str | None = None  # who is asking: whose queue MY_QUEUE is (never in links)

    def __post_init__(self) -> None:
        if self.queue == MY_QUEUE and self.me is None:
            raise FilterError(
                "'queue=mine' is the queue of whoever asks, and a desk's API token belongs to no one: "
                "name the person instead, as in queue=ann@example.com, or ask with your personal token"
            )
        if self.news and self.me is None:
            raise FilterError("'new=1' is what whoever asks has not seen, and a desk's API token belongs to no one: "
                              "leave it out, or ask with your personal token")  # fmt: skip

    @classmethod
    def from_args(
        cls, args: Mapping[str, str], *, default_limit: int = PAGE_SIZE, me: str | None = None
    ) -> IncidentFilter:
        """The filter `args` ask for; `me` is the address of whoever asks (none for a desk's API token)."""

        def text(name: str) -> str | None:
            value = (args.get(name) or "").strip()
            if len(value) > MAX_TEXT:
                raise FilterError(f"'{name}' is longer than {MAX_TEXT} characters")
            return value or None

        status = text("status")
        if status is not None:
            wanted = tuple(dict.fromkeys(part.strip() for part in status.split(",") if part.strip()))
            if not wanted or not set(wanted) <= set(INCIDENT_STATUSES):
                raise FilterError(f"'status' must be one of {', '.join(INCIDENT_STATUSES)}, or several joined by "
                                  f"commas (open,acknowledged), not {status!r}")  # fmt: skip
            status = ",".join(wanted)
        queue = (text("queue") or "").lower() or None
        if queue is not None and queue not in (MY_QUEUE, UNASSIGNED) and not is_address(queue):
            raise FilterError(f"'queue' must be {MY_QUEUE}, {UNASSIGNED} or a person's address, not {queue!r}")
        kind = chosen_kind(text("kind"))
        approval = text("approval")
        if approval is not None and approval != APPROVAL_PENDING:
            raise FilterError(f"'approval' can only be {APPROVAL_PENDING}, not {approval!r}")
        sla = text("sla")
        if sla is not None and sla not in sla_outcomes.OUTCOMES:
            raise FilterError(f"'sla' must be one of {', '.join(sla_outcomes.OUTCOMES)}, not {sla!r}")
        satisfaction = text("satisfaction")
        if satisfaction is not None and satisfaction not in SATISFACTION_RATINGS:
            raise FilterError(f"'satisfaction' must be {' or '.join(SATISFACTION_RATINGS)}, not {satisfaction!r}")
        sort = text("sort") or "newest"
        if sort not in SORT_NAMES:
            raise FilterError(f"'sort' must be one of {', '.join(SORT_NAMES)}, not {sort!r}")
        page, limit = paging(args, default_limit)
        no_assignee, no_service = flag(args, "no_assignee"), flag(args, "no_service")
        for name, given, none in (("assignee", args.get("assignee"), no_assignee),
                                  ("service", args.get("service"), no_service)):  # fmt: skip
            if none and (given or "").strip():
                raise FilterError(f"'no_{name}' keeps those with no {name}: leave out '{name}', or 'no_{name}'")
        return cls(
            status=status,
            priority=bounded_number(args, "priority", 1, 5, None),
            category=text("category"),
            kind=kind,
            request_type=text("request_type"),
            assignee=text("assignee"),
            source=text("source"),
            service=text("service"),
            ci=text("ci"),
            requester=text("requester"),
            text=text("q"),
            queue=queue,
            major=flag(args, "major"),
            news=flag(args, "new"),
            approval=approval,
            sla=sla,
            opened_since=instant(args, "opened_since"),
            opened_before=instant(args, "opened_before"),
            satisfaction=satisfaction,
            rated_since=instant(args, "rated_since"),
            no_assignee=no_assignee,
            no_service=no_service,
            sort=sort,
            page=page,
            limit=limit,
            me=me,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for this filter with `changes` (links to other pages and sorts keep the rest)."""
        changed = replace(self, **changes)
        values = {"status": changed.status, "priority": changed.priority, "category": changed.category,
                  "kind": changed.kind, "request_type": changed.request_type, "assignee": changed.assignee,
                  "source": changed.source, "service": changed.service,
                  "ci": changed.ci, "requester": changed.requester, "q": changed.text, "queue": changed.queue,
                  "major": 1 if changed.major else None, "new": 1 if changed.news else None,
                  "approval": changed.approval, "sla": changed.sla,
                  "opened_since": _iso(changed.opened_since), "opened_before": _iso(changed.opened_before),
                  "satisfaction": changed.satisfaction, "rated_since": _iso(changed.rated_since),
                  "no_assignee": 1 if changed.no_assignee else None,
                  "no_service": 1 if changed.no_service else None,
                  "sort": None if changed.sort == "newest" else changed.sort,
                  "page": None if changed.page == 1 else changed.page}  # fmt: skip
        return {key: value for key, value in values.items() if value is not None}

    @property
    def statuses(self) -> tuple[str, ...]:
        """The statuses asked for; none: every status."""
        return tuple(self.status.split(",")) if self.status else ()

    @property
    def queue_person(self) -> str | None:
        """Whose queue it asks for (their incidents and their groups'), lower-cased; none for `unassigned`."""
        if self.queue is None or self.queue == UNASSIGNED:
            return None
        return (self.me if self.queue == MY_QUEUE and self.me else self.queue).strip().lower()

    @property
    def narrowed(self) -> bool:
        return any((self.status, self.priority, self.category, self.kind, self.request_type, self.assignee,
                    self.source, self.service, self.ci, self.requester, self.text, self.queue, self.major,
                    self.news, self.approval, self.sla, self.opened_since, self.opened_before,
                    self.satisfaction, self.rated_since, self.no_assignee, self.no_service))  # fmt: skip

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.status:
            found.append(Incident.status.in_(self.statuses))
        if self.priority:
            found.append(Incident.priority == self.priority)
        if self.category:
            found.append(Incident.category == self.category)
        if self.kind:
            found.append(Incident.kind == self.kind)
        if self.request_type:  # by its unique name, then the index on incidents.request_type_id
            type_id = select(RequestType.id).where(RequestType.name == self.request_type)
            found.append(Incident.request_type_id == type_id.scalar_subquery())
        if self.assignee:
            found.append(Incident.assignee == self.assignee.lower() if "@" in self.assignee else
                         Incident.assignee == self.assignee)  # fmt: skip
        if self.queue == UNASSIGNED:
            found.append(queues.UNASSIGNED)
        elif (person := self.queue_person) is not None:
            found.append(queues.in_queue(person))
        if self.major:
            found.append(major_incidents.standing_condition())
        if self.news and self.me:
            found.append(read_markers.has_news(self.me))
        if self.approval == APPROVAL_PENDING:
            found.append(approvals.pending_condition())
        if self.sla:  # as of the moment asked, as the report counts clocks still running past due
            found.extend(sla_outcomes.listed(self.sla, utcnow()))
        if self.opened_since:
            found.append(Incident.first_seen >= self.opened_since)
        if self.opened_before:
            found.append(Incident.first_seen < self.opened_before)
        if self.no_assignee:
            found.append(or_(Incident.assignee.is_(None), Incident.assignee == ""))
        if self.no_service:
            found.append(or_(Incident.service.is_(None), Incident.service == ""))
        if self.satisfaction or self.rated_since:  # the answer by its primary key, the incident's id
            answered = select(SatisfactionAnswer.incident_id).where(SatisfactionAnswer.incident_id == Incident.id)
            if self.satisfaction:
                answered = answered.where(SatisfactionAnswer.rating == self.satisfaction)
            if self.rated_since:
                answered = answered.where(SatisfactionAnswer.answered_at >= self.rated_since)
            found.append(answered.exists())
        if self.source:
            found.append(Incident.source == self.source)
        if self.service:
            found.append(Incident.service == self.service)
        if self.ci:  # by the unique name key, then the index on incidents.ci_id
            ci_id = select(ConfigurationItem.id).where(ConfigurationItem.name_key == name_key(self.ci))
            found.append(Incident.ci_id == ci_id.scalar_subquery())
        if self.requester:
            found.append(func.lower(Incident.requester) == self.requester.lower())  # ix_incidents_requester_lower
        if self.text:  # the words of title and description (hub/incident_words.py), or the INC-n it names
            reference = row_id(self.text.upper().removeprefix("INC-"))
            found.append(incident_words.matching(Incident.id, self.text, reference))
        return found


@dataclass(frozen=True)
class Page:
    incidents: list[Incident]
    total: int  # how many match; when not `exact`, more than this many do
    filter: IncidentFilter
    exact: bool = True

    @property
    def pages(self) -> int:
        """How many pages there are; when the total is not exact, those known to hold incidents."""
        return max(1, -(-self.total // self.filter.limit))

    @property
    def has_next(self) -> bool:
        # A count that stopped early stopped past this page's end (`counted`), so another page follows.
        return self.filter.page < self.pages or not self.exact


def search(session: Session, filt: IncidentFilter, *, count_to: int | None = COUNT_CAP) -> Page:
    """`filt`'s page and how many incidents match: every one when `count_to` is None, else at most `count_to` or
    the page's end, whichever is further (the pages around it keep their links)."""
    owners = queue_owners(session, filt) if filt.sort in (*ID_SORTS, DUE) else ()
    incidents = list(session.scalars(page_query(filt, owners)))
    total, exact = counted(session, filt, None if count_to is None else max(count_to, filt.page * filt.limit))
    return Page(incidents, total, filt, exact)


def counted(session: Session, filt: IncidentFilter, most: int | None) -> tuple[int, bool]:
    """How many incidents `filt` finds, and whether that is all of them: past `most` the count stops, reading
    `most` + 1 rows at most (an unfiltered count of a large desk reads every incident: 200,000 index entries)."""
    return counting.counted(session, select(Incident.id).where(*filt.conditions()), most)


def queue_owners(session: Session, filt: IncidentFilter) -> tuple[str, ...]:
    """The assignees of the person's queue `filt` asks for over every status: the person and their groups (one
    query), for a page walked per assignee; none for any other filter.

    SQLite answers the queue's OR by reading every incident in the queue through the index on assignee and
    sorting them for the page (a sixth of a large desk: 33,000 rows for 50), while one walk per assignee down that
    index, whose entries are in id order, reads a page's worth each. With a status the status index already finds
    the few open ones; a walk per assignee would read the person's closed ones to get past them."""
    person = filt.queue_person
    if person is None or filt.status:
        return ()
    return tuple(dict.fromkeys((person, *queues.groups_of(session, person))))


def page_query(filt: IncidentFilter, owners: tuple[str, ...] = (), now: datetime | None = None) -> Select[Incident]:
    """The incidents on `filt`'s page, in its order as of `now` (default: now); `owners`: its queue's assignees
    (`queue_owners`)."""
    now = now or utcnow()
    query = select(Incident).order_by(*sorted_by(filt.sort, now)).options(WITH_MAJOR)
    if filt.sort == DUE:
        return query.where(Incident.id.in_(due_page(filt, now, owners)))
    if filt.sort in ("last_seen", "priority") or (owners and filt.sort in ID_SORTS):
        return query.where(Incident.id.in_(merged_page(filt, owners)))
    return query.where(*filt.conditions()).limit(filt.limit).offset((filt.page - 1) * filt.limit)


def merged_page(filt: IncidentFilter, owners: tuple[str, ...] = ()) -> Select[int]:
    """The ids on `filt`'s page in a sort no index holds across every incident it finds, merged from one walk per
    status (last_seen), per priority, or per assignee of its queue (`owners`, by id), in whose runs an index
    already holds the order.

    An index on last_seen would be rewritten by every repeated event, and on PostgreSQL any new index on incidents
    is (those updates change the indexed last_seen, so none is a HOT update): the plain ORDER BY sorted all 200,000
    incidents of a large desk for any page, 360 ms (last_seen, page 50) and 270 ms (priority) on PostgreSQL. But
    each status's range of the (status, last_seen) index is in last-seen order, each priority's incidents are
    newest first down the primary key, and each assignee's range of the index on assignee is in id order: the
    page's rows are among the first offset + limit of each run, so the merge reads a few pages' worth per run,
    however many incidents the desk holds."""
    offset, conditions = (filt.page - 1) * filt.limit, filt.conditions()
    if filt.sort == "last_seen":
        splits = [Incident.status == status for status in filt.statuses or INCIDENT_STATUSES]
    elif filt.sort == "priority":
        splits = [Incident.priority == priority for priority in ([filt.priority] if filt.priority else PRIORITIES)]
    else:  # the queue's OR becomes the runs
        splits, conditions = [Incident.assignee == owner for owner in owners], replace(filt, queue=None).conditions()
    columns = [getattr(Incident, name) for name, _ in SORT_KEYS[filt.sort]]
    runs = [
        select(*columns).where(split, *conditions).order_by(*SORTS[filt.sort]).limit(offset + filt.limit).subquery()
        for split in splits
    ]
    merged = union_all(*(select(run) for run in runs)).subquery()
    return select(merged.c.id).order_by(*ordering(filt.sort, merged.c)).limit(filt.limit).offset(offset)


def exact_total(args: Mapping[str, str]) -> bool:
    """The API's `total`: `exact` (the default: `X-Total-Count` counts every match) or `capped` (it stops past
    COUNT_CAP, as the list page's does, and `X-Total-Count-Exact` says false)."""
    raw = (args.get("total") or "exact").strip()
    if raw not in ("exact", "capped"):
        raise FilterError(f"'total' must be exact (count every match) or capped (stop past {COUNT_CAP:,}), not {raw!r}")
    return raw == "exact"


def paging(args: Mapping[str, str], default_limit: int) -> tuple[int, int]:
    """The `page` (from 1) and `limit` (at most MAX_LIMIT, more is served the most) a list is asked for."""
    page = bounded_number(args, "page", 1, 1_000_000, 1) or 1
    return page, bounded_number(args, "limit", 1, MAX_LIMIT, default_limit) or default_limit


def flag(args: Mapping[str, str], name: str) -> bool:
    """`1` (on) or `0`/absent (off)."""
    raw = (args.get(name) or "").strip()
    if raw not in ("", "0", "1"):
        raise FilterError(f"'{name}' must be 1 (only those) or 0, not {raw!r}")
    return raw == "1"


def instant(args: Mapping[str, str], name: str) -> datetime | None:
    """An ISO 8601 instant (`2026-11-01T00:00:00+00:00`; without an offset, UTC), or None when not given."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise FilterError(f"'{name}' must be an ISO 8601 time such as 2026-11-01T00:00:00+00:00, not {raw!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def bounded_number(args: Mapping[str, str], name: str, low: int, high: int, default: int | None) -> int | None:
    """A whole number from `low` to `high` (FilterError naming it otherwise), or `default` when not given."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    number = whole_number(raw)
    # A limit over the most is served the most, not refused.
    if number is None or number < low or (number > high and name != "limit"):
        raise FilterError(f"'{name}' must be a whole number from {low} to {high}, not {raw!r}")
    return min(number, high)


def due_page(filt: IncidentFilter, now: datetime, owners: tuple[str, ...] = ()) -> Select[int]:
    """The ids on `filt`'s page sorted by DUE, merged from runs cut at the page's end: the unresolved incidents with
    a target (found through the status index: the few a desk has open, ranked and sorted) and those without one,
    newest first down the primary key as the default sort reads them, or, for a queue (`owners`, as `merged_page`
    walks them), down each assignee's run of the index on assignee. No index holds the rank, which depends on
    `now`: sorting the whole desk by it would read every incident for any page."""
    offset, conditions = (filt.page - 1) * filt.limit, filt.conditions()
    due, ranked = Incident.sla_next_due_at, sla_due.rank(now)
    with_target = (
        select(Incident.id, ranked.label("rank"), due.label("due"))
        .where(Incident.status.in_(UNRESOLVED_STATUSES), due.is_not(None), *conditions)
        .order_by(*sla_due.order(ranked, due, Incident.id))
        .limit(offset + filt.limit)
        .subquery()
    )
    if owners:  # the queue's OR becomes the runs
        splits, conditions = [Incident.assignee == owner for owner in owners], replace(filt, queue=None).conditions()
    else:
        splits = [true()]
    without = [
        select(Incident.id, literal_column(str(sla_due.NO_TARGET)).label("rank"),
               cast(null(), Incident.sla_due_at.type).label("due"))
        .where(split, due.is_(None), *conditions)
        .order_by(Incident.id.desc())
        .limit(offset + filt.limit)
        .subquery()
        for split in splits
    ]  # fmt: skip
    merged = union_all(select(with_target), *(select(run) for run in without)).subquery()
    return (
        select(merged.c.id)
        .order_by(*sla_due.order(merged.c.rank, merged.c.due, merged.c.id))
        .limit(filt.limit)
        .offset(offset)
    )
