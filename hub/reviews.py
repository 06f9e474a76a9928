"""Post-incident reviews of major incidents: what happened, its customer impact and root cause, what went well and
what badly, and the follow-up actions, each of which one click files as a problem (hub/problems.py), so it is
tracked until it is done instead of being lost in a document.

A review is owed by every resolved incident whose major-incident declaration stands (hub/major_incidents.py): it
can be started once the incident is resolved, is a draft while agents write it, and once published is the record
(its text no longer changes; its actions can still be filed). Publishing is audited and mails its link to the
coordinator and the major-incident group. One still unpublished a configurable number of days after the incident
was resolved is overdue; hub/review_search.py is where every list reads which are owed and overdue. Every change
locks the incident, as agents' actions on it do, so two people saving at once take turns. Text is kept as typed
(plain text; pages escape it and keep its lines).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, selectinload

from hub import audit, major_incidents, notices, people, problems
from hub.agent_action import MAX_TEXT, Actor, Mail, NoSuchPart, TriageError, checked_line, locked
from hub.db import Database
from hub.models import Incident, IncidentReview, MajorIncident, ReviewAction, utcnow
from hub.outbox import entry, owe
from hub.statements import INSERT_TIMELINE

#: The review's texts, in the order the page asks for them, with their labels.
FIELDS: dict[str, str] = {
    "summary": "Summary",
    "impact": "Customer impact",
    "root_cause": "Root cause",
    "went_well": "What went well",
    "went_badly": "What went badly",
}
DEFAULT_DUE = timedelta(days=5)
ACTION_WIDTH = 500  # review_actions.text: it becomes the problem's title
OWNER_WIDTH = 320
#: Problem states in which a follow-up is done.
DONE = frozenset({"resolved", "closed"})


class ReviewError(TriageError):
    """The change does not fit the review as it is now; the message says why and what would."""


class NoSuchAction(ReviewError, NoSuchPart):
    """The review has no follow-up action by the id given (another's, or removed meanwhile): an API answers 404."""


def start(db: Database, incident_id: int, actor: Actor) -> bool:
    """Start the review of a resolved major incident; False when it has one already (started by someone else
    meanwhile: the page then shows theirs)."""
    with db.transaction() as session:
        incident = locked(session, incident_id)
        if _review(session, incident.id) is not None:
            return False
        if major_incidents.standing(session, incident.id) is None:
            raise ReviewError(f"{incident.ref} is not a major incident; only major incidents are reviewed")
        if incident.merged_into_id is not None:  # a duplicate's review is its survivor's (review_search)
            raise ReviewError(f"{incident.ref} was merged into INC-{incident.merged_into_id}; review that one")
        if incident.status not in major_incidents.RESOLVED:
            raise ReviewError(f"{incident.ref} is {incident.status}; its review starts once it is resolved")
        now = utcnow()
        session.add(IncidentReview(incident_id=incident.id, state="draft", started_by=actor.name, started_at=now,
                                   updated_by=actor.name, updated_at=now,
                                   **dict.fromkeys(FIELDS, "")))  # fmt: skip
        INSERT_TIMELINE.execute(session.connection(), entry(incident.id, "review", f"Review started by {actor.name}",
                                                            data={"by": actor.name}))  # fmt: skip
        return True


def save(db: Database, incident_id: int, texts: Mapping[str, str], actor: Actor) -> bool:
    """Keep the draft's texts (those of FIELDS given; others are left as they are); returns whether any changed."""
    wanted = {name: _text(texts[name], FIELDS[name]) for name in FIELDS if name in texts}
    with db.transaction() as session:
        _, review = _draft(session, incident_id)
        changed = {name: value for name, value in wanted.items() if getattr(review, name) != value}
        if not changed:
            return False
        for name, value in changed.items():
            setattr(review, name, value)
        review.updated_by, review.updated_at = actor.name, utcnow()
        return True


def add_action(db: Database, incident_id: int, text: str, actor: Actor, *, owner: str = "") -> int:
    """Add a follow-up action to the draft (who owns it, optionally); returns its id."""
    text = checked_line(text, "follow-up action", ACTION_WIDTH, "say what is to be done, like: Alert on disk at 80%")
    owner = checked_line(owner, "owner", OWNER_WIDTH) if owner.strip() else ""
    with db.transaction() as session:
        _, review = _draft(session, incident_id)
        action = ReviewAction(review_id=review.id, text=text, owner=owner or None, created_by=actor.name,
                              created_at=utcnow())  # fmt: skip
        session.add(action)
        review.updated_by, review.updated_at = actor.name, utcnow()
        session.flush()
        return action.id


def remove_action(db: Database, incident_id: int, action_id: int, actor: Actor) -> None:
    """Take a follow-up action out of the draft; one already filed as a problem stays, tracked there."""
    with db.transaction() as session:
        _, review = _draft(session, incident_id)
        action = _action(session, review, action_id)
        if action.problem_id is not None:
            raise ReviewError(f"that action is tracked as PRB-{action.problem_id}; close the problem if it is not "
                              "to be done")  # fmt: skip
        session.delete(action)
        review.updated_by, review.updated_at = actor.name, utcnow()


def file_problem(db: Database, incident_id: int, action_id: int, actor: Actor) -> int:
    """File a follow-up action as a problem (its text the title, its owner the owner), linked to the action, so it
    is tracked through the problem's states; draft or published. Returns the problem's id. The incident is not
    linked to it: a follow-up is rarely the cause of the incident, and linking would replace the problem the
    incident may already have."""
    with db.transaction() as session:
        incident = locked(session, incident_id)
        review = _review(session, incident.id)
        if review is None:
            raise ReviewError(f"{incident.ref} has no review")
        action = _action(session, review, action_id)
        if action.problem_id is not None:
            raise ReviewError(f"that action is tracked as PRB-{action.problem_id} already")
        problem = problems.file(session, action.text, actor.name, owner=action.owner, review=incident.ref)
        action.problem_id = problem.id
        summary = f"Follow-up {problem.ref} filed from the review by {actor.name}: {problem.title}"
        data = {"problem": problem.ref, "by": actor.name}
        INSERT_TIMELINE.execute(session.connection(), entry(incident.id, "problem", summary, data=data))
        return problem.id


def publish(db: Database, incident_id: int, actor: Actor, mail: Mail, *, group: str | None = None) -> None:
    """Publish the draft: it becomes the record, the audit log says who published it, and its link is mailed to
    the coordinator and the major-incident group's members, the service's else `group` (hub/major_groups.py), not
    to whoever publishes."""
    with db.transaction() as session:
        incident, review = _draft(session, incident_id)
        if not review.summary.strip():
            raise ReviewError("write its summary first: what happened, in a few lines")
        now = utcnow()
        review.state, review.published_by, review.published_at = "published", actor.name, now
        review.updated_by, review.updated_at = actor.name, now
        conn = session.connection()
        declared = major_incidents.declarations(session, incident.id)
        coordinator = declared[-1].coordinator if declared else ""
        told, notes = major_incidents.paged(conn, incident, "review_published", coordinator, group,
                                            skip=[actor.name], assignee=False)  # fmt: skip
        [by_label] = people.labels(conn, [actor.name])
        owed = [notices.review_published(incident_id=incident.id, title=incident.title, recipient=person,
                                         by=actor.name, by_label=by_label, summary=review.summary,
                                         desk_address=mail.desk_address, base_url=mail.base_url,
                                         templates=mail.templates)
                for person in told]  # fmt: skip
        summary = f"Review published by {actor.name}"
        owe(conn, incident.id, owed, also=[entry(incident.id, "review", summary, data={"by": actor.name}), *notes],
            automatic=False)  # fmt: skip
        audit.record(session, actor.name, "review.publish", incident.ref, actions=len(review.actions))


def of_incident(session: Session, incident_id: int) -> IncidentReview | None:
    """The incident's review with its actions and their problems, readable after the session closes."""
    query = (
        select(IncidentReview)
        .where(IncidentReview.incident_id == incident_id)
        .options(selectinload(IncidentReview.actions))
    )
    return session.scalar(query)


@dataclass(frozen=True)
class KeyTimes:
    """The moments of a major incident and the spans between them, as its review shows them."""

    detected: datetime
    declared: datetime | None
    acknowledged: datetime | None
    resolved: datetime | None
    to_declare: timedelta | None  # detected -> first declared major
    to_acknowledge: timedelta | None  # detected -> acknowledged
    to_resolve_after_acknowledged: timedelta | None  # acknowledged -> resolved
    to_resolve: timedelta | None  # detected -> resolved
    as_major: timedelta


def key_times(
    first_seen: datetime,
    acknowledged_at: datetime | None,
    resolved_at: datetime | None,
    spans: Sequence[tuple[datetime, datetime | None]],
    timeline: Sequence[tuple[datetime, str]],
    now: datetime,
) -> KeyTimes:
    """The key times of an incident from its record: when it was first seen (detected), acknowledged and resolved,
    its declarations' (declared, stood down) spans and its timeline's (at, kind) entries, oldest first."""

    def between(start: datetime | None, end: datetime | None) -> timedelta | None:
        return end - start if start is not None and end is not None else None

    declared = spans[0][0] if spans else None
    return KeyTimes(
        detected=first_seen,
        declared=declared,
        acknowledged=acknowledged_at,
        resolved=resolved_at,
        to_declare=between(first_seen, declared),
        to_acknowledge=between(first_seen, acknowledged_at),
        to_resolve_after_acknowledged=between(acknowledged_at, resolved_at),
        to_resolve=between(first_seen, resolved_at),
        as_major=major_incidents.time_as_major(spans, timeline, resolved_at, now),
    )


def key_times_of(incident: Incident, declared: Sequence[MajorIncident], now: datetime) -> KeyTimes:
    """`key_times` of an incident read with its timeline, and its `declared` declarations, oldest first (what the
    review's page and the API show)."""
    spans = [(d.declared_at, d.ended_at) for d in declared]
    timeline = [(e.at, e.kind) for e in incident.timeline]
    return key_times(incident.first_seen, incident.acknowledged_at, incident.resolved_at, spans, timeline, now)


def review_of_problem(session: Session, problem_id: int) -> str | None:
    """The incident whose review a problem was filed from, if it was (`INC-n`): its page links back."""
    found = session.scalar(
        select(IncidentReview.incident_id)
        .join(ReviewAction, and_(ReviewAction.review_id == IncidentReview.id, ReviewAction.problem_id == problem_id))
        .limit(1)
    )
    return f"INC-{found}" if found is not None else None


# -- helpers ---------------------------------------------------------------------------------------------


def _review(session: Session, incident_id: int) -> IncidentReview | None:
    return session.scalar(select(IncidentReview).where(IncidentReview.incident_id == incident_id))


def _draft(session: Session, incident_id: int) -> tuple[Incident, IncidentReview]:
    """The incident, locked, and its review, refused unless it is a draft."""
    incident = locked(session, incident_id)
    review = _review(session, incident.id)
    if review is None:
        raise ReviewError(f"{incident.ref} has no review; start it from the incident's page once it is resolved")
    if review.state != "draft":
        raise ReviewError(f"the review of {incident.ref} is published: it is the record now and no longer changes")
    return incident, review


def _action(session: Session, review: IncidentReview, action_id: int) -> ReviewAction:
    action = session.get(ReviewAction, action_id)
    if action is None or action.review_id != review.id:
        raise NoSuchAction(f"the review of {review.ref} has no follow-up action {action_id}")
    return action


def _text(text: str, label: str) -> str:
    """A review text as typed, with its line breaks; refused when too long to keep."""
    text = text.replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        raise ReviewError(f"{label} is {len(text):,} characters; keep it under {MAX_TEXT:,}")
    return text
