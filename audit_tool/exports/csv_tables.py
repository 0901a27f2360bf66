"""CSV copies of the tables on screen, built from the same `Table`s as the workbooks.

A spreadsheet opening a CSV file runs any cell that starts with "=", "+", "-" or "@" as
a formula (and a leading tab or carriage return can hide one), so `escape_cell` puts an
apostrophe in front of every such cell: `=HYPERLINK(...)` arrives as the text
`'=HYPERLINK(...)`. Every cell is escaped, headers included, whatever its column: a
CSV file has no types, so a column of numbers is no safer than one of text.

Files start with a UTF-8 byte order mark: without it, Excel reads them in the machine's
legacy code page and garbles every accented letter and dash.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from .rows import Cell, Filled, Kind, Table

# OWASP's list of the characters that make a spreadsheet treat a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def escape_cell(text: str) -> str:
    """Text a spreadsheet shows as it is, never runs as a formula."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def cell_text(value: Cell, kind: Kind) -> str:
    """One cell as CSV text: dates as 2026-03-31 (which Excel reads as a date in any
    locale), times in UTC to the minute, scores to one decimal place as on the workbooks,
    shares as percentages."""
    if value is None:
        return ""
    if type(value) is Filled:
        value = value.value
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, bool):
        raise TypeError("Write Yes or No, not a bool")
    elif isinstance(value, float) and kind is Kind.SCORE:
        text = f"{value:.1f}"
    elif isinstance(value, float) and kind is Kind.PERCENT:
        text = f"{value * 100:.0f}%"
    elif isinstance(value, int | float):
        text = f"{value:g}" if isinstance(value, float) else str(value)
    else:
        text = value
    return escape_cell(text)


@dataclass(frozen=True)
class CsvFile:
    data: bytes
    rows: int  # data rows, not counting the header or footer


def table_csv(table: Table) -> CsvFile:
    """The table as a CSV file: a header row, the data rows, then any footer rows (the
    partnership's mean, for example) straight after, as on the page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    kinds = [column.kind for column in table.columns]
    writer.writerow([escape_cell(column.header) for column in table.columns])
    rows = 0
    for row in table.rows:
        if len(row) != len(kinds):
            raise ValueError(f"{table.sheet}: a row has {len(row)} values for {len(kinds)} columns")
        writer.writerow([cell_text(value, kind) for value, kind in zip(row, kinds, strict=True)])
        rows += 1
    for row in table.footer:
        writer.writerow([cell_text(value, kind) for value, kind in zip(row, kinds, strict=True)])
    return CsvFile(data=(BOM + buffer.getvalue()).encode("utf-8"), rows=rows)
