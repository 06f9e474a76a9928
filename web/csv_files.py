"""What every CSV download shares: cells no spreadsheet runs as formulas, and times in the zone of whoever exports.

People open these files in a spreadsheet and read a time as the wall clock they live by; a UTC time there reads hours
wrong. So a time is written in the exporting person's zone (as their pages show it, web/local_time.py), as ISO 8601
with its UTC offset: the spreadsheet shows the local time, a program still reads the exact instant, and `?tz=UTC`
(or any IANA zone) gives a script the same file in that zone instead. The zone is named in the file's name rather
than in a header line, which every CSV reader would have to skip.

What senders wrote (titles, labels) can start with `=`, which a spreadsheet would run as a formula: such a cell is
written with a leading apostrophe, as OWASP advises against CSV injection. Spreadsheets also run `  =1+1` (they skip
leading blanks) and a full-width equals sign (U+FF1D, as East Asian input methods type it) followed by `1+1`, which
they read as `=`; so a cell is judged as it reads with leading blanks skipped and after NFKC folding, which turns
the full-width `=`, `+`, `-` and `@` into the ASCII ones.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, request

from hub import zones
from hub.errors import BadInput
from web.local_time import viewer_zone

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # first, so spreadsheet programs read the file as UTF-8


def export_zone() -> ZoneInfo:
    """The zone this download writes times in: the request's `?tz=`, else the person's own (as on their pages).
    A `tz` that names no zone ends the request with a 400 saying what to write instead."""
    asked = request.args.get("tz", "").strip()
    if not asked:
        return viewer_zone()
    try:
        return zones.zone_of(asked)
    except BadInput as exc:
        abort(400, description=f"tz: {exc}, or leave it out for your own zone ({viewer_zone().key}).")


def exported_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """A time as every export writes it: `2026-11-27T10:14:00+01:00` in `zone`; an empty cell for none."""
    return zones.with_offset(moment, zone) if moment is not None else ""


def filename(stem: str, zone: ZoneInfo, moment: datetime) -> str:
    """The download's name, with the time it was made and the zone its times are in:
    `incidents-2026-11-27-1014-Europe-Berlin.csv`."""
    return f"{stem}-{zones.to_local(moment, zone):%Y-%m-%d-%H%M}-{zone.key.replace('/', '-')}.csv"


def attachment(lines: Iterable[str], name: str) -> Response:
    """CSV lines (a stream is fine) as a file to save, named `name`, the BOM first."""

    def with_bom() -> Iterable[str]:
        yield BOM
        yield from lines

    return Response(with_bom(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def csv_line(values: Sequence[Any]) -> str:
    """One CSV line of values, none of which a spreadsheet will run as a formula."""
    return csv_text([values])


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """The CSV lines of many rows, as `csv_line` writes each: one writer for them all (a writer a line cost more
    than writing the line)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([_cell(value) for value in values] for values in rows)
    return out.getvalue()


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if _runs_as_formula(text) else text


def _runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet would read `text` as a formula: its first character is one that starts one, or is once
    full-width forms are folded and leading blanks skipped (a tab or line break first is a start of its own)."""
    return text.startswith(_FORMULA_STARTS) or unicodedata.normalize("NFKC", text).lstrip().startswith(_FORMULA_STARTS)
