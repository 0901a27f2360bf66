"""The PQA sub-group's Section 11 cycle workbook: every agency, every answer.

Sheets, in order: About, Summary, Heat map, Criteria, Responses, Evidence items, Flags,
Actions, Panels (docs/exports.md describes each column). Written with `constant_memory`,
so each sheet is written top to bottom and memory stays flat at 400 agencies.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import IO

from sqlalchemy.orm import Session

from ..flags import Flag
from ..models import AuditCycle, User
from ..services import exports as export_service
from ..services.exports import Audience, CycleExport
from ..services.heat_map import Order, in_order
from . import action_rows, s11_rows
from .cells import SafeSheet, SafeWorkbook
from .rows import Cell, Column, Kind, Table

KIND = "section_11_cycle_workbook"

SHEETS = [
    ("About", "What this workbook is, when and by whom it was made, and the rating scale."),
    ("Summary", "The partnership's score on each standard, returns by status, and a chart."),
    ("Heat map", "Each agency's score on each standard, coloured like the web heat map."),
    ("Criteria", "For each criterion, how many agencies gave each rating, and what share."),
    ("Responses", "Every answer: ratings, the panel's rating, everything the agency typed."),
    ("Evidence items", "Every current evidence item, with its dates."),
    ("Flags", "Where the challenge panel should press, most severe first."),
    ("Actions", "Actions from the returns and the challenge panels, with their progress."),
    ("Panels", "Challenge panels: outcomes, challenges and the agencies' answers."),
]

NO_FILTERS = "None: every agency taking part in the cycle, and every criterion."
SCORES_EXPLAINED = (
    "Scores run from 0 to 100. Each rating has a score (see the scale below); a standard "
    "score is the weighted mean of an agency's scored answers on it, leaving out answers "
    "marked not applicable or not yet rated. Where a challenge panel moderated a rating, "
    "the panel's rating counts and the agency's own is shown beside it. Partnership "
    "scores are the mean of the agencies' scores, each agency counting once. Scores are "
    "stored unrounded and shown to one decimal place; the web pages show them rounded to "
    "whole numbers. The rules are in docs/scoring.md."
)


def build_cycle_workbook(
    session: Session,
    *,
    cycle: AuditCycle,
    by: User | None,
    target: str | IO[bytes],
    essential_weight: float,
    today: date,
    now: datetime,
) -> dict[str, int]:
    """Write the cycle's workbook to `target` and return the data rows of each sheet.
    Nothing is written to the database: the caller records the export."""
    export = export_service.load_cycle_export(
        session,
        cycle=cycle,
        by=by,
        essential_weight=essential_weight,
        today=today,
        now=now,
    )
    with SafeWorkbook(target) as book:
        write_cycle_workbook(session, book, export)
    return book.rows_written


def write_cycle_workbook(session: Session, book: SafeWorkbook, export: CycleExport) -> None:
    write_about(book, export, sheets=SHEETS)
    write_summary(book, export)
    write_heat_map(book, export)
    write_criteria(book, export)
    write_responses(session, book, export)
    write_evidence(session, book, export)
    book.table(flag_table(export))
    book.table(
        action_rows.action_table(
            export_service.cycle_actions(session, export.cycle, today=export.today)
        )
    )
    book.table(
        s11_rows.panel_table(
            export_service.attendances(session, export.cycle, audience=Audience.PQA)
        )
    )


# ---------------------------------------------------------------------------------------
# Sheets shared with the agency's workbook


def about_pairs(export: CycleExport) -> list[tuple[str, Cell, Kind]]:
    cycle = export.cycle
    version = cycle.framework_version
    panels = "Not set"
    if cycle.panel_from:
        to = cycle.panel_to.strftime("%-d %B %Y") if cycle.panel_to else "to be set"
        panels = f"{cycle.panel_from:%-d %B %Y} to {to}"
    return [
        ("Partnership", export.partnership.name, Kind.TEXT),
        ("Audit cycle", cycle.name, Kind.TEXT),
        ("Cycle status", cycle.status.value.capitalize(), Kind.TEXT),
        ("Cycle opened", cycle.opens_on, Kind.DATE),
        ("Returns due", cycle.due_on, Kind.DATE),
        ("Challenge panels", panels, Kind.TEXT),
        ("Framework", version.name, Kind.TEXT),
        ("Framework version", version.number, Kind.INTEGER),
        ("Rating scale", version.scale_name, Kind.TEXT),
        ("How scores work", SCORES_EXPLAINED, Kind.TEXT),
        ("Weight of an essential criterion", export.essential_weight, Kind.NUMBER),
    ]


def write_about(
    book: SafeWorkbook,
    export: CycleExport,
    *,
    sheets: list[tuple[str, str]],
    title: str | None = None,
    extra: list[tuple[str, Cell, Kind]] = (),
) -> None:
    sheet = book.sheet("About")
    sheet.heading(title or f"{export.cycle.name}: Section 11 workbook")
    sheet.pairs(
        [
            *about_pairs(export),
            *extra,
            (
                "Filters applied",
                describe_filters(export.filters) if export.filters else NO_FILTERS,
                Kind.TEXT,
            ),
            ("Generated by", export.generated_by, Kind.TEXT),
            ("Generated at (UTC)", export.generated_at, Kind.DATETIME),
        ]
    )
    sheet.put(sheet.next_row, 0, "Rating scale", book.bold)
    sheet.skip()
    write_scale(sheet, export)
    sheet.put(sheet.next_row, 0, "Sheets in this workbook", book.bold)
    sheet.skip()
    sheet.write_table(
        Table(
            "About",
            [Column("Sheet", Kind.TEXT, 28), Column("What it holds", Kind.TEXT, 90)],
            [list(pair) for pair in sheets],
        ),
        filtered=False,
        frozen=False,
    )


def describe_filters(filters: dict) -> str:
    return "; ".join(f"{name}: {value}" for name, value in filters.items())


def write_scale(sheet: SafeSheet, export: CycleExport) -> None:
    """The scale, each rating's colour cell filled with its colour. Written cell by cell:
    in constant_memory a cell's format cannot be changed once its row is written."""
    book = sheet.book
    columns = s11_rows.SCALE_COLUMNS
    first = sheet.next_row
    for index, column in enumerate(columns):
        sheet.worksheet.set_column(index, index, max(column.width, 28 if index == 0 else 0))
        sheet.put(first, index, column.header, book.header)
    formats = [book.format_for(column.kind) for column in columns]
    high_first = sorted(export.levels, key=lambda level: level.position, reverse=True)
    for offset, (level, row) in enumerate(
        zip(high_first, s11_rows.scale_rows(export.levels), strict=True), start=1
    ):
        for col, value in enumerate(row):
            fmt = formats[col]
            if col == 2:
                fmt = book.fill(level.colour, s11_rows.font_for(level.colour))
            sheet.put(first + offset, col, value, fmt)
    sheet.next_row = first + len(high_first) + 2


def score_bands(export: CycleExport):
    return s11_rows.bands(export.levels)


def nearest_label(export: CycleExport):
    """The web heat map's colour rule (`dashboard.nearest_level`) as a label."""
    ordered = sorted(export.levels, key=lambda level: level.position)

    def label(score: float | None) -> str | None:
        if score is None or not ordered:
            return None
        return min(ordered, key=lambda level: (abs(level.score - score), level.position)).label

    return label


# ---------------------------------------------------------------------------------------
# The PQA sheets


def write_summary(book: SafeWorkbook, export: CycleExport) -> None:
    sheet = book.sheet("Summary")
    table = s11_rows.summary_table(
        standards=export.standards,
        scores=export.scores,
        self_scores=export.self_scores,
        agency_ids=[a.agency_id for a in export.agencies],
        nearest=nearest_label(export),
    )
    first = sheet.next_row
    sheet.write_table(table)
    last = first + len(export.standards)
    bands = score_bands(export)
    score_columns = [2, 3] if export.self_scores is not None else [2]
    for col in score_columns:
        sheet.colour_bands(first + 1, col, last + 2, col, bands)
    # Returns by status: below the standards, outside their filter (Excel allows one
    # filter per sheet).
    sheet.put(sheet.next_row, 0, "Returns by status", book.bold)
    sheet.skip()
    sheet.write_table(
        Table("Summary", s11_rows.STATUS_COLUMNS, s11_rows.status_rows(export.agencies)),
        filtered=False,
        frozen=False,
    )
    if export.standards:
        codes = [s.code for s in export.standards]
        keys = [s.key for s in export.standards]
        chart = book.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": "Partnership score",
                "categories": ["Summary", first + 1, 0, last, 0],
                "values": ["Summary", first + 1, 2, last, 2],
                # Cached values: constant_memory cannot read them back from the sheet,
                # and without them some viewers draw an empty chart until recalculation.
                "categories_data": codes,
                "values_data": [export.scores.partnership_standard.get(k) for k in keys],
                "fill": {"color": "#1d70b8"},
            }
        )
        if export.self_scores is not None:
            chart.add_series(
                {
                    "name": "On agencies' own ratings",
                    "categories": ["Summary", first + 1, 0, last, 0],
                    "values": ["Summary", first + 1, 3, last, 3],
                    "categories_data": codes,
                    "values_data": [export.self_scores.partnership_standard.get(k) for k in keys],
                    "fill": {"color": "#b1b4b6"},
                }
            )
        chart.set_title({"name": "Partnership score by standard"})
        chart.set_x_axis({"min": 0, "max": 100, "name": "Score (0 to 100)"})
        chart.set_y_axis({"reverse": True, "name": "Standard"})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 640, "height": 80 + 28 * len(export.standards)})
        sheet.worksheet.insert_chart(first, len(table.columns) + 1, chart, {"object_position": 3})


def heat_map_table(export: CycleExport, *, order: Order = Order.AGENCY) -> Table:
    """The heat map as the web page shows it, agencies in the page's `order` (the sheet,
    and the page's CSV download)."""
    flag_counts: dict[int, int] = {}
    for flag in export.flags:
        flag_counts[flag.agency_id] = flag_counts.get(flag.agency_id, 0) + 1
    return s11_rows.heat_map_table(
        agencies=in_order(
            export.agencies,
            order,
            sector=lambda agency: agency.sector,
            score=lambda agency: export.scores.agency.get(agency.agency_id),
        ),
        standards=export.standards,
        scores=export.scores,
        self_scores=export.self_scores,
        flag_counts=flag_counts,
    )


def flag_table(export: CycleExport, flags: list[Flag] | None = None) -> Table:
    """The export's flags (or those given: a filtered few), most severe first."""
    return s11_rows.flag_table(
        flags=export.flags if flags is None else flags,
        agencies={a.agency_id: a for a in export.agencies},
        criteria=export.criteria_by_key,
        standards={s.key: s for s in export.standards},
    )


def write_heat_map(book: SafeWorkbook, export: CycleExport) -> None:
    sheet = book.sheet("Heat map")
    first = sheet.next_row
    sheet.write_table(heat_map_table(export))
    last = sheet.next_row - 2  # the footer row
    bands = score_bands(export)
    for low, high in s11_rows.heat_map_score_columns(export.standards, export.self_scores):
        sheet.colour_bands(first + 1, low, last, high, bands)


def write_criteria(book: SafeWorkbook, export: CycleExport) -> None:
    self_distributions = export.self_scores.distributions if export.self_scores else None
    book.table(
        s11_rows.criteria_table(
            standards=export.standards,
            criteria=export.criteria,
            levels=export.levels,
            distributions=export.scores.distributions,
            self_distributions=self_distributions,
        )
    )


def response_table(
    session: Session,
    export: CycleExport,
    *,
    fields: list[s11_rows.ResponseField],
    audience: Audience,
) -> Table:
    """Every answer of every agency in the export, streamed a batch of agencies at a
    time."""
    answers = export.answers_by_agency()
    flags = export.flags_by_answer()
    ratings = export_service.panel_ratings(
        session,
        export.cycle,
        audience=audience,
        agency_ids={a.agency_id for a in export.agencies},
    )
    criteria = export.criteria_by_key
    levels = export.levels_by_key

    def rows():
        for agency, texts, evidence in export_service.answer_batches(session, export.agencies):
            yield from s11_rows.response_rows(
                fields=fields,
                agency=agency,
                answers=answers.get(agency.agency_id, ()),
                criteria=criteria,
                levels=levels,
                texts=texts,
                evidence=evidence,
                panel=ratings.get(agency.agency_id, {}),
                flags=flags.get(agency.agency_id, {}),
            )

    columns = [f.column for f in fields]
    names = [f.name for f in fields]
    return Table(
        "Responses",
        columns,
        rows(),
        key_columns=names.index("criterion") + 1,
        note_column=names.index("notes"),
        freeze_columns=names.index("criterion") + 1,
    )


def write_responses(session: Session, book: SafeWorkbook, export: CycleExport) -> None:
    book.table(
        response_table(session, export, fields=s11_rows.RESPONSE_FIELDS, audience=Audience.PQA)
    )


def write_evidence(session: Session, book: SafeWorkbook, export: CycleExport) -> None:
    criteria = export.criteria

    def rows():
        for agency, evidence in export_service.evidence_batches(session, export.agencies):
            yield from s11_rows.evidence_rows(agency=agency, criteria=criteria, evidence=evidence)

    columns = s11_rows.EVIDENCE_COLUMNS
    book.table(
        Table(
            "Evidence items",
            columns,
            rows(),
            key_columns=3,
            note_column=len(columns) - 1,
            freeze_columns=2,
        )
    )
