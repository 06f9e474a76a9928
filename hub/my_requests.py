"""A requester's own list of their requests ("My requests" on the help centre), behind a link mailed to them.

Each request's mail carries a link to that one request (hub/request_links.py); someone with several, or who lost
the mail, asks the desk "what about my other ticket?". Here they type their address and are mailed a link (LINKS,
24 hours) to a page listing what they asked: each request's reference, title, where it stands in their words
(request_links.says, "Waiting for approval" while an approval is pending on it, as its own page says), when it last
changed, and a fresh link to its own page. Nothing of the desk's work is shown.

Anyone may type anyone's address, so the form only ever mails that address (hub/link_mail.py: at most once in ten
minutes, never to one that bounced or to an erased requester's pseudonym), mails nothing to an address that asked
nothing, and answers the same whatever happened: it tells no one whether an address is known. The mail names
none of the requests.

Which requests: the incidents whose requester is the address. One merged into another of theirs is shown as the
one its conversation lives in now, merges followed on while they stay theirs (A -> B -> C lists C, once: the
definition their request's page follows too, hub/request_links.py::where_they_live); one merged into someone
else's is shown as itself, "Merged" (as its own page says), naming the other's reference (as the mail about the
merge did) and what became of it (resolved, closed, reopened), nothing more of it. Listed are the SHOWN newest
that are open or were resolved within RECENT, by their last change the requester could see; the page says how many
others are left out. An erased requester's requests carry a pseudonym now (hub/requester_erasure.py), so their
address finds none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from hub import approvals, link_mail, notices
from hub.domain import format_ref
from hub.models import Incident, TimelineEntry
from hub.recipients import Sender
from hub.request_links import outcomes, requested_by, says, where_they_live
from hub.signed_links import Claim, LinkKind

#: The link to the list. A day: the list is for now; asking again is quick.
LINKS = LinkKind(salt="switchboard.my-requests", lifetime=timedelta(hours=24), path="/help/my-requests/",
                 names_record=False)  # fmt: skip
#: The notice kind (and mail template) of the mail carrying it.
KIND = "my_requests"
#: The newest requests listed.
SHOWN = 50
#: Resolved and closed requests stay listed this long after they were resolved.
RECENT = timedelta(days=90)
#: Timeline entries that change what the requester sees of a request: their mail, the desk's replies, its status.
SEEN_KINDS = ("opened", "email", "reply", "open", "acknowledged", "waiting", "resolved", "closed", "reopened",
              "merged")  # fmt: skip
_DONE = ("resolved", "closed")


@dataclass(frozen=True)
class Listed:
    """One request as its requester sees it in their list."""

    incident_id: int
    title: str
    label: str
    explanation: str
    updated: datetime
    outcome: str | None = None  # merged into someone else's: what became of that one (request_links.Outcome)

    @property
    def ref(self) -> str:
        return format_ref(self.incident_id)


@dataclass(frozen=True)
class Listing:
    """What the list shows: the requests listed, newest first, and how many of theirs are not."""

    address: str
    requests: tuple[Listed, ...]
    left_out: int


def ask(session: Session, address: str, sender: Sender, now: datetime) -> bool:
    """Owe `address` the mail with the link to its list, when it holds requests and hub/link_mail.py lets it be
    mailed. Returns whether a mail is owed; the person asking is told the same either way."""
    conn = session.connection()

    def list_mail() -> notices.Notice | None:
        if conn.scalar(select(_theirs(address).exists())) is not True:
            return None
        token = LINKS.sign(sender.signing_key("lists of requests"), 0, address, now=now)
        return notices.my_requests(recipient=address, list_url=LINKS.url(sender.base_url, token),
                                   valid_for=LINKS.lifetime_in_words, desk_address=sender.desk_address,
                                   base_url=sender.base_url, templates=sender.templates)  # fmt: skip

    return link_mail.owe_link(conn, address, KIND, now, list_mail)


def listing(session: Session, claim: Claim, now: datetime) -> Listing:
    """The list a link names: at most four statements however many requests there are (the third: which of them await an
    approval, said as their own pages say it; the fourth: what became of those merged into someone else's)."""
    shown = _shown(claim.person)
    updated = (
        select(func.max(TimelineEntry.at))
        .where(TimelineEntry.incident_id == Incident.id, TimelineEntry.kind.in_(SEEN_KINDS))
        .scalar_subquery()
    )
    last_change = func.coalesce(updated, Incident.last_seen).label("last_change")
    current = or_(Incident.status.not_in(_DONE), Incident.resolved_at >= now - RECENT)
    rows = session.execute(
        select(Incident.id, Incident.title, Incident.status, Incident.merged_into_id, Incident.not_approved,
               Incident.resolution, last_change)
        .where(Incident.id.in_(shown), current)
        .order_by(last_change.desc(), Incident.id.desc())
        .limit(SHOWN)
    ).all()  # fmt: skip
    total = session.scalar(select(func.count()).select_from(Incident).where(Incident.id.in_(shown))) or 0
    awaiting = approvals.pending_among(session.connection(), [incident_id for incident_id, *_ in rows])
    became = outcomes(session, [row.id for row in rows if row.merged_into_id is not None])
    listed = tuple(
        Listed(
            incident_id,
            title,
            *says(
                status,
                merged_into,
                outcome := became.get(incident_id),
                awaiting_approval=incident_id in awaiting,
                not_approved=not_approved,
                resolution=resolution,
            ),
            at,
            outcome.says if outcome is not None else None,
        )
        for incident_id, title, status, merged_into, not_approved, resolution, at in rows
    )
    return Listing(claim.person, listed, total - len(listed))


def _theirs(address: str) -> Select[Any]:
    """The incidents whose requester is `address` (compared as request links compare it: lower-cased)."""
    return select(Incident.id).where(requested_by(address))


def _shown(address: str) -> Select[Any]:
    """The ids their incidents are listed as: where each one's conversation lives now."""
    lives = where_they_live(address).subquery()
    return select(lives.c.lives)
