"""What an approver's answer does to a request whose type asked them (hub/request_approvals.py): their word moves
the request on, as service desks do, in the transaction that records the decision (hub/approvals.py::decide).

- A rejection resolves the request as an agent's resolve would (hub/triage.py::status_change, on the decision's
  session: the same checks, clocks and mail), with the resolution "Not approved: <comment>", so the requester gets
  the usual resolution mail saying why but not who (who approves is the desk's: the waiting page and the approval
  mail name no one; the timeline and the approvals list keep it), and marks it `not_approved`, so their request's
  page says "Not approved" (hub/request_links.py::says) from the record, never from the words (an agent may type
  them), until it is reopened. Only while it is open (acknowledged and waiting count); one resolved or closed
  meanwhile stays as it is, and its timeline says so.
- An approval tells the requester their request goes ahead (`requester_approved`), under the rule every automatic
  mail to a requester follows (hub/requester_mail_gate.py) and the outbox's caps.

Only for approvals a request type asked: an agent (or an API token) who asked did so on purpose, perhaps about
something internal, and decides what the answer means; the requester hears nothing of it from here.
"""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from hub import contacts, notices, recipients, triage
from hub.agent_action import Actor, Mail
from hub.models import Incident
from hub.outbox import entry, owe
from hub.statements import INSERT_TIMELINE

#: Statuses a rejection resolves from: those an agent may resolve from.
RESOLVABLE = triage.TRANSITIONS["resolve"][0]
#: How the resolution of a request its approver rejected begins: "Not approved: Not this quarter".
NOT_APPROVED = "Not approved"


def not_approved(comment: str) -> str:
    """The resolution of a request its approver rejected, in the requester's mail and page: why, never who (the
    requester is not told who approves; the timeline's "Resolved by" and the approvals list are the desk's)."""
    return f"{NOT_APPROVED}: {comment}" if comment else f"{NOT_APPROVED}."


def rejected(session: Session, incident: Incident, approver: str, comment: str, mail: Mail) -> None:
    """Resolve the request its type's approver rejected, as they would have (they are the actor: the timeline says
    "Resolved by" them, and they are not mailed their own resolution), marked `not_approved` (every reopening
    clears it with the resolution: hub/triage.py, hub/statements.py's `_REOPENED`); or, when it was resolved or closed
    meanwhile, leave it and say so on its timeline."""
    if incident.status in RESOLVABLE:
        triage.status_change(session, incident.id, "resolve", Actor(approver), mail,
                             resolution=not_approved(comment))  # fmt: skip
        incident.not_approved = True
        return
    summary = f"{incident.ref} was {incident.status} already, so the rejection leaves it as it is"
    data = {"by": approver, "status": incident.status}
    INSERT_TIMELINE.execute(session.connection(), entry(incident.id, "approval", summary, data=data))


def approved(conn: Connection, incident_id: int, *, told: list[str], mail: Mail) -> None:
    """Tell the requester their request was approved and the desk is working on it, unless the gate says not to
    (the timeline says why, where it notes a refusal) or it is resolved or closed already (nothing to go ahead
    with: the timeline says they were not told). `told`: who hears the decision already (the approver, the
    assignee), not written to twice."""
    request = conn.execute(
        select(Incident.title, Incident.status, Incident.requester, Incident.source, *recipients.opening_facts())
        .where(Incident.id == incident_id)
    ).one()  # fmt: skip
    sender = mail.sender
    verdict = recipients.requester_verdict(request, told=told, sender=sender)
    if not verdict.allowed:
        owe(conn, incident_id, [], also=recipients.refused(incident_id, verdict, "mail", " about the approval"))
        return
    if request.status not in RESOLVABLE:
        summary = f"{verdict.to} not told of the approval: the request is {request.status} already"
        INSERT_TIMELINE.execute(conn, entry(incident_id, "notification", summary))
        return
    told_them = notices.requester_approved(
        incident_id=incident_id, title=request.title, requester=verdict.to, desk_address=sender.desk_address,
        base_url=sender.base_url, templates=sender.templates,
        references=recipients.thread_message_ids(conn, incident_id, verdict.to),
        requester_name=contacts.name_of(conn, verdict.to),
    )  # fmt: skip
    owe(conn, incident_id, [told_them])
