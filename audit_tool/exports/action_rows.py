"""An action as every export shows it: the Section 11 workbook's and the agency
workbook's Actions sheets, the case round workbook's and the action tracker's CSV all
list the same columns after their own leading ones. Pure: plain data in, a `Table` out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from .rows import Cell, Column, Kind, Table, yes_no


@dataclass(frozen=True)
class ActionInfo:
    agency: str
    sector: str
    source: str
    criterion_code: str | None
    description: str
    owner: str
    due_on: date
    status: str
    overdue_days: int | None  # None unless overdue
    raised_at: datetime | None = None
    closed_at: datetime | None = None
    updates: int = 0
    latest_note: str = ""
    latest_at: datetime | None = None
    case_reference: str | None = None  # actions agreed at a case-audit meeting


# What every table of actions shows after saying whose action it is.
ACTION_DETAIL_COLUMNS = [
    Column("Action", Kind.TEXT, 50),
    Column("Owner", Kind.TEXT, 20),
    Column("Due", Kind.DATE, 12),
    Column("Status", Kind.TEXT, 11),
    Column("Overdue", Kind.TEXT, 9),
    Column("Days overdue", Kind.INTEGER, 9),
    Column("Raised (UTC)", Kind.DATETIME, 16),
    Column("Closed (UTC)", Kind.DATETIME, 16),
    Column("Progress updates", Kind.INTEGER, 9),
    Column("Latest progress", Kind.TEXT, 50),
    Column("Latest progress on (UTC)", Kind.DATETIME, 16),
]


def action_details(a: ActionInfo) -> list[Cell]:
    """An action's cells under `ACTION_DETAIL_COLUMNS`."""
    return [
        a.description,
        a.owner,
        a.due_on,
        a.status,
        yes_no(a.overdue_days is not None),
        a.overdue_days,
        a.raised_at,
        a.closed_at,
        a.updates,
        a.latest_note or None,
        a.latest_at,
    ]


ACTION_COLUMNS = [
    Column("Agency", Kind.TEXT, 30),
    Column("Sector", Kind.TEXT, 14),
    Column("Source", Kind.TEXT, 16),
    Column("Criterion", Kind.TEXT, 9),
    *ACTION_DETAIL_COLUMNS,
    Column("Notes", Kind.TEXT, 20),
]


def action_table(actions: Iterable[ActionInfo], *, sheet: str = "Actions") -> Table:
    rows = [
        [
            a.agency,
            a.sector,
            a.source,
            a.criterion_code,
            *action_details(a),
            None,
        ]
        for a in actions
    ]
    return Table(sheet, ACTION_COLUMNS, rows, key_columns=1, note_column=len(ACTION_COLUMNS) - 1)


ACTION_TRACKER_COLUMNS = [
    Column("Agency", Kind.TEXT, 30),
    Column("Sector", Kind.TEXT, 14),
    Column("Source", Kind.TEXT, 16),
    Column("Criterion", Kind.TEXT, 9),
    Column("Case", Kind.TEXT, 12),
    *ACTION_DETAIL_COLUMNS,
]


def action_tracker_table(actions: Iterable[ActionInfo]) -> Table:
    """Every action the tracker shows, in its order (soonest due first)."""
    rows = [
        [
            a.agency,
            a.sector,
            a.source,
            a.criterion_code,
            a.case_reference,
            *action_details(a),
        ]
        for a in actions
    ]
    return Table("Actions", ACTION_TRACKER_COLUMNS, rows)


ROUND_ACTION_COLUMNS = [
    Column("Case", Kind.TEXT, 13),
    Column("Agency", Kind.TEXT, 28),
    *ACTION_DETAIL_COLUMNS,
    Column("Notes", Kind.TEXT, 20),
]


def round_actions_table(actions: Iterable[ActionInfo]) -> Table:
    """The actions the meeting agreed, soonest due first (as the tracker lists them)."""
    rows = [
        [
            a.case_reference,
            a.agency,
            *action_details(a),
            None,
        ]
        for a in actions
    ]
    return Table("Actions", ROUND_ACTION_COLUMNS, rows, note_column=len(ROUND_ACTION_COLUMNS) - 1)
