"""A case-file audit round's tables, built from plain data: no database, no Flask, no
XlsxWriter. `services/case_exports.py` loads the data; the grade rules (lowest, most
common, spread, divergence) are `case_grading`'s and the findings are
`case_analysis.analyse`'s, so the workbook, the CSV files and the web pages agree.

Two rules from the moderation meeting hold in every table:

- only a *submitted* return's grades count toward lowest, most common and spread; a
  draft is shown as a draft, and its grades are marked as not counted;
- a return not started is shown as missing, never as a grade.

The analysis page's tables, for its CSV downloads, are `case_analysis_rows`. Every sheet
and column is described in docs/exports.md: change both together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from ..case_analysis import (
    AgencyInfo,
    Names,
    QuestionInfo,
    ReturnFacts,
    ReturnStanding,
    RoundAnalysis,
    RoundFacts,
    SectionInfo,
    counted_grades,
    return_standing,
    section_spreads,
)
from ..case_grading import Grade, GradeSummary, YesPartlyNo, parse_grade, summarise_grades
from .action_rows import ActionInfo
from .rows import Cell, Column, Filled, Kind, Table, yes_no

SUBMITTED = "submitted"
NOT_STARTED = "not_started"
GRADED = "graded"
YES_PARTLY_NO = "yes_partly_no"

KIND_LABELS = {"graded": "Graded", "yes_partly_no": "Yes, partly or no", "free_text": "Free text"}
DRAFT_LABELS = {"in_progress": "In progress (draft)", "reopened": "Reopened (draft)"}

# What an agency's column shows when it has no grade to give.
NOT_INVOLVED = "Not involved"
MISSING = "Missing"
DRAFT = "Draft, not counted"


# ---------------------------------------------------------------------------------------
# Plain inputs, beside `case_analysis.RoundFacts`


@dataclass(frozen=True)
class CaseDetail:
    case_id: int
    reference: str
    sequence: int
    age_band: str
    plan_type: str
    selection_reason: str = ""
    overall: Grade | None = None
    overall_rationale: str = ""
    moderated_at: datetime | None = None
    moderated_by: str = ""


@dataclass(frozen=True)
class ReturnDetail:
    case_id: int
    agency_id: int
    status: str  # CaseReturnStatus value
    submitted_at: datetime | None = None
    last_activity_at: datetime | None = None


@dataclass(frozen=True)
class AnswerDetail:
    case_id: int
    agency_id: int
    section_key: str
    question_key: str
    answer: str | None  # a grade or a yes/partly/no key; None for free text
    comment: str = ""


@dataclass(frozen=True)
class Reflection:
    """An agency's good practice, areas for development and recommendations for one
    section of one case."""

    case_id: int
    agency_id: int
    section_key: str
    good_practice: str = ""
    development: str = ""
    recommendations: str = ""


@dataclass(frozen=True)
class JudgementDetail:
    case_id: int
    section_key: str
    grade: Grade | None
    rationale: str = ""
    set_by: str = ""


@dataclass(frozen=True)
class LearningDetail:
    case_id: int
    theme: str  # LearningTheme value
    text: str
    recorded_by: str = ""
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class ConcernDetail:
    case_id: int
    description: str
    follow_up_by: str
    follow_up_agency: str | None
    due_on: date
    raised_by: str
    raised_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str = ""
    closing_note: str = ""
    overdue_days: int | None = None  # None unless open and past its date


@dataclass
class RoundExport:
    """One round, analysed, with everything its workbook lays out."""

    partnership: str
    name: str
    theme: str
    status: str
    template: str
    lookback_from: date
    lookback_to: date
    due_on: date
    moderation_on: date | None
    facts: RoundFacts
    analysis: RoundAnalysis
    cases: list[CaseDetail]
    returns: list[ReturnDetail]
    answers: list[AnswerDetail]
    reflections: list[Reflection]
    judgements: list[JudgementDetail]
    learning: list[LearningDetail]
    actions: list[ActionInfo]
    concerns: list[ConcernDetail]
    generated_by: str
    generated_at: datetime
    today: date
    theme_labels: dict[str, str] = field(default_factory=dict)

    @property
    def agencies(self) -> list[AgencyInfo]:
        """Every agency with a case in the round, by name (the meeting's column order)."""
        return sorted(self.facts.agencies, key=lambda a: (a.name.casefold(), a.agency_id))

    @property
    def sections(self) -> list[SectionInfo]:
        return sorted(self.facts.sections, key=lambda s: (s.position, s.key))

    def questions(self, section_key: str) -> list[QuestionInfo]:
        return sorted(
            (q for q in self.facts.questions if q.section_key == section_key),
            key=lambda q: (q.position, q.key),
        )

    @property
    def ordered_cases(self) -> list[CaseDetail]:
        return sorted(self.cases, key=lambda c: (c.sequence, c.case_id))

    def returns_by_case(self) -> dict[int, dict[int, ReturnDetail]]:
        found: dict[int, dict[int, ReturnDetail]] = defaultdict(dict)
        for r in self.returns:
            found[r.case_id][r.agency_id] = r
        return found


# ---------------------------------------------------------------------------------------
# Cells


def grade_cell(grade: Grade | None) -> Cell:
    """A grade by name on its colour; nothing for no grade."""
    return Filled(grade.label, grade.colour) if grade is not None else None


def _grades_cell(grades: Sequence[Grade]) -> Cell:
    """Several grades in one cell, named in order and coloured by the lowest."""
    if not grades:
        return None
    lowest = min(grades, key=lambda g: g.rank)
    return Filled(", ".join(g.label for g in grades), lowest.colour)


def _count_cell(grades: Sequence[Grade]) -> Cell:
    """How many of each grade, best first ("2 Good; 1 Inadequate"), coloured by the
    lowest."""
    if not grades:
        return None
    counts = {grade: sum(1 for g in grades if g is grade) for grade in Grade}
    text = "; ".join(f"{n} {grade.label}" for grade, n in counts.items() if n)
    return Filled(text, min(grades, key=lambda g: g.rank).colour)


def _most_common(summary: GradeSummary) -> Cell:
    if len(summary.most_common) == 1:
        return grade_cell(summary.most_common[0])
    if not summary.most_common:
        return None
    # A tie: every grade tied, lowest first, uncoloured (no one colour is right).
    return " and ".join(g.label for g in summary.most_common)


def _standing(r: ReturnDetail, *, due_on: date, today: date) -> ReturnStanding:
    facts = ReturnFacts(r.case_id, r.agency_id, r.status, r.submitted_at)
    return return_standing(facts, due_on=due_on, today=today)


def return_label(r: ReturnDetail, *, due_on: date, today: date) -> str:
    """A return's state in words: submitted (late or not), a draft, or missing; an
    unsubmitted return past the deadline is also overdue."""
    standing = _standing(r, due_on=due_on, today=today)
    if r.status == SUBMITTED:
        return "Submitted late" if standing is ReturnStanding.LATE else "Submitted"
    label = (
        "Not started (missing)"
        if r.status == NOT_STARTED
        else DRAFT_LABELS.get(r.status, f"{r.status.replace('_', ' ').capitalize()} (draft)")
    )
    return f"{label}, overdue" if standing is ReturnStanding.OVERDUE else label


def _question_numbers(export: RoundExport) -> dict[tuple[str, str], str]:
    """ "2.1" for the first question of the second section, as the return pages number
    them."""
    numbers = {}
    for s, section in enumerate(export.sections, start=1):
        for q, question in enumerate(export.questions(section.key), start=1):
            numbers[(section.key, question.key)] = f"{s}.{q}"
    return numbers


def _agency_state(r: ReturnDetail | None) -> str | None:
    """What an agency's column shows in place of grades, or None if it can show grades."""
    if r is None:
        return NOT_INVOLVED
    if r.status == NOT_STARTED:
        return MISSING
    if r.status != SUBMITTED:
        return DRAFT
    return None


def _counted_by(export: RoundExport) -> dict[tuple[int, int, str], list[Grade]]:
    """Counted grades by (case, agency, section), in question order."""
    names = Names(export.facts)
    found: dict[tuple[int, int, str], list[tuple[tuple, Grade]]] = defaultdict(list)
    for a in counted_grades(export.facts):
        order = names.question_order(a.section_key, a.question_key)
        found[(a.case_id, a.agency_id, a.section_key)].append((order, a.grade))
    return {key: [g for _, g in sorted(pairs, key=lambda p: p[0])] for key, pairs in found.items()}


# ---------------------------------------------------------------------------------------
# About


SCALE_COLUMNS = [
    Column("Grade", Kind.TEXT, 28),
    Column("Level (1 lowest, 4 highest)", Kind.INTEGER, 14),
    Column("Colour", Kind.TEXT, 12),
]


def scale_table() -> Table:
    """The judgement scale, best first, each colour shown in its colour."""
    rows = [[g.label, g.rank, Filled(g.colour, g.colour)] for g in Grade]
    return Table("About", SCALE_COLUMNS, rows)


WHAT_COUNTS = (
    "Only submitted returns count toward the lowest, most common and highest grades and "
    "the spread, as at the moderation meeting. A return still being written is shown as a "
    "draft and its grades are marked as not counted. A return not started is shown as "
    "missing, never as a grade. Agencies' grades differ (are divergent) when two agencies' "
    "grades on the same question of a case are two or more levels apart."
)


def about_pairs(export: RoundExport) -> list[tuple[str, Cell, Kind]]:
    submitted = sum(1 for r in export.returns if r.status == SUBMITTED)
    return [
        ("Partnership", export.partnership, Kind.TEXT),
        ("Audit round", export.name, Kind.TEXT),
        ("Theme", export.theme, Kind.TEXT),
        ("Audit template", export.template, Kind.TEXT),
        ("Round status", export.status, Kind.TEXT),
        ("Look-back period from", export.lookback_from, Kind.DATE),
        ("Look-back period to", export.lookback_to, Kind.DATE),
        ("Deadline for returns", export.due_on, Kind.DATE),
        (
            "Moderation meeting",
            export.moderation_on if export.moderation_on else "Not set",
            Kind.DATE if export.moderation_on else Kind.TEXT,
        ),
        ("Cases", len(export.cases), Kind.INTEGER),
        ("Agency returns submitted", f"{submitted} of {len(export.returns)}", Kind.TEXT),
        ("What counts", WHAT_COUNTS, Kind.TEXT),
        ("Generated by", export.generated_by, Kind.TEXT),
        ("Generated at (UTC)", export.generated_at, Kind.DATETIME),
    ]


# ---------------------------------------------------------------------------------------
# Cases


def cases_table(export: RoundExport) -> Table:
    """One row per case: what it is, each agency's return, and the meeting's overall
    judgement."""
    agencies = export.agencies
    columns = [
        Column("Case", Kind.TEXT, 13),
        Column("Age band", Kind.TEXT, 10),
        Column("Plan when selected", Kind.TEXT, 16),
        Column("Why it was selected", Kind.TEXT, 40),
        Column("Agencies involved", Kind.TEXT, 36),
        *(Column(f"Return: {a.name}", Kind.TEXT, 18) for a in agencies),
        Column("Returns submitted", Kind.INTEGER, 10),
        Column("Returns expected", Kind.INTEGER, 10),
        Column("Moderated", Kind.TEXT, 10),
        Column("Moderated at (UTC)", Kind.DATETIME, 16),
        Column("Moderated by", Kind.TEXT, 20),
        Column("Overall judgement", Kind.TEXT, 20),
        Column("Notes", Kind.TEXT, 20),
    ]
    by_case = export.returns_by_case()
    names = {a.agency_id: a.name for a in agencies}
    rows = []
    for case in export.ordered_cases:
        returns = by_case.get(case.case_id, {})
        involved = sorted((names[i] for i in returns), key=str.casefold)
        rows.append(
            [
                case.reference,
                case.age_band,
                case.plan_type,
                case.selection_reason or None,
                "; ".join(involved) or None,
                *(
                    return_label(returns[a.agency_id], due_on=export.due_on, today=export.today)
                    if a.agency_id in returns
                    else NOT_INVOLVED
                    for a in agencies
                ),
                sum(1 for r in returns.values() if r.status == SUBMITTED),
                len(returns),
                yes_no(case.moderated_at is not None),
                case.moderated_at,
                case.moderated_by or None,
                grade_cell(case.overall),
                None,
            ]
        )
    return Table("Cases", columns, rows, note_column=len(columns) - 1, freeze_columns=1)


# ---------------------------------------------------------------------------------------
# Agency grades


AGENCY_GRADE_COLUMNS = [
    Column("Case", Kind.TEXT, 13),
    Column("Agency", Kind.TEXT, 28),
    Column("Section", Kind.TEXT, 28),
    Column("No.", Kind.TEXT, 6),
    Column("Question", Kind.TEXT, 50),
    Column("Kind", Kind.TEXT, 14),
    Column("Return status", Kind.TEXT, 20),
    Column("Counted", Kind.TEXT, 9),
    Column("Grade", Kind.TEXT, 20),
    Column("Answer", Kind.TEXT, 9),
    Column("Comment", Kind.TEXT, 50),
    Column("Good practice (section)", Kind.TEXT, 50),
    Column("Areas for development (section)", Kind.TEXT, 50),
    Column("Recommendations (section)", Kind.TEXT, 50),
    Column("Notes", Kind.TEXT, 20),
]


def agency_grades_table(export: RoundExport) -> Table:
    """One row per case, involved agency and question, with the agency's section
    reflections repeated on each of the section's rows so any filter keeps them. A
    missing return's rows carry no grade and no answer."""
    answers = {(a.case_id, a.agency_id, a.section_key, a.question_key): a for a in export.answers}
    reflections = {(r.case_id, r.agency_id, r.section_key): r for r in export.reflections}
    numbers = _question_numbers(export)
    by_case = export.returns_by_case()
    sections = [(s, export.questions(s.key)) for s in export.sections]

    def rows():
        for case in export.ordered_cases:
            returns = by_case.get(case.case_id, {})
            for agency in export.agencies:
                r = returns.get(agency.agency_id)
                if r is None:
                    continue
                status = return_label(r, due_on=export.due_on, today=export.today)
                counted = "Yes" if r.status == SUBMITTED else "No"
                shown = r.status != NOT_STARTED
                for section, questions in sections:
                    reflection = (
                        reflections.get((case.case_id, agency.agency_id, section.key))
                        if shown
                        else None
                    )
                    for question in questions:
                        answer = (
                            answers.get((case.case_id, agency.agency_id, section.key, question.key))
                            if shown
                            else None
                        )
                        key = answer.answer if answer else None
                        yield [
                            case.reference,
                            agency.name,
                            section.title,
                            numbers[(section.key, question.key)],
                            question.wording,
                            KIND_LABELS.get(question.kind, question.kind),
                            status,
                            counted,
                            grade_cell(parse_grade(key)) if question.kind == GRADED else None,
                            _yes_partly_no(key) if question.kind == YES_PARTLY_NO else None,
                            (answer.comment or None) if answer else None,
                            (reflection.good_practice or None) if reflection else None,
                            (reflection.development or None) if reflection else None,
                            (reflection.recommendations or None) if reflection else None,
                            None,
                        ]

    return Table(
        "Agency grades",
        AGENCY_GRADE_COLUMNS,
        rows(),
        key_columns=4,
        note_column=len(AGENCY_GRADE_COLUMNS) - 1,
        freeze_columns=2,
    )


def _yes_partly_no(key: str | None) -> str | None:
    try:
        return YesPartlyNo(key).label if key else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------
# Judgements


def judgements_table(export: RoundExport) -> Table:
    """Per case, one row per section and one for the case overall: each agency's counted
    grades side by side, their lowest, most common and highest, the spread, and the
    meeting's judgement with its reasons."""
    agencies = export.agencies
    columns = [
        Column("Case", Kind.TEXT, 13),
        Column("Section", Kind.TEXT, 28),
        *(Column(a.name, Kind.TEXT, 18) for a in agencies),
        Column("Grades counted", Kind.INTEGER, 9),
        Column("Lowest", Kind.TEXT, 18),
        Column("Most common", Kind.TEXT, 18),
        Column("Highest", Kind.TEXT, 18),
        Column("Spread (levels)", Kind.INTEGER, 9),
        Column("Divergent", Kind.TEXT, 10),
        Column("Meeting's judgement", Kind.TEXT, 20),
        Column("Why the meeting reached it", Kind.TEXT, 60),
        Column("Recorded by", Kind.TEXT, 20),
        Column("Notes", Kind.TEXT, 20),
    ]
    by_case = export.returns_by_case()
    counted = _counted_by(export)
    spreads = section_spreads(export.facts)
    judgements = {(j.case_id, j.section_key): j for j in export.judgements}
    divergent_cases = {s.case_id for s in export.analysis.divergences}
    rows = []
    for case in export.ordered_cases:
        returns = by_case.get(case.case_id, {})
        for section in export.sections:
            cells = []
            for agency in agencies:
                state = _agency_state(returns.get(agency.agency_id))
                grades = counted.get((case.case_id, agency.agency_id, section.key), [])
                cells.append(state or _grades_cell(grades) or "Not graded")
            spread = spreads.get((case.case_id, section.key))
            summary = spread.summary if spread else summarise_grades(())
            judgement = judgements.get((case.case_id, section.key))
            rows.append(
                [
                    case.reference,
                    section.title,
                    *cells,
                    *_summary_cells(summary),
                    yes_no(bool(spread and spread.divergent)),
                    grade_cell(judgement.grade) if judgement else None,
                    (judgement.rationale or None) if judgement else None,
                    (judgement.set_by or None) if judgement else None,
                    None,
                ]
            )
        overall_cells = []
        every_grade: list[Grade] = []
        for agency in agencies:
            state = _agency_state(returns.get(agency.agency_id))
            grades = [
                g
                for section in export.sections
                for g in counted.get((case.case_id, agency.agency_id, section.key), [])
            ]
            every_grade += grades
            overall_cells.append(state or _count_cell(grades) or "Not graded")
        rows.append(
            [
                case.reference,
                "Overall",
                *overall_cells,
                *_summary_cells(summarise_grades(every_grade)),
                yes_no(case.case_id in divergent_cases),
                grade_cell(case.overall),
                case.overall_rationale or None,
                case.moderated_by or None,
                None,
            ]
        )
    return Table(
        "Judgements", columns, rows, key_columns=2, note_column=len(columns) - 1, freeze_columns=2
    )


def _summary_cells(summary: GradeSummary) -> list[Cell]:
    return [
        summary.count,
        grade_cell(summary.lowest),
        _most_common(summary),
        grade_cell(summary.highest),
        summary.spread if summary.count else None,
    ]


# ---------------------------------------------------------------------------------------
# Divergence


def divergence_table(export: RoundExport) -> Table:
    """Every question where two agencies' counted grades on a case are two or more
    levels apart, with each agency's grade and the meeting's judgement of the section."""
    agencies = export.agencies
    columns = [
        Column("Case", Kind.TEXT, 13),
        Column("Section", Kind.TEXT, 28),
        Column("No.", Kind.TEXT, 6),
        Column("Question", Kind.TEXT, 50),
        *(Column(a.name, Kind.TEXT, 18) for a in agencies),
        Column("Lowest", Kind.TEXT, 18),
        Column("Highest", Kind.TEXT, 18),
        Column("Spread (levels)", Kind.INTEGER, 9),
        Column("Meeting's judgement of the section", Kind.TEXT, 20),
    ]
    names = Names(export.facts)
    numbers = _question_numbers(export)
    by_case = export.returns_by_case()
    judgements = {(j.case_id, j.section_key): j for j in export.judgements}
    rows = []
    for spread in export.analysis.divergences:
        grades = dict(spread.grades)
        returns = by_case.get(spread.case_id, {})
        judgement = judgements.get((spread.case_id, spread.section_key))
        rows.append(
            [
                names.case(spread.case_id),
                names.section(spread.section_key),
                numbers.get((spread.section_key, spread.question_key)),
                question_wording(export.facts, spread.section_key, spread.question_key),
                *(
                    _agency_state(returns.get(a.agency_id)) or grade_cell(grades.get(a.agency_id))
                    for a in agencies
                ),
                grade_cell(spread.summary.lowest),
                grade_cell(spread.summary.highest),
                spread.summary.spread,
                grade_cell(judgement.grade) if judgement else None,
            ]
        )
    return Table("Divergence", columns, rows, key_columns=3, freeze_columns=1)


def question_wording(facts: RoundFacts, section_key: str, question_key: str) -> str:
    for q in facts.questions:
        if q.section_key == section_key and q.key == question_key:
            return q.wording
    return question_key


# ---------------------------------------------------------------------------------------
# Returns, learning, actions, concerns


RETURN_COLUMNS = [
    Column("Agency", Kind.TEXT, 30),
    Column("Case", Kind.TEXT, 13),
    Column("Return status", Kind.TEXT, 26),
    Column("Standing", Kind.TEXT, 18),
    Column("Due", Kind.DATE, 12),
    Column("Submitted (UTC)", Kind.DATETIME, 16),
    Column("Days late or overdue", Kind.INTEGER, 10),
    Column("Last activity (UTC)", Kind.DATETIME, 16),
]


def returns_table(export: RoundExport) -> Table:
    """Every agency's return on every case, by agency: filter Standing to see what is
    missing or late."""
    names = Names(export.facts)
    order = {c.case_id: (c.sequence, c.case_id) for c in export.cases}
    rows = []
    for r in sorted(
        export.returns,
        key=lambda r: (names.agency(r.agency_id).casefold(), order.get(r.case_id, (0, 0))),
    ):
        standing = _standing(r, due_on=export.due_on, today=export.today)
        days = None
        if standing is ReturnStanding.LATE and r.submitted_at is not None:
            days = (r.submitted_at.date() - export.due_on).days
        elif standing is ReturnStanding.OVERDUE:
            days = (export.today - export.due_on).days
        rows.append(
            [
                names.agency(r.agency_id),
                names.case(r.case_id),
                return_label(r, due_on=export.due_on, today=export.today),
                standing.label,
                export.due_on,
                r.submitted_at,
                days,
                r.last_activity_at,
            ]
        )
    return Table("Returns", RETURN_COLUMNS, rows, key_columns=2, freeze_columns=1)


LEARNING_COLUMNS = [
    Column("Case", Kind.TEXT, 13),
    Column("Theme", Kind.TEXT, 30),
    Column("Learning", Kind.TEXT, 70),
    Column("Recorded by", Kind.TEXT, 20),
    Column("Recorded (UTC)", Kind.DATETIME, 16),
    Column("Cases in this round with this theme", Kind.INTEGER, 12),
    Column("Also learning in (other rounds of the theme)", Kind.TEXT, 40),
    Column("Notes", Kind.TEXT, 20),
]


def learning_table(export: RoundExport) -> Table:
    names = Names(export.facts)
    rounds = {r.round_id: r for r in export.facts.rounds}
    themes = {t.theme: t for t in export.analysis.themes}
    order = {c.case_id: (c.sequence, c.case_id) for c in export.cases}
    rows = []
    for point in sorted(export.learning, key=lambda p: order.get(p.case_id, (0, 0))):
        theme = themes.get(point.theme)
        others = theme.other_rounds(export.facts.round_id) if theme else ()
        rows.append(
            [
                names.case(point.case_id),
                export.theme_labels.get(point.theme, point.theme),
                point.text,
                point.recorded_by or None,
                point.recorded_at,
                len(theme.cases_in_round) if theme else None,
                "; ".join(
                    f"{rounds[r].name if r in rounds else 'Another round'} "
                    f"({case_count(theme.cases_by_round[r])})"
                    for r in sorted(
                        others, key=lambda r: (rounds[r].due_on if r in rounds else date.max, r)
                    )
                )
                or None,
                None,
            ]
        )
    return Table("Learning", LEARNING_COLUMNS, rows, note_column=len(LEARNING_COLUMNS) - 1)


def case_count(n: int) -> str:
    return f"{n} case" if n == 1 else f"{n} cases"


CONCERN_COLUMNS = [
    Column("Case", Kind.TEXT, 13),
    Column("Concern", Kind.TEXT, 60),
    Column("Who follows it up", Kind.TEXT, 24),
    Column("Their agency", Kind.TEXT, 24),
    Column("Follow up by", Kind.DATE, 12),
    Column("Status", Kind.TEXT, 9),
    Column("Overdue", Kind.TEXT, 9),
    Column("Days overdue", Kind.INTEGER, 9),
    Column("Raised by", Kind.TEXT, 20),
    Column("Raised (UTC)", Kind.DATETIME, 16),
    Column("Closed by", Kind.TEXT, 20),
    Column("Closed (UTC)", Kind.DATETIME, 16),
    Column("Closing note", Kind.TEXT, 50),
    Column("Notes", Kind.TEXT, 20),
]


def concerns_table(export: RoundExport) -> Table:
    """Immediate safeguarding concerns raised during the audit, open ones first."""
    names = Names(export.facts)
    order = {c.case_id: (c.sequence, c.case_id) for c in export.cases}
    rows = [
        [
            names.case(c.case_id),
            c.description,
            c.follow_up_by,
            c.follow_up_agency,
            c.due_on,
            "Closed" if c.closed_at else "Open",
            yes_no(c.overdue_days is not None),
            c.overdue_days,
            c.raised_by or None,
            c.raised_at,
            c.closed_by or None,
            c.closed_at,
            c.closing_note or None,
            None,
        ]
        for c in sorted(
            export.concerns,
            key=lambda c: (c.closed_at is not None, c.due_on, order.get(c.case_id, (0, 0))),
        )
    ]
    return Table("Concerns", CONCERN_COLUMNS, rows, note_column=len(CONCERN_COLUMNS) - 1)
