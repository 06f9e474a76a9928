"""The dashboard: the state of the desk at a glance (figures from `hub.dashboard`, problems and changes from
`hub.problem_overview` and `hub.change_overview`, drawn without scripts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from hub import (
    change_overview,
    dashboard,
    mailboxes,
    major_incidents,
    oncall,
    people,
    problem_overview,
    problems,
    queues,
    review_search,
    satisfaction,
    status_page,
    status_subscriptions,
)
from hub.durations import waited_for
from hub.incident_search import OPEN, FilterError, chosen_kind
from hub.models import utcnow
from hub.zones import to_local
from web.local_time import viewer_zone
from web.permissions import (
    MANAGE_USERS,
    VIEW_CHANGES,
    VIEW_INCIDENTS,
    WORK_CHANGES,
    WORK_INCIDENTS,
    allowed,
    requires,
)
from web.problems import recurrence
from web.reviews import review_due
from web.services import services

bp = Blueprint("dashboard", __name__)

PRIORITIES = range(1, 6)
Planned = change_overview.Listed
#: Days of planned changes shown after today's.
DAYS_AHEAD = 7


@dataclass(frozen=True)
class Days:
    """The viewer's today and the days after it, as instants: where the planned changes are split."""

    start: datetime  # today's midnight
    tomorrow: datetime
    end: datetime  # midnight after the last day shown

    def split(self, planned: Sequence[Planned]) -> tuple[Sequence[Planned], Sequence[Planned]]:
        """Today's changes and the later days', from changes in time order."""
        today = [c for c in planned if c.planned_start is not None and c.planned_start < self.tomorrow]
        return today, planned[len(today) :]


def days_ahead(now: datetime, zone: ZoneInfo, days: int = DAYS_AHEAD) -> Days:
    """Today and the `days` after it on the viewer's calendar, not UTC's: a change at 00:30 in Berlin is tomorrow's
    there though UTC still says today."""
    today = to_local(now, zone).date()
    start, tomorrow, end = (datetime.combine(today + timedelta(days=n), time(), zone) for n in (0, 1, days + 1))
    return Days(start, tomorrow, end)


@bp.get("/dashboard")
@requires(VIEW_INCIDENTS)
def index() -> ResponseReturnValue:
    # A bad `kind=` is answered as the incident list answers it: said, and every kind shown instead.
    error = None
    try:
        kind = chosen_kind(request.args.get("kind"))
    except FilterError as exc:
        kind, error = None, f"{exc}; showing incidents and service requests instead."
    with services().db.read() as session:
        figures = dashboard.read(session, kind=kind)
        # What came back lately only: the look-back for schedules costs a read of 90 days (a tenth of a second
        # on a large desk), paid by /problems, not by every visit here.
        recurring = problems.suggestions(session, replace(recurrence(), lookback=timedelta(0)))
        csat = satisfaction.summary(session, kind=kind)
        on_call = oncall.overview(session, utcnow())
        public = status_page.read(session, utcnow())
        subscribers = status_subscriptions.count(session) if public else 0
        # What waits to be picked up, for those who pick it up.
        works = allowed(current_user.role, WORK_INCIDENTS)
        waiting = queues.waiting(session, current_user.email, kind) if works else None
        approvals_waiting = dashboard.approvals_waiting(session) if works else None
        majors = major_incidents.in_progress(session)
        names = people.names_of(session.connection(), [major.coordinator for major in majors])
        overdue = review_search.count(session, utcnow(), review_due(), review_search.Wanted(overdue=True))
        # Whoever sees this page sees the problems' (VIEW_INCIDENTS); the changes' have a permission of their own.
        problem_figures = problem_overview.read(session)
        days = days_ahead(utcnow(), viewer_zone())
        approver = current_user.email if allowed(current_user.role, WORK_CHANGES) else None
        change_figures = (
            change_overview.read(session, days.start, days.end, approver, utcnow())
            if allowed(current_user.role, VIEW_CHANGES)
            else None
        )
        # Mailboxes that cannot be read, for those who may fix them (the /mailboxes page's permission).
        failing = mailboxes.failing(session) if allowed(current_user.role, MANAGE_USERS) else []
    return render_template("dashboard.html", figures=figures, priorities=PRIORITIES, duration=dashboard.duration,
                           chart=_chart(figures, viewer_zone()), recurring=recurring, csat=csat,
                           csat_days=satisfaction.PERIOD.days, on_call=on_call, public=public,
                           subscribers=subscribers, waiting=waiting, open_status=OPEN, majors=majors,
                           names=names, overdue_reviews=overdue, review_days=review_due().days,
                           problem_figures=problem_figures, change_figures=change_figures, days=days,
                           days_ahead=DAYS_AHEAD, kind=kind, error=error, approvals_waiting=approvals_waiting,
                           waited_for=waited_for, failing_mailboxes=failing)  # fmt: skip


def _chart(figures: dashboard.Dashboard, zone: ZoneInfo, width: int = 840, height: int = 120) -> dict[str, object]:
    """Bar geometry for the per-hour chart as SVG attributes (the CSP allows no inline styles or scripts); a day's
    tick at the hour its midnight falls in, in the viewer's zone, none so near the right edge that its label (drawn
    larger on a phone, app.css) would be cut."""
    top = max(figures.busiest_hour, 1)
    step = width / max(len(figures.per_hour), 1)
    bars = []
    for index, (hour, count) in enumerate(figures.per_hour):
        bar = round(count / top * (height - 4), 1) if count else 0
        bars.append({"x": round(index * step, 1), "y": round(height - bar, 1), "h": bar, "hour": hour, "n": count})
    days = [
        (x, local)
        for i, (hour, _) in enumerate(figures.per_hour)
        if (local := to_local(hour, zone)).hour == 0 and (x := round(i * step, 1)) < width - 100
    ]
    return {"width": width, "height": height, "bar": max(round(step - 1, 1), 1), "bars": bars, "days": days}
