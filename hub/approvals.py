"""Approvals on incidents: someone other than the agent says yes (a manager approves a laptop, a licence owner
approves access), mostly on service requests.

An agent asks a named active user (`ask`); the approver approves or rejects once (`decide`), or the agent
withdraws the question (`withdraw`). Each is one transaction, as `hub/triage.py`'s actions are: the incident
locked (so two clicks on the same approval take turns, and the second finds it decided), its timeline entry, and
the mail it owes through the outbox. Asking mails the approver a signed link to decide without logging in
(hub/approval_links.py); a decision mails whoever asked, or the assignee (a group's active members) when no user
did, as when the intake asks a request type's approver (hub/request_approvals.py, through `record_asked`), whose
answer also moves the request on (hub/approval_outcome.py: a rejection resolves it, an approval tells its
requester); withdrawing mails the approver that it is no longer needed. While an approval is pending the
incident's SLA clocks stand still, as while it waits on its requester: the time a manager takes to say yes is not
the desk's. Each action ends by asking `hub.sla_pauses.settle`, which pauses or runs them as hub/sla_holds.py says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Select, and_, exists, insert, select
from sqlalchemy.orm import Session, aliased

from hub import approval_outcome, notices, recipients, sla_pauses
from hub.agent_action import Actor, Mail, NoSuchPart, NotTheirs, TriageError, locked, refuse_when
from hub.db import Database
from hub.domain import format_ref
from hub.models import Approval as ApprovalRow
from hub.models import Incident, User, utcnow
from hub.outbox import entry, owe
from hub.signed_links import Claim, StaleLink

STATES = ("pending", "approved", "rejected", "withdrawn")
#: What an approver says -> the state it leaves.
DECISIONS = {"approve": "approved", "reject": "rejected"}
#: An incident in one of these is dealt with: nobody is asked any more.
DONE = ("resolved", "closed")
MAX_NOTE = 2_000


class NoSuchApproval(NoSuchPart):
    """No approval by that id (on that incident): an API answers 404."""


class NotTheApprover(NotTheirs):
    """Only the person asked decides an approval: an API answers 403."""


class AlreadyDecided(TriageError):
    """The approval is no longer pending; the message says what became of it."""


@dataclass(frozen=True)
class Approval:
    """One approval as pages, mail, the API and the command line show it."""

    id: int
    incident_id: int
    approver: str
    asked_by: str | None
    note: str
    state: str
    comment: str
    asked_at: datetime
    decided_at: datetime | None
    #: Asked by a request type (hub/request_approvals.py): a rejection resolves the request with the comment as its
    #: reason, in the requester's mail and page (hub/approval_outcome.py); the approver's form says so.
    for_request_type: bool = False

    @property
    def ref(self) -> str:
        return format_ref(self.incident_id)

    def as_json(self) -> dict:
        return {"id": self.id, "incident": self.ref, "approver": self.approver, "asked_by": self.asked_by,
                "note": self.note, "state": self.state, "comment": self.comment,
                "asked_at": self.asked_at.isoformat(),
                "decided_at": self.decided_at.isoformat() if self.decided_at else None}  # fmt: skip


_APPROVER, _ASKER = aliased(User), aliased(User)
_COLUMNS = (ApprovalRow, _APPROVER.email, _ASKER.email)


def _query() -> Select[ApprovalRow, str, str | None]:
    """Approvals with their approver's and asker's addresses."""
    return (
        select(*_COLUMNS)
        .join(_APPROVER, _APPROVER.id == ApprovalRow.approver_id)
        .outerjoin(_ASKER, _ASKER.id == ApprovalRow.asked_by)
    )


def _value(row: ApprovalRow, approver: str, asker: str | None) -> Approval:
    """The approval as shown: asked by the user's address, else the desk token's `token:<name>` (migration 0062),
    else no one (a request type)."""
    return Approval(row.id, row.incident_id, approver, asker or row.asked_by_token, row.note, row.state,
                    row.comment, row.asked_at, row.decided_at, row.request_type_id is not None)  # fmt: skip


def of_incident(session: Session, incident_id: int) -> list[Approval]:
    """An incident's approvals, oldest first."""
    rows = session.execute(_query().where(ApprovalRow.incident_id == incident_id).order_by(ApprovalRow.id))
    return [_value(*row) for row in rows]


def waiting_for(session: Session, email: str) -> list[tuple[Approval, Incident]]:
    """The approvals waiting for the person with this address, oldest first, each with its incident."""
    query = (
        _query()
        .add_columns(Incident)
        .join(Incident, Incident.id == ApprovalRow.incident_id)
        .where(_APPROVER.email == email.strip().lower(), ApprovalRow.state == "pending")
        .order_by(ApprovalRow.id)
    )
    return [(_value(row, approver, asker), incident) for row, approver, asker, incident in session.execute(query)]


def get(session: Session, approval_id: int) -> Approval:
    row = session.execute(_query().where(ApprovalRow.id == approval_id)).first()
    if row is None:
        raise NoSuchApproval(f"there is no approval {approval_id}; `switchboard incident approval list REF` lists them")
    return _value(*row)


def by_link(session: Session, claim: Claim) -> tuple[Approval, Incident, User]:
    """The approval a link (hub/approval_links.py) is about, its incident and the approver's account, or StaleLink
    when the approval is gone or not theirs, or their account is gone or deactivated."""
    try:
        approval = get(session, claim.incident_id)
    except NoSuchApproval:
        raise StaleLink("this link no longer applies: its approval is gone") from None
    if approval.approver != claim.person:
        raise StaleLink("this link no longer applies: its approval was asked of someone else")
    user = session.scalar(select(User).where(User.email == claim.person))
    if user is None or not user.active:
        raise StaleLink(f"this link no longer applies: {claim.person} has no active account here")
    incident = session.get(Incident, approval.incident_id)
    if incident is None:
        raise StaleLink("this link no longer applies: its incident is gone")
    return approval, incident, user


def pending_condition() -> ColumnElement[bool]:
    """SQL: the incident has an approval pending (the list's `approval=pending` filter and its badge)."""
    return exists().where(and_(ApprovalRow.incident_id == Incident.id, ApprovalRow.state == "pending"))


def pending_among(conn: Connection, incident_ids: list[int]) -> set[int]:
    """Which of these incidents await an approval: one query for a page of the list."""
    if not incident_ids:
        return set()
    query = select(ApprovalRow.incident_id).where(
        ApprovalRow.incident_id.in_(incident_ids), ApprovalRow.state == "pending"
    )
    return set(conn.scalars(query.distinct()))


# -- actions ---------------------------------------------------------------------------------------------


def askable(status: str) -> bool:
    """Whether an approval may be asked on an incident in `status` (`ask` refuses it otherwise), for the page's
    form."""
    return status not in DONE


def checked_note(text: str | None, what: str = "note") -> str:
    """A note or a comment: optional, refused when too long to keep."""
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_NOTE:
        raise TriageError(f"the {what} is {len(text):,} characters; keep it under {MAX_NOTE:,}")
    return text


def ask(db: Database, incident_id: int, approver: str, note: str | None, actor: Actor, mail: Mail) -> Approval:
    """Ask `approver` (an active user's address) to approve the incident; they are mailed the incident and a link
    to decide. Refused for a resolved or closed incident, and while the same person's approval is pending on it."""
    note, approver = checked_note(note), approver.strip().lower()
    with db.transaction() as session:
        incident = locked(session, incident_id)
        refuse_when(incident, DONE, "reopen it before asking for an approval")
        person = session.scalar(select(User).where(User.email == approver))
        if person is None or not person.active:
            raise TriageError(f"{approver or 'nobody'} is not an active user; ask someone who has an account here")
        pending = select(ApprovalRow.id).where(
            ApprovalRow.incident_id == incident.id, ApprovalRow.approver_id == person.id, ApprovalRow.state == "pending"
        )
        if (already := session.scalar(pending)) is not None:
            raise TriageError(f"{approver} has approval {already} pending on {incident.ref} already; wait for it, or "
                              "withdraw it first")  # fmt: skip
        asker = session.scalar(select(User.id).where(User.email == actor.name.strip().lower()))
        about = AskedAbout(incident.id, incident.title, incident.requester, incident.description or "")
        summary = f"Approval asked of {approver} by {actor.name}" + (f": {note}" if note else "")
        approval_id, asked_at = record_asked(session.connection(), about, person.id, approver, asker, note,
                                             by=actor.name, summary=summary, mail=mail,
                                             token=None if asker is not None else actor.name)  # fmt: skip
        asked_by = actor.name.strip().lower() if asker is not None else actor.name
        return Approval(approval_id, incident.id, approver, asked_by, note, "pending", "", asked_at, None)


@dataclass(frozen=True)
class AskedAbout:
    """What the approver's mail says of the incident an approval is asked on."""

    incident_id: int
    title: str
    requester: str | None
    description: str


def record_asked(
    conn: Connection, about: AskedAbout, approver_id: int, approver: str, asked_by: int | None, note: str, *,
    by: str, summary: str, mail: Mail | recipients.Sender, data: dict | None = None,
    request_type_id: int | None = None, held_from: datetime | None = None, token: str | None = None,
) -> tuple[int, datetime]:  # fmt: skip
    """Write a pending approval of `approver`, its timeline entry (`summary`, with `data`) and the mail asking them,
    in the caller's transaction: an agent's `ask`, and the intake opening a request whose type names an approver
    (hub/request_approvals.py). `asked_by`: the asking user's id, None when no person asked; `token`: then the desk
    API token that asked, as `token:<name>`; `by`: who asks, as the mail says it; `request_type_id`: the request
    type asking, whose approver's answer moves the request on. The SLA clocks stand still from `held_from` (the
    request's opening), else from now. Returns the approval's id and when it was asked."""
    asked_at = utcnow()
    approval_id = conn.execute(
        insert(ApprovalRow)
        .values(incident_id=about.incident_id, approver_id=approver_id, asked_by=asked_by, asked_by_token=token,
                note=note, state="pending", comment="", asked_at=asked_at, request_type_id=request_type_id)
        .returning(ApprovalRow.id)
    ).scalar_one()  # fmt: skip
    said = {"by": by, "approval": approval_id, "approver": approver, "note": note, **(data or {})}
    owed = notices.approval_asked(
        incident_id=about.incident_id, title=about.title, approval_id=approval_id, approver=approver,
        requester=about.requester, description=about.description, note=note, by=by,
        desk_address=mail.desk_address, base_url=mail.base_url, templates=mail.templates,
    )  # fmt: skip
    # Asked on purpose, once per person at a time: never held back by the automatic mail caps.
    owe(conn, about.incident_id, [owed], also=[entry(about.incident_id, "approval", summary, data=said)],
        automatic=False)  # fmt: skip
    sla_pauses.settle(conn, about.incident_id, held_from or asked_at)
    return approval_id, asked_at


def decide(
    db: Database, approval_id: int, decision: str, comment: str | None, actor: Actor, mail: Mail,
    *, recorded_by: str | None = None,
) -> Approval:  # fmt: skip
    """The approver's yes or no, once: `decision` is approve or reject. A second decision, by anyone, is refused
    (AlreadyDecided), not written over the first; someone else's is NotTheApprover. Whoever asked is mailed it;
    a request type's approval moves its request on too, in this transaction (hub/approval_outcome.py).
    `recorded_by`: an admin's API token recording the approver's decision for them (a token is no one), named
    on the timeline beside the approver."""
    if decision not in DECISIONS:
        raise TriageError(f"the decision must be approve or reject, not {decision!r}")
    comment = checked_note(comment, "comment")
    with db.transaction() as session:
        row, incident, approver, asker = _locked(session, approval_id)
        if actor.name.strip().lower() != approver:
            raise NotTheApprover(f"approval {row.id} on {incident.ref} was asked of {approver}; only they decide it")
        if row.state != "pending":
            raise AlreadyDecided(f"approval {row.id} on {incident.ref} is {row.state} already; nothing changed")
        row.state, row.comment, row.decided_at = DECISIONS[decision], comment, utcnow()
        said = "Approved" if decision == "approve" else "Rejected"
        summary = f"{said} by {approver}" + (f" (recorded by {recorded_by})" if recorded_by else "")
        summary += f": {comment}" if comment else ""
        data = {"by": approver, "approval": row.id, "decision": row.state, "comment": comment,
                **({"recorded_by": recorded_by} if recorded_by else {})}  # fmt: skip
        conn = session.connection()
        told = _told(conn, asker, incident.assignee, approver)
        owed = [
            notices.approval_decided(
                incident_id=incident.id, title=incident.title, recipient=person, approver=approver,
                state=row.state, comment=comment, desk_address=mail.desk_address, base_url=mail.base_url,
                templates=mail.templates,
            )
            for person in told
        ]  # fmt: skip
        owe(conn, incident.id, owed, also=[entry(incident.id, "approval", summary, data=data)], automatic=False)
        if row.request_type_id is not None:  # asked by a request type: the answer moves its request on
            if row.state == "rejected":
                approval_outcome.rejected(session, incident, approver, comment, mail)
            else:
                approval_outcome.approved(conn, incident.id, told=[approver, *told], mail=mail)
        session.flush()  # the clocks read the approval as decided
        sla_pauses.settle(conn, incident.id, row.decided_at)
        return _value(row, approver, asker)


def withdraw(
    db: Database, approval_id: int, actor: Actor, mail: Mail, *, incident_id: int | None = None
) -> Approval:  # fmt: skip
    """Take back a pending approval (no longer needed, or asked of the wrong person); the approver's link then
    says so, and the approver is mailed that it is no longer needed (unless they are no longer active), since the
    mail asking them is still in their inbox. Refused once it was decided. `incident_id`: the incident it must be
    on (a page's or a path's)."""
    with db.transaction() as session:
        row, incident, approver, asker = _locked(session, approval_id, incident_id)
        if row.state != "pending":
            raise AlreadyDecided(f"approval {row.id} on {incident.ref} is {row.state} already; nothing changed")
        row.state, row.decided_at = "withdrawn", utcnow()
        summary = f"Approval withdrawn (asked of {approver}) by {actor.name}"
        data = {"by": actor.name, "approval": row.id, "approver": approver}
        owed = []
        if recipients.active_people(session.connection(), [approver]):
            owed = [notices.approval_withdrawn(
                incident_id=incident.id, title=incident.title, approver=approver, by=actor.name,
                desk_address=mail.desk_address, base_url=mail.base_url, templates=mail.templates,
            )]  # fmt: skip
        # Like the asking it takes back: on purpose, once per approval, never held back by the automatic mail caps.
        owe(session.connection(), incident.id, owed, also=[entry(incident.id, "approval", summary, data=data)],
            automatic=False)  # fmt: skip
        session.flush()  # the clocks read the approval as withdrawn
        sla_pauses.settle(session.connection(), incident.id, row.decided_at)
        return _value(row, approver, asker)


def _locked(session: Session, approval_id: int, on: int | None = None) -> tuple[ApprovalRow, Incident, str, str | None]:
    """The approval with its incident locked (the lock every action on the incident takes, so two decisions take
    turns and the second reads the first's state), its approver's and asker's addresses. `on`: the incident it
    must be on."""
    incident_id = session.scalar(select(ApprovalRow.incident_id).where(ApprovalRow.id == approval_id))
    if incident_id is None or (on is not None and incident_id != on):
        raise NoSuchApproval(f"there is no approval {approval_id}; `switchboard incident approval list REF` lists them")
    incident = locked(session, incident_id)
    session.expire_all()  # read the approval as the lock's holder left it, not as before the lock
    found = session.execute(_query().where(ApprovalRow.id == approval_id)).one()
    row, approver, asker = found
    return row, incident, approver, asker


def _told(conn: Connection, asker: str | None, assignee: str | None, approver: str) -> list[str]:
    """Who hears a decision: whoever asked, else the assignee (a group's active members: a request type's approval
    is asked by no one, and its request is often a group's); only active people, never the approver."""
    if asker:
        people = recipients.active_people(conn, [asker])
    elif assignee:
        people = list(recipients.people_of(conn, assignee)[0])
    else:
        people = []
    return [person for person in people if person != approver]
