"""Post-incident review pages: `/reviews` lists what is owed (the longest owed first) and the reviews written, as
hub/review_search.py finds them for the API too, and `/incidents/INC-n/review` is one major incident's review
beside its key times and timeline.

Agents and admins write; everyone who sees incidents reads. Every post is one of hub/reviews.py's actions, its
outcome flashed as the incident page's actions are (web/incident_actions.py), and comes back to the review.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from hub import dashboard, major_groups, major_incidents, people, review_search, reviews
from hub.agent_action import Actor
from hub.models import Incident, IncidentReview, MajorIncident, utcnow
from web import incident_refs, timeline_order
from web.acting import acting_db
from web.incident_actions import flash_outcome, mail_settings
from web.permissions import VIEW_INCIDENTS, WORK_INCIDENTS, allowed, requires
from web.queries import get_incident
from web.services import services

bp = Blueprint("reviews", __name__)

#: Reviews written that /reviews shows, the newest incident first (every one owed is shown).
MAX_LISTED = 200
#: The reviews written, whether owed or not.
_WRITTEN = review_search.Wanted(states=("draft", "published"))


def review_due() -> timedelta:
    """How long after a major incident is resolved its review is overdue (SWITCHBOARD_REVIEW_DUE_DAYS)."""
    return timedelta(days=services().settings.review_due_days)


@bp.get("/reviews")
@requires(VIEW_INCIDENTS)
def index() -> ResponseReturnValue:
    now, due = utcnow(), review_due()
    with services().db.read() as session:
        owed = review_search.page(session, now, due, review_search.Wanted(owed=True), longest_owed_first=True,
                                  limit=None)  # fmt: skip
        listed = review_search.page(session, now, due, _WRITTEN, limit=MAX_LISTED)
        names = people.names_of(session.connection(), [o.coordinator for o in owed])
    return render_template("reviews/index.html", owed=owed, listed=listed, due_days=due.days,
                           group=services().settings.major_incident_group, names=names)  # fmt: skip


@dataclass(frozen=True)
class Read:
    """An incident read with its timeline, its review (if it has one) and its declarations, oldest first: what the
    review's page and `GET /api/v1/incidents/<ref>/review` show."""

    incident: Incident
    review: IncidentReview | None
    declared: list[MajorIncident]
    group: str | None  # the major-incident group publishing mails (hub/major_groups.py)


def read(ref: str) -> Read | None:
    """The incident `ref` with its review and declarations; None when there is no such incident."""
    with services().db.read() as session:
        incident = get_incident(session, ref)
        if incident is None:
            return None
        group = major_groups.chosen(session.connection(), incident.service, services().settings.major_incident_group)
        return Read(incident, reviews.of_incident(session, incident.id),
                    major_incidents.declarations(session, incident.id), group)  # fmt: skip


@bp.get("/incidents/<ref>/review")
@requires(VIEW_INCIDENTS)
def detail(ref: str) -> ResponseReturnValue:
    found = read(ref)
    if found is None:
        incident_refs.not_found(ref)
    incident, review, declared = found.incident, found.review, found.declared
    if review is None:
        abort(404, description=f"{incident.ref} has no review yet: start it from the incident's page once the major "
                               "incident is resolved.")  # fmt: skip
    times = reviews.key_times_of(incident, declared, utcnow())
    editable = review.state == "draft" and allowed(current_user.role, WORK_INCIDENTS)
    coordinators = list(dict.fromkeys(d.coordinator for d in declared))
    with services().db.read() as session:  # who coordinated and wrote it, and whom its timeline names, by name
        wrote = [review.started_by, review.updated_by, review.published_by]
        named = [*coordinators, *wrote, *people.on_timeline(incident)]
        names = people.names_of(session.connection(), named)
    timeline = timeline_order.shown(incident.timeline, "reviews.detail", incident.ref)
    return render_template("reviews/detail.html", incident=incident, review=review, times=times, fields=reviews.FIELDS,
                           coordinators=coordinators, editable=editable, names=names,
                           coordinator=declared[-1].coordinator if declared else None, duration=dashboard.duration,
                           group=found.group, mail=None, timeline=timeline)  # fmt: skip


@bp.post("/incidents/<ref>/review")
@requires(WORK_INCIDENTS)
def start(ref: str) -> ResponseReturnValue:
    def run(number: int, actor: Actor) -> str:
        if reviews.start(acting_db(), number, actor):
            return "has its review started"
        return "already had a review: here it is"

    number = incident_refs.number_of(ref)
    flash_outcome(number, run)
    with services().db.read() as session:
        started = reviews.of_incident(session, number) is not None
    return redirect(url_for("reviews.detail" if started else "incidents.detail", ref=f"INC-{number}"), code=303)


@bp.post("/incidents/<ref>/review/text")
@requires(WORK_INCIDENTS)
def save(ref: str) -> ResponseReturnValue:
    texts = {name: request.form[name] for name in reviews.FIELDS if name in request.form}

    def run(number: int, actor: Actor) -> str:
        if reviews.save(acting_db(), number, texts, actor):
            return "has its review saved"
        return "has its review as it was: nothing had changed"

    return _back_to_review(ref, run)


@bp.post("/incidents/<ref>/review/actions")
@requires(WORK_INCIDENTS)
def add_action(ref: str) -> ResponseReturnValue:
    def run(number: int, actor: Actor) -> str:
        form = request.form
        reviews.add_action(acting_db(), number, form.get("text", ""), actor, owner=form.get("owner", ""))
        return "has a new follow-up action"

    return _back_to_review(ref, run)


@bp.post("/incidents/<ref>/review/actions/<int:action_id>/problem")
@requires(WORK_INCIDENTS)
def file_problem(ref: str, action_id: int) -> ResponseReturnValue:
    def run(number: int, actor: Actor) -> str:
        problem_id = reviews.file_problem(acting_db(), number, action_id, actor)
        return f"has that follow-up tracked as PRB-{problem_id}"

    return _back_to_review(ref, run)


@bp.post("/incidents/<ref>/review/actions/<int:action_id>/remove")
@requires(WORK_INCIDENTS)
def remove_action(ref: str, action_id: int) -> ResponseReturnValue:
    def run(number: int, actor: Actor) -> str:
        reviews.remove_action(acting_db(), number, action_id, actor)
        return "has that follow-up action taken out of its review"

    return _back_to_review(ref, run)


@bp.post("/incidents/<ref>/review/publish")
@requires(WORK_INCIDENTS)
def publish(ref: str) -> ResponseReturnValue:
    def run(number: int, actor: Actor) -> str:
        reviews.publish(acting_db(), number, actor, mail_settings(), group=services().settings.major_incident_group)
        return "has its review published"

    return _back_to_review(ref, run)


def _back_to_review(ref: str, run: Callable[[int, Actor], str]) -> ResponseReturnValue:
    number = incident_refs.number_of(ref)
    flash_outcome(number, run)
    return redirect(url_for("reviews.detail", ref=f"INC-{number}"), code=303)
