"""A requester's names in the desk's own free text ("Spoke to Jane Doe, she will reboot"), found for the preview
and replaced by their pseudonym on erasure (hub/requester_erasure.py; docs/privacy.md says why each limit).

- Their names are those they gave the desk: their contact's name and the display names their mail carried next
  to their address (`From: Jane Doe <jane@...>`). Only full names count (two words or more): a first name alone
  ("Jo" in "Jo's laptop") belongs to someone else as often as to them.
- A name matches as whole words, in any case, across line breaks, with a straight or typographic apostrophe (O'Brien),
  composed or decomposed accents (Zoë), and not inside a longer word or a hyphenated one (Mary-Jane Doe is not
  Jane Doe); a possessive ("Jane Doe's laptop") is theirs.
- Only the incidents linked to them are searched (requested by them, or where their mail landed): a name is not
  an address, and rewriting every "Jane Doe" in the database would rewrite other people's records.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from email import policy
from email.errors import HeaderParseError
from email.parser import BytesHeaderParser
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.models import (
    Contact,
    Event,
    Incident,
    IncidentReview,
    MajorIncident,
    OutboxMessage,
    TimeEntry,
    TimelineEntry,
)
from hub.reviews import FIELDS as REVIEW_TEXTS
from hub.statements import HEADERS_MAX

#: Fewer words than this is a first name (or a nickname): too often someone else's to erase.
MIN_WORDS = 2
#: A letter, digit or combining accent: what a name may not touch on either side.
_WORD = r"[\w\u0300-\u036f]"
#: The apostrophes people type in names: straight, typographic, modifier letter.
_APOSTROPHES = "'\u2019\u02bc"
_NOTHING = re.compile(r"(?!)")


@dataclass(frozen=True)
class Named:
    """Their full names, and the rows of their linked incidents that name them, by kind (Holdings' fields)."""

    names: tuple[str, ...] = ()
    names_in_incidents: tuple[int, ...] = ()  # title, description, resolution, public note, labels
    names_in_timeline: tuple[int, ...] = ()  # notes, replies, mail, what the rules wrote
    names_in_outbox: tuple[int, ...] = ()  # notices to others
    names_in_time_entries: tuple[int, ...] = ()
    names_in_major_incidents: tuple[int, ...] = ()
    names_in_reviews: tuple[int, ...] = ()


def full_name(text: str | None) -> str | None:
    """`text` as a name to look for (spaces collapsed), or None when it is not a full name: fewer than two words
    with letters, or an address (the address is replaced on its own)."""
    name = " ".join((text or "").split())
    words_with_letters = [w for w in name.split() if any(c.isalpha() for c in w)]
    return name if len(words_with_letters) >= MIN_WORDS and "@" not in name else None


def names_in_mail(raw: bytes, address: str) -> list[str]:
    """The display names a message's From header gives `address` (decoded, as a reader sees them)."""
    try:
        header = BytesHeaderParser(policy=policy.default).parsebytes(bytes(raw[:HEADERS_MAX]))["From"]
        found = getattr(header, "addresses", ())
        return [a.display_name for a in found if a.addr_spec.lower() == address and a.display_name]
    except (HeaderParseError, ValueError, IndexError, TypeError, AttributeError, LookupError):
        return []  # a From header no parser reads names no one


def known_names(candidates: Iterable[str | None]) -> tuple[str, ...]:
    """The full names among `candidates`, once each (in any case), longest first so a longer name wins."""
    seen: dict[str, str] = {}
    for candidate in candidates:
        name = full_name(candidate)
        if name is not None:
            seen.setdefault(unicodedata.normalize("NFC", name).casefold(), name)
    return tuple(sorted(seen.values(), key=lambda n: (-len(n), n)))


def pattern(names: Iterable[str]) -> re.Pattern[str]:
    """One expression matching any of `names` as whole words, in any case (see the module's docstring)."""
    forms = {unicodedata.normalize(form, name) for name in names for form in ("NFC", "NFD")}
    if not forms:
        return _NOTHING
    alternatives = "|".join(_words(name) for name in sorted(forms, key=lambda n: (-len(n), n)))
    edge_before = rf"(?<!{_WORD})(?<!{_WORD}[-{_APOSTROPHES}])"
    edge_after = rf"(?!{_WORD})(?!-{_WORD})"
    return re.compile(rf"{edge_before}(?:{alternatives}){edge_after}", re.IGNORECASE)


def _words(name: str) -> str:
    apostrophe = f"[{_APOSTROPHES}]"
    return r"\s+".join("".join(apostrophe if c in _APOSTROPHES else re.escape(c) for c in w) for w in name.split())


def names_in(found: re.Pattern[str], value: Any) -> bool:
    """Whether text, or any key or string in a JSON value, holds a match of `found`."""
    if isinstance(value, str):
        return found.search(value) is not None
    if isinstance(value, dict):
        return any(names_in(found, k) or names_in(found, v) for k, v in value.items())
    if isinstance(value, list):
        return any(names_in(found, v) for v in value)
    return False


def find(session: Session, address: str, *, incidents: tuple[int, ...], messages: tuple[int, ...],
         contacts: tuple[int, ...], outbox: tuple[int, ...]) -> Named:  # fmt: skip
    """Their names (from `contacts` and the mail among `messages`) and the rows naming them in the incidents
    linked to them: `incidents` they requested and those their `messages` landed in. Mail to them (`outbox`) is
    erased whole, so not searched."""
    heads = session.scalars(
        select(func.substr(Event.raw, 1, HEADERS_MAX)).where(Event.id.in_(messages), Event.source == "email")
    )
    names = known_names(
        [*session.scalars(select(Contact.name).where(Contact.id.in_(contacts))),
         *(name for head in heads for name in names_in_mail(bytes(head), address))]
    )  # fmt: skip
    if not names:
        return Named()
    landed = session.scalars(select(Event.incident_id).where(Event.id.in_(messages), Event.incident_id.is_not(None)))
    linked = sorted({*incidents, *landed})
    found = pattern(names)

    def naming(key: Any, incident: Any, *columns: Any, also: Any = None) -> tuple[int, ...]:
        query = select(key, *columns).where(incident.in_(linked)).order_by(key)
        rows = session.execute(query if also is None else query.where(also))
        return tuple(row[0] for row in rows if any(names_in(found, value) for value in row[1:]))

    incident_texts = (Incident.title, Incident.description, Incident.resolution, Incident.public_note, Incident.labels)
    notice_texts = (OutboxMessage.subject, OutboxMessage.body, OutboxMessage.html, OutboxMessage.facts,
                    OutboxMessage.payload)  # fmt: skip
    reviews = session.scalars(select(IncidentReview).where(IncidentReview.incident_id.in_(linked))).all()
    return Named(
        names=names,
        names_in_incidents=naming(Incident.id, Incident.id, *incident_texts),
        names_in_timeline=naming(
            TimelineEntry.id, TimelineEntry.incident_id, TimelineEntry.summary, TimelineEntry.data
        ),
        names_in_outbox=naming(
            OutboxMessage.id, OutboxMessage.incident_id, *notice_texts, also=OutboxMessage.id.not_in(outbox)
        ),
        names_in_time_entries=naming(TimeEntry.id, TimeEntry.incident_id, TimeEntry.what),
        names_in_major_incidents=naming(
            MajorIncident.id, MajorIncident.incident_id, MajorIncident.reason, MajorIncident.end_note
        ),
        names_in_reviews=tuple(
            sorted(
                review.id
                for review in reviews
                if any(names_in(found, getattr(review, name)) for name in REVIEW_TEXTS)
                or any(names_in(found, action.text) or names_in(found, action.owner) for action in review.actions)
            )
        ),
    )
