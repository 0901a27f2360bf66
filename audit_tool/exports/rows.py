"""What a table in an export is, independent of the library that writes it.

A `Table` is a sheet name, typed `Column`s and rows of plain Python values: `str`,
`int`/`float`, `date`/`datetime`, `Filled` (any of those on a colour) or `None` (an
empty cell). Row builders return tables;
`cells.SafeWorkbook` writes them. Nothing here touches XlsxWriter or the database.

Excel holds at most 32,767 characters in a cell and silently cuts anything longer.
`fit_row` splits such text over continuation rows instead, repeating the row's key
columns and saying so in its note column, so nothing an agency typed is lost: joining
the parts in order gives back the text exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

# Excel's limit, counted as Excel counts: in UTF-16 code units (an emoji counts two).
EXCEL_CELL_LIMIT = 32_767


@dataclass(frozen=True)
class Filled:
    """A value shown on a background colour: a grade in its scale's colour. The colour
    is decided when the row is built, because `constant_memory` cannot change a cell's
    format after its row is written. A CSV copy holds just the value."""

    value: str | int | float | date | datetime
    colour: str
    font_colour: str = "#0b0c0c"


Cell = str | int | float | date | datetime | Filled | None


class Kind(StrEnum):
    """How a column's values are shown in Excel."""

    TEXT = "text"
    INTEGER = "integer"  # counts: 0 decimal places
    SCORE = "score"  # 0-100 scores: one decimal place (the value itself is unrounded)
    NUMBER = "number"  # weights and other plain numbers
    PERCENT = "percent"  # stored as a fraction (0.75), shown as 75%
    DATE = "date"
    DATETIME = "datetime"  # UTC


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    width: float = 14


@dataclass
class Table:
    """One sheet's table. `key_columns` leading columns identify a row and are repeated
    on continuation rows; `note_column` (an index) is where split text is explained.
    `footer` rows go below the table, after a blank row and outside its filter (for
    totals such as the partnership's mean)."""

    sheet: str
    columns: list[Column]
    rows: Iterable[Sequence[Cell]]
    key_columns: int = 1
    note_column: int | None = None
    freeze_columns: int = 0
    footer: list[Sequence[Cell]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.note_column is not None and not (0 <= self.note_column < len(self.columns)):
            raise ValueError(f"{self.sheet}: note column {self.note_column} is not a column")
        if self.key_columns > len(self.columns):
            raise ValueError(f"{self.sheet}: more key columns than columns")


@dataclass(frozen=True)
class Band:
    """A range of scores shown in one rating's colour: above `low` (or from it, when
    `inclusive_low`) up to and including `high`."""

    low: float
    high: float
    colour: str
    font_colour: str
    inclusive_low: bool = False


def utf16_len(text: str) -> int:
    # Characters outside the Basic Multilingual Plane take two UTF-16 code units.
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def fits(text: str, limit: int = EXCEL_CELL_LIMIT) -> bool:
    # Every character is at most two code units, so short text needs no counting.
    return len(text) * 2 <= limit or utf16_len(text) <= limit


def split_text(text: str, limit: int = EXCEL_CELL_LIMIT) -> list[str]:
    """Split text into parts that each fit a cell. Joining the parts gives back the text
    exactly. A part ends after a line break or a space near the limit where there is
    one, so words are not cut in two."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    parts = []
    rest = text
    while not fits(rest, limit):
        end = _longest_prefix(rest, limit)
        window = rest[max(0, end - 2000) : end]
        for separator in ("\n", " "):
            cut = window.rfind(separator)
            if cut != -1:
                end = end - len(window) + cut + 1
                break
        parts.append(rest[:end])
        rest = rest[end:]
    parts.append(rest)
    return parts


def _longest_prefix(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 code units."""
    units = 0
    for index, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def continues_note(parts: int) -> str:
    more = parts - 1
    rows = "row" if more == 1 else "rows"
    return (
        f"Text longer than Excel's 32,767-character cell limit continues on the next {more} {rows}."
    )


def continued_note(part: int, parts: int) -> str:
    return f"Continued from the row above (part {part} of {parts})."


def fit_row(
    row: Sequence[Cell],
    *,
    key_columns: int,
    note_column: int | None,
    limit: int = EXCEL_CELL_LIMIT,
) -> list[list[Cell]]:
    """The row as it goes into the sheet: itself, or itself followed by continuation rows
    when some text is too long for one cell. A continuation row repeats the key columns,
    carries the next part of each long text in its own column, and is otherwise empty
    apart from a note. Notes are added to whatever the note column already holds."""
    split = {
        index: split_text(value, limit)
        for index, value in enumerate(row)
        if isinstance(value, str) and not fits(value, limit)
    }
    if not split:
        return [list(row)]
    if note_column is None:
        raise ValueError("A table with text longer than a cell needs a note column")
    parts = max(len(p) for p in split.values())
    first = list(row)
    for index, pieces in split.items():
        first[index] = pieces[0]
    first[note_column] = _join_notes(first[note_column], continues_note(parts))
    out = [first]
    for number in range(1, parts):
        extra: list[Cell] = [None] * len(row)
        extra[:key_columns] = row[:key_columns]
        for index, pieces in split.items():
            if number < len(pieces):
                extra[index] = pieces[number]
        extra[note_column] = continued_note(number + 1, parts)
        out.append(extra)
    return out


def _join_notes(existing: Cell, note: str) -> str:
    if existing in (None, ""):
        return note
    return f"{existing} {note}"


def yes_no(value: bool | None) -> str | None:
    if value is None:
        return None
    return "Yes" if value else "No"


def percent(value: float) -> float:
    """A percentage (75.0) as the fraction Excel's % format expects (0.75)."""
    return value / 100
