"""What counts as an email address where people give one (users, desks, channels, group members)."""

from __future__ import annotations

import hashlib
import hmac
import re

#: The longest address there can be (RFC 5321's 64-character local part, @, 255-character domain): the width of
#: every address column, which PostgreSQL enforces.
ADDRESS_WIDTH = 320
_ADDRESS = re.compile(r"[^@\s<>\x00-\x1f\x7f]+@[^@\s<>\x00-\x1f\x7f]+")
#: Apostrophes (straight, typographic, modifier letter): inside a local part they are the address's (o'brien@ is
#: one, and a name's @mention of it, hub/mentions.py); around one, the text's quotes. Names join their parts with
#: them too (hub/name_words.py).
APOSTROPHES = "'\u2019\u02bc"
_APOSTROPHE = f"[{APOSTROPHES}]"
#: What else a local part written in text holds besides letters and digits. Quotes (but the apostrophes inside),
#: backticks, braces and bars are left out: rare there, common around an address.
_LOCAL = r"\w.!#$%&*+/=?^~-"
#: An address written in a line of text (a timeline entry's summary): a local part from a letter or digit on, @, then
#: dot-separated labels, so the brackets, quotes and full stop around "('ann@example.com')." are the text's. A match
#: starts only where a run of local-part characters starts (not after one, nor after a letter and an apostrophe, as
#: the "brien" of o'brien), so a long run is read once, not once from each of its characters (a summary holds a
#: mail's subject).
WRITTEN = re.compile(rf"(?<![{_LOCAL}])(?<!\w{_APOSTROPHE})\w[{APOSTROPHES}{_LOCAL}]*@[\w-]+(?:\.[\w-]+)*")


def is_address(text: str) -> bool:
    """Whether `text` (already stripped) is one address: something@somewhere, no spaces, angle brackets or
    control characters, and no longer than an address can be."""
    return len(text) <= ADDRESS_WIDTH and _ADDRESS.fullmatch(text) is not None


#: Where erased requesters' pseudonyms live: `.invalid` is reserved (RFC 2606), so no mail can ever reach one.
ERASED_DOMAIN = "invalid"


def pseudonym(address: str, key: str) -> str:
    """The stand-in an erased requester's address becomes (`erased-<12 hex>@invalid`): the same for the same
    address, so counts and reports still see one person, but keyed with the installation's secret, so no one can
    find out whether an address was erased by hashing guesses."""
    digest = hmac.new(key.encode(), address.strip().lower().encode(), hashlib.sha256).hexdigest()
    return f"erased-{digest[:12]}@{ERASED_DOMAIN}"


def is_pseudonym(address: str | None) -> bool:
    """Whether `address` is an erased requester's stand-in: nothing may be mailed to it."""
    return address is not None and address.lower().endswith(f"@{ERASED_DOMAIN}")


#: Where only automatic mail comes from: delivery reports, and senders that say no one reads what is sent back.
_AUTOMATIC_SENDERS = ("mailer-daemon@", "postmaster@", "noreply@", "no-reply@", "donotreply@")


def is_automatic_sender(address: str) -> bool:
    """Whether mail from `address` is automatic (ingest/mail.py), so the desk writes nothing back to it of its own
    accord (hub/requester_mail_gate.py)."""
    return address.strip().lower().startswith(_AUTOMATIC_SENDERS)
