"""The only code that writes an Excel workbook. Everything an export writes goes
through `SafeWorkbook`, so no text anyone typed can become a formula, a number, a link
or markup.

- The workbook is opened with XlsxWriter's conversions off (`strings_to_formulas`,
  `strings_to_numbers`, `strings_to_urls`), and text is written with `write_string`
  only: "=HYPERLINK(...)" stays the text "=HYPERLINK(...)".
- XlsxWriter (3.3) writes a string that starts with "<r>" and ends with "</r>" into the
  sheet XML unescaped, taking it for a rich string it built itself; text like that could
  add a formula cell of its own. Such text is written as a two-part rich string instead,
  which XlsxWriter escapes.
- `constant_memory` streams each row to disk as it is written, so memory stays flat
  however big the cycle. The price: rows must be written top to bottom, sheet by sheet,
  and Excel tables (`add_table`) are unavailable, so each sheet has one table with an
  autofilter (Excel allows one filter per sheet).
- Dates are real Excel dates; scores are numbers shown to one decimal place; shares are
  fractions shown as percentages; text too long for a cell continues on the next rows
  (see `rows.fit_row`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from datetime import date, datetime
from typing import IO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .rows import EXCEL_CELL_LIMIT, Band, Cell, Filled, Kind, Table, fit_row, fits

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "constant_memory": True,
    # Times are stored in UTC and labelled so; Excel has no time zones.
    "remove_timezone": True,
    "default_date_format": "d mmm yyyy",
}

# Text this short fits a cell whatever its characters (each is at most two UTF-16 units).
ALWAYS_FITS = EXCEL_CELL_LIMIT // 2

NUMBER_FORMATS = {
    Kind.TEXT: None,
    Kind.INTEGER: "0",
    Kind.SCORE: "0.0",
    Kind.NUMBER: "General",
    Kind.PERCENT: "0%",
    Kind.DATE: "d mmm yyyy",
    Kind.DATETIME: "d mmm yyyy hh:mm",
}


def is_markup(text: str) -> bool:
    """Text XlsxWriter would copy into the sheet XML unescaped."""
    return text.startswith("<r>") and text.endswith("</r>")


class SafeWorkbook:
    """A workbook written one sheet at a time, top to bottom. Use as a context manager,
    or call `close()`; `rows_written` counts the data rows of each sheet's table
    (continuation rows included)."""

    def __init__(self, target: str | IO[bytes]) -> None:
        self._book = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
        self.rows_written: dict[str, int] = {}
        self.header = self._book.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bottom": 1, "bg_color": "#f3f2f1"}
        )
        self.bold = self._book.add_format({"bold": True, "valign": "top"})
        self.title = self._book.add_format({"bold": True, "font_size": 14})
        self._formats = {
            kind: self._book.add_format({"valign": "top", **({"num_format": fmt} if fmt else {})})
            for kind, fmt in NUMBER_FORMATS.items()
        }
        self._wrapped = self._book.add_format({"valign": "top", "text_wrap": True})
        # An empty format for the second part of a rich string (see `is_markup`).
        self._plain = self._book.add_format({})
        self._fills: dict[tuple[str, str, Kind], Format] = {}

    def __enter__(self) -> SafeWorkbook:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abandon()

    def close(self) -> None:
        self._book.close()

    def abandon(self) -> None:
        """Give up after a failure: write nothing more and delete the row files
        constant_memory keeps in the temporary folder (XlsxWriter only deletes them when
        it finishes a workbook)."""
        self._book.fileclosed = True
        for worksheet in self._book.worksheets():
            handle = getattr(worksheet, "row_data_fh", None)
            if handle is not None and not handle.closed:
                handle.close()
            name = getattr(worksheet, "row_data_filename", None)
            if name:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name)

    def format_for(self, kind: Kind) -> Format:
        return self._formats[kind]

    def fill(self, colour: str, font_colour: str, kind: Kind = Kind.TEXT) -> Format:
        key = (colour, font_colour, kind)
        if key not in self._fills:
            number_format = NUMBER_FORMATS[kind]
            self._fills[key] = self._book.add_format(
                {
                    "bg_color": colour,
                    "font_color": font_colour,
                    "valign": "top",
                    **({"num_format": number_format} if number_format else {}),
                }
            )
        return self._fills[key]

    def sheet(self, name: str) -> SafeSheet:
        return SafeSheet(self, self._book.add_worksheet(name))

    def add_chart(self, options: dict):
        return self._book.add_chart(options)

    def table(self, table: Table) -> SafeSheet:
        """A sheet holding just this table."""
        sheet = self.sheet(table.sheet)
        sheet.write_table(table)
        return sheet


class SafeSheet:
    def __init__(self, book: SafeWorkbook, worksheet: Worksheet) -> None:
        self.book = book
        self.worksheet = worksheet
        self.next_row = 0

    # Single cells ---------------------------------------------------------------------

    def put(
        self, row: int, col: int, value: Cell, fmt: Format | None = None, kind: Kind = Kind.TEXT
    ) -> None:
        """Write one value by its Python type. Text is always text. A `Filled` value is
        written on its colour instead of `fmt`, with the number format of `kind`."""
        ws = self.worksheet
        if value is None:
            return
        python_type = type(value)
        if python_type is str:
            if is_markup(value):
                # Two fragments, so XlsxWriter builds (and escapes) the rich string.
                parts = [value[:1], self.book._plain, value[1:]]
                ws.write_rich_string(row, col, *parts, *([fmt] if fmt is not None else []))
            else:
                ws.write_string(row, col, value, fmt)
        elif python_type is int or python_type is float:
            ws.write_number(row, col, value, fmt)
        elif python_type is datetime or python_type is date:
            ws.write_datetime(row, col, value, fmt)
        elif python_type is Filled:
            self.put(row, col, value.value, self.book.fill(value.colour, value.font_colour, kind))
        elif python_type is bool:
            raise TypeError("Write Yes or No, not a bool")
        else:
            raise TypeError(f"Cannot write a {python_type.__name__} to a cell")

    def heading(self, text: str) -> None:
        self.put(self.next_row, 0, text, self.book.title)
        self.next_row += 2

    def pairs(self, pairs: Sequence[tuple[str, Cell, Kind]], *, widths=(28, 90)) -> None:
        """A label: value list (a cover sheet, not a table)."""
        self.worksheet.set_column(0, 0, widths[0])
        self.worksheet.set_column(1, 1, widths[1])
        for label, value, kind in pairs:
            self.put(self.next_row, 0, label, self.book.bold)
            fmt = self.book._wrapped if kind is Kind.TEXT else self.book.format_for(kind)
            self.put(self.next_row, 1, value, fmt)
            self.next_row += 1
        self.next_row += 1

    def skip(self, rows: int = 1) -> None:
        self.next_row += rows

    # Tables ---------------------------------------------------------------------------

    def write_table(self, table: Table, *, filtered: bool = True, frozen: bool = True) -> int:
        """Write a table from `next_row`: bold header, typed cells, column widths, an
        autofilter over header and data (not the footer), and the header row (and any
        key columns) frozen. Returns the number of data rows written."""
        ws = self.worksheet
        first = self.next_row
        columns = table.columns
        for index, column in enumerate(columns):
            ws.set_column(index, index, column.width)
            self.put(first, index, column.header, self.book.header)
        formats = [self.book.format_for(column.kind) for column in columns]
        kinds = [column.kind for column in columns]
        text_columns = [i for i, c in enumerate(columns) if c.kind is Kind.TEXT]
        row_index = first + 1
        put = self.put
        # The loop below runs once per cell (700,000 times for 400 agencies), so the
        # plain cases call XlsxWriter directly; anything else (a colour, text that
        # could be markup, a wrong type) goes through `put`, which has every rule.
        write_string, write_number, write_datetime = (
            ws.write_string,
            ws.write_number,
            ws.write_datetime,
        )
        width = len(columns)
        for row in table.rows:
            if len(row) != width:
                raise ValueError(f"{table.sheet}: a row has {len(row)} values for {width} columns")
            lines = [row]
            for index in text_columns:
                value = row[index]
                if type(value) is str and len(value) > ALWAYS_FITS and not fits(value):
                    lines = fit_row(
                        row, key_columns=table.key_columns, note_column=table.note_column
                    )
                    break
            for line in lines:
                for col, value in enumerate(line):
                    if value is None:
                        continue
                    python_type = type(value)
                    if python_type is str and not value.startswith("<r>"):
                        write_string(row_index, col, value, formats[col])
                    elif python_type is int or python_type is float:
                        write_number(row_index, col, value, formats[col])
                    elif python_type is datetime or python_type is date:
                        write_datetime(row_index, col, value, formats[col])
                    else:
                        put(row_index, col, value, formats[col], kinds[col])
                row_index += 1
        last = row_index - 1
        if filtered:
            ws.autofilter(first, 0, max(first, last), len(columns) - 1)
        if frozen:
            ws.freeze_panes(first + 1, table.freeze_columns)
        written = last - first
        if table.footer:
            row_index += 1
            for line in table.footer:
                for col, value in enumerate(line):
                    put(row_index, col, value, formats[col] if col else self.book.bold, kinds[col])
                row_index += 1
        self.next_row = row_index + 1
        self.book.rows_written[table.sheet] = self.book.rows_written.get(table.sheet, 0) + written
        return written

    def colour_bands(
        self, first_row: int, first_col: int, last_row: int, last_col: int, bands: list[Band]
    ) -> None:
        """Colour number cells in a range by the band their value falls in (blank and
        text cells stay uncoloured)."""
        if last_row < first_row or last_col < first_col:
            return
        from xlsxwriter.utility import xl_rowcol_to_cell

        top_left = xl_rowcol_to_cell(first_row, first_col)
        for band in bands:
            above = ">=" if band.inclusive_low else ">"
            self.worksheet.conditional_format(
                first_row,
                first_col,
                last_row,
                last_col,
                {
                    "type": "formula",
                    "criteria": (
                        f"=AND(ISNUMBER({top_left}),{top_left}{above}{band.low!r},"
                        f"{top_left}<={band.high!r})"
                    ),
                    "format": self.book.fill(band.colour, band.font_colour),
                },
            )
