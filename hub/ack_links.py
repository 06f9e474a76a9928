"""The "Acknowledge" link in the mail that tells someone an incident is theirs, or has been escalated to them.

Paged at 3 a.m. on a phone, logging in to press one button is the slowest part of answering. The link
(hub/signed_links.py) names the incident and the person the mail went to; its page (web/acknowledge.py) shows
the incident with one button, and the button acknowledges it as that person, which stops its escalation.

The link is signed when the worker sends the mail (hub/outbox.body_of), not when the notice is owed, so it costs
the ingest path nothing and its 7 days start when the mail leaves. It names a person, but what they may do is
their account's: the page lets only an active user whose role works incidents act through it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Incident, User
from hub.signed_links import Claim, LinkKind, StaleLink
from hub.verifying_keys import VerifyingKeys

#: Carried by the notices telling a person to act on an incident, as the template fact `acknowledge_url`.
LINKS = LinkKind(salt="switchboard.acknowledge", lifetime=timedelta(days=7), path="/ack/",
                 notices=frozenset({"assigned", "escalated"}), fact="acknowledge_url")  # fmt: skip


def read(keys: VerifyingKeys, token: str, *, now: datetime | None = None) -> Claim:
    """What a link's token says, signed under any of `keys`, or BadLink / ExpiredLink."""
    return LINKS.read(keys, token, now=now)


def subject(session: Session, claim: Claim) -> tuple[Incident, User]:
    """The incident a link is about and the account of the person it names, or StaleLink when the incident is gone
    or the account is gone or deactivated."""
    incident = session.get(Incident, claim.incident_id)
    if incident is None:
        raise StaleLink("this link no longer applies: its incident is gone")
    user = session.scalar(select(User).where(User.email == claim.person))
    if user is None or not user.active:
        raise StaleLink(f"this link no longer applies: {claim.person} has no active account here")
    return incident, user
