"""An agency lead's own return as a workbook: their answers and evidence, their
scorecard against the partnership average, their flags, what their challenge panels
released to them, and their actions. Never another agency's data: the partnership
average is the only figure that draws on other agencies, as on the scorecard page.

Sheets, in order: About, Scorecard, Responses, Evidence items, Flags, Panel feedback,
Actions (docs/exports.md describes each column).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import IO

from sqlalchemy.orm import Session

from ..models import Assessment, User
from ..services import exports as export_service
from ..services.exports import Audience, CycleExport
from . import action_rows, s11_rows
from .cells import SafeWorkbook
from .rows import Kind
from .s11_workbook import flag_table, response_table, score_bands, write_about, write_evidence

KIND = "section_11_agency_workbook"

SHEETS = [
    ("About", "What this workbook is, when and by whom it was made, and the rating scale."),
    ("Scorecard", "Your agency's score on each standard beside the partnership average."),
    ("Responses", "Your answers: ratings, everything you typed, the panel's ratings."),
    ("Evidence items", "Your current evidence items, with their dates."),
    ("Flags", "Points the challenge panel is likely to ask about."),
    ("Panel feedback", "Your challenge panels: challenges and your answers, and the outcome."),
    ("Actions", "Your actions from this return and its challenge panels."),
]

WHAT_IS_IN_IT = (
    "Your agency's return only. No other agency is named or shown; the partnership "
    "average is the mean of every agency taking part. The panel's outcome, its ratings "
    "and whether it was satisfied with your answers appear once the chair has signed the "
    "panel off. The panel's private notes are never included."
)


def build_agency_workbook(
    session: Session,
    *,
    assessment: Assessment,
    by: User | None,
    target: str | IO[bytes],
    essential_weight: float,
    today: date,
    now: datetime,
) -> dict[str, int]:
    """Write one agency's workbook for one return to `target`; returns the data rows of
    each sheet. The caller has checked that `by` leads this agency."""
    whole = export_service.load_cycle_export(
        session,
        cycle=assessment.cycle,
        by=by,
        essential_weight=essential_weight,
        today=today,
        now=now,
    )
    export = export_service.only_agency(whole, assessment.agency_id)
    export.filters = {"agency": assessment.agency.name}
    with SafeWorkbook(target) as book:
        write_agency_workbook(session, book, export, assessment=assessment)
    return book.rows_written


def write_agency_workbook(
    session: Session, book: SafeWorkbook, export: CycleExport, *, assessment: Assessment
) -> None:
    agency = assessment.agency
    write_about(
        book,
        export,
        sheets=SHEETS,
        title=f"{agency.name}: {export.cycle.name}",
        extra=[
            ("Agency", agency.name, Kind.TEXT),
            ("Sector", agency.sector.label, Kind.TEXT),
            ("Return status", assessment.status.label, Kind.TEXT),
            ("Submitted (UTC)", assessment.submitted_at, Kind.DATETIME),
            (
                "Signed off by",
                f"{assessment.declaration_name} ({assessment.declaration_role})"
                if assessment.declaration_name
                else None,
                Kind.TEXT,
            ),
            ("What this workbook holds", WHAT_IS_IN_IT, Kind.TEXT),
        ],
    )
    sheet = book.sheet("Scorecard")
    first = sheet.next_row
    sheet.write_table(
        s11_rows.scorecard_table(
            agency_id=assessment.agency_id,
            standards=export.standards,
            scores=export.scores,
            self_scores=export.self_scores,
        )
    )
    sheet.colour_bands(first + 1, 2, sheet.next_row - 2, 4, score_bands(export))
    book.table(
        response_table(
            session, export, fields=s11_rows.AGENCY_RESPONSE_FIELDS, audience=Audience.AGENCY
        )
    )
    write_evidence(session, book, export)
    book.table(flag_table(export))
    book.table(
        s11_rows.panel_table(
            export_service.attendances(
                session, export.cycle, audience=Audience.AGENCY, assessment_id=assessment.id
            ),
            sheet="Panel feedback",
        )
    )
    book.table(
        action_rows.action_table(
            export_service.cycle_actions(
                session, export.cycle, today=export.today, assessment_id=assessment.id
            )
        )
    )
