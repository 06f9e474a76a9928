"""A requester's own view of their request: the "Follow your request" link in the mail the desk sends them.

"What is happening with my ticket?" is what people ask a service desk most. The acknowledgement and each reply
from an agent carry a link (hub/signed_links.py) to a page (web/request_status.py) saying, in words for the
requester, where their request stands: open, being worked on, waiting for them, resolved and how; and below it the
conversation they already have in their mailbox, the mail they sent and the desk's replies to them
(hub/request_conversation.py). It shows nothing of the desk's own work (notes, assignments, priorities, who
answered). The one thing it does is let them say it is solved, which resolves the incident as theirs to say;
to add something, they reply to the mail, as before.

The link names the incident and the requester and works for 90 days; it stops working when the incident is gone
or has another requester.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hub import request_conversation
from hub.models import Incident
from hub.request_conversation import Conversation
from hub.signed_links import Claim, LinkKind, StaleLink

#: Carried by the acknowledgement, agents' replies and the resolution mail, as the template fact `track_url`.
LINKS = LinkKind(salt="switchboard.request", lifetime=timedelta(days=90), path="/requests/",
                 notices=frozenset({"acknowledgement", "reply", "requester_resolved"}), fact="track_url")  # fmt: skip

#: status -> what the requester is told it means.
SAYS = {
    "open": ("Open", "We have your request and will look at it soon."),
    "acknowledged": ("In progress", "Someone at the desk is working on it."),
    "waiting": ("Waiting for you", "We asked you something: please reply to our last email."),
    "resolved": ("Resolved", "We think it is fixed. If it is not, reply to our email and we will reopen it."),
    "closed": ("Closed", "This request is closed. For anything new, write to us again."),
}


MERGED = ("Merged", "It was merged into another request the desk is working on.")


def says(status: str, merged: bool) -> tuple[str, str]:
    """(label, explanation): where a request stands, in the requester's words (its page, their list of requests)."""
    return MERGED if merged else SAYS.get(status, (status.capitalize(), ""))


#: Statuses in which the requester may say their request is solved, and what the incident then records.
SOLVABLE = ("open", "acknowledged", "waiting")
SOLVED = "The requester said it is solved, on their request's page."


@dataclass(frozen=True)
class RequestView:
    ref: str
    title: str
    label: str
    explanation: str
    opened: datetime
    resolved_at: datetime | None
    resolution: str | None
    conversation: Conversation  # the mail they sent and the desk's replies to them
    open: bool = False  # still being worked on: the requester may say it is solved


def requester_incident(session: Session, claim: Claim, *, lock: bool = False) -> Incident:
    """The incident a requester's link is about, or StaleLink when it is gone or has another requester now."""
    incident = session.get(Incident, claim.incident_id, with_for_update=lock)
    if incident is None or (incident.requester or "").strip().lower() != claim.person:
        raise StaleLink("this link no longer applies: the request it was about has changed")
    return incident


def view(session: Session, claim: Claim, newest_part: Callable[[str], str | None] = lambda text: None) -> RequestView:
    """What the requester's page shows (StaleLink as requester_incident says). `newest_part` cuts the quoted
    history off the requester's replies (ingest's cutter, passed in by the page); by default nothing is cut."""
    incident = requester_incident(session, claim)
    label, explanation = says(incident.status, incident.merged_into_id is not None)
    done = incident.status in ("resolved", "closed")
    said = request_conversation.read(session, incident, claim.person, newest_part)
    still_open = incident.status in SOLVABLE and incident.merged_into_id is None
    return RequestView(incident.ref, incident.title, label, explanation, incident.first_seen,
                       incident.resolved_at if done else None, incident.resolution if done else None, said,
                       still_open)  # fmt: skip
