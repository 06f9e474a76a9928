"""Reports: SLA attainment per priority, group, service, kind and request type over a period (default: the last 30
days), beside the policies, calendars and services it is measured against; time spent; how long each request type
takes. The first two may be narrowed to incidents or to service requests (`?kind=`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue

from hub import calendars, catalogue, request_type_report, sla_outcomes, time_spent
from hub.dashboard import duration
from hub.incident_search import FilterError, chosen_kind
from hub.models import utcnow
from hub.numbers import whole_number
from hub.sla_report import COLUMNS, DEFAULT_PERIOD, DIMENSIONS, Attainment, attainment, list_arguments
from web.csv_files import attachment, csv_line
from web.permissions import VIEW_REPORTS, requires
from web.services import services

bp = Blueprint("reports", __name__, url_prefix="/reports")

MAX_DAYS = 366


def _period() -> tuple[int, datetime, datetime]:
    """The report's `?days=` (1 to 366, default 30), and the period it means, ending now."""
    asked = whole_number(request.args.get("days", ""))
    days = asked if asked is not None and 1 <= asked <= MAX_DAYS else DEFAULT_PERIOD.days
    now = utcnow()
    return days, now - timedelta(days=days), now


def _days_note() -> str | None:
    """What a page says when its `?days=` was not one it counts: the default period is shown instead, and without
    a word a typed `?days=900` that came back as 30 days read as those years' figures."""
    typed = request.args.get("days", "").strip()
    asked = whole_number(typed)
    if not typed or (asked is not None and 1 <= asked <= MAX_DAYS):
        return None
    return f"days: a whole number from 1 to {MAX_DAYS}, not {typed!r}; showing the last {DEFAULT_PERIOD.days} days."


def _notes(*notes: str | None) -> str | None:
    """The page's notes about what it was asked, in one line (None: nothing to say)."""
    return " ".join(note for note in notes if note) or None


def _kind() -> tuple[str | None, str | None]:
    """The report's `?kind=` and, when it is not a kind, what to say: shown with both kinds, as the incident list
    does with a bad filter."""
    try:
        return chosen_kind(request.args.get("kind")), None
    except FilterError as exc:
        return None, f"{exc}; showing incidents and service requests instead."


def _file_kind() -> str | None:
    """A report file's `?kind=`; one that is not a kind is a 400, as the incident list's CSV answers a bad filter:
    a file of the wrong figures would go unnoticed, where a page can say so above them (`_kind`)."""
    try:
        return chosen_kind(request.args.get("kind"))
    except FilterError as exc:
        abort(400, description=f"{exc}.")


@bp.get("/sla")
@requires(VIEW_REPORTS)
def sla() -> ResponseReturnValue:
    """Incidents opened in the last `?days=` (1 to 366, default 30) under an SLA, and how their clocks ended."""
    days, since, now = _period()
    kind, error = _kind()
    with services().db.read() as session:
        tables = {dimension: attainment(session, dimension, since, now, now, kind) for dimension in DIMENSIONS}
        policies = [(policy, calendar, catalogue.describe_scope(policy), catalogue.describe_targets(policy))
                    for policy, calendar in catalogue.policies(session)]  # fmt: skip
        calendar_lines = [calendars.describe_calendar(row) for row in calendars.calendars(session)]
        catalogue_services = catalogue.services(session)

    def listed(dimension: str, line: Attainment, outcome: str) -> str | None:
        """The incident list of exactly what a count counts: the line's incidents of the period (and kind) whose
        clock ended as `outcome`; None for a "(none)" line."""
        narrowed = list_arguments(dimension, line, outcome)
        if narrowed is None:
            return None
        arguments: dict[str, Any] = {"kind": kind, **narrowed}
        return url_for("incidents.index", **arguments, opened_since=since.isoformat(), opened_before=now.isoformat())

    return render_template("reports/sla.html", tables=tables, days=days, since=since, until=now, policies=policies,
                           calendars=calendar_lines, catalogue_services=catalogue_services, kind=kind,
                           listed=listed, sla_words=sla_outcomes.WORDS, error=_notes(_days_note(), error))  # fmt: skip


@bp.get("/sla.csv")
@requires(VIEW_REPORTS)
def sla_csv() -> Response:
    """The same as CSV, one line per priority, group, service, kind and request type, for a spreadsheet. A bad
    `?kind=` is a 400, as the time report's file answers it."""
    days, since, now = _period()
    kind = _file_kind()
    with services().db.read() as session:
        lines = [csv_line(COLUMNS)]
        for dimension in DIMENSIONS:
            lines += [
                csv_line(line.as_row(dimension)) for line in attainment(session, dimension, since, now, now, kind)
            ]
    # No times in it: clocks of the last `days`, as the time report's file.
    return attachment(lines, f"sla-{days}d{f'-{kind}s' if kind else ''}.csv")


@bp.get("/time")
@requires(VIEW_REPORTS)
def time() -> ResponseReturnValue:
    """Where the desk's time went in the last `?days=`: logged time by person, category and service."""
    days, since, now = _period()
    kind, error = _kind()
    with services().db.read() as session:
        tables = {by: time_spent.totals(session, by, since, now, kind) for by in time_spent.BY}
    total = sum(row.minutes for row in tables["who"])
    return render_template("reports/time.html", tables=tables, days=days, since=since, until=now, total=total,
                           kind=kind, error=_notes(_days_note(), error))  # fmt: skip


@bp.get("/time.csv")
@requires(VIEW_REPORTS)
def time_csv() -> Response:
    """The same as CSV, one line per person, category and service, for a spreadsheet or an invoice. A bad `?kind=`
    is a 400, as the incident list's CSV answers a bad filter: a file of the wrong figures would go unnoticed."""
    days, since, now = _period()
    kind = _file_kind()
    with services().db.read() as session:
        lines = [csv_line(["by", "name", "minutes", "incidents", "entries"])]
        for by in time_spent.BY:
            lines += [csv_line([by, row.key or "", row.minutes, row.incidents, row.entries])
                      for row in time_spent.totals(session, by, since, now, kind)]  # fmt: skip
    # No times in it: sums over the last `days`; the kind in the name, since no line says it.
    return attachment(lines, f"time-spent-{days}d{f'-{kind}s' if kind else ''}.csv")


@bp.get("/requests")
@requires(VIEW_REPORTS)
def requests() -> ResponseReturnValue:
    """Per request type, the requests asked in the last `?days=`: how many, still open, resolved, how long they took
    (median and 90th percentile) and their SLA attainment."""
    days, since, now = _period()
    with services().db.read() as session:
        lines = request_type_report.report(session, since, now, now)
    return render_template("reports/requests.html", lines=lines, days=days, since=since, until=now,
                           duration=duration, error=_days_note())  # fmt: skip


@bp.get("/requests.csv")
@requires(VIEW_REPORTS)
def requests_csv() -> Response:
    """The same as CSV, one line per request type, times in minutes, for a spreadsheet."""
    days, since, now = _period()
    with services().db.read() as session:
        lines = request_type_report.report(session, since, now, now)
    # No times in it: counts over the last `days`, as the time report's file.
    rows = [csv_line(request_type_report.COLUMNS), *(csv_line(line.as_row()) for line in lines)]
    return attachment(rows, f"request-types-{days}d.csv")
