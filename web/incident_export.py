"""`GET /incidents.csv`: the incidents the list page shows (same filters and sort), every page of them, as a
spreadsheet for the people who report on the desk's work; times in the exporting person's zone, or `?tz=`'s
(web/csv_files.py).

Rows are read in chunks while the answer streams, so a large export holds neither all rows nor the whole file in
memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, request, stream_with_context
from flask_login import current_user
from sqlalchemy import select

from hub.models import Incident, SatisfactionAnswer, utcnow
from web.csv_files import attachment, csv_line, export_zone, exported_time, filename
from web.incident_search import SORTS, FilterError, IncidentFilter
from web.permissions import VIEW_INCIDENTS, requires
from web.queries import WITH_MAJOR, incident_json
from web.services import services

bp = Blueprint("incident_export", __name__)

COLUMNS = ("ref", "title", "status", "priority", "severity", "category", "service", "ci", "assignee", "requester",
           "source", "occurrences", "first_seen", "last_seen", "acknowledged_at", "resolved_at", "resolution",
           "labels", "minutes_spent", "satisfaction", "satisfaction_comment")  # fmt: skip
#: The columns that hold times: the incident's attributes of the same names.
TIMES = ("first_seen", "last_seen", "acknowledged_at", "resolved_at")
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
    """The header, then one line per incident, its times in `zone`."""
    yield csv_line(COLUMNS)
    query = (
        select(Incident, SatisfactionAnswer.rating, SatisfactionAnswer.comment)
        .outerjoin(SatisfactionAnswer, SatisfactionAnswer.incident_id == Incident.id)
        .where(*filt.conditions())
        .order_by(*SORTS[filt.sort])
        .limit(MAX_ROWS)
        .options(WITH_MAJOR)
    )
    with services().db.read() as session:
        for incident, rating, comment in session.execute(query.execution_options(yield_per=CHUNK)):
            yield csv_line(row_of(incident, zone, rating, comment))


def row_of(incident: Incident, zone: ZoneInfo, rating: str | None = None, comment: str | None = None) -> list[Any]:
    """The incident as the API answers it (web/queries.py), in COLUMNS order, but its times in `zone`; labels as
    one JSON cell; the requester's "How did we do?" answer, if they gave one."""
    fields = incident_json(incident)
    labels = fields["labels"]
    fields["labels"] = json.dumps(labels, sort_keys=True, ensure_ascii=False) if labels else ""
    fields.update({name: exported_time(getattr(incident, name), zone) for name in TIMES})
    fields["satisfaction"], fields["satisfaction_comment"] = rating, comment
    return [fields[name] for name in COLUMNS]
