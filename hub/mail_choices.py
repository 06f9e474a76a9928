"""Which mail each person lets the desk send them (their choice on /account), and the one rule that applies it.

Whoever owes a person a notice (hub/recipients.py, hub/escalation.py, hub/incident_notes.py, hub/step_turns.py)
reads its recipients' choices in the statement that already checks they are active users, and asks `wants` before
it composes the mail: a notice turned down is never written to the outbox, and the timeline says so
(hub/outbox.py::turned_down). Mail someone relies on reaching them has no switch: escalation pages, on-call
shifts and major-incident pages and their stand-downs (someone is counting on the page), SLA breaches, a published
post-incident review to those it concerns, and mail carrying a sign-in or confirmation link or about a password
or two-factor authentication. `wants` knows only the kinds a person can turn off, so any other is sent.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from hub.errors import BadInput
from hub.models import User
from hub.prepared import Prepared

#: Priorities run from 1 (highest) to 5, so mail "up to P5" is every incident's and "up to P0" none.
EVERY_PRIORITY = 5
NEVER = 0


@dataclass(frozen=True)
class MailChoices:
    """What a person chose. The defaults are everything on: someone who never chose gets what everyone got before."""

    #: Incidents assigned to them or their group, from the assignment on (resolved, reopened, stopped flapping):
    #: mail only for priorities 1 to this.
    assigned_up_to: int = EVERY_PRIORITY
    mentioned: bool = True  # a colleague @mentions them in an internal note
    watching: bool = True  # incidents they watch and are not assigned
    replies: bool = True  # the requester replied on an incident assigned to them
    sla_warnings: bool = True  # an SLA clock of theirs nears its target (a breach is always sent)
    steps: bool = True  # a request's checklist comes to a step their group does (hub/step_turns.py)


DEFAULTS = MailChoices()
#: Every choice, by name: what the API reads and writes.
NAMES = tuple(f.name for f in fields(MailChoices))
#: The choices that are on or off.
_ON_OFF = tuple(f.name for f in fields(MailChoices) if f.type == "bool")

#: What an assignee hears of an incident that is theirs: the assignment choice decides, by priority.
_THEIRS = frozenset({"assigned", "resolved", "reopened", "stable"})
#: What a watcher hears of an incident they watch: `watching` decides (an escalation's own targets are paged).
_WATCHED = frozenset({"resolved", "reopened", "stable", "requester_replied", "escalated"})
#: Notices one on/off choice decides, by the notice's kind.
_SWITCHES = {
    "mentioned": attrgetter("mentioned"),
    "requester_replied": attrgetter("replies"),
    "sla_warning": attrgetter("sla_warnings"),
    "step": attrgetter("steps"),
}


def wants(choices: MailChoices, kind: str, priority: int | None, *, watcher: bool = False) -> bool:
    """Whether the person whose `choices` these are is sent a notice of `kind` about an incident of `priority`.
    `watcher`: they hear of it only because they watch the incident. Every other kind is sent whatever they chose."""
    if watcher and kind in _WATCHED:
        return choices.watching
    if kind in _THEIRS:
        return priority is None or priority <= choices.assigned_up_to
    switch = _SWITCHES.get(kind)
    return switch is None or bool(switch(choices))


def sift(
    people: Mapping[str, MailChoices], kind: str, priority: int | None, *, watchers: Collection[str] = ()
) -> tuple[list[str], list[str]]:
    """`people` (with their choices), in order, split into those sent a notice of `kind` and those who turned it
    down; those in `watchers` hear of it only as watchers."""
    told: list[str] = []
    declined: list[str] = []
    for person, choices in people.items():
        (told if wants(choices, kind, priority, watcher=person in watchers) else declined).append(person)
    return told, declined


def read(value: Any) -> MailChoices:
    """Choices as a users row keeps them: JSON text (SQLite's driver), decoded (PostgreSQL's, or through the ORM),
    or None. What is not understood reads as the default, so a damaged value never stops anyone's mail."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return DEFAULTS
    if not isinstance(value, dict) or not value:
        return DEFAULTS
    up_to = value.get("assigned_up_to")
    known: dict[str, Any] = {}
    if type(up_to) is int and NEVER <= up_to <= EVERY_PRIORITY:
        known["assigned_up_to"] = up_to
    known |= {name: value[name] for name in _ON_OFF if type(value.get(name)) is bool}
    return MailChoices(**known)


def parsed(body: Mapping[str, Any], base: MailChoices, *, every: bool) -> MailChoices:
    """Choices sent as JSON (the API's), the values the account page offers and no others: `assigned_up_to` a
    whole number from 0 (never) to 5 (every priority), the rest true or false. With `every`, each choice must be
    given (a PUT); else those given change `base` (a PATCH). BadInput names what to fix; nothing is half taken."""
    if unknown := sorted(set(body) - set(NAMES)):
        raise BadInput(f"unknown choice(s) {', '.join(unknown)[:200]}; the choices are {', '.join(NAMES)}")
    if missing := ([name for name in NAMES if name not in body] if every else []):
        raise BadInput(f"send every choice ({', '.join(missing)} missing), or PATCH only those that change")
    if not body:
        raise BadInput(f"send any of the choices: {', '.join(NAMES)}")
    up_to = body.get("assigned_up_to", base.assigned_up_to)
    if type(up_to) is not int or not NEVER <= up_to <= EVERY_PRIORITY:
        raise BadInput(f"'assigned_up_to' is a whole number from {NEVER} (never) to {EVERY_PRIORITY} (P1 to P5: "
                       "every priority)")  # fmt: skip
    if wrong := [name for name in _ON_OFF if name in body and type(body[name]) is not bool]:
        raise BadInput(f"{', '.join(map(repr, wrong))} {'is' if len(wrong) == 1 else 'are'} true or false")
    return replace(base, assigned_up_to=up_to, **{name: body[name] for name in _ON_OFF if name in body})


def stored(choices: MailChoices) -> dict[str, Any] | None:
    """What the users row keeps: the choices that differ from the defaults, or None when none do."""
    defaults = asdict(DEFAULTS)
    differ = {name: value for name, value in asdict(choices).items() if value != defaults[name]}
    return differ or None


#: An active user's choices, by address; no row for a group's name. It is the statement that tells a person from a
#: group for the assignment mail, on the ingest path, so the choices cost that path nothing more.
_OF_ACTIVE_USER = Prepared(
    select(User.mail_choices).where(User.email == bindparam("email"), User.active.is_(True)), ("email",)
)


def of_active_user(conn: Connection, email: str) -> MailChoices | None:
    """The choices of the active user with this address; None when it is no active user's (a group's name)."""
    row = _OF_ACTIVE_USER.first(conn, {"email": email.lower()})
    return None if row is None else read(row[0])


def of_active(conn: Connection, emails: Iterable[str]) -> dict[str, MailChoices]:
    """The choices of those `emails` that are active users' (lower-cased, in the order given, each once), read in
    one statement for all the recipients of a change."""
    wanted = list(dict.fromkeys(e.lower() for e in emails if e))
    if not wanted:
        return {}
    query = select(User.email, User.mail_choices).where(User.email.in_(wanted), User.active.is_(True))
    found = {email: read(value) for email, value in conn.execute(query)}
    return {e: found[e] for e in wanted if e in found}


def of(session: Session, email: str) -> MailChoices:
    """A person's own choices, as their account page shows them."""
    return of_user(session, email) or DEFAULTS


def of_user(session: Session, email: str, *, lock: bool = False) -> MailChoices | None:
    """The choices of the user with this address (active or not; any case); None when there is no such user.
    `lock`: the row is locked till the commit, so changes made from what was read take turns."""
    query = select(User.mail_choices).where(User.email == email.strip().lower())
    row = session.execute(query.with_for_update() if lock else query).first()
    return None if row is None else read(row[0])


def choose(session: Session, email: str, choices: MailChoices) -> dict[str, Any] | None:
    """Keep a person's new choices; returns what changed (name: new value), None when nothing did."""
    before = asdict(of(session, email))
    changed = {name: value for name, value in asdict(choices).items() if value != before[name]}
    if not changed:
        return None
    session.execute(update(User).where(User.email == email.lower()).values(mail_choices=stored(choices)))
    return changed
