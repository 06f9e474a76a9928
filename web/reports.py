"""Reports: SLA attainment per priority, group and service over a period (default: the last 30 days), beside the
policies, calendars and services it is measured against."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from hub import catalogue
from hub.models import utcnow
from hub.numbers import whole_number
from hub.sla_report import DEFAULT_PERIOD, DIMENSIONS, attainment
from web.permissions import VIEW_REPORTS, requires
from web.services import services

bp = Blueprint("reports", __name__, url_prefix="/reports")

MAX_DAYS = 366


@bp.get("/sla")
@requires(VIEW_REPORTS)
def sla() -> ResponseReturnValue:
    """Incidents opened in the last `?days=` (1 to 366, default 30) under an SLA, and how their clocks ended."""
    raw = request.args.get("days", "")
    asked = whole_number(raw)
    days = asked if asked is not None and 1 <= asked <= MAX_DAYS else DEFAULT_PERIOD.days
    now = utcnow()
    since = now - timedelta(days=days)
    with services().db.read() as session:
        tables = {dimension: attainment(session, dimension, since, now, now) for dimension in DIMENSIONS}
        policies = [(policy, calendar, catalogue.describe_scope(policy), catalogue.describe_targets(policy))
                    for policy, calendar in catalogue.policies(session)]  # fmt: skip
        calendars = [catalogue.describe_calendar(row) for row in catalogue.calendars(session)]
        catalogue_services = catalogue.services(session)
    return render_template("reports/sla.html", tables=tables, days=days, since=since, until=now, policies=policies,
                           calendars=calendars, catalogue_services=catalogue_services)  # fmt: skip
