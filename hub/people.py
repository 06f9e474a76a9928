"""How the desk names a person to a requester: their display name, or the part of their address before the @,
capitalised; never the whole address, which would hand an agent's mailbox to everyone they answer. And whether a
sender's display name is plain enough to greet them by ("Hello Ann,")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from hub.account_names import DESK_TOKEN
from hub.addresses import WRITTEN
from hub.errors import BadInput
from hub.models import Incident, User
from hub.names import NAME_WIDTH, is_one_line

#: The longest name a greeting uses; longer is more likely a slogan or a company than a person.
GREETING_WIDTH = 40
#: Letters (any script), spaces, and the marks names carry: O'Brien, Anne-Marie, J. Smith.
_PLAIN = re.compile(r"[^\W\d_]+(?:[ '\u2019.\-][^\W\d_]*)*", re.UNICODE)


def check_display_name(name: str) -> str | None:
    """`name` stripped (None when blank: back to the address's local part), or BadInput saying what fits."""
    name = " ".join(name.split())
    if not name:
        return None
    if len(name) > NAME_WIDTH or not is_one_line(name) or "@" in name or "<" in name or ">" in name:
        raise BadInput(f"a display name is up to {NAME_WIDTH} characters on one line, without @ < > "
                       "(it signs your replies, as in 'Alice Smith for the service desk')")  # fmt: skip
    return name


def signature(display_name: str | None, email: str) -> str:
    """Who signs a reply: the display name, else the address's local part capitalised (alice.smith -> Alice.smith);
    a desk token (`token:chatops`) by its name (Chatops), since the requester has no use for how the desk tells its
    tokens from its people."""
    if display_name:
        return display_name
    local = email.removeprefix(DESK_TOKEN).partition("@")[0] or "An agent"
    return local[:1].upper() + local[1:]


def names_of(conn: Connection, emails: Iterable[str | None]) -> dict[str, str]:
    """The display names of those of these addresses that have one, by lower-cased address: what a page shows for
    the people on it (an assignee, who wrote an entry). One read for the whole page, however many rows it has."""
    wanted = sorted({email.lower() for email in emails if email and "@" in email})
    if not wanted:
        return {}
    found = conn.execute(select(User.email, User.display_name).where(User.email.in_(wanted),
                                                                     User.display_name.is_not(None)))  # fmt: skip
    return {row.email: row.display_name for row in found}


def on_timeline(incident: Incident) -> list[str]:
    """Whom an incident's timeline names, for `names_of`: who did each entry (its `by`) and the addresses its
    summaries write ("Assigned to ann@example.com by bob@example.com"), read from what the page already loaded."""
    by = [by for entry in incident.timeline if isinstance(by := (entry.data or {}).get("by"), str)]
    return [*by, *(address for entry in incident.timeline for address in WRITTEN.findall(entry.summary))]


@dataclass(frozen=True)
class Named:
    """A colleague's address in a line of text, with the display name a page shows it by."""

    address: str  # as written, whatever its case
    name: str


def with_names(text: str, names: Mapping[str, str]) -> list[str | Named]:
    """`text` (a timeline entry's summary) cut at the addresses of those `names` (from `names_of`) names: the stretches
    between as written, each such address a `Named`. The stored text stays the record; only its showing names them,
    an address no one named staying an address (a requester's, someone's without a display name)."""
    parts: list[str | Named] = []
    start = 0
    for match in WRITTEN.finditer(text):
        named = names.get(match.group().lower())
        if named is None:
            continue
        parts += [text[start : match.start()], Named(match.group(), named)]
        start = match.end()
    return [part for part in [*parts, text[start:]] if part != ""]


def label(email: str, names: Mapping[str, str]) -> str:
    """A colleague in plain text, for agents, where markup cannot go (a mail, a tooltip): "Ann Lee
    (ann@example.com)" when `names` (from `names_of`) has their display name, else the address. The address stays
    beside the name: names need not be unique, and it is what the address fields take. (Pages name them in markup
    with web/templates/_person.html, the address on hover.)"""
    named = names.get(email.lower())
    return f"{named} ({email})" if named else email


def labels(conn: Connection, emails: Sequence[str]) -> list[str]:
    """`label` of each of these addresses, their names read at once: for a mail or a message that names a few."""
    names = names_of(conn, emails)
    return [label(email, names) for email in emails]


def greeting_name(sender_name: str | None) -> str | None:
    """The sender's display name, to greet them by, when it looks like a person's: short, letters and the marks
    names carry, no address, digits or brackets; None otherwise ("Hello," then). A directory's "Last, First" (one
    comma, a plain name either side) greets the first name, "Hello Ann,", unless what follows the comma is a
    company's or a suffix's word ("Acme, Inc.", "Smith, Jr.")."""
    name = " ".join((sender_name or "").split())
    last, comma, first = name.partition(",")
    if comma and "," not in first:
        last, first = last.strip(), first.strip()
        if _plain(last) and _plain(first) and first.rstrip(".").casefold() not in _NOT_FIRST_NAMES:
            return first
        return None
    return name if _plain(name) else None


#: Words after a comma that make "X, Y" a company or a suffixed name, not "Last, First".
_NOT_FIRST_NAMES = frozenset(
    ("inc", "ltd", "llc", "llp", "plc", "gmbh", "ag", "kg", "sa", "sas", "srl", "bv", "nv", "oy", "ab", "as", "co",
     "corp", "limited", "pty ltd", "jr", "sr", "ii", "iii", "iv", "phd", "md", "esq")
)  # fmt: skip


def _plain(name: str) -> bool:
    return bool(name) and len(name) <= GREETING_WIDTH and _PLAIN.fullmatch(name) is not None
