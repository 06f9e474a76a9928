"""web/csv_files.py's cells: whatever a sender wrote, no spreadsheet runs it as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from web.csv_files import csv_line


def cell(value: str) -> str:
    (read,) = csv.reader(io.StringIO(csv_line([value])))
    return read[0]


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example","click")',
        "+1+1",
        "-1+1",
        "@SUM(A1)",
        "\t=1+1",
        "  =1+1",  # spreadsheets skip the blanks
        "\u00a0=1+1",  # a no-break space
        "\u3000=1+1",  # an ideographic space
        '\uff1dHYPERLINK("http://evil.example")',  # a full-width =
        "\uff0b1+1",
        "\uff0d1+1",
        "\uff20SUM(A1)",
    ],
)
def test_a_cell_a_spreadsheet_would_run_as_a_formula_starts_with_an_apostrophe(value: str) -> None:
    assert cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Disk full", "a=b", "INC-1", "", "  indented", "\uff21BC"])
def test_other_cells_are_written_as_they_are(value: str) -> None:
    assert cell(value) == value
