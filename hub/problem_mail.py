"""One resolution mail to each requester when a problem resolves their incidents, however many of them are theirs.

Resolving a problem with its incidents resolves each as an agent's resolve does (hub/problem_resolution.py), which
would mail a requester once a request: someone who reported the same trouble five times would get five mails in a
minute (and past the caps on automatic mail, none of the rest). So the resolves hold their requesters' resolution
mails back (hub/triage.py::status_change's `held`: their own requesters' and those of requests merged into them,
each already past hub/requester_mail_gate.py), and this owes them per requester once the batch is resolved: one
request, its usual `requester_resolved` mail; several, one `requester_problem_resolved` mail listing them by
reference and title, made of theirs (hub/notices.py::requester_problem_resolution), owed on their oldest request,
whose thread, request link and "How did we do?" links it carries, so a reply to it lands there. Each of the others'
timelines says which mail told them.

Per batch: the request resolves the first hundred and the workers the rest a hundred a transaction
(hub/problem_followthrough.py); nothing is kept between batches, so a requester whose requests fall in two batches
gets a mail from each. Assignees and watchers hear as after any resolve: a mail an incident, by their choices on
/account (hub/recipients.py), as they follow each incident, not one request.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from hub import notices
from hub.outbox import entry, owe


def owe_together(conn: Connection, held: Sequence[notices.Notice], *, problem: str, problem_title: str) -> None:
    """Owe the held resolution mails, one a requester (the module says how), in the caller's transaction."""
    theirs: dict[str, list[notices.Notice]] = {}
    for notice in held:
        theirs.setdefault(notice.recipient.lower(), []).append(notice)
    for owed in theirs.values():
        owed.sort(key=_incident_id)
        first = _incident_id(owed[0])
        if len(owed) == 1:
            owe(conn, first, owed)
            continue
        owe(conn, first, [notices.requester_problem_resolution(owed, problem=problem, problem_title=problem_title)])
        about = (owed[0].facts or {})["reference"]
        said = f"resolved to {owed[0].recipient} told in the mail about {about}, with their other requests"
        for other in owed[1:]:
            owe(conn, _incident_id(other), [], also=[entry(_incident_id(other), "notification", said)])


def _incident_id(notice: notices.Notice) -> int:
    return int((notice.facts or {})["incident_id"])
