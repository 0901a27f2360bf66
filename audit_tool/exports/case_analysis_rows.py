"""The tables of a case-file audit round's analysis page, for its CSV downloads: the
same figures as the page, from `case_analysis.analyse`. Pure, like `case_rows`, whose
cell rules (a grade's label, a question's wording) they share.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..case_analysis import CaseFlag, CaseFlagKind, Names, RoundAnalysis, RoundFacts
from ..case_grading import Grade
from .case_rows import case_count, grade_cell, question_wording
from .rows import Column, Kind, Table, percent, yes_no


def _distribution(sheet: str, label: str, rows: list[tuple[str, dict[Grade, int]]]) -> Table:
    columns = [
        Column(label, Kind.TEXT, 30),
        *(Column(g.label, Kind.INTEGER, 12) for g in Grade),
        Column("Total", Kind.INTEGER, 8),
    ]
    return Table(
        sheet,
        columns,
        [[name, *(counts.get(g, 0) for g in Grade), sum(counts.values())] for name, counts in rows],
    )


def grades_by_section_table(facts: RoundFacts, analysis: RoundAnalysis) -> Table:
    return _distribution(
        "Agencies' grades by section",
        "Section",
        [(s.title, analysis.by_section.get(s.key, {})) for s in facts.sections],
    )


def grades_by_agency_table(facts: RoundFacts, analysis: RoundAnalysis) -> Table:
    agencies = sorted(facts.agencies, key=lambda a: (a.name.casefold(), a.agency_id))
    return _distribution(
        "Agencies' grades by agency",
        "Agency",
        [(a.name, analysis.by_agency.get(a.agency_id, {})) for a in agencies],
    )


def judgement_distribution_table(facts: RoundFacts, analysis: RoundAnalysis) -> Table:
    return _distribution(
        "Consolidated judgements",
        "Section",
        [
            *((s.title, analysis.judgements.get(s.key, {})) for s in facts.sections),
            ("Overall", analysis.overall),
        ],
    )


def spread_table(facts: RoundFacts, analysis: RoundAnalysis) -> Table:
    """The lowest and highest of the agencies' counted grades, per case and section."""
    columns = [
        Column("Case", Kind.TEXT, 13),
        Column("Section", Kind.TEXT, 28),
        Column("Agencies with a grade", Kind.INTEGER, 10),
        Column("Lowest", Kind.TEXT, 18),
        Column("Highest", Kind.TEXT, 18),
        Column("Spread (levels)", Kind.INTEGER, 9),
        Column("Divergent", Kind.TEXT, 10),
    ]
    rows = []
    for case in sorted(facts.cases, key=lambda c: (c.sequence, c.case_id)):
        for section in facts.sections:
            spread = analysis.spreads.get((case.case_id, section.key))
            if spread is None:
                rows.append([case.reference, section.title, 0, None, None, None, "No"])
                continue
            rows.append(
                [
                    case.reference,
                    section.title,
                    spread.agencies,
                    grade_cell(spread.summary.lowest),
                    grade_cell(spread.summary.highest),
                    spread.summary.spread,
                    yes_no(spread.divergent),
                ]
            )
    return Table("Spread between agencies", columns, rows, key_columns=2)


def divergent_questions_table(facts: RoundFacts, analysis: RoundAnalysis) -> Table:
    names = Names(facts)
    columns = [
        Column("Case", Kind.TEXT, 13),
        Column("Section", Kind.TEXT, 28),
        Column("Question", Kind.TEXT, 50),
        Column("Agencies' grades", Kind.TEXT, 50),
        Column("Lowest", Kind.TEXT, 18),
        Column("Highest", Kind.TEXT, 18),
        Column("Spread (levels)", Kind.INTEGER, 9),
    ]
    rows = [
        [
            names.case(s.case_id),
            names.section(s.section_key),
            question_wording(facts, s.section_key, s.question_key),
            "; ".join(
                f"{names.agency(agency_id)}: {grade.label}"
                for agency_id, grade in sorted(s.grades, key=lambda pair: pair[1].rank)
            ),
            grade_cell(s.summary.lowest),
            grade_cell(s.summary.highest),
            s.summary.spread,
        ]
        for s in analysis.divergences
    ]
    return Table("Divergent questions", columns, rows, key_columns=3)


def case_flags_table(flags: Iterable[CaseFlag]) -> Table:
    columns = [
        Column("Severity", Kind.TEXT, 9),
        Column("Flag", Kind.TEXT, 40),
        Column("Why", Kind.TEXT, 90),
    ]
    rows = [[f.severity.value.capitalize(), f.kind.label, f.message] for f in flags]
    return Table("Flags", columns, rows)


def return_issues_table(facts: RoundFacts, analysis: RoundAnalysis) -> Table:
    names = Names(facts)
    columns = [
        Column("Case", Kind.TEXT, 13),
        Column("Agency", Kind.TEXT, 30),
        Column("Return status", Kind.TEXT, 14),
        Column("Submitted (UTC)", Kind.DATETIME, 16),
        Column("Standing", Kind.TEXT, 18),
    ]
    rows = [
        [
            names.case(i.case_id),
            names.agency(i.agency_id),
            i.status.replace("_", " ").capitalize(),
            i.submitted_at,
            i.standing.label,
        ]
        for i in analysis.returns
    ]
    return Table("Missing and late returns", columns, rows, key_columns=2)


def learning_themes_table(
    facts: RoundFacts, analysis: RoundAnalysis, theme_labels: dict[str, str]
) -> Table:
    """Learning themes recorded in this round, as the page lists them."""
    rounds = {r.round_id: r for r in facts.rounds}
    columns = [
        Column("Theme", Kind.TEXT, 36),
        Column("Cases in this round", Kind.INTEGER, 10),
        Column("Recurring", Kind.TEXT, 10),
        Column("Other rounds of this theme", Kind.TEXT, 50),
    ]
    rows = []
    for theme in analysis.themes:
        if not theme.cases_in_round:
            continue
        others = theme.other_rounds(facts.round_id)
        rows.append(
            [
                theme_labels.get(theme.theme, theme.theme),
                len(theme.cases_in_round),
                yes_no(theme.recurs_in_round or bool(others)),
                "; ".join(
                    f"{rounds[r].name if r in rounds else 'Another round'}: "
                    f"{case_count(theme.cases_by_round[r])}"
                    for r in others
                )
                or None,
            ]
        )
    return Table("Recurring learning themes", columns, rows)


def trend_table(facts: RoundFacts, analysis: RoundAnalysis) -> Table:
    columns = [
        Column("Round", Kind.TEXT, 36),
        Column("This round", Kind.TEXT, 8),
        Column("Returns due", Kind.DATE, 12),
        *(Column(g.label, Kind.INTEGER, 12) for g in Grade),
        Column("Not judged yet", Kind.INTEGER, 10),
        Column("Good or better", Kind.PERCENT, 10),
    ]
    rows = [
        [
            point.name,
            yes_no(point.round_id == facts.round_id),
            point.due_on,
            *(point.distribution[g] for g in Grade),
            point.not_judged,
            percent(point.good_or_better) if point.good_or_better is not None else None,
        ]
        for point in analysis.trend
    ]
    return Table("Trend across rounds", columns, rows)


@dataclass(frozen=True)
class AnalysisTable:
    name: str  # the `table` query parameter
    title: str  # the link text's subject


ANALYSIS_TABLES = {
    t.name: t
    for t in (
        AnalysisTable("grades-by-section", "agencies' grades by section"),
        AnalysisTable("grades-by-agency", "agencies' grades by agency"),
        AnalysisTable("judgements", "consolidated judgements"),
        AnalysisTable("spread", "spread between agencies"),
        AnalysisTable("divergent-questions", "divergent questions"),
        AnalysisTable("flags", "flags"),
        AnalysisTable("returns", "missing and late returns"),
        AnalysisTable("learning", "recurring learning themes"),
        AnalysisTable("trend", "trend across rounds"),
    )
}


def analysis_table(
    name: str,
    facts: RoundFacts,
    analysis: RoundAnalysis,
    *,
    theme_labels: dict[str, str],
    flag_kind: CaseFlagKind | None = None,
) -> Table:
    """One of the analysis page's tables, by its `ANALYSIS_TABLES` name; the flags
    narrowed to one kind as the page's filter narrows them."""
    match name:
        case "grades-by-section":
            return grades_by_section_table(facts, analysis)
        case "grades-by-agency":
            return grades_by_agency_table(facts, analysis)
        case "judgements":
            return judgement_distribution_table(facts, analysis)
        case "spread":
            return spread_table(facts, analysis)
        case "divergent-questions":
            return divergent_questions_table(facts, analysis)
        case "flags":
            return case_flags_table(
                f for f in analysis.flags if flag_kind is None or f.kind is flag_kind
            )
        case "returns":
            return return_issues_table(facts, analysis)
        case "learning":
            return learning_themes_table(facts, analysis, theme_labels)
        case "trend":
            return trend_table(facts, analysis)
    raise ValueError(f"No analysis table called {name}")
