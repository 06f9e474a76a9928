"""The requesters of requests merged into an incident hear when it is resolved, as its own requester does.

When INC-3 was merged into INC-1, INC-3's requester was told to wait on INC-1 (requester_merged). When INC-1 is
resolved, each such requester gets the same resolution mail its own requester gets, about their own request: [INC-3]
in the subject, threaded under their conversation about INC-3, carrying INC-3's request link and "How did we do?"
links (their answer is about their request), INC-1's resolution and the reference it was followed under. A reply
to it lands in INC-1 (hub/mail_threads.py) and, as any reply to a resolved incident, reopens it unless it only says
thanks. Requests merged into one later merged on (INC-3 -> INC-4 -> INC-1) hear of INC-1 too.

Who is skipped is who the merge mail skips: requests that did not come by email, erased requesters, one whose
opening mail was not verified as theirs (a timeline line on their request says so), the person resolving it, and
INC-1's own requester (who has INC-1's mail); someone with several requests merged into it hears once, about the
newest. Each mail is owed on its own request, under the caps on automatic mail (per address and per request).

Not told: a reopening (whoever reopened it said it was not fixed for them; their request's page says INC-1 is being
worked on again) nor agents' replies on INC-1, which are written to its requester.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, literal, select
from sqlalchemy.orm import aliased

from hub import notices, satisfaction
from hub.addresses import is_pseudonym
from hub.domain import PERSON_SOURCES, UNVERIFIED, format_ref
from hub.models import Incident
from hub.outbox import entry, owe
from hub.recipients import Sender, opening_verdict, thread_message_ids_of
from hub.request_links import MAX_HOPS


@dataclass(frozen=True)
class Merged:
    """A request merged (directly or through others) into the incident resolved, and its requester."""

    incident_id: int
    title: str
    requester: str
    verified: bool  # the mail that opened it was not refused by the receiving server's check


def merged_into(conn: Connection, into_id: int) -> list[Merged]:
    """The email requests merged into `into_id`, directly or through others merged into it, with their requesters,
    oldest first: one recursive statement over the index of merged incidents (ix_incidents_merged_into)."""
    chain = (select(Incident.id.label("id"), literal(1).label("hops")).where(Incident.merged_into_id == into_id)).cte(
        "merged_chain", recursive=True
    )
    step = aliased(Incident)
    chain = chain.union_all(
        select(step.id, chain.c.hops + 1).where(step.merged_into_id == chain.c.id, chain.c.hops < MAX_HOPS)
    )
    verdict = opening_verdict(Incident.id).scalar_subquery()
    rows = conn.execute(
        select(Incident.id, Incident.title, Incident.requester, verdict)
        .join(chain, chain.c.id == Incident.id)
        .where(Incident.source.in_(PERSON_SOURCES), Incident.requester.is_not(None))
        .order_by(Incident.id)
    )
    return [Merged(incident_id, title, (requester or "").lower(), said not in UNVERIFIED)
            for incident_id, title, requester, said in rows if (requester or "").strip()]  # fmt: skip


def owe_resolution(conn: Connection, into_id: int, *, source: str, sender: Sender, skip: Collection[str] = ()) -> None:
    """Owe the requesters of the requests merged into `into_id`, just resolved by `source`, its resolution mail, each
    on their own request (the module says who); in the caller's transaction, after the incident's own notices."""
    into = conn.execute(select(Incident.requester, Incident.resolution).where(Incident.id == into_id)).one_or_none()
    if into is None:
        return
    skipped = {s.lower() for s in skip} | {(into.requester or "").lower()}
    newest: dict[str, Merged] = {}
    for merged in merged_into(conn, into_id):
        if merged.requester not in skipped and not is_pseudonym(merged.requester):  # erased: no one to tell
            newest[merged.requester] = merged
    told = [merged for merged in newest.values() if merged.verified]
    for merged in newest.values():
        if not merged.verified:
            why = (f"No resolution mail to {merged.requester} when {format_ref(into_id)} was resolved: the mail that "
                   "opened this was not verified as theirs by the receiving mail server")  # fmt: skip
            owe(conn, merged.incident_id, [], also=[entry(merged.incident_id, "notification", why)])
    references = thread_message_ids_of(conn, {merged.incident_id: merged.requester for merged in told})
    for merged in told:
        survey = (satisfaction.links(sender.secret_key, sender.base_url, merged.incident_id, merged.requester)
                  if sender.secret_key else [])  # fmt: skip
        resolution = notices.requester_resolution(
            incident_id=merged.incident_id, title=merged.title, requester=merged.requester, source=source,
            desk_address=sender.desk_address, base_url=sender.base_url, templates=sender.templates,
            references=references[merged.incident_id], resolution=into.resolution, survey=survey,
            into=format_ref(into_id),
        )  # fmt: skip
        owe(conn, merged.incident_id, [resolution])
