"""Customer satisfaction (CSAT): "How did we do?" in the mail telling a requester their incident was resolved.

The mail carries one link per rating. A link's token names the incident and the requester, signed with the
installation's SECRET_KEY (itsdangerous) and good for LINK_LIFETIME; the rating rides along unsigned
(`?rating=good`), since it only preselects the answer on the page. Following a link records nothing, because mail
scanners fetch every link in a message: only the page's form (a POST) records an answer. There is one answer
per incident and the last one wins, so a requester can change their mind while the link is valid.

Tokens and ratings are pure functions; `record`, `answer_for` and `summary` read and write the answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db import Database
from hub.errors import BadInput
from hub.models import Incident, SatisfactionAnswer, utcnow
from hub.outbox import entry
from hub.statements import INSERT_TIMELINE

#: rating -> what the mail's link and the page's choice say.
RATINGS = {"good": "Good", "bad": "Bad"}
#: How long after the mail its links work.
LINK_LIFETIME = timedelta(days=30)
#: The dashboard's period.
PERIOD = timedelta(days=30)
MAX_COMMENT = 2000
#: A token longer than this was not made here (ours are under 200 characters for the longest address).
MAX_TOKEN = 600
#: Where the page is, below the base URL (web/satisfaction.py serves it).
PATH = "/satisfaction/"
# Keeps these tokens apart from anything else signed with the same key (sessions, CSRF tokens).
_SALT = "switchboard.satisfaction"


class LinkProblem(BadInput):
    """A survey link that cannot be answered; the message says why, in words for the requester."""


class BadLink(LinkProblem):
    """Not a link we made: cut short in the mail, edited, or signed with another key."""


class ExpiredLink(LinkProblem):
    """A link of ours past LINK_LIFETIME."""


class StaleLink(LinkProblem):
    """A genuine link whose incident is gone or no longer the requester's."""


class BadAnswer(BadInput):
    """What was posted is no answer: an unknown rating or a comment too long."""


@dataclass(frozen=True)
class Claim:
    """What a valid link says: the incident and the requester it was sent to."""

    incident_id: int
    requester: str


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


class _Clock(TimestampSigner):
    """itsdangerous's signer with the time passed in, so issuing and expiry can be tested without waiting."""

    def __init__(self, *args: Any, now: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return int(self._now.timestamp()) if self._now is not None else super().get_timestamp()


def _serializer(secret_key: str, now: datetime | None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT, signer=_Clock, signer_kwargs={"now": now})


def sign(secret_key: str, incident_id: int, requester: str, *, now: datetime | None = None) -> str:
    """The token of a link for `requester` about `incident_id`, issued `now`."""
    return _serializer(secret_key, now).dumps([incident_id, requester.strip().lower()])


def read(secret_key: str, token: str, *, now: datetime | None = None) -> Claim:
    """What a link's token says, or BadLink / ExpiredLink."""
    if len(token) > MAX_TOKEN:
        raise BadLink("this link is not one of ours")
    try:
        found = _serializer(secret_key, now).loads(token, max_age=int(LINK_LIFETIME.total_seconds()))
    except SignatureExpired:
        raise ExpiredLink(f"this link has expired: links work for {LINK_LIFETIME.days} days") from None
    except BadData:
        raise BadLink("this link is not one of ours, or it was cut short") from None
    match found:
        case [int() as incident_id, str() as requester] if incident_id > 0 and requester:
            return Claim(incident_id, requester)
    raise BadLink("this link is not one of ours")  # signed by us, but not a survey's (cannot happen with the salt)


def links(
    secret_key: str, base_url: str, incident_id: int, requester: str, *, now: datetime | None = None
) -> list[dict[str, str]]:
    """The choices the mail offers, one link per rating: [{rating, label, url}], as template facts."""
    token = sign(secret_key, incident_id, requester, now=now)
    return [{"rating": rating, "label": label, "url": page_url(base_url, token, rating)}
            for rating, label in RATINGS.items()]  # fmt: skip


def page_url(base_url: str, token: str, rating: str | None = None) -> str:
    query = f"?{urlencode({'rating': rating})}" if rating else ""
    return f"{base_url.rstrip('/')}{PATH}{quote(token, safe='')}{query}"


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
    incident = session.get(Incident, claim.incident_id, with_for_update=lock)
    if incident is None or (incident.requester or "").strip().lower() != claim.requester:
        raise StaleLink("this link no longer applies: the request it was about has changed")
    return incident


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
            row = SatisfactionAnswer(incident_id=incident.id, requester=claim.requester, rating=rating,
                                     comment=comment, first_answered_at=now, answered_at=now)  # fmt: skip
            session.add(row)
            summary = f"{claim.requester} rated the resolution {RATINGS[rating]}"
        elif (row.rating, row.comment) == (rating, comment):
            return _answer(row)
        else:
            summary = (f"{claim.requester} changed their rating to {RATINGS[rating]}" if row.rating != rating
                       else f"{claim.requester} changed their comment on the resolution")  # fmt: skip
            row.rating, row.comment, row.answered_at = rating, comment, now
        data = {"by": claim.requester, "rating": rating, "comment": comment}
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

    @property
    def percent_good(self) -> int | None:
        """The share of good answers, rounded to a whole percent; None when nobody answered."""
        return round(100 * self.good / self.answers) if self.answers else None


def summary(session: Session, now: datetime | None = None, *, period: timedelta = PERIOD, latest: int = 5) -> Summary:
    """CSAT over the `period` up to `now` (answers counted by when they were last given) and the `latest` comments."""
    since = (now or utcnow()) - period
    counts: dict[str, int] = {
        rating: count
        for rating, count in session.execute(
            select(SatisfactionAnswer.rating, func.count())
            .where(SatisfactionAnswer.answered_at >= since)
            .group_by(SatisfactionAnswer.rating)
        )
    }
    commented = session.scalars(
        select(SatisfactionAnswer)
        .where(SatisfactionAnswer.answered_at >= since, SatisfactionAnswer.comment.is_not(None))
        .order_by(SatisfactionAnswer.answered_at.desc(), SatisfactionAnswer.incident_id.desc())
        .limit(latest)
    )
    return Summary(answers=sum(counts.values()), good=counts.get("good", 0), comments=[_answer(r) for r in commented])
