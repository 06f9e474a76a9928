"""`GET /incidents.csv`: the incidents the list page shows (same filters and sort), every page of them, as a
spreadsheet for the people who report on the desk's work; times in the exporting person's zone, or `?tz=`'s
(web/csv_files.py).

Rows are read in chunks while the answer streams, so a large export holds neither all rows nor the whole file in
memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, request, stream_with_context
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import aliased

from hub.incident_search import FilterError, IncidentFilter, sorted_by
from hub.models import ConfigurationItem, Incident, SatisfactionAnswer, utcnow
from web.csv_files import attachment, csv_line, csv_text, export_zone, exported_time, filename
from web.permissions import VIEW_INCIDENTS, requires
from web.services import services

bp = Blueprint("incident_export", __name__)

COLUMNS = ("ref", "title", "status", "priority", "severity", "category", "kind", "service", "ci", "assignee",
           "requester", "source", "occurrences", "first_seen", "last_seen", "acknowledged_at", "resolved_at",
           "resolution", "labels", "minutes_spent", "satisfaction", "satisfaction_comment")  # fmt: skip
#: What each line reads of the incident, in `cells`' order: columns, not ORM objects, and no API dict a row. Those
#: cost ~250 µs a line (loading the object and its relationships, every API field, each time written twice), five
#: times the query: 1.1 s for 4,220 open incidents of a large desk.
READS = (Incident.id, Incident.title, Incident.status, Incident.priority, Incident.severity, Incident.category,
         Incident.kind, Incident.service, Incident.assignee, Incident.requester, Incident.source, Incident.occurrences,
         Incident.first_seen, Incident.last_seen, Incident.acknowledged_at, Incident.resolved_at, Incident.resolution,
         Incident.labels, Incident.minutes_spent)  # fmt: skip
MAX_ROWS = 100_000  # past this, narrow the filter: a spreadsheet of more is not read by anyone
CHUNK = 1000


@bp.get("/incidents.csv")
@requires(VIEW_INCIDENTS)
def download() -> Response:
    try:
        filt = IncidentFilter.from_args(request.args, me=current_user.email)
    except FilterError as exc:
        abort(400, description=f"{exc}.")
    zone = export_zone()
    return attachment(stream_with_context(csv_lines(filt, zone)), filename("incidents", zone, utcnow()))


def csv_lines(filt: IncidentFilter, zone: ZoneInfo) -> Iterator[str]:
    """The header, then the incidents' lines, a chunk of rows at a time, their times in `zone`."""
    yield csv_line(COLUMNS)
    ci = aliased(ConfigurationItem)  # the ci filter's subquery names the table; a join on it would correlate it
    query = (
        select(*READS, ci.name, SatisfactionAnswer.rating, SatisfactionAnswer.comment)
        .outerjoin(ci, ci.id == Incident.ci_id)
        .outerjoin(SatisfactionAnswer, SatisfactionAnswer.incident_id == Incident.id)
        .where(*filt.conditions())
        .order_by(*sorted_by(filt.sort, utcnow()))
        .limit(MAX_ROWS)
    )
    with services().db.read() as session:
        for rows in session.execute(query.execution_options(yield_per=CHUNK)).partitions():
            yield csv_text(cells(row, zone) for row in rows)


def cells(row: Sequence[Any], zone: ZoneInfo) -> list[Any]:
    """A row of `csv_lines`'s query in COLUMNS order, as the API writes each value (web/queries.py) but its times in
    `zone`, labels as one JSON cell, and the requester's "How did we do?" answer, if they gave one."""
    (number, title, status, priority, severity, category, kind, service, assignee, requester, source, occurrences,
     first_seen, last_seen, acknowledged_at, resolved_at, resolution, labels, minutes_spent, ci, rating,
     comment) = row  # fmt: skip
    return [f"INC-{number}", title, status, priority, severity, category, kind, service, ci, assignee, requester,
            source, occurrences, exported_time(first_seen, zone), exported_time(last_seen, zone),
            exported_time(acknowledged_at, zone), exported_time(resolved_at, zone), resolution,
            json.dumps(labels, sort_keys=True, ensure_ascii=False) if labels else "", minutes_spent, rating,
            comment]  # fmt: skip
