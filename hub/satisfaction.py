"""Customer satisfaction (CSAT): "How did we do?" in the mail telling a requester their incident was resolved.

The mail carries one link per rating. A link's token names the incident and the requester, signed with the
installation's SECRET_KEY and good for 30 days (hub/signed_links.py); the rating rides along unsigned
(`?rating=good`), since it only preselects the answer on the page. Following a link records nothing, because mail
scanners fetch every link in a message: only the page's form (a POST) records an answer. There is one answer
per incident and the last one wins, so a requester can change their mind while the link is valid.

Tokens and ratings are pure functions; `record`, `answer_for` and `summary` read and write the answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from hub.db import Database
from hub.errors import BadInput
from hub.kind_filter import of_kind
from hub.models import Incident, SatisfactionAnswer, utcnow
from hub.outbox import entry
from hub.request_links import requester_incident
from hub.signed_links import Claim, LinkKind
from hub.statements import INSERT_TIMELINE
from hub.verifying_keys import VerifyingKeys

#: rating -> what the mail's link and the page's choice say.
RATINGS = {"good": "Good", "bad": "Bad"}
#: The dashboard's period.
PERIOD = timedelta(days=30)
MAX_COMMENT = 2000
#: The survey's links: good for 30 days, to the page web/satisfaction.py serves.
LINKS = LinkKind(salt="switchboard.satisfaction", lifetime=timedelta(days=30), path="/satisfaction/")


class BadAnswer(BadInput):
    """What was posted is no answer: an unknown rating or a comment too long."""


@dataclass(frozen=True)
class Answer:
    incident_id: int
    requester: str
    rating: str
    comment: str | None
    answered_at: datetime

    @property
    def label(self) -> str:
        return RATINGS.get(self.rating, self.rating)

    def as_json(self) -> dict[str, Any]:
        return {"rating": self.rating, "comment": self.comment, "answered_at": self.answered_at.isoformat()}


def sign(secret_key: str, incident_id: int, requester: str, *, now: datetime | None = None) -> str:
    """The token of a link for `requester` about `incident_id`, issued `now`."""
    return LINKS.sign(secret_key, incident_id, requester, now=now)


def read(keys: VerifyingKeys, token: str, *, now: datetime | None = None) -> Claim:
    """What a link's token says, signed under any of `keys`, or BadLink / ExpiredLink."""
    return LINKS.read(keys, token, now=now)


def links(
    secret_key: str, base_url: str, incident_id: int, requester: str, *, now: datetime | None = None
) -> list[dict[str, str]]:
    """The choices the mail offers, one link per rating: [{rating, label, url}], as template facts."""
    token = sign(secret_key, incident_id, requester, now=now)
    return [{"rating": rating, "label": label, "url": page_url(base_url, token, rating)}
            for rating, label in RATINGS.items()]  # fmt: skip


def page_url(base_url: str, token: str, rating: str | None = None) -> str:
    query = f"?{urlencode({'rating': rating})}" if rating else ""
    return f"{LINKS.url(base_url, token)}{query}"


def rating_of(value: str | None) -> str | None:
    """A rating from a query string or form: one of RATINGS, or None."""
    value = (value or "").strip().lower()
    return value if value in RATINGS else None


def clean_comment(text: str | None) -> str | None:
    """The comment as kept: stripped, None when blank; BadAnswer when it is over MAX_COMMENT."""
    text = (text or "").strip()
    if len(text) > MAX_COMMENT:
        raise BadAnswer(f"the comment is {len(text):,} characters long; keep it under {MAX_COMMENT:,}")
    return text or None


# -- storage ------------------------------------------------------------------------------------------------


def incident_for(session: Session, claim: Claim, *, lock: bool = False) -> Incident:
    """The incident a link is about, or StaleLink when it is gone or has another requester now."""
    return requester_incident(session, claim, lock=lock)


def answer_for(session: Session, incident_id: int) -> Answer | None:
    """The requester's answer about an incident, if they gave one."""
    row = session.get(SatisfactionAnswer, incident_id)
    return _answer(row) if row is not None else None


def record(db: Database, claim: Claim, rating: str, comment: str | None) -> Answer:
    """Keep the requester's answer (replacing an earlier one) with a timeline entry, in one transaction.

    Giving the same answer again changes nothing and writes no second entry."""
    if rating not in RATINGS:
        raise BadAnswer(f"choose one of {', '.join(RATINGS.values())}")
    comment = clean_comment(comment)
    with db.transaction() as session:
        # Locked, so two answers posted at once (a double click) are applied one after the other.
        incident = incident_for(session, claim, lock=True)
        row = session.get(SatisfactionAnswer, incident.id)
        now = utcnow()
        if row is None:
            row = SatisfactionAnswer(incident_id=incident.id, requester=claim.person, rating=rating,
                                     comment=comment, first_answered_at=now, answered_at=now)  # fmt: skip
            session.add(row)
            summary = f"{claim.person} rated the resolution {RATINGS[rating]}"
        elif (row.rating, row.comment) == (rating, comment):
            return _answer(row)
        else:
            summary = (f"{claim.person} changed their rating to {RATINGS[rating]}" if row.rating != rating
                       else f"{claim.person} changed their comment on the resolution")  # fmt: skip
            row.rating, row.comment, row.answered_at = rating, comment, now
        data = {"by": claim.person, "rating": rating, "comment": comment}
        INSERT_TIMELINE.execute(session.connection(), entry(incident.id, "satisfaction", summary, data=data))
        session.flush()
        return _answer(row)


def _answer(row: SatisfactionAnswer) -> Answer:
    return Answer(row.incident_id, row.requester, row.rating, row.comment, row.answered_at)


@dataclass(frozen=True)
class Summary:
    """CSAT over a period: how many answered, how many of them were good, and the latest comments."""

    answers: int
    good: int
    comments: list[Answer]
    bad: int = 0
    since: datetime | None = None  # the period's start: its answers were (last) given at or after it

    @property
    def percent_good(self) -> int | None:
        """The share of good answers, rounded to a whole percent; None when nobody answered."""
        return round(100 * self.good / self.answers) if self.answers else None


def summary(
    session: Session,
    now: datetime | None = None,
    *,
    period: timedelta = PERIOD,
    latest: int = 5,
    kind: str | None = None,
) -> Summary:
    """CSAT over the `period` up to `now` (answers counted by when they were last given) and the `latest` comments;
    of the answers about incidents of `kind` (one of hub.domain.INCIDENT_KINDS) only, when given."""
    since = (now or utcnow()) - period
    counts: dict[str, int] = {rating: count for rating, count in session.execute(ratings_since(since, kind))}
    commented = session.scalars(
        select(SatisfactionAnswer)
        .where(SatisfactionAnswer.answered_at >= since, SatisfactionAnswer.comment.is_not(None), *about_kind(kind))
        .order_by(SatisfactionAnswer.answered_at.desc(), SatisfactionAnswer.incident_id.desc())
        .limit(latest)
    )
    return Summary(
        answers=sum(counts.values()),
        good=counts.get("good", 0),
        comments=[_answer(r) for r in commented],
        bad=counts.get("bad", 0),
        since=since,
    )


def ratings_since(since: datetime, kind: str | None = None) -> Select[str, int]:
    """(rating, answers) given since `since`, about incidents of `kind` only when given."""
    return (
        select(SatisfactionAnswer.rating, func.count())
        .where(SatisfactionAnswer.answered_at >= since, *about_kind(kind))
        .group_by(SatisfactionAnswer.rating)
    )


def about_kind(kind: str | None) -> tuple[ColumnElement[bool], ...]:
    """The conditions narrowing answers to those about incidents of `kind` (none for both): each answer is about one
    incident, looked up by its primary key, so the period's answers are still found through `answered_at`'s index."""
    if kind is None:
        return ()
    return (select(Incident.id).where(Incident.id == SatisfactionAnswer.incident_id, *of_kind(kind)).exists(),)


def comments_among(session: Session, incident_ids: Sequence[int]) -> dict[int, str]:
    """incident id -> its requester's comment, for those of `incident_ids` answered with one: what a list of rated
    incidents shows beside each, read by primary key for one page's rows."""
    if not incident_ids:
        return {}
    rows = session.execute(
        select(SatisfactionAnswer.incident_id, SatisfactionAnswer.comment).where(
            SatisfactionAnswer.incident_id.in_(incident_ids), SatisfactionAnswer.comment.is_not(None)
        )
    )
    return {int(incident_id): str(comment) for incident_id, comment in rows}
