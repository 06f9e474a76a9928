"""A requester's own view of their request: the "Follow your request" link in the mail the desk sends them.

"What is happening with my ticket?" is what people ask a service desk most. The acknowledgement and each reply
from an agent carry a link (hub/signed_links.py) to a page (web/request_status.py) saying, in words for the
requester, where their request stands: open, being worked on, waiting for them, resolved and how; and below it the
conversation they already have in their mailbox, the mail they sent and the desk's replies to them
(hub/request_conversation.py). It shows nothing of the desk's own work (notes, assignments, priorities, who
answered). It lets them say it is solved, which resolves the incident as theirs to say, and reply there as they
would to the mail (hub/requester_replies.py; `RequestView.replies` says what a reply would do).

The link names the incident and the requester and works for 90 days; it stops working when the incident is gone
or has another requester. Once the incident is merged into another of the requester's, the page shows that one,
where the conversation lives now (`where_they_live`, which their list of requests follows too); once merged into
someone else's, it says which reference it is followed under, and shows nothing else of that one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, select
from sqlalchemy.orm import Session, aliased

from hub import request_conversation
from hub.domain import format_ref
from hub.mail_threads import Thread, reply_route
from hub.models import Approval, Incident, TimelineEntry, utcnow
from hub.request_conversation import Conversation
from hub.signed_links import Claim, LinkKind, StaleLink

#: Carried by the acknowledgement, agents' replies, the resolution mail, the mail saying a request was merged into
#: another and the one saying it was approved, as the template fact `track_url`.
LINKS = LinkKind(
    salt="switchboard.request",
    lifetime=timedelta(days=90),
    path="/requests/",
    notices=frozenset(
        {
            "acknowledgement",
            "reply",
            "requester_resolved",
            "requester_problem_resolved",
            "requester_merged",
            "requester_approved",
        }
    ),
    fact="track_url",
)

#: status -> what the requester is told it means.
SAYS = {
    "open": ("Open", "We have your request and will look at it soon."),
    "acknowledged": ("In progress", "Someone at the desk is working on it."),
    "waiting": ("Waiting for you", "We asked you something: please reply to our last email."),
    "resolved": ("Resolved", "We think it is fixed. If it is not, reply to our email and we will reopen it."),
    "closed": ("Closed", "This request is closed. For anything new, write to us again."),
}


@dataclass(frozen=True)
class Outcome:
    """What became of the request one was merged into, followed on through its own merges to where it is worked on
    now: what the requester told to wait on it sees of it (its reference, where it stands, how it was resolved)."""

    ref: str
    status: str
    resolved_at: datetime | None
    resolution: str | None
    reopened: bool  # worked on again after a resolution, since the request was merged into it

    @property
    def done(self) -> bool:
        return self.status in ("resolved", "closed")

    @property
    def says(self) -> str | None:
        """In the requester's words; None while it is simply being worked on (the explanation says so)."""
        if self.status == "resolved":
            return (f"{self.ref} was resolved: we think it is fixed. If it is not fixed for you, reply to our email "
                    "and we will reopen it.")  # fmt: skip
        if self.status == "closed":
            return f"{self.ref} was resolved and is closed now. For anything new, write to us again."
        return f"{self.ref} was reopened: the desk is working on it again." if self.reopened else None


#: What the requester is told while an approval is pending on their open request (hub/approvals.py): who is
#: asked is the desk's business, so no one is named.
AWAITING_APPROVAL = ("Waiting for approval", "Someone has to approve your request before we go ahead. We will let "
                     "you know how it goes.")  # fmt: skip


#: What the requester is told of a request its type's approver rejected, resolved or closed since
#: (`incidents.not_approved`, set by hub/approval_outcome.py); its page shows the resolution, which says why.
REJECTED = ("Not approved", "The person who approves such requests said no, so the desk will not go ahead with it. "
            "For anything new, write to us again.")  # fmt: skip


#: Statuses in which the requester may say their request is solved, and what the incident then records.
SOLVABLE = ("open", "acknowledged", "waiting")
SOLVED = "The requester said it is solved, on their request's page."


#: What the requester is told of a request they said is solved themselves (`SOLVED`, the resolution their page's
#: button records): not "we think it is fixed", which is the desk's guess about its own resolution.
SOLVED_BY_THEM = ("Resolved", "You told us it is solved. If it comes back, reply to one of our emails and we will "
                  "reopen it.")  # fmt: skip


def says(
    status: str, merged_into: int | None, outcome: Outcome | None = None, *, awaiting_approval: bool = False,
    not_approved: bool = False, resolution: str | None = None,
) -> tuple[str, str]:  # fmt: skip
    """(label, explanation): where a request stands, in the requester's words (its page, their list of requests).
    One merged into someone else's request names the reference it is followed under now (`outcome`'s, else the one
    it was merged into), as the mail about the merge did, and nothing more of it. `awaiting_approval`: an approval
    is pending on it, said while it is open or acknowledged (waiting on them, they have something to do first).
    `not_approved`: its latest resolution was its approver's no (`incidents.not_approved`). `resolution`: its
    resolution, which says whether the requester resolved it themselves (`SOLVED`)."""
    if merged_into is not None:
        into = outcome.ref if outcome is not None else format_ref(merged_into)
        return "Merged", (
            f"It is followed under {into} now, with the same trouble others reported: a reply to any of our emails "
            f"about it reaches {into}."
        )
    if awaiting_approval and status in ("open", "acknowledged"):
        return AWAITING_APPROVAL
    if status in ("resolved", "closed") and not_approved:
        return REJECTED
    if status == "resolved" and resolution == SOLVED:
        return SOLVED_BY_THEM
    return SAYS.get(status, (status.capitalize(), ""))


def _awaiting_approval(session: Session, incident_id: int) -> bool:
    """Whether an approval is pending on the incident (hub/approvals.py, which imports the outbox that imports this
    module: read here from its table)."""
    pending = select(Approval.id).where(Approval.incident_id == incident_id, Approval.state == "pending")
    return session.scalar(pending.limit(1)) is not None


#: The timeline kinds of a reopening: by an agent (the status it leads to) or by a reply or an alert (intake's).
REOPENINGS = ("open", "reopened")


def outcomes(session: Session, merged: Collection[int]) -> dict[int, Outcome]:
    """{request: the outcome of the one it is followed under now} for the `merged` requests (those merged into
    another), in one recursive statement however many: merges are followed on to the incident merged into no
    other, and 'reopened' means reopened after the request was closed as merged."""
    if not merged:
        return {}
    at, end = aliased(Incident), aliased(Incident)
    chain = (
        select(
            Incident.id.label("asked"),
            Incident.merged_into_id.label("at"),
            Incident.resolved_at.label("since"),
            literal(0).label("hops"),
        )
        .where(Incident.id.in_(list(merged)), Incident.merged_into_id.is_not(None))
        .cte("merged_outcome", recursive=True)
    )
    chain = chain.union_all(
        select(chain.c.asked, at.merged_into_id, chain.c.since, chain.c.hops + 1)
        .join(at, at.id == chain.c.at)
        .where(at.merged_into_id.is_not(None), chain.c.hops < MAX_HOPS)
    )
    reopened = (
        select(TimelineEntry.id)
        .where(
            TimelineEntry.incident_id == end.id, TimelineEntry.kind.in_(REOPENINGS), TimelineEntry.at > chain.c.since
        )
        .exists()
    )
    rows = session.execute(
        select(chain.c.asked, end.id, end.status, end.resolved_at, end.resolution, reopened)
        .join(end, end.id == chain.c.at)
        .where(end.merged_into_id.is_(None))
    )
    return {asked: Outcome(format_ref(into), status, resolved_at, resolution, bool(again))
            for asked, into, status, resolved_at, resolution, again in rows}  # fmt: skip


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
    merged_from: str | None = None  # the request the link named, when it was merged into this one
    outcome: str | None = None  # merged into someone else's: what became of that one, in the requester's words
    #: What a reply typed on the page would do (hub/mail_threads.py::reply_route): "add", "reopen", or "follow_up",
    #: which the page refuses (hub/requester_replies.py); None once merged into someone else's, followed there now.
    replies: str | None = None


def requester_incident(session: Session, claim: Claim, *, lock: bool = False) -> Incident:
    """The incident a requester's link is about, or StaleLink when it is gone or has another requester now."""
    incident = session.get(Incident, claim.incident_id, with_for_update=lock)
    if incident is None or (incident.requester or "").strip().lower() != claim.person:
        raise StaleLink("this link no longer applies: the request it was about has changed")
    return incident


def requested_by(address: str, incident: Any = Incident) -> ColumnElement[bool]:
    """Whether `incident` (the model, or an alias of it) is `address`'s request: compared lower-cased, as the
    index ix_incidents_requester_lower is made."""
    return func.lower(incident.requester) == address


#: Merges followed at most, from one request to where its conversation lives (a bound, not an expected length).
MAX_HOPS = 100


def where_they_live(address: str, *, asked: int | None = None) -> Select[tuple[int, int]]:
    """(asked, lives): each of `address`'s incidents (or only `asked`) and the incident its conversation lives in
    now. Merges are followed on while the incident merged into is theirs too (A -> B -> C gives C for A and B), and
    stop before one of someone else's, so no one else's request is ever named.

    A recursive CTE (SQLite and PostgreSQL) stepping by primary key from each incident, whose last step is the one
    not merged into another of theirs: a handful of index lookups each. triage.merge refuses to merge into a merged
    incident, so merges form no loop; MAX_HOPS bounds the walk all the same (a request past it would go unlisted)."""
    mine, at, into = aliased(Incident), aliased(Incident), aliased(Incident)
    start = select(mine.id.label("asked"), mine.id.label("lives"), literal(0).label("hops")).where(
        requested_by(address, mine), *([mine.id == asked] if asked is not None else [])
    )
    chain = start.cte("where_they_live", recursive=True)
    step = (
        select(chain.c.asked, into.id, chain.c.hops + 1)
        .join(at, at.id == chain.c.lives)
        .join(into, _merged_into_theirs(address, at, into))
        .where(chain.c.hops < MAX_HOPS)
    )
    chain = chain.union_all(step)
    last, further = aliased(Incident), aliased(Incident)
    return (
        select(chain.c.asked, chain.c.lives)
        .join(last, last.id == chain.c.lives)
        .outerjoin(further, _merged_into_theirs(address, last, further))
        .where(further.id.is_(None))
    )


def _merged_into_theirs(address: str, incident: Any, into: Any) -> ColumnElement[bool]:
    """`into` is the incident `incident` was merged into, and `address`'s request too."""
    return and_(into.id == incident.merged_into_id, requested_by(address, into))


def current_incident(session: Session, claim: Claim) -> Incident:
    """The incident a requester's link leads to now: the one it names, or where that one's conversation lives since
    a merge (where_they_live). StaleLink as requester_incident says."""
    incident = requester_incident(session, claim)
    if incident.merged_into_id is None:
        return incident
    now = session.execute(where_they_live(claim.person, asked=incident.id)).first()
    return session.get_one(Incident, now.lives) if now is not None and now.lives != incident.id else incident


def view(
    session: Session,
    claim: Claim,
    newest_part: Callable[[str], str | None] = lambda text: None,
    *,
    reopen_window: float = 0.0,
    now: datetime | None = None,
) -> RequestView:
    """What the requester's page shows, about the incident the link leads to now (current_incident; StaleLink as
    requester_incident says). `newest_part` cuts the quoted history off the requester's replies (ingest's cutter,
    passed in by the page); by default nothing is cut. `reopen_window` (SWITCHBOARD_REPLY_REOPEN_WINDOW) and `now`
    say what a reply would do to a resolved request, as the intake says it of mail."""
    incident = current_incident(session, claim)
    outcome = outcomes(session, [incident.id]).get(incident.id) if incident.merged_into_id is not None else None
    label, explanation = says(incident.status, incident.merged_into_id, outcome, not_approved=incident.not_approved,
                              awaiting_approval=_awaiting_approval(session, incident.id),
                              resolution=incident.resolution)  # fmt: skip
    done = outcome.done if outcome is not None else incident.status in ("resolved", "closed")
    resolved_at, resolution = (
        (outcome.resolved_at, outcome.resolution) if outcome else (incident.resolved_at, incident.resolution)
    )
    said = request_conversation.read(session, incident, claim.person, newest_part)
    still_open = incident.status in SOLVABLE and incident.merged_into_id is None
    merged_from = format_ref(claim.incident_id) if incident.id != claim.incident_id else None
    thread = Thread(incident.id, incident.status, incident.occurrences, incident.requester, incident.resolved_at)
    replies = (reply_route(thread, automatic=False, now=now or utcnow(), reopen_window=reopen_window)
               if incident.merged_into_id is None else None)  # fmt: skip
    return RequestView(incident.ref, incident.title, label, explanation, incident.first_seen,
                       resolved_at if done else None, resolution if done else None, said, still_open, merged_from,
                       outcome.says if outcome is not None else None, replies)  # fmt: skip
