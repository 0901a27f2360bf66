"""A cycle's returns tracker as a table, for its CSV download (the action tracker's is
`action_rows.action_tracker_table`). Pure, like `s11_rows`: plain data in, a `Table` out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .rows import Column, Kind, Table, percent, yes_no


@dataclass(frozen=True)
class TrackedReturn:
    """One agency's return as the cycle page's returns tracker shows it."""

    agency: str
    sector: str
    status: str
    overdue: bool
    percent_complete: int  # 0 to 100
    last_activity_at: datetime | None = None
    submitted_at: datetime | None = None


RETURNS_TRACKER_COLUMNS = [
    Column("Agency", Kind.TEXT, 30),
    Column("Sector", Kind.TEXT, 14),
    Column("Status", Kind.TEXT, 12),
    Column("Overdue", Kind.TEXT, 9),
    Column("Complete", Kind.PERCENT, 9),
    Column("Last activity (UTC)", Kind.DATETIME, 16),
    Column("Submitted (UTC)", Kind.DATETIME, 16),
]


def returns_tracker_table(returns: Iterable[TrackedReturn]) -> Table:
    rows = [
        [
            r.agency,
            r.sector,
            r.status,
            yes_no(r.overdue),
            percent(r.percent_complete),
            r.last_activity_at,
            r.submitted_at,
        ]
        for r in returns
    ]
    return Table("Returns", RETURNS_TRACKER_COLUMNS, rows)
