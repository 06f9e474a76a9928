"""Whatever a CSV file holds, the CI import reads each line as a CI, refuses it naming its line, or refuses the
file for its first line: no other exception escapes, and what it keeps is what `cis.checked` lets through.

Files are drawn from the cells spreadsheets get wrong: quotes left open, separators other than commas, line breaks
inside and outside quotes, NUL, a byte-order mark, cells past the csv module's field limit, bytes that are no
UTF-8; each file is read as `switchboard ci import` opens it (UTF-8 with an optional BOM, universal newlines).
Below the property, each file it found breaking the import, shrunk, kept as the behaviour it fixed.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub import ci_import, cis
from hub.errors import BadInput
from tests.fuzzing import fuzz

CELLS = st.sampled_from(["name", "kind", "NAME", " Kind", "server", "database", "db1", "mail", "ip", "", " ", '"',
                         '""', '"a,b"', "\x00", "\r", "\n", "\r\n", ",", ";", "\ufeff", "\u2028", "new", "a/b",
                         "x" * (csv.field_size_limit() + 1), "y" * 300]) | st.text(max_size=8)  # fmt: skip
BYTES = st.sampled_from([b"", b"\xff", b"\xc3", b"\xe2\x82", b"\xef\xbb\xbf"])


def opened(raw: bytes) -> io.TextIOWrapper:
    """The file as click.File("r", encoding="utf-8-sig") hands it to the command."""
    return io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig")


def read_or_refuse(raw: bytes) -> list[ci_import.Row | ci_import.Refused]:
    try:
        items = list(ci_import.read_rows(opened(raw)))
    except BadInput as exc:
        assert str(exc), "a refusal must say why"
        return []
    for item in items:
        if isinstance(item, ci_import.Refused):
            assert item.line >= 2 and item.why
            continue
        try:
            cis.checked(item.fields, {"mail"})
        except BadInput as exc:
            assert str(exc)
    return items


@fuzz(300)
@given(st.lists(st.tuples(st.lists(CELLS, max_size=5), BYTES), max_size=6), st.sampled_from([",", ";", "\t"]))
def test_any_csv_file_is_read_a_line_at_a_time_or_refused_with_a_reason(
    lines: list[tuple[list[str], bytes]], separator: str
) -> None:
    read_or_refuse(b"".join(separator.join(cells).encode("utf-8") + junk + b"\n" for cells, junk in lines))


def test_a_cell_past_the_csv_field_limit_is_refused_with_its_line_and_the_next_lines_still_read() -> None:
    """A quote left open swallows the file into one cell: csv.Error escaped as a traceback."""
    raw = b'name,kind\n"' + b"x" * (csv.field_size_limit() + 1) + b'",server\ndb2,server\n'
    items = read_or_refuse(raw)
    assert isinstance(items[0], ci_import.Refused) and items[0].line == 2
    assert "cannot be read as CSV (field larger than field limit" in items[0].why
    assert [(item.line, item.fields.name) for item in items[1:] if isinstance(item, ci_import.Row)] == [(3, "db2")]


def test_a_file_that_is_not_utf8_keeps_the_rows_before_and_refuses_the_rest_saying_how_to_save_it() -> None:
    """UnicodeDecodeError escaped as a traceback (Excel's plain "CSV" is Windows-1252)."""
    items = read_or_refuse(b"name,kind\ndb1,server\n")
    assert [item.fields.name for item in items if isinstance(item, ci_import.Row)] == ["db1"]
    big = b"name,kind\n" + b"".join(b"db%d,server\n" % n for n in range(2000)) + b"caf\xe9,server\n"
    items = read_or_refuse(big)
    refused = [item for item in items if isinstance(item, ci_import.Refused)]
    assert len(refused) == 1 and "save it as CSV UTF-8" in refused[0].why
    assert 1000 < len(items) - 1 <= 2000, "the rows before the bad byte are read"


def test_a_header_that_is_not_utf8_refuses_the_file_saying_how_to_save_it() -> None:
    with pytest.raises(BadInput, match="the first line cannot be read: the file is not UTF-8"):
        list(ci_import.read_rows(opened(b"n\xe4me,kind\ndb1,server\n")))
