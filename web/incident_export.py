"""`GET /incidents.csv`: the incidents the list page shows (same filters and sort), every page of them, as a
spreadsheet for the people who report on the desk's work.

Rows are read in chunks while the answer streams, so a large export holds neither all rows nor the whole file in
memory. What senders wrote (titles, labels) can start with `=`, which a spreadsheet would run as a formula: such a
cell is written with a leading apostrophe, as OWASP advises against CSV injection.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

from flask import Blueprint, Response, abort, request, stream_with_context
from flask_login import current_user
from sqlalchemy import select

from hub.models import Incident, SatisfactionAnswer, utcnow
from web.incident_search import SORTS, FilterError, IncidentFilter
from web.permissions import VIEW_INCIDENTS, requires
from web.queries import WITH_MAJOR, incident_json
from web.services import services

bp = Blueprint("incident_export", __name__)

COLUMNS = ("ref", "title", "status", "priority", "severity", "category", "service", "ci", "assignee", "requester",
           "source", "occurrences", "first_seen", "last_seen", "acknowledged_at", "resolved_at", "resolution",
           "labels", "minutes_spent", "satisfaction", "satisfaction_comment")  # fmt: skip
MAX_ROWS = 100_000  # past this, narrow the filter: a spreadsheet of more is not read by anyone
CHUNK = 1000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@bp.get("/incidents.csv")
@requires(VIEW_INCIDENTS)
def download() -> Response:
    try:
        filt = IncidentFilter.from_args(request.args, me=current_user.email)
    except FilterError as exc:
        abort(400, description=f"{exc}.")
    filename = f"incidents-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(
        stream_with_context(csv_lines(filt)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_lines(filt: IncidentFilter) -> Iterator[str]:
    """The header, then one line per incident; a BOM first so spreadsheet programs read the file as UTF-8."""
    yield "\ufeff" + _line(COLUMNS)
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
            yield csv_line(row_of(incident, rating, comment))


def row_of(incident: Incident, rating: str | None = None, comment: str | None = None) -> list[Any]:
    """The incident as the API answers it (web/queries.py), in COLUMNS order; labels as one JSON cell; the
    requester's "How did we do?" answer, if they gave one."""
    fields = incident_json(incident)
    labels = fields["labels"]
    fields["labels"] = json.dumps(labels, sort_keys=True, ensure_ascii=False) if labels else ""
    fields["satisfaction"], fields["satisfaction_comment"] = rating, comment
    return [fields[name] for name in COLUMNS]


def csv_line(values: Sequence[Any]) -> str:
    """One CSV line of values, none of which a spreadsheet will run as a formula."""
    return _line([_cell(value) for value in values])


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _line(cells: Any) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()
