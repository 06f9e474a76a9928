"""The requesters of requests merged into an incident hear when it is resolved, as its own requester does.

When INC-3 was merged into INC-1, INC-3's requester was told to wait on INC-1 (requester_merged). When INC-1 is
resolved, each such requester gets the same resolution mail its own requester gets, about their own request: [INC-3]
in the subject, threaded under their conversation about INC-3, carrying INC-3's request link and "How did we do?"
links (their answer is about their request), INC-1's resolution and the reference it was followed under. A reply
to it lands in INC-1 (hub/mail_threads.py) and, as any reply to a resolved incident, reopens it unless it only says
thanks. Requests merged into one later merged on (INC-3 -> INC-4 -> INC-1) hear of INC-1 too.

Who is skipped is who any automatic mail to a requester skips (hub/requester_mail_gate.py: requests no person
asked for, erased requesters, one whose opening mail no one typed or was not verified as theirs, a line on their
request saying so), and whoever is told of INC-1's resolution already (its own requester, its assignee and its
watchers) or resolved it; someone with several requests merged into it hears once, about the newest. Each mail is
owed on its own request, under the caps on automatic mail (per address and per request).

Not told: a reopening (whoever reopened it said it was not fixed for them; their request's page says INC-1 is being
worked on again) nor agents' replies on INC-1, which are written to its requester.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, literal, select
from sqlalchemy.orm import aliased

from hub import contacts, notices, satisfaction
from hub.domain import format_ref
from hub.models import Incident
from hub.outbox import owe
from hub.recipients import Sender, opening_facts, refused, requester_verdict, thread_message_ids_of
from hub.request_links import MAX_HOPS


@dataclass(frozen=True)
class Merged:
    """A request merged (directly or through others) into the incident resolved: what the gate weighs of it."""

    incident_id: int
    title: str
    requester: str | None
    source: str
    verdict: str | None  # the receiving server's verdict on the From of the mail that opened it
    automatic: bool | None  # no one typed that mail
    desk: str | None  # the desk address added with `switchboard desk add` that its requester is, if any


def merged_into(conn: Connection, into_id: int) -> list[Merged]:
    """The requests merged into `into_id`, directly or through others merged into it, with their requesters,
    oldest first: one recursive statement over the index of merged incidents (ix_incidents_merged_into)."""
    chain = (select(Incident.id.label("id"), literal(1).label("hops")).where(Incident.merged_into_id == into_id)).cte(
        "merged_chain", recursive=True
    )
    step = aliased(Incident)
    chain = chain.union_all(
        select(step.id, chain.c.hops + 1).where(step.merged_into_id == chain.c.id, chain.c.hops < MAX_HOPS)
    )
    rows = conn.execute(
        select(Incident.id, Incident.title, Incident.requester, Incident.source, *opening_facts())
        .join(chain, chain.c.id == Incident.id)
        .order_by(Incident.id)
    )
    return [Merged(*row) for row in rows]


def owe_resolution(
    conn: Connection,
    into_id: int,
    *,
    source: str,
    sender: Sender,
    told: Iterable[notices.Notice] = (),
    skip: Collection[str] = (),
    held: list[notices.Notice] | None = None,
) -> None:
    """Owe the requesters of the requests merged into `into_id`, just resolved by `source`, its resolution mail, each
    on their own request (the module says who); in the caller's transaction, after the incident's own notices,
    which are `told` (hub/recipients.py::state_change_notices: whoever they go to is not told twice). Not those in
    `skip` (who resolved it). `held`: the mails go there, for the caller to owe (hub/triage.py::status_change)."""
    into = conn.execute(select(Incident.resolution).where(Incident.id == into_id)).one_or_none()
    if into is None:
        return
    already = {s.lower() for s in skip} | {notice.recipient.lower() for notice in told}
    resolved_then = f" when {format_ref(into_id)} was resolved"
    newest: dict[str, tuple[int, str]] = {}  # requester: (their newest request, its title)
    for merged in merged_into(conn, into_id):
        verdict = requester_verdict(merged, told=already, sender=sender)
        if verdict.allowed:
            newest[verdict.to] = (merged.incident_id, merged.title)
        elif notes := refused(merged.incident_id, verdict, "resolution mail", resolved_then):
            owe(conn, merged.incident_id, [], also=notes)
    references = thread_message_ids_of(conn, {incident_id: requester for requester, (incident_id, _) in newest.items()})
    names = contacts.names_of(conn, newest)
    for requester, (incident_id, title) in newest.items():
        survey = (satisfaction.links(sender.secret_key, sender.base_url, incident_id, requester)
                  if sender.secret_key else [])  # fmt: skip
        resolution = notices.requester_resolution(
            incident_id=incident_id, title=title, requester=requester, source=source,
            desk_address=sender.desk_address, base_url=sender.base_url, templates=sender.templates,
            references=references[incident_id], resolution=into.resolution, survey=survey, into=format_ref(into_id),
            requester_name=names.get(requester.lower()),
        )  # fmt: skip
        if held is not None:
            held.append(resolution)
        else:
            owe(conn, incident_id, [resolution])
