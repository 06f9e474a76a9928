"""The incident pages: the list with a status filter, and one incident with its timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from hub import (
    approvals,
    assignees,
    cis,
    dashboard,
    incident_notes,
    knowledge,
    major_groups,
    major_incidents,
    name_words,
    people,
    problem_links,
    queues,
    read_markers,
    request_steps,
    reviews,
    satisfaction,
    silenced,
    sla,
    sla_due,
    sla_outcomes,
    time_spent,
    triage,
)
from hub.catalogue import services as catalogue_services
from hub.change_correlation import related_changes
from hub.incident_search import FilterError, IncidentFilter, search
from hub.models import Incident, Problem, SavedReply, utcnow
from hub.numbers import row_id
from hub.saved_replies import saved_replies
from hub.sla_clocks import format_span
from web import incident_refs, mail_view, timeline_order, uploads
from web.incident_actions import BULK_ACTIONS
from web.permissions import VIEW_INCIDENTS, WORK_INCIDENTS, allowed, requires
from web.queries import STATUSES, get_incident
from web.services import services

bp = Blueprint("incidents", __name__)


@bp.get("/")
def root() -> ResponseReturnValue:
    return redirect(url_for("incidents.index"))


@bp.get("/incidents")
@requires(VIEW_INCIDENTS)
def index() -> ResponseReturnValue:
    error = None
    try:
        filt = IncidentFilter.from_args(request.args, me=current_user.email)
    except FilterError as exc:
        filt, error = IncidentFilter(me=current_user.email), f"{exc}; showing all incidents instead."
    with services().db.read() as session:
        found = search(session, filt)
        listed = assignees.first_people(session.connection())
        groups = assignees.group_names(session.connection())
        my_groups = queues.groups_of(session, current_user.email)  # "My queue" is offered to their members
        majors = major_incidents.in_progress(session)
        shown = [incident.id for incident in found.incidents]
        news = read_markers.with_news(session, current_user.email, shown)
        awaiting = approvals.pending_among(session.connection(), shown)
        progress = request_steps.progress_among(session.connection(), shown)
        held = silenced.among(session.connection(), shown)
        rated = satisfaction.comments_among(session, shown) if filt.satisfaction else {}
        unheld = queues.unheld_among(session, [incident.assignee or "" for incident in found.incidents])
        names = people.names_of(session.connection(), [*_named_in_rows(found.incidents),
                                                       *(major.coordinator for major in majors)])  # fmt: skip
    now = utcnow()
    due = {incident.id: sla_due.due_of(incident, now) for incident in found.incidents}
    return render_template("incidents/list.html", page=found, filter=filt, statuses=STATUSES, now=now, due=due,
                           unheld=unheld, people=listed, groups=groups, error=error, bulk=BULK_ACTIONS,
                           my_groups=my_groups, majors=majors, news=news, names=names, awaiting_approval=awaiting,
                           silenced=held, steps_progress=progress, rated_comments=rated,
                           sla_words=sla_outcomes.WORDS, desk_address=services().settings.desk_address,
                           focus_flash=True)  # fmt: skip


@dataclass(frozen=True)
class Draft:
    """A note or a reply shown again to its writer, with why it was not saved (its files: web/incident_notes.py)
    beside its file field, and what they typed kept in the form."""

    form: str  # "note" or "reply"
    text: str
    spent: str
    error: str


@bp.get("/incidents/<ref>")
@requires(VIEW_INCIDENTS)
def detail(ref: str) -> ResponseReturnValue:
    return incident_page(ref)


def incident_page(ref: str, draft: Draft | None = None, status: int = 200) -> ResponseReturnValue:
    """The incident's page; with a `draft`, its note or reply form filled in again, saying what was wrong.

    Showing it marks it read for the person (hub/read_markers.py) as of before the timeline was read, so what arrives
    while the page loads is still new to them."""
    opened = utcnow()
    with services().db.read() as session:
        incident = get_incident(session, ref)
        listed = assignees.first_people(session.connection()) if incident is not None else assignees.NO_ONE
        catalogue = catalogue_services(session) if incident is not None else []
        known_services = [service.name for service in catalogue]
        on_status_page = incident is not None and any(s.public and s.name == incident.service for s in catalogue)
        clocks = sla.clock_views(session, incident) if incident is not None else []
        window = timedelta(seconds=services().settings.change_window)
        related = related_changes(session, incident, window) if incident is not None else []
        problem = session.get(Problem, incident.problem_id) if incident is not None and incident.problem_id else None
        mail = mail_view.for_incident(session, incident) if incident is not None else None
        replies = saved_replies(session) if incident is not None and incident.requester else []
        articles = _helpful_articles(session, incident) if incident is not None and incident.requester else []
        answer = satisfaction.answer_for(session, incident.id) if incident is not None else None
        time_entries = time_spent.entries(session, incident.id) if incident is not None else []
        asked = approvals.of_incident(session, incident.id) if incident is not None else []
        steps = request_steps.of_incident(session, incident.id) if incident is not None else []
        held = silenced.among(session.connection(), [incident.id]).get(incident.id) if incident is not None else None
        may_work = incident is not None and allowed(current_user.role, WORK_INCIDENTS)
        ci_names = cis.active_names(session) if may_work else []
        open_problems = problem_links.open_problems(session) if may_work else []
        mentionable, mention_more = _mentionable(session) if may_work else ([], False)
        review = reviews.of_incident(session, incident.id) if incident is not None and incident.major else None
        named = [incident.assignee, *people.on_timeline(incident), *_majors(incident), *(a.approver for a in asked),
                 *(s.done_by for s in steps if s.done_by)] if incident is not None else []  # fmt: skip
        names = people.names_of(session.connection(), named)
        unheld = incident is not None and queues.held_by_no_one(session, incident.assignee)
        major_group = (major_groups.chosen(session.connection(), incident.service,
                                           services().settings.major_incident_group)
                       if may_work and incident is not None else None)  # fmt: skip
    if incident is None:
        incident_refs.not_found(ref)
    with services().db.write() as conn:
        read_markers.mark_read(conn, current_user.id, incident.id, opened)
    moves = triage.moves(incident.status, incident.merged_into_id is not None)
    timeline = timeline_order.shown(incident.timeline, "incidents.detail", incident.ref)
    return render_template("incidents/detail.html", incident=incident, moves=moves, people=listed, clocks=clocks,
                           unheld=unheld,
                           related_changes=related, change_window=window, problem=problem, mail=mail,
                           services=known_services, saved_replies=replies, satisfaction=answer,
                           reply_text=_chosen_reply(replies, articles, problem), on_status_page=on_status_page,
                           articles=articles, time_entries=time_entries, ci_names=ci_names,
                           mentionable=mentionable, mention_more=mention_more, draft=draft,
                           file_limits=_file_limits(), review=review, major_group=major_group,
                           open_problems=open_problems, names=names, timeline=timeline,
                           approvals=asked, approvals_askable=approvals.askable(incident.status), steps=steps,
                           steps_tickable=request_steps.tickable(incident.status), silenced=held,
                           focus_flash=True), status  # fmt: skip


def _named_in_rows(incidents: Sequence[Incident]) -> list[str]:
    """Whom the list's rows name: each assignee, and each major incident's coordinator (its badge's tooltip)."""
    return [who for i in incidents for who in (i.assignee, i.major.coordinator if i.major is not None else None) if who]


def _majors(incident: Incident) -> list[str]:
    """Who declared and who coordinates its standing major incident, to name them on its card."""
    return [incident.major.declared_by, incident.major.coordinator] if incident.major is not None else []


def _file_limits() -> str:
    """What the note and reply forms say of the files they take."""
    return uploads.limits_in_words(uploads.store().limits)


def _mentionable(session: Session) -> tuple[list[dict[str, object]], bool]:
    """Whom the note box suggests as the writer types `@` (web/static/mentions.js), as the page's data, and
    whether that list was cut (the script then asks /suggest/people for the others). Not the writer: a note never
    mails its own writer. Each display name comes with its folded words (hub/name_words.py), so the script
    matches them as the server does without a copy of the folding; what the server answers it has matched."""
    offered, more = incident_notes.first_mentionable(session.connection())
    me = current_user.email.lower()
    return [{**s.as_data(), **({"words": name_words.words(s.name)} if s.name else {})}
            for s in offered if s.address != me], more  # fmt: skip


def _helpful_articles(session: Session, incident: Incident) -> list[knowledge.Indexed]:
    """The published articles that match what the requester wrote, to offer beside the reply box."""
    index = services().articles.current(session.connection())
    return knowledge.suggest(index, f"{incident.title}\n{incident.description or ''}")


def _chosen_reply(replies: list[SavedReply], articles: list[knowledge.Indexed], problem: Problem | None) -> str:
    """What to start the reply box with (no script needed): the text of the saved reply `?reply=<id>` names, a
    line pointing to the article `?article=<id>` names, or with `?workaround=1` the workaround of the known error
    the incident is part of (only new incidents joining it on their own had it in their acknowledgement)."""
    if request.args.get("workaround") == "1":
        if problem is None or problem.state != "known_error" or not problem.workaround.strip():
            return ""
        return f"While we fix the cause, this works around it:\n{problem.workaround.strip()}\n"
    if (wanted := row_id(request.args.get("article", ""))) is not None:
        found = next((a for a in articles if a.id == wanted), None)
        url = knowledge.public_url(services().settings.base_url, wanted)
        return f"This article may help: {found.title}\n{url}\n" if found is not None else ""
    wanted = row_id(request.args.get("reply", ""))
    return next((reply.text for reply in replies if reply.id == wanted), "")


@bp.app_template_filter("span")
def span(value: timedelta) -> str:
    """Business time left on an SLA clock: `2 h 05 min`."""
    return format_span(value)


@bp.app_template_filter("age")
def age(since: datetime) -> str:
    """How long ago `since` was, as the dashboard says durations: `2 h 05 min` (a major incident's)."""
    return dashboard.duration(utcnow() - since)


@bp.app_template_filter("spent")
def spent(minutes: int | None) -> str:
    """Time spent working: `45 min`, `1 h 30 min`; none yet is `0 min`."""
    return time_spent.describe(minutes or 0)
