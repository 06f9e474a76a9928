"""Domain values that cross layer boundaries: what came in, and what the rules decided about it."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import Any

from hub.addresses import ADDRESS_WIDTH
from hub.numbers import row_id
from hub.rotation import Rotation
from hub.weekly import WeeklyWindow


class Action(StrEnum):
    """What an event asks of its incident."""

    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


SEVERITIES = ("critical", "high", "warning", "info", "unknown")
#: Sources whose events are a person's own words (an email; a call an agent logged at the desk; a request sent from
#: the help centre's form, hub/pending_requests.py; a reply typed on a request's page, hub/requester_replies.py,
#: which opens nothing): their requester hears of the resolution, they make contacts, and they are kept when
#: retention prunes machines' alerts.
PERSON_SOURCES = ("email", "desk", "web", "web-reply")
#: Of those, the sources whose incident's description is the requester's own text (an agent's words describe a
#: call): their page shows it as their first message, and erasing them erases it.
REQUESTER_TEXT_SOURCES = ("email", "web")
ROLES = ("admin", "agent", "viewer")
#: What a ticket is, in ITIL's words: an incident (something is broken: restore service) or a service request
#: (someone needs something: access, a laptop). Both are `INC-<n>`; desks filter by the kind and may set SLA
#: targets by it (a policy for one kind), and mail templates are given it. The first is the default.
INCIDENT_KINDS = ("incident", "request")
#: Each kind in words, for pages, mail and commands.
KIND_WORDS = {"incident": "incident", "request": "service request"}

# The choices commands and forms offer live here rather than beside the code that acts on them, so that a command's
# `--help` lists them without importing SQLAlchemy.
#: Kinds that post alerts (incidents); `deploy` posts deploys, recorded as changes (hub/deploys.py).
ALERT_KINDS = ("generic", "alertmanager", "grafana", "pagerduty", "opsgenie", "zabbix", "nagios")
INTEGRATION_KINDS = (*ALERT_KINDS, "deploy")
CHANNEL_KINDS = ("email", "webhook", "slack", "teams", "mattermost")
#: How the `imap` watcher talks to a mailbox's server.
TLS_MODES = ("ssl", "starttls", "none")
#: Who acts when a change comes from the command line (whoever can run it owns the machine).
CLI = "cli"

_REF = re.compile(r"\bINC-(\d{1,12})\b", re.IGNORECASE)


def format_ref(incident_id: int) -> str:
    return f"INC-{incident_id}"


def no_incident(ref: str) -> str:
    """Why no incident answers to `ref` (as typed: a command's argument, an API path, a page's address) and what to
    do, said once for every door: nothing deletes an incident, so it is the reference to check."""
    return f"there is no incident {ref}: check the reference, as the incident page or list shows it"


def parse_ref(text: str) -> int | None:
    """The incident id in the first `INC-<n>` found in `text` (a subject line, a URL), or None."""
    match = _REF.search(text)
    return row_id(match.group(1)) if match else None


#: The widths of the columns an inbound event's keys and address are stored in (hub/models.py). PostgreSQL enforces
#: them and SQLite does not, so the intake fits every event to them (`fit_to_columns`): both databases keep the
#: same events, and none fails for being long (its raw body is kept whole).
KEY_WIDTH = 500
MESSAGE_ID_WIDTH = 998  # a header line's limit


def fit_key(key: str, width: int) -> str:
    """`key`, if it fits `width`; else its start and a digest of all of it. Long keys that differ stay apart, and
    one key always fits the same way, so what is looked up matches what was stored."""
    if len(key) <= width:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key[: width - len(digest) - 1]}~{digest}"


@dataclass(frozen=True)
class AttachmentInfo:
    """One file an email carried; the bytes live in the attachment store under `sha256` when `stored`."""

    filename: str  # sanitised: no path, no control characters
    content_type: str
    size: int
    sha256: str
    inline: bool = False  # an inline image (Content-ID / disposition inline) rather than an attached file
    stored: bool = True
    note: str | None = None  # why it was not stored, e.g. "not stored: too large"


#: What the organisation's receiving mail server found of an email's From domain (SenderCheck.verdict).
VERDICTS = ("pass", "softfail", "fail", "none")
#: The verdicts that leave the From unverified: the desk mails that address nothing of its own accord.
UNVERIFIED = frozenset({"softfail", "fail"})


@dataclass(frozen=True)
class SenderCheck:
    """Whether the From address of an email is really its sender's, as the organisation's own receiving mail server
    found when it checked SPF, DKIM and DMARC and said so in its Authentication-Results header (ingest/mail_auth.py).

    Anyone can write any From: a `fail` is mail that may not be from the address it names, kept and shown with a
    warning but acting for no one. A `softfail` (the domain says the sending server is probably not its own, and
    nothing vouches for the mail) is unverified but not taken for forged: it acts as the sender's, with the warning,
    but the desk mails the address nothing automatically (acknowledgement, resolution), as for a `fail`, since a
    stranger's words would reach whoever owns it. `pass` and `none` change nothing.
    """

    verdict: str = "none"  # pass | softfail | fail | none (nothing to go by, or no server's verdict believed)
    domain: str | None = None  # the From domain judged
    why: str = ""  # e.g. "DMARC failed", "SPF and DKIM failed", "DKIM passed"
    # The authserv-id whose header was read (with none, the configured ones); None: SWITCHBOARD_MAIL_AUTHSERV_ID unset
    by: str | None = None

    @property
    def failed(self) -> bool:
        """Forged-looking: kept and shown, but acting for no one."""
        return self.verdict == "fail"

    @property
    def unverified(self) -> bool:
        """Not verified as the address's (`fail` or `softfail`): no automatic mail goes to it."""
        return self.verdict in UNVERIFIED

    def record(self, address: str | None) -> dict[str, str | None]:
        """What a timeline entry keeps of it: the verdict, why, whose, and about which address."""
        return {"verdict": self.verdict, "why": self.why, "domain": self.domain, "address": address, "by": self.by}


UNCHECKED = SenderCheck()


@dataclass(frozen=True)
class MailFacts:
    """The parts of an email beyond title and text, made by the parser (pure) and recorded by the intake."""

    sender_name: str | None = None  # the display name in From
    html: str | None = None  # the HTML alternative as sent; sanitised only when shown
    recipients: tuple[str, ...] = ()  # To, Cc and Delivered-To addresses, lower-cased
    copied: tuple[str, ...] = ()  # To and Cc addresses but the sender's, lower-cased: who else it was written to
    attachments: tuple[AttachmentInfo, ...] = ()
    sender_check: SenderCheck = UNCHECKED  # what the receiving server found of the From domain


@dataclass(frozen=True)
class Chosen:
    """What the agent who logged an incident by hand chose for it. A field left None is the rules' to decide; a
    field set wins over them: the person on the phone knows more than a routing rule does."""

    by: str  # the agent's email, or the API token's name: who logged it, for the timeline
    priority: int | None = None
    category: str | None = None
    assignee: str | None = None  # an active user's email or a group's name
    acknowledge_requester: bool = True  # mail the requester the reference, as an emailed incident's requester is
    service: str | None = None  # also the event's label `service`, which the rules' conditions read
    ci: str | None = None  # an active configuration item's name (hub/cis.py); the intake refuses any other
    kind: str | None = None  # one of INCIDENT_KINDS

    def over(self, decision: Decision) -> Decision:
        """The rules' decision with the agent's choices laid over it. A person asked for this incident, so no rule
        suppresses it and no silence (meant for alerts during maintenance) keeps it from its assignee."""
        changes: dict[str, Any] = {"suppressed": False, "silenced_by": None}
        if self.priority is not None:
            changes.update(priority=self.priority, impact=None, urgency=None)
        if self.category is not None:
            changes["category"] = self.category
        if self.assignee is not None:
            changes.update(assignee=self.assignee, assigned_from=None)  # no group's round-robin turn was taken
        if self.service is not None:
            changes["service"] = self.service
        if self.ci is not None:
            changes["ci"] = self.ci
        if self.kind is not None:
            changes["kind"] = self.kind
        return dataclasses.replace(decision, **changes)


@dataclass(frozen=True)
class InboundEvent:
    """A typed event, made by an ingest adapter from raw input (pure, no I/O)."""

    source: str
    title: str
    description: str = ""
    severity: str = "unknown"
    action: Action = Action.TRIGGER
    dedup_key: str | None = None
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    integration: str | None = None
    requester: str | None = None  # email address of the person who asked
    message_id: str | None = None
    in_reply_to: tuple[str, ...] = ()  # In-Reply-To and References, newest last
    thread_ref: int | None = None  # incident id named in a subject tag like [INC-12]
    auto_submitted: bool = False  # auto-replies, bounces, lists: never answered, to avoid mail loops
    bounce: bool = False  # a delivery failure report: never a new incident
    looped: bool = False  # our own notification came back to us: never a new incident
    desk_address: str | None = None  # the service desk address an email was sent to
    #: What the hub looked up for the rules, by field name (e.g. `change.minutes_ago`): facts about the estate
    #: that the event does not carry, passed in so the rules engine stays pure.
    facts: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    mail: MailFacts | None = None  # what else an email carried (HTML, attachments, sender's name)
    chosen: Chosen | None = None  # an incident logged by hand: what the agent chose (ingest/logged.py)
    #: One of INCIDENT_KINDS: what the event says it is (the help centre's form asks); a rule may say otherwise.
    kind: str = INCIDENT_KINDS[0]
    #: The name of the request type (hub/request_types.py) the help centre's requester chose, if any.
    request_type: str | None = None

    @property
    def sender_failed(self) -> bool:
        """An email whose From the receiving server found forged-looking (SenderCheck `fail`): it is kept and shown
        with a warning, but does nothing the named sender's own mail would (reopen, end a wait, tell the assignee)."""
        return self.mail is not None and self.mail.sender_check.failed

    @property
    def sender_unverified(self) -> bool:
        """An email whose From the receiving server did not verify (SenderCheck `fail` or `softfail`): marked so on
        the timeline, and never acknowledged (nor, once it opened an incident, told of its resolution)."""
        return self.mail is not None and self.mail.sender_check.unverified

    @property
    def sender_verified(self) -> bool:
        """An email whose From the receiving server verified (SenderCheck `pass`, which only a server named by
        SWITCHBOARD_MAIL_AUTHSERV_ID gives): the one kind of mail that may act as a user (hub/agent_mail.py)."""
        check = self.mail.sender_check if self.mail is not None else UNCHECKED
        return check.by is not None and check.verdict == "pass"

    def field_value(self, name: str) -> Any:
        """Look up a field by the name rules use: `severity`, `labels.team`, ..."""
        if name.startswith("labels."):
            return self.labels.get(name.removeprefix("labels."))
        if name in _RULE_FIELDS:
            value = getattr(self, name)
            return value.value if isinstance(value, StrEnum) else value
        return None


def fit_to_columns(event: InboundEvent) -> InboundEvent:
    """The event with its keys fitted to their columns (see `fit_key`) and a requester no address can be as long
    as (RFC 5321 stops at 320 characters) left out."""
    changes: dict[str, Any] = {}
    if event.dedup_key is not None and len(event.dedup_key) > KEY_WIDTH:
        changes["dedup_key"] = fit_key(event.dedup_key, KEY_WIDTH)
    if event.requester is not None and len(event.requester) > ADDRESS_WIDTH:
        changes["requester"] = None
    if event.message_id is not None and len(event.message_id) > MESSAGE_ID_WIDTH:
        changes["message_id"] = fit_key(event.message_id, MESSAGE_ID_WIDTH)
    if any(len(ref) > MESSAGE_ID_WIDTH for ref in event.in_reply_to):
        changes["in_reply_to"] = tuple(fit_key(ref, MESSAGE_ID_WIDTH) for ref in event.in_reply_to)
    return dataclasses.replace(event, **changes) if changes else event


_RULE_FIELDS = frozenset(
    {"source", "title", "description", "severity", "action", "dedup_key", "integration", "requester"}
)
RULE_FIELDS = (*sorted(_RULE_FIELDS), "labels.<name>")


def is_rule_field(name: str) -> bool:
    """Whether rules can test `name` on an event (a known field or `labels.<something>`)."""
    return name in _RULE_FIELDS or (name.startswith("labels.") and len(name) > len("labels."))


@dataclass(frozen=True)
class RuleSpec:
    """A stored rule as the engine sees it.

    A rule made before conditions could nest holds one test in `field`/`op`/`value` and sets `set_category` /
    `set_assignee`; a newer one holds a condition tree in `when` and its actions in `actions`. `condition()` and
    `effects()` read either, so stored rules of both kinds keep working.
    """

    id: int
    name: str
    field: str = ""
    op: str = "equals"
    value: str = ""
    set_category: str | None = None
    set_assignee: str | None = None
    stop: bool = False
    enabled: bool = True
    #: {"field", "op", "value"} | {"all": [...]} | {"any": [...]} | {"not": {...}}; None: the legacy field/op/value
    when: Any = dataclasses.field(default=None, hash=False)
    #: category, service, tags, impact, urgency, assignee, group, strategy, dedup_key, title, ci, channels, suppress
    actions: Mapping[str, Any] = dataclasses.field(default_factory=lambda: MappingProxyType({}), hash=False)

    def condition(self) -> Any:
        """The condition tree, also for a legacy one-test rule."""
        if self.when is not None:
            return self.when
        leaf: dict[str, Any] = {"field": self.field, "op": self.op}
        if self.op != "exists":
            leaf["value"] = self.value
        return leaf

    def effects(self) -> dict[str, Any]:
        """Everything the rule sets when it matches, legacy columns included."""
        merged: dict[str, Any] = {}
        if self.set_category:
            merged["category"] = self.set_category
        if self.set_assignee:
            merged["assignee"] = self.set_assignee
        merged.update(self.actions)
        return merged


@dataclass(frozen=True)
class Policy:
    """How one integration's events are treated; every part is optional (None: off)."""

    reopen_window: int | None = None  # seconds: a trigger this soon after a resolve reopens the incident
    threshold: int | None = None  # events with one dedup key before an incident opens
    threshold_window: int | None = None  # seconds within which those events must arrive
    flap_changes: int | None = None  # this many state changes of one alert ...
    flap_window: int | None = None  # ... within this many seconds make it flapping: notices held until stable


NO_POLICY = Policy()


MATCH_OPS = ("=", "!=", "=~", "!~")


@dataclass(frozen=True)
class Matcher:
    """One condition of a silence, Alertmanager-style: `labels.team=db`, `severity!=info`, `title=~disk.*`."""

    field: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.field}{self.op}{self.value}"


@dataclass(frozen=True)
class SilenceSpec:
    """A maintenance window: events matching every matcher between the two times notify no one."""

    id: int
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    comment: str = ""
    weekly: WeeklyWindow | None = None  # recurring: only inside this weekly window, between the two times

    def holds_at(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at and (self.weekly is None or self.weekly.holds(now))


@dataclass(frozen=True)
class RuleBook:
    """The routing in force (ordered rules, unexpired silences, settings such as the priority matrix), with the
    version caches key on."""

    version: int
    rules: tuple[RuleSpec, ...]
    silences: tuple[SilenceSpec, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @cached_property
    def decides_before_dedup(self) -> bool:
        """Whether a rule may change the dedup key or suppress: then the intake decides before deduplicating."""
        return any(s.enabled and ("dedup_key" in s.actions or s.actions.get("suppress")) for s in self.rules)

    @cached_property
    def fields_used(self) -> frozenset[str]:
        """Every field an enabled rule's condition tests, so the hub looks up costly facts only when needed."""
        return frozenset(name for s in self.rules if s.enabled for name in _fields_in(s.condition()))

    @cached_property
    def assignment_groups(self) -> tuple[str, ...]:
        """Groups a rule picks a member of: the hub looks up their members, open counts and pointer."""
        return tuple(sorted({str(s.actions["group"]) for s in self.rules if s.enabled and s.actions.get("group")}))

    @cached_property
    def catch_alls(self) -> frozenset[int]:
        """The rules that match every event, like the seeded "Default: everything goes to the service desk"."""
        return frozenset(s.id for s in self.rules if _is_catch_all(s.condition()))

    def set_only_by_catch_alls(self, field: str, decision: Decision) -> bool:
        """Whether no rule set `field` of `decision`, or only catch-all ones did: then a default the desk knows
        better (a desk address's group, a service's owner group) may take its place. Otherwise such a default could
        never apply while a catch-all rule exists. A rule's `group` sets the assignee too (the trace names the group
        it set, `rules/engine.py::_assign`)."""
        keys = SET_BY.get(field, (field,))
        return all(step.rule_id in self.catch_alls for step in decision.trace if any(k in step.sets for k in keys))


#: The trace's keys that say a rule step set a decision's field, where they are not the field's own name.
SET_BY: dict[str, tuple[str, ...]] = {"assignee": ("assignee", "group")}


#: The condition of a rule that every event meets (every event has a source).
_CATCH_ALL: tuple[dict[str, Any], ...] = ({"field": "source", "op": "exists"}, {"all": []})


def _is_catch_all(condition: Any) -> bool:
    if isinstance(condition, dict):
        plain = {k: v for k, v in condition.items() if k != "value" or v not in ("", None)}
        return plain in _CATCH_ALL
    return False


def _fields_in(condition: Any) -> list[str]:
    if not isinstance(condition, Mapping):
        return []
    if "field" in condition:
        return [str(condition["field"])]
    found = []
    for key in ("all", "any"):
        for part in condition.get(key) or ():
            found += _fields_in(part)
    return found + _fields_in(condition.get("not"))


@dataclass(frozen=True)
class GroupState:
    """What an assignment strategy needs to know about one group, looked up by the hub before deciding."""

    members: tuple[str, ...]
    open_counts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    last_assigned: str | None = None
    rotation: Rotation | None = None  # its on-call rotation, for the on_call strategy
    #: Those (of its people, and of the other groups looked up with it) who could not work an incident:
    #: deactivated since they joined, or no user. Strategies pass over them.
    unable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RoutingState:
    """The current state the rules may depend on (the engine stays pure: this is an input)."""

    groups: Mapping[str, GroupState] = field(default_factory=lambda: MappingProxyType({}))


NO_STATE = RoutingState()


#: How a trace note about a rule's template that failed on an event begins (rules/actions.py writes them), so the
#: rules pages can find those failures again in stored traces (hub/rule_failures.py).
TEMPLATE_NOTE = "template "


@dataclass(frozen=True)
class TraceStep:
    """One matching rule: on which conditions it matched, what it set, and anything worth knowing (notes)."""

    rule_id: int
    rule: str
    matched: bool
    sets: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    conditions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """What the rules decided for one event, and why (the trace is stored with the event)."""

    priority: int
    category: str | None = None
    assignee: str | None = None
    trace: tuple[TraceStep, ...] = ()
    silenced_by: int | None = None  # the silence that holds this event's notifications
    service: str | None = None
    tags: tuple[str, ...] = ()
    impact: int | None = None
    urgency: int | None = None
    title: str | None = None  # from a title template; None: the event's own title
    dedup_key: str | None = None  # from a dedup key template; None: the event's own key
    ci: str | None = None  # a configuration item's name, from a template; None: the event's labels name it
    channels: tuple[str, ...] = ()  # notification channels by name, for outbound to deliver on
    escalation: str | None = None  # the escalation policy that runs while the incident is unacknowledged
    suppressed: bool = False  # stored and audited, but no incident
    assigned_from: str | None = None  # the group whose strategy chose `assignee` (its pointer moves on)
    evaluated: int = 0  # how many enabled rules were looked at
    kind: str | None = None  # one of INCIDENT_KINDS, from a rule (or the agent who logged it); None: the event's

    def kind_of(self, event: InboundEvent) -> str:
        """The kind the incident `event` opens is: a rule's (or the agent's) choice, else the event's own."""
        return self.kind or event.kind

    def trace_json(self) -> list[dict[str, Any]]:
        steps = []
        for s in self.trace:
            step: dict[str, Any] = {"rule_id": s.rule_id, "rule": s.rule, "matched": s.matched, "sets": dict(s.sets)}
            if s.conditions:
                step["conditions"] = list(s.conditions)
            if s.notes:
                step["notes"] = list(s.notes)
            steps.append(step)
        return steps
