"""Configuration items from a CSV file (`switchboard ci import`): what an asset register or a spreadsheet holds.

Columns `name` and `kind` are needed; `service`, `owner` and `description` are read when present; every other
column is an attribute (an empty cell: that attribute is removed). Rows are upserted by name, so importing the same
file again changes nothing. A row that cannot be a CI is refused with its line number, and the others still go in.
Rows are written in batches of BATCH, each its own transaction, so a long file shows progress and holds the
database's write lock only briefly at a time.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from sqlalchemy.orm import Session

from hub import cis
from hub.errors import BadInput

REQUIRED = ("name", "kind")
KNOWN = ("name", "kind", "service", "owner", "description")
BATCH = 500


@dataclass(frozen=True)
class Row:
    """One data row of the file, with the line it starts on (as an editor numbers it, the header being line 1)."""

    line: int
    fields: cis.CiFields


@dataclass(frozen=True)
class Refused:
    line: int
    why: str


@dataclass
class Summary:
    """What an import did, counted as it goes."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[Refused] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.refused)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def text(self) -> str:
        return (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.refused)} refused")  # fmt: skip


def read_rows(source: TextIO) -> Iterator[Row | Refused]:
    """The file's rows as CI fields (not checked yet: `cis.checked` does that), or why one cannot be read.
    BadInput when the header lacks a needed column."""
    reader = csv.reader(source)
    try:
        header = [column.strip().lower() for column in next(reader, [])]
    except (csv.Error, UnicodeDecodeError) as exc:
        raise BadInput(f"the first line cannot be read: {_unreadable(exc)}") from None
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise BadInput(f"the first line must name the columns, with {' and '.join(missing)} among them, e.g. "
                       f"{','.join(KNOWN)},ip,location")  # fmt: skip
    if len(set(header)) != len(header):
        raise BadInput("a column is named twice in the first line")
    line = reader.line_num
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:  # the reader goes on with the next line
            start, line = line + 1, reader.line_num
            yield Refused(start, _unreadable(exc))
            continue
        except UnicodeDecodeError as exc:  # the rest of the file cannot be read: what was read still counts
            yield Refused(line + 1, _unreadable(exc))
            return
        if cells is None:
            return
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            yield Refused(start, f"{len(cells)} cells, but the first line names {len(header)} columns")
            continue
        values = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        attributes = {column: value for column, value in values.items() if column not in KNOWN}
        yield Row(start, cis.CiFields(name=values.get("name", ""), kind=values.get("kind", ""),
                                      service=values.get("service"), owner=values.get("owner"),
                                      description=values.get("description", ""), attributes=attributes))  # fmt: skip


def _unreadable(exc: csv.Error | UnicodeDecodeError) -> str:
    """Why a line cannot be read, and what to do about it."""
    if isinstance(exc, UnicodeDecodeError):  # decoded a block at a time: the byte is here or a little further on
        return (
            "the file is not UTF-8 from about here on; save it as CSV UTF-8 and import it again (the rows "
            "before are in, and stay unchanged)"
        )
    return (
        f"cannot be read as CSV ({exc}): is a double quote above left open? A cell holding commas, quotes or "
        'line breaks goes in double quotes, each quote in it doubled: "say ""hi"""'
    )


def _batches(items: Iterable[Row | Refused], size: int) -> Iterator[list[Row | Refused]]:
    batch: list[Row | Refused] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def run(
    source: TextIO,
    in_transaction: Callable[[Callable[[Session], None]], None],
    progress: Callable[[Summary], None] = lambda summary: None,
    *,
    batch: int = BATCH,
) -> Summary:
    """Import the file through `in_transaction(work)` (one call per batch); `progress` hears after each batch."""
    summary = Summary()
    seen: dict[str, int] = {}  # a name's key -> the line that first named it
    for items in _batches(read_rows(source), batch):

        def write(session: Session, items: list[Row | Refused] = items) -> None:
            known_services = cis.service_names(session)
            for item in items:
                if isinstance(item, Refused):
                    summary.refused.append(item)
                    continue
                key = cis.name_key(item.fields.name)
                if key and key in seen:
                    summary.refused.append(Refused(item.line, f"the same name as line {seen[key]}"))
                    continue
                try:
                    with session.begin_nested():
                        _row, outcome = cis.put(session, item.fields, known_services=known_services)
                except BadInput as exc:
                    summary.refused.append(Refused(item.line, str(exc)))
                    continue
                seen[key] = item.line
                summary.count(outcome)

        in_transaction(write)
        progress(summary)
    return summary
