"""The request catalogue: the things people may ask the desk for on the help centre ("New laptop", "VPN access"),
each with its questions (hub/request_questions.py) and the category and group its requests get.

What an admin types is checked here once, for the command line (hub/request_type_cli.py), the pages
(web/request_types.py) and the API alike; a mistake in one field is a BadField naming it, as hub/catalogue.py's.
A request type is retired, never deleted, since requests and incidents name it: a retired one is no longer offered,
and a form that still names it is refused with a clear message (`offered`).

Its category and group are defaults, applied as a desk address's are (`routing`, then hub/over_rules.py in the
intake and the rules' trials): a rule that tests something about the event wins over them, a catch-all rule gives
way. Its approver, an active user of any role (a manager is often a viewer), is asked to approve each request of
the type as the intake opens it (hub/request_approvals.py). Its fulfilment steps (hub/request_steps.py) are copied
onto each of its requests as the intake opens it, a checklist agents tick off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, aliased

from hub import rulebook
from hub.catalogue_rows import checked_name, flush_named, quoted, set_columns
from hub.domain import Decision, RuleBook
from hub.errors import BadField, Missing
from hub.models import Group, RequestType, Service, User
from hub.names import NAME_WIDTH, is_one_line
from hub.request_questions import Question, checked, from_json
from hub.request_steps import Planned, check_groups
from hub.request_steps import checked as checked_steps
from hub.request_steps import read as read_steps
from hub.routing_defaults import Defaults, over_catch_alls
from hub.service_names import service_id

MAX_SUMMARY = 200
MAX_DESCRIPTION = 5000
_LISTING = "switchboard request-type list"


@dataclass(frozen=True)
class TypeView:
    """A request type as read, its group and service by name."""

    id: int
    name: str
    summary: str
    description: str
    category: str | None
    group: str | None
    service: str | None
    questions: tuple[Question, ...]
    active: bool
    position: int
    approver: str | None = None  # who approves its requests, by address
    steps: tuple[Planned, ...] = ()  # its fulfilment checklist, copied onto each request (hub/request_steps.py)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "summary": self.summary, "description": self.description,
                "category": self.category, "group": self.group, "service": self.service,
                "questions": [q.as_json() for q in self.questions], "active": self.active, "position": self.position,
                "approver": self.approver, "steps": [step.as_json() for step in self.steps]}  # fmt: skip


@dataclass(frozen=True)
class Routing:
    """What a request of an active type gets, for the intake: the type's id, its defaults and its approver."""

    id: int
    name: str
    category: str | None
    group: str | None
    approver_id: int | None = None  # who approves its requests (a user, active or not)
    approver: str | None = None  # their address
    approver_active: bool = False  # False: deactivated since the type was saved (the intake asks no one)
    steps: tuple[Planned, ...] = ()  # copied onto the request as it opens (hub/request_steps.py)

    @property
    def asks_approval(self) -> bool:
        """Whether its requests wait on an approval from their opening (hub/request_approvals.py asks it)."""
        return self.approver_id is not None and self.approver is not None and self.approver_active

    def over_catch_alls(self, decision: Decision, book: RuleBook) -> Decision:
        """The decision with the type's category and group where no specific rule set them, as a desk address's
        defaults are applied (pure)."""
        defaults = Defaults(self.category, self.group, f"request type {self.name}", f"asked for {self.name}",
                            "the request type's defaults, over catch-all rules")  # fmt: skip
        return over_catch_alls(decision, defaults, book)


def _summary(text: str) -> str:
    text = text.strip()
    if not text or len(text) > MAX_SUMMARY or not is_one_line(text):
        raise BadField("summary", f"say in one line of at most {MAX_SUMMARY} characters what is asked for, like "
                                  "“A laptop for a new starter or a replacement”")  # fmt: skip
    return text


def _description(text: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if len(text) > MAX_DESCRIPTION:
        raise BadField("description", f"the description is {len(text):,} characters; at most {MAX_DESCRIPTION:,}")
    return text


def _category(text: str | None) -> str | None:
    text = (text or "").strip()
    if len(text) > NAME_WIDTH or not is_one_line(text):
        raise BadField("category", f"the category is at most {NAME_WIDTH} characters on one line")
    return text or None


def _group_id(session: Session, name: str | None) -> int | None:
    name = (name or "").strip()
    if not name:
        return None
    found = session.scalar(select(Group.id).where(Group.name == name))
    if found is None:
        raise BadField("group", f"there is no group {name!r}: make it on the Groups page or with "
                                f"`switchboard group set {name} --member ...`, or leave the group empty")  # fmt: skip
    return found


def _service_id(session: Session, name: str | None) -> int | None:
    name = (name or "").strip()
    if not name:
        return None
    return service_id(session, name)


def _approver_id(session: Session, email: str | None) -> int | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    found = session.execute(select(User.id, User.active).where(User.email == email)).first()
    if found is None or not found.active:
        raise BadField("approver", f"{email} is not an active user: name someone with an account here (any role; the "
                                   "Users page lists them), or leave the approver empty")  # fmt: skip
    return found.id


def _steps(session: Session, steps: Iterable[str | Planned]) -> list[str | dict[str, str]]:
    """The steps checked, each group among them too, as the row keeps them."""
    planned = checked_steps(steps)
    check_groups(session, planned)
    return [step.as_json() for step in planned]


def _position(value: int | None) -> int:
    if value is None:
        return 0
    if not -10_000 <= value <= 10_000:
        raise BadField("position", "the position is a whole number from -10000 to 10000")
    return value


def add(
    session: Session, *, name: str, summary: str, description: str = "", category: str | None = None,
    group: str | None = None, service: str | None = None, questions: Iterable[Question] = (),
    position: int | None = None, approver: str | None = None, steps: Iterable[str | Planned] = (),
) -> TypeView:  # fmt: skip
    """Add an active request type; `approver`: the address of who approves its requests, if anyone; `steps`: its
    fulfilment checklist (a string: a step without a group)."""
    row = RequestType(name=checked_name(name, "request type"), summary=_summary(summary),
                      description=_description(description), category=_category(category),
                      group_id=_group_id(session, group), service_id=_service_id(session, service),
                      questions=[q.as_json() for q in checked(questions)], position=_position(position),
                      approver_id=_approver_id(session, approver), steps=_steps(session, steps),
                      active=True)  # fmt: skip
    _store(session, row)
    return get(session, row.id)


def change(
    session: Session, name: str, *, new_name: str | None = None, summary: str | None = None,
    description: str | None = None, category: str | None = None, group: str | None = None,
    service: str | None = None, questions: Iterable[Question] | None = None, position: int | None = None,
    active: bool | None = None, approver: str | None = None, author: str = rulebook.SYSTEM,
    steps: Iterable[str | Planned] | None = None,
) -> Changed:  # fmt: skip
    """Change what is given of the request type `name` (None: unchanged; an empty category, group, service or
    approver clears it). Retiring is `active=False`, restoring `active=True`. A new name is given to the rules
    that test the old one in the same transaction (`author` is recorded with their version; see `Changed`)."""
    row = _row(session, name, lock=True)
    old = row.name
    columns: dict[str, Any] = {}
    if new_name is not None:
        columns["name"] = checked_name(new_name, "request type")
    if summary is not None:
        columns["summary"] = _summary(summary)
    if description is not None:
        columns["description"] = _description(description)
    if category is not None:
        columns["category"] = _category(category)
    if group is not None:
        columns["group_id"] = _group_id(session, group)
    if service is not None:
        columns["service_id"] = _service_id(session, service)
    if questions is not None:
        columns["questions"] = [q.as_json() for q in checked(questions)]
    if position is not None:
        columns["position"] = _position(position)
    if approver is not None:
        columns["approver_id"] = _approver_id(session, approver)
    if active is not None:
        columns["active"] = active
    if steps is not None:
        columns["steps"] = _steps(session, steps)
    retested = None
    if set_columns(row, columns):
        _store(session, row)
        if row.name != old:
            retested = rulebook.rename_tested(session, RULE_FIELDS, old, row.name, author=author, what="request type")
    return Changed(get(session, row.id), old, retested)


def set_active(session: Session, name: str, *, active: bool) -> Switched:
    """Retire the request type `name` (`active=False`) or restore it (`True`). When it already is so nothing is
    written (`Switched.changed` False): each door says so and audits only a change, so that a second click or a
    repeated command leaves no entry claiming it did something."""
    row = _row(session, name, lock=True)
    if row.active == active:
        return Switched(get(session, row.id), changed=False)
    return Switched(change(session, row.name, active=active).view, changed=True)


@dataclass(frozen=True)
class Switched:
    """A request type retired or restored, or left as it already was (`changed` False)."""

    view: TypeView
    changed: bool

    def said(self) -> str:
        """What became of it, in words the page flashes and the command line prints."""
        name = self.view.name
        if not self.changed:
            return f"{name} is already {'offered on the help centre' if self.view.active else 'retired'}."
        if self.view.active:
            return f"Request type {name} is offered on the help centre again."
        return f"Request type {name} retired: the help centre no longer offers it."


#: The rule fields that name a request type: what the help centre's requester asked for (rules/conditions.py).
RULE_FIELDS = frozenset({"request_type"})


@dataclass(frozen=True)
class Changed:
    """A request type as changed, and, when it was renamed, what became of the rules that test its name.

    Its requests, pending ones and incidents alike, name it by id, and the intake reads its name when a request
    is confirmed, so they follow a rename by themselves; rules name it in words, so the ones that compare whole
    names (`equals`, `not_equals`, `in`) are rewritten, and the ones that test it by a pattern only listed."""

    view: TypeView
    old_name: str
    rules: rulebook.Retested | None = None  # None: not renamed

    def said(self) -> str:
        """What a rename did to the rules, in words ("" when it was not renamed)."""
        if self.rules is None:
            return ""
        rewritten, by_pattern = self.rules.rewritten, self.rules.by_pattern
        told = f"Renamed from {self.old_name}: "
        if rewritten:
            verb = "tests" if len(rewritten) == 1 else "test"
            told += f"{quoted('rule', 'rules', rewritten)} now {verb} the new name"
        else:
            told += "no rule tested the old name by its whole name"
        if by_pattern:
            told += (f". Not rewritten, as {'it tests' if len(by_pattern) == 1 else 'they test'} the name by a "
                     f"pattern that now answers differently: {quoted('rule', 'rules', by_pattern)}; "
                     "change them on the Rules page if they meant this type")  # fmt: skip
        return told + "."

    def detail(self) -> dict[str, object]:
        """What the audit log keeps of the rename ({} when there was none)."""
        if self.rules is None:
            return {}
        return {"renamed_from": self.old_name, "rules_rewritten": list(self.rules.rewritten),
                "rules_not_rewritten": list(self.rules.by_pattern)}  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        """The type as the API gives it, with `renamed` (the rules rewritten and those not) after a rename."""
        renamed = {"renamed": {"from": self.old_name, "rules_rewritten": list(self.rules.rewritten),
                               "rules_not_rewritten": list(self.rules.by_pattern)}} if self.rules else {}  # fmt: skip
        return {**self.view.as_json(), **renamed}


def _store(session: Session, row: RequestType) -> None:
    _refuse_a_name_in_other_case(session, row)
    flush_named(session, row, "request type", _LISTING)


def _refuse_a_name_in_other_case(session: Session, row: RequestType) -> None:
    """A name another type has in other letter case is refused, as the database refuses the same name: rules
    compare names whatever their case (rules/conditions.py), so "VPN access" and "vpn access" would be one type to
    them. The catalogue is a few dozen names, compared here in Python, whose case folding is Unicode's (SQLite's
    lower() folds ASCII only)."""
    others = select(RequestType.name)
    if row.id is not None:
        others = others.where(RequestType.id != row.id)
    folded = row.name.casefold()
    with session.no_autoflush:  # the row's new name is flushed by flush_named, which answers a clash of its own
        names = session.scalars(others).all()
    clash = next((name for name in names if name.casefold() == folded and name != row.name), None)
    if clash is not None:
        raise BadField("name", f"there is already a request type named {clash!r}, which rules cannot tell from "
                               f"{row.name!r}; choose another name, or rename that one")  # fmt: skip


def _row(session: Session, name: str, *, lock: bool = False) -> RequestType:
    query = select(RequestType).where(RequestType.name == name.strip())
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise Missing(f"there is no request type {name.strip()!r}; `{_LISTING}` shows them")
    return row


_GROUP, _SERVICE, _APPROVER = aliased(Group), aliased(Service), aliased(User)
_VIEW = (
    select(RequestType, _GROUP.name, _SERVICE.name, _APPROVER.email)
    .outerjoin(_GROUP, _GROUP.id == RequestType.group_id)
    .outerjoin(_SERVICE, _SERVICE.id == RequestType.service_id)
    .outerjoin(_APPROVER, _APPROVER.id == RequestType.approver_id)
)


def _view(row: RequestType, group: str | None, service: str | None, approver: str | None) -> TypeView:
    questions = from_json(row.questions or [])  # stored checked, so read back as written
    return TypeView(row.id, row.name, row.summary, row.description, row.category, group, service, questions,
                    row.active, row.position, approver, read_steps(row.steps))  # fmt: skip


def listing(session: Session, *, active_only: bool = False) -> list[TypeView]:
    """The request types by position, then name: the active ones first unless `active_only` leaves out the rest."""
    query = _VIEW.order_by(RequestType.active.desc(), RequestType.position, RequestType.name)
    if active_only:
        query = query.where(RequestType.active.is_(True))
    return [_view(*row) for row in session.execute(query)]


def get(session: Session, type_id: int) -> TypeView:
    """The request type with this id; Missing when there is none."""
    row = session.execute(_VIEW.where(RequestType.id == type_id)).first()
    if row is None:
        raise Missing(f"there is no request type {type_id}; `{_LISTING}` shows them")
    return _view(*row)


def named(session: Session, name: str) -> TypeView:
    """The request type named `name`; Missing when there is none."""
    return get(session, _row(session, name).id)


def offered(session: Session, type_id: int, field: str = "request_type") -> TypeView:
    """The active request type a help-centre form names; BadField about `field` when it is retired or gone (a form
    opened before an admin retired it)."""
    row = session.execute(_VIEW.where(RequestType.id == type_id)).first()
    if row is None or not row[0].active:
        raise not_offered(field)
    return _view(*row)


def not_offered(field: str = "request_type") -> BadField:
    """The help centre's one refusal of a request type it does not offer: retired, gone, or not a type's id at all
    (a tampered address); the requester cannot tell these apart, nor needs to."""
    return BadField(field, "that kind of request is no longer offered: choose another from the list, or describe "
                           "what you need under “I need something”")  # fmt: skip


_ROUTING = (
    select(RequestType.id, RequestType.name, RequestType.category, Group.name, User.id, User.email, User.active,
           RequestType.steps)
    .outerjoin(Group, Group.id == RequestType.group_id)
    .outerjoin(User, User.id == RequestType.approver_id)
    .where(RequestType.active.is_(True))
)  # fmt: skip


def _routing(row: Any) -> Routing:
    type_id, type_name, category, group, approver_id, approver, active, steps = row
    return Routing(type_id, type_name, category, group, approver_id, approver, bool(active), read_steps(steps))


def routing(conn: Connection, name: str | None) -> Routing | None:
    """The active request type named `name` with its defaults and approver, in the intake's transaction; None when
    `name` is None or names no active type. One query, read once per event by the intake."""
    if not name:
        return None
    row = conn.execute(_ROUTING.where(RequestType.name == name)).first()
    return None if row is None else _routing(row)


def routings(conn: Connection) -> dict[str, Routing]:
    """Every active request type by name, as `routing` reads one: for a trial of the rules over many events
    (rules/backtest.py), one query per run instead of one per event."""
    return {row[1]: _routing(row) for row in conn.execute(_ROUTING)}


def name_of(session: Session | Connection, type_id: int | None) -> str | None:
    """The name of the request type with this id (retired or not), None for none."""
    if type_id is None:
        return None
    return session.execute(select(RequestType.name).where(RequestType.id == type_id)).scalar()
