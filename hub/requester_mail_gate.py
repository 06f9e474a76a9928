"""Whether a requester may be sent an automatic mail about their request, and if not, why.

One rule for every mail the desk writes to a requester of its own accord about a change to their request: its
resolution (hub/recipients.py::state_change_notices), its merge into another (recipients.merged_notices), and the
resolution of the incident it was merged into (hub/merged_requesters.py). Each of those once kept its own list of
checks, and a requester could be mailed by one path where another held back: told twice of one resolution, or
sent a resolution though the desk had not acknowledged their mail because no one typed it.

Pure: the callers read the facts in the statement that already reads the request, and ask. Decided here is
*whether* this person is written to at all. *When* is the outbox's (hub/outbox.py), which every automatic mail
passes: the caps per address and per request, which break loops, and the pause after an address bounced. A
requester has no mail choices (hub/mail_choices.py covers the desk's own people, as followers), and an agent's
hand-written reply is not automatic mail, so neither is asked about here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum

from hub.addresses import is_automatic_sender, is_pseudonym
from hub.domain import PERSON_SOURCES, UNVERIFIED


class Refusal(Enum):
    """Why a requester is not mailed; the value completes "No ... mail to them: <value>"."""

    NOT_ASKED = "no person asked for it (an alert's incident has no requester to tell)"
    NO_ADDRESS = "it has no requester's address"
    TOLD = "they are told of this already, or made the change themselves"
    ERASED = "the requester asked to be erased: there is no one to tell"
    DESK = "the address is the desk's own"
    NO_REPLY = "the address is one only automatic mail comes from (no-reply)"
    AUTOMATIC = "the mail that opened this was sent automatically (no one typed it), so the desk answers it nothing"
    UNVERIFIED = "the mail that opened this was not verified as theirs by the receiving mail server"

    @property
    def noted(self) -> bool:
        """Whether the request's timeline says so: the agent, who sees the requester's address there, would
        otherwise expect them to have been told. The rest are plain from the page (or are the agent's own doing)."""
        return self in _NOTED


_NOTED = frozenset({Refusal.NO_REPLY, Refusal.AUTOMATIC, Refusal.UNVERIFIED})


@dataclass(frozen=True)
class RequesterMail:
    """An automatic mail about to be written to a request's requester: what decides whether it may be."""

    requester: str | None  # the request's requester, as stored
    source: str  # how the request came (email, desk, web: a person's; anything else an alert's)
    #: The receiving mail server's verdict on the From of the mail that opened it (None: no mail, or no verdict).
    opening_verdict: str | None = None
    opened_automatically: bool = False  # that mail was one no one typed: an auto-reply, a list's, a no-reply's
    #: Addresses not to write to: who made the change, and who is told of it already.
    told: Collection[str] = ()
    desk: Collection[str] = ()  # the desk's own addresses: mail to them would only come back in


@dataclass(frozen=True)
class Verdict:
    """The answer: the address to write to (lower-cased, "" for none) and, when it may not be, why."""

    to: str
    refusal: Refusal | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def may_mail(mail: RequesterMail) -> Verdict:
    """Whether `mail` may go to its requester. The reasons are checked in order, the silent ones first, so the
    timeline notes a refusal only where nothing plainer explains it."""
    to = (mail.requester or "").strip().lower()
    return Verdict(to, _refusal(mail, to))


def _refusal(mail: RequesterMail, to: str) -> Refusal | None:
    if mail.source not in PERSON_SOURCES:
        return Refusal.NOT_ASKED
    if not to:
        return Refusal.NO_ADDRESS
    if to in {address.lower() for address in mail.told}:
        return Refusal.TOLD
    if is_pseudonym(to):
        return Refusal.ERASED
    if to in {address.lower() for address in mail.desk}:
        return Refusal.DESK
    if is_automatic_sender(to):
        return Refusal.NO_REPLY
    if mail.opened_automatically:
        return Refusal.AUTOMATIC
    if mail.opening_verdict in UNVERIFIED:
        return Refusal.UNVERIFIED
    return None
