"""A case-file audit round as a workbook, for the PQA sub-group and the panel.

Sheets, in order: About, Cases, Agency grades, Judgements, Divergence, Returns, Learning,
Actions, Concerns (docs/exports.md describes each column). Grades are shown on the
judgement scale's colours (`case_grading.Grade.colour`), set cell by cell as each row is
written.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import IO

from sqlalchemy.orm import Session

from ..models import CaseAuditRound, User
from ..services.case_exports import load_round_export
from . import action_rows, case_rows
from .case_rows import RoundExport
from .cells import SafeWorkbook
from .rows import Column, Kind, Table

KIND = "case_round_workbook"

SHEETS = [
    ("About", "What this workbook is, when and by whom it was made, and the judgement scale."),
    ("Cases", "Each case, each agency's return on it and the meeting's overall judgement."),
    ("Agency grades", "Every answer each agency gave on each case, with its section notes."),
    ("Judgements", "Per case and section: agencies' grades side by side, and the meeting's."),
    ("Divergence", "Questions where agencies' grades on a case are two or more levels apart."),
    ("Returns", "Every agency's return on every case: submitted, late, missing or overdue."),
    ("Learning", "The learning the meeting recorded, by case, and where its theme recurs."),
    ("Actions", "Actions the meeting agreed with agencies, with their progress."),
    ("Concerns", "Immediate safeguarding concerns raised, who follows them up and by when."),
]


def build_case_round_workbook(
    session: Session,
    *,
    audit_round: CaseAuditRound,
    by: User | None,
    target: str | IO[bytes],
    today: date,
    now: datetime,
) -> dict[str, int]:
    """Write the round's workbook to `target` and return the data rows of each sheet.
    Nothing is written to the database: the caller records the export."""
    export = load_round_export(session, audit_round=audit_round, by=by, today=today, now=now)
    with SafeWorkbook(target) as book:
        write_case_round_workbook(book, export)
    return book.rows_written


def write_case_round_workbook(book: SafeWorkbook, export: RoundExport) -> None:
    about = book.sheet("About")
    about.heading(f"{export.name}: case-file audit workbook")
    about.pairs(case_rows.about_pairs(export))
    about.put(about.next_row, 0, "Judgement scale", book.bold)
    about.skip()
    about.write_table(case_rows.scale_table(), filtered=False, frozen=False)
    about.put(about.next_row, 0, "Sheets in this workbook", book.bold)
    about.skip()
    about.write_table(
        Table(
            "About",
            [Column("Sheet", Kind.TEXT, 28), Column("What it holds", Kind.TEXT, 90)],
            [list(pair) for pair in SHEETS],
        ),
        filtered=False,
        frozen=False,
    )
    for table in (
        case_rows.cases_table(export),
        case_rows.agency_grades_table(export),
        case_rows.judgements_table(export),
        case_rows.divergence_table(export),
        case_rows.returns_table(export),
        case_rows.learning_table(export),
        action_rows.round_actions_table(export.actions),
        case_rows.concerns_table(export),
    ):
        book.table(table)
