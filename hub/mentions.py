"""@mentions in internal notes: "@bob, can you check the switch?" mails Bob the note (pure: finding and matching).

A mention names a colleague by their whole address (`@bob@example.com`) or by the part before the @ (`@bob`) when
only one active user's address starts so. What matches no one, or more than one, is said back to the writer
rather than guessed at: a note meant for Bob must not reach another Bob.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from hub.addresses import APOSTROPHES

#: An @ that starts a word (not the @ inside an address written out), then a local part and perhaps a domain. An
#: apostrophe belongs to the name ("@o'brien" is not "@o", who may be someone else; o'brien@ is a valid address).
_HANDLE = re.compile(rf"(?<![\w.%+@-])@([a-z0-9][a-z0-9._%+{APOSTROPHES}-]*(?:@[a-z0-9-]+(?:\.[a-z0-9-]+)*)?)",
                     re.IGNORECASE)  # fmt: skip
#: What a name's end is not part of it: a sentence's full stop, a dash, an apostrophe ("@james'").
_TRAILING = f".-{APOSTROPHES}"
#: A possessive after a name ("@ann's note"), tried off when the name with it matches no one.
_POSSESSIVES = tuple(f"{apostrophe}s" for apostrophe in APOSTROPHES)
#: More than this many names in one note is a mail merge, not a mention.
MOST = 20
#: The note box suggests from at most this many people: enough for a desk, and the page stays small.
SUGGESTED = 500
#: How many it suggests for what has been typed after an @, when those are not enough (web/static/mentions.js).
SUGGESTED_AS_TYPED = 20


@dataclass(frozen=True)
class Mentions:
    """Who a note mentions: the users to tell, and the names that match no one or more than one; once it is saved,
    those mentioned who turned mention mail off (hub/mail_choices.py) are `not_mailed` rather than told."""

    people: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    not_mailed: tuple[str, ...] = ()


NONE = Mentions()


def handles(text: str) -> tuple[str, ...]:
    """The names mentioned, lower-cased, each once, in the order written; a sentence's full stop is not a name's."""
    found = (match.group(1).rstrip(_TRAILING).lower() for match in _HANDLE.finditer(text))
    return tuple(dict.fromkeys(name for name in found if name))[:MOST]


def resolve(names: Collection[str], people: Collection[str]) -> Mentions:
    """Match each name against the active users' addresses (lower-cased): a whole address exactly, a bare name
    by the part before the @ when exactly one address has it; "ann's" is ann when no address starts "ann's@"."""
    by_local: dict[str, list[str]] = {}
    for address in people:
        by_local.setdefault(address.partition("@")[0], []).append(address)
    everyone = set(people)
    told: list[str] = []
    unknown: list[str] = []
    ambiguous: list[str] = []
    for name in names:
        if "@" in name:
            (told if name in everyone else unknown).append(name)
            continue
        key = name if name in by_local else _without_possessive(name)
        matches = by_local.get(key, [])
        if len(matches) == 1:
            told.append(matches[0])
        elif matches:
            ambiguous.append(key)
        else:
            unknown.append(key)
    return Mentions(tuple(dict.fromkeys(told)), tuple(unknown), tuple(ambiguous))


def could_mean(name: str) -> tuple[str, ...]:
    """The parts before an @ a bare name could be: itself, and without a possessive ("ann's": ann's, ann), for the
    reads that gather the users `resolve` chooses among."""
    return tuple(dict.fromkeys((name, _without_possessive(name))))


def _without_possessive(name: str) -> str:
    for possessive in _POSSESSIVES:
        if name.endswith(possessive):
            return name[: -len(possessive)]
    return name


@dataclass(frozen=True)
class Suggestion:
    """A colleague the note box offers: their address, the name to write that reaches them and no one else, and
    their display name (hub/people.py), if they have one, to pick them by; never written into the note, since two
    people may share it and `resolve` does not read it."""

    address: str
    handle: str
    name: str | None = None

    def as_data(self) -> dict[str, str]:
        """What the page's script reads (web/static/mentions.js): `name` only for those who have one."""
        return {"address": self.address, "handle": self.handle, **({"name": self.name} if self.name else {})}


def suggestions(
    people: Collection[str], most: int = SUGGESTED, names: Mapping[str, str] | None = None
) -> list[Suggestion]:
    """What to offer as the writer types `@`: each address (in order) with the part before its @ when no other
    active user's address has it, else the whole address; `resolve` reads each back as that person and no one
    else. Addresses no mention could reach (a character a name cannot hold) are left out, not offered to fail.
    `names` are the display names by address, shown beside."""
    names = names or {}
    by_local: dict[str, int] = {}
    for address in people:
        local = address.partition("@")[0]
        by_local[local] = by_local.get(local, 0) + 1
    offered: list[Suggestion] = []
    for address in sorted(people):
        local = address.partition("@")[0]
        for handle in (local, address) if by_local[local] == 1 else (address,):
            if handles(f"@{handle}") == (handle,):  # it survives being read back out of a note
                offered.append(Suggestion(address, handle, names.get(address)))
                break
        if len(offered) == most:
            break
    return offered


def refusals(said: Mentions) -> str:
    """What to tell the writer about the names that reached no one ("" when all did)."""
    parts = []
    if said.unknown:
        parts.append("no user is called " + ", ".join(f"@{name}" for name in said.unknown))
    if said.ambiguous:
        parts.append(", ".join(f"@{name}" for name in said.ambiguous) + " could be more than one user; "
                     "write the whole address")  # fmt: skip
    return "; ".join(parts)


def outcome(said: Mentions) -> str:
    """What a saved note's writer is told of its mentions, after "note added": whom it was mailed to, who chose
    not to be, and the names that reached no one ("" when it mentions no one). The page and the command line say
    the same."""
    result = f"; mailed to {', '.join(said.people)}" if said.people else ""
    if said.not_mailed:
        result += f"; not mailed to {', '.join(said.not_mailed)}, who turned mention mail off"
    refused = refusals(said)
    return f"{result} ({refused}: no one was told of those)" if refused else result
