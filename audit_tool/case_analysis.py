"""What a case-file audit round found, in numbers: grade distributions, the spread between
agencies on each case, flags, recurring learning and the trend across rounds of a theme.

Pure: plain data in (built by `services/case_analysis.py`), plain data out, so the page,
the printable report and the tests agree. Two rules hold throughout:

- an agency's own grades count only from a *submitted* return: a draft, a reopened
  return or a return never started adds nothing (a missing return is never a grade);
- nothing depends on the order of the inputs: every list out is sorted by what it is
  about (case, agency, section, question), never by the order rows arrived in.

Each flag rule is a small function, as in `flags.py`, so it can be read and tested alone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from .case_grading import Grade, GradeSummary, distribution, summarise_grades
from .flags import Severity

SUBMITTED = "submitted"  # CaseReturnStatus.SUBMITTED
GRADED = "graded"  # QuestionKind.GRADED


# -- The facts ------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionInfo:
    key: str
    title: str
    position: int


@dataclass(frozen=True)
class QuestionInfo:
    key: str
    section_key: str
    wording: str
    position: int
    kind: str


@dataclass(frozen=True)
class CaseInfo:
    case_id: int
    reference: str
    sequence: int
    overall: Grade | None = None  # the meeting's consolidated overall grade


@dataclass(frozen=True)
class AgencyInfo:
    agency_id: int
    name: str


@dataclass(frozen=True)
class ReturnFacts:
    case_id: int
    agency_id: int
    status: str  # CaseReturnStatus value
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class AnswerFacts:
    case_id: int
    agency_id: int
    section_key: str
    question_key: str
    kind: str  # QuestionKind value; only graded answers carry a grade
    grade: Grade | None


@dataclass(frozen=True)
class JudgementFacts:
    """The meeting's consolidated grade for one section of one case."""

    case_id: int
    section_key: str
    grade: Grade | None


@dataclass(frozen=True)
class LearningFacts:
    round_id: int
    case_id: int
    theme: str  # LearningTheme value


@dataclass(frozen=True)
class RoundInfo:
    round_id: int
    name: str
    due_on: date


@dataclass(frozen=True)
class CaseOutcome:
    """A case's overall consolidated grade, in this round or another of the same theme."""

    round_id: int
    case_id: int
    overall: Grade | None


@dataclass(frozen=True)
class RoundFacts:
    """One round, and just enough about the other rounds of its theme for the trend and
    for learning that recurs across rounds."""

    round_id: int
    due_on: date
    sections: tuple[SectionInfo, ...] = ()
    questions: tuple[QuestionInfo, ...] = ()
    cases: tuple[CaseInfo, ...] = ()
    agencies: tuple[AgencyInfo, ...] = ()
    returns: tuple[ReturnFacts, ...] = ()
    answers: tuple[AnswerFacts, ...] = ()
    judgements: tuple[JudgementFacts, ...] = ()
    learning: tuple[LearningFacts, ...] = ()  # this round's and other rounds' of the theme
    rounds: tuple[RoundInfo, ...] = ()  # every round of the theme, this one included
    outcomes: tuple[CaseOutcome, ...] = ()  # every case of those rounds


class Names:
    """Labels and sort positions for messages and ordering, with a fallback for a key
    the facts do not describe (the rules never fail on an unknown id)."""

    def __init__(self, facts: RoundFacts) -> None:
        self.cases = {c.case_id: c for c in facts.cases}
        self.agencies = {a.agency_id: a.name for a in facts.agencies}
        self.sections = {s.key: s for s in facts.sections}
        self.questions = {(q.section_key, q.key): q for q in facts.questions}

    def case(self, case_id: int) -> str:
        case = self.cases.get(case_id)
        return case.reference if case else f"Case {case_id}"

    def agency(self, agency_id: int) -> str:
        return self.agencies.get(agency_id, f"Agency {agency_id}")

    def section(self, key: str) -> str:
        section = self.sections.get(key)
        return section.title if section else key

    def question(self, section_key: str, key: str) -> str:
        question = self.questions.get((section_key, key))
        if question is None:
            return key
        wording = question.wording
        return wording if len(wording) <= 90 else wording[:89].rstrip() + "…"

    def case_order(self, case_id: int | None) -> tuple:
        if case_id is None:
            return (0, 0, 0)
        case = self.cases.get(case_id)
        return (1, case.sequence if case else 1 << 30, case_id)

    def agency_order(self, agency_id: int | None) -> tuple:
        if agency_id is None:
            return (0, "", 0)
        return (1, self.agency(agency_id).casefold(), agency_id)

    def section_order(self, key: str | None) -> tuple:
        if key is None:
            return (0, 0, "")
        section = self.sections.get(key)
        return (1, section.position if section else 1 << 30, key)

    def question_order(self, section_key: str | None, key: str | None) -> tuple:
        if section_key is None or key is None:
            return (0, 0, "")
        question = self.questions.get((section_key, key))
        return (1, question.position if question else 1 << 30, key)


# -- Grades that count ----------------------------------------------------------------


def submitted_pairs(facts: RoundFacts) -> frozenset[tuple[int, int]]:
    """(case, agency) of every submitted return."""
    return frozenset((r.case_id, r.agency_id) for r in facts.returns if r.status == SUBMITTED)


def counted_grades(facts: RoundFacts) -> list[AnswerFacts]:
    """The agencies' own grades that count: graded questions, answered, on submitted
    returns."""
    submitted = submitted_pairs(facts)
    return [
        a
        for a in facts.answers
        if a.kind == GRADED and a.grade is not None and (a.case_id, a.agency_id) in submitted
    ]


def section_distribution(facts: RoundFacts) -> dict[str, dict[Grade, int]]:
    """Agencies' own grades per section (every section present, zeros where none)."""
    grades: dict[str, list[Grade]] = {s.key: [] for s in facts.sections}
    for answer in counted_grades(facts):
        grades.setdefault(answer.section_key, []).append(answer.grade)
    return {key: distribution(values) for key, values in grades.items()}


def agency_distribution(facts: RoundFacts) -> dict[int, dict[Grade, int]]:
    """Each involved agency's own grades across the round (zeros for an agency with no
    submitted grades yet)."""
    grades: dict[int, list[Grade]] = {r.agency_id: [] for r in facts.returns}
    for answer in counted_grades(facts):
        grades.setdefault(answer.agency_id, []).append(answer.grade)
    return {agency_id: distribution(values) for agency_id, values in grades.items()}


def judgement_distribution(facts: RoundFacts) -> dict[str, dict[Grade, int]]:
    """The meeting's consolidated grades per section."""
    grades: dict[str, list[Grade | None]] = {s.key: [] for s in facts.sections}
    for judgement in facts.judgements:
        grades.setdefault(judgement.section_key, []).append(judgement.grade)
    return {key: distribution(values) for key, values in grades.items()}


def overall_distribution(facts: RoundFacts) -> dict[Grade, int]:
    return distribution(case.overall for case in facts.cases)


# -- The spread between agencies ------------------------------------------------------


@dataclass(frozen=True)
class QuestionSpread:
    """The agencies' grades on one question of one case."""

    case_id: int
    section_key: str
    question_key: str
    grades: tuple[tuple[int, Grade], ...]  # (agency id, grade), by agency id
    summary: GradeSummary

    @property
    def divergent(self) -> bool:
        return self.summary.divergent


@dataclass(frozen=True)
class SectionSpread:
    """All the agencies' grades in one section of one case: the range shown in the
    cases-by-sections table, divergent when any question in it is."""

    case_id: int
    section_key: str
    summary: GradeSummary
    agencies: int  # agencies with a counted grade in the section
    divergent_questions: tuple[str, ...]

    @property
    def divergent(self) -> bool:
        return bool(self.divergent_questions)


def question_spreads(facts: RoundFacts) -> list[QuestionSpread]:
    """Every question of every case that has at least one counted grade, by case,
    section and question."""
    names = Names(facts)
    grouped: dict[tuple[int, str, str], list[tuple[int, Grade]]] = defaultdict(list)
    for answer in counted_grades(facts):
        grouped[(answer.case_id, answer.section_key, answer.question_key)].append(
            (answer.agency_id, answer.grade)
        )
    spreads = [
        QuestionSpread(
            case_id=case_id,
            section_key=section_key,
            question_key=question_key,
            grades=tuple(sorted(grades, key=lambda pair: (pair[0], pair[1].rank))),
            summary=summarise_grades(grade for _, grade in grades),
        )
        for (case_id, section_key, question_key), grades in grouped.items()
    ]
    return sorted(
        spreads,
        key=lambda s: (
            names.case_order(s.case_id),
            names.section_order(s.section_key),
            names.question_order(s.section_key, s.question_key),
        ),
    )


def divergences(facts: RoundFacts) -> list[QuestionSpread]:
    """Questions where the agencies' grades on one case are two or more levels apart."""
    return [spread for spread in question_spreads(facts) if spread.divergent]


def section_spreads(facts: RoundFacts) -> dict[tuple[int, str], SectionSpread]:
    """(case id, section key) → the spread of the agencies' grades in that section."""
    grades: dict[tuple[int, str], list[AnswerFacts]] = defaultdict(list)
    for answer in counted_grades(facts):
        grades[(answer.case_id, answer.section_key)].append(answer)
    divergent: dict[tuple[int, str], list[str]] = defaultdict(list)
    for spread in divergences(facts):
        divergent[(spread.case_id, spread.section_key)].append(spread.question_key)
    return {
        (case_id, section_key): SectionSpread(
            case_id=case_id,
            section_key=section_key,
            summary=summarise_grades(a.grade for a in answers),
            agencies=len({a.agency_id for a in answers}),
            divergent_questions=tuple(divergent.get((case_id, section_key), ())),
        )
        for (case_id, section_key), answers in grades.items()
    }


# -- Returns not in, or in late -------------------------------------------------------


class ReturnStanding(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"  # submitted after the due date
    OVERDUE = "overdue"  # not submitted, past the due date
    OUTSTANDING = "outstanding"  # not submitted, not yet due

    @property
    def label(self) -> str:
        return {
            "on_time": "Submitted on time",
            "late": "Submitted late",
            "overdue": "Overdue",
            "outstanding": "Not yet due",
        }[self.value]


def return_standing(r: ReturnFacts, *, due_on: date, today: date) -> ReturnStanding:
    if r.status == SUBMITTED:
        if r.submitted_at is not None and r.submitted_at.date() > due_on:
            return ReturnStanding.LATE
        return ReturnStanding.ON_TIME
    return ReturnStanding.OVERDUE if due_on < today else ReturnStanding.OUTSTANDING


@dataclass(frozen=True)
class ReturnIssue:
    case_id: int
    agency_id: int
    status: str
    standing: ReturnStanding
    submitted_at: datetime | None


def missing_and_late(facts: RoundFacts, *, today: date) -> list[ReturnIssue]:
    """Returns not submitted (overdue or not yet due) and returns submitted late, by
    case then agency."""
    names = Names(facts)
    issues = []
    for r in facts.returns:
        standing = return_standing(r, due_on=facts.due_on, today=today)
        if standing is not ReturnStanding.ON_TIME:
            issues.append(ReturnIssue(r.case_id, r.agency_id, r.status, standing, r.submitted_at))
    return sorted(
        issues, key=lambda i: (names.case_order(i.case_id), names.agency_order(i.agency_id))
    )


# -- Learning that recurs -------------------------------------------------------------


@dataclass(frozen=True)
class ThemeRecurrence:
    theme: str
    cases_in_round: tuple[int, ...]  # case ids in this round with learning on the theme
    cases_by_round: dict[int, int] = field(default_factory=dict)  # round id → cases

    @property
    def recurs_in_round(self) -> bool:
        return len(self.cases_in_round) >= 2

    def other_rounds(self, round_id: int) -> tuple[int, ...]:
        return tuple(sorted(r for r in self.cases_by_round if r != round_id))


def learning_themes(facts: RoundFacts) -> list[ThemeRecurrence]:
    """Every learning theme recorded in this round or another round of its theme, with
    how many cases it came up in per round; those in this round first, most cases
    first, then by theme."""
    cases: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for point in facts.learning:
        cases[point.theme][point.round_id].add(point.case_id)
    found = [
        ThemeRecurrence(
            theme=theme,
            cases_in_round=tuple(sorted(by_round.get(facts.round_id, ()))),
            cases_by_round={round_id: len(ids) for round_id, ids in by_round.items()},
        )
        for theme, by_round in cases.items()
    ]
    return sorted(found, key=lambda t: (-len(t.cases_in_round), -len(t.cases_by_round), t.theme))


# -- The trend across rounds of the theme ---------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    round_id: int
    name: str
    due_on: date
    distribution: dict[Grade, int]
    cases: int

    @property
    def judged(self) -> int:
        return sum(self.distribution.values())

    @property
    def not_judged(self) -> int:
        return self.cases - self.judged

    @property
    def good_or_better(self) -> int | None:
        """Percentage of judged cases graded Good or Outstanding overall; None when no
        case has an overall grade yet."""
        if not self.judged:
            return None
        good = self.distribution[Grade.GOOD] + self.distribution[Grade.OUTSTANDING]
        return round(100 * good / self.judged)


def trend(facts: RoundFacts) -> list[TrendPoint]:
    """Per round of the theme, oldest first: the distribution of overall consolidated
    grades and the share good or better."""
    outcomes: dict[int, dict[int, Grade | None]] = defaultdict(dict)
    for outcome in facts.outcomes:
        outcomes[outcome.round_id][outcome.case_id] = outcome.overall
    return [
        TrendPoint(
            round_id=info.round_id,
            name=info.name,
            due_on=info.due_on,
            distribution=distribution(outcomes[info.round_id].values()),
            cases=len(outcomes[info.round_id]),
        )
        for info in sorted(facts.rounds, key=lambda r: (r.due_on, r.round_id))
    ]


# -- Flags ----------------------------------------------------------------------------


class CaseFlagKind(StrEnum):
    INADEQUATE_JUDGEMENT = "inadequate_judgement"
    DIVERGENT_GRADES = "divergent_grades"
    RETURN_OVERDUE = "return_overdue"
    INADEQUATE_AGENCY_GRADE = "inadequate_agency_grade"
    RECURRING_LEARNING = "recurring_learning"
    LEARNING_ACROSS_ROUNDS = "learning_across_rounds"
    RETURN_LATE = "return_late"
    RETURN_OUTSTANDING = "return_outstanding"

    @property
    def label(self) -> str:
        return CASE_FLAG_LABELS[self]


CASE_FLAG_LABELS = {
    CaseFlagKind.INADEQUATE_JUDGEMENT: "Inadequate judgement",
    CaseFlagKind.DIVERGENT_GRADES: "Agencies' grades differ by two levels or more",
    CaseFlagKind.RETURN_OVERDUE: "Return overdue",
    CaseFlagKind.INADEQUATE_AGENCY_GRADE: "Agency graded its own work Inadequate",
    CaseFlagKind.RECURRING_LEARNING: "Learning theme in two or more cases",
    CaseFlagKind.LEARNING_ACROSS_ROUNDS: "Learning theme found in other rounds of the theme",
    CaseFlagKind.RETURN_LATE: "Return submitted late",
    CaseFlagKind.RETURN_OUTSTANDING: "Return not in yet",
}


@dataclass(frozen=True)
class Subject:
    """What a flag is about; every field that does not apply is None."""

    case_id: int | None = None
    agency_id: int | None = None
    section_key: str | None = None
    question_key: str | None = None
    theme: str | None = None


@dataclass(frozen=True)
class CaseFlag:
    kind: CaseFlagKind
    severity: Severity
    message: str
    subject: Subject


def _theme_label(theme: str, labels: dict[str, str]) -> str:
    return labels.get(theme, theme.replace("_", " ").capitalize())


def inadequate_judgement(j: JudgementFacts, names: Names) -> CaseFlag | None:
    if j.grade is not Grade.INADEQUATE:
        return None
    return CaseFlag(
        CaseFlagKind.INADEQUATE_JUDGEMENT,
        Severity.HIGH,
        f"{names.case(j.case_id)}: the meeting judged {names.section(j.section_key)} Inadequate",
        Subject(case_id=j.case_id, section_key=j.section_key),
    )


def inadequate_overall(case: CaseInfo, _names: Names) -> CaseFlag | None:
    if case.overall is not Grade.INADEQUATE:
        return None
    return CaseFlag(
        CaseFlagKind.INADEQUATE_JUDGEMENT,
        Severity.HIGH,
        f"{case.reference}: the meeting judged the case Inadequate overall",
        Subject(case_id=case.case_id),
    )


def divergent_grades(spread: QuestionSpread, names: Names) -> CaseFlag | None:
    if not spread.divergent:
        return None
    low, high = spread.summary.lowest, spread.summary.highest
    return CaseFlag(
        CaseFlagKind.DIVERGENT_GRADES,
        Severity.MEDIUM,
        f"{names.case(spread.case_id)}, {names.section(spread.section_key)}: agencies' grades "
        f"range from {low.label} to {high.label} on “"
        f"{names.question(spread.section_key, spread.question_key)}”",
        Subject(
            case_id=spread.case_id,
            section_key=spread.section_key,
            question_key=spread.question_key,
        ),
    )


def inadequate_agency_grade(a: AnswerFacts, names: Names) -> CaseFlag | None:
    """An agency's own Inadequate grade (the caller passes counted grades only)."""
    if a.grade is not Grade.INADEQUATE:
        return None
    return CaseFlag(
        CaseFlagKind.INADEQUATE_AGENCY_GRADE,
        Severity.MEDIUM,
        f"{names.case(a.case_id)}, {names.section(a.section_key)}: {names.agency(a.agency_id)} "
        f"graded “{names.question(a.section_key, a.question_key)}” Inadequate",
        Subject(
            case_id=a.case_id,
            agency_id=a.agency_id,
            section_key=a.section_key,
            question_key=a.question_key,
        ),
    )


def return_overdue(r: ReturnFacts, names: Names, *, due_on: date, today: date) -> CaseFlag | None:
    if return_standing(r, due_on=due_on, today=today) is not ReturnStanding.OVERDUE:
        return None
    return CaseFlag(
        CaseFlagKind.RETURN_OVERDUE,
        Severity.HIGH,
        f"{names.case(r.case_id)}: the return from {names.agency(r.agency_id)} was due on "
        f"{due_on:%-d %B %Y} and has not been submitted",
        Subject(case_id=r.case_id, agency_id=r.agency_id),
    )


def return_outstanding(
    r: ReturnFacts, names: Names, *, due_on: date, today: date
) -> CaseFlag | None:
    if return_standing(r, due_on=due_on, today=today) is not ReturnStanding.OUTSTANDING:
        return None
    return CaseFlag(
        CaseFlagKind.RETURN_OUTSTANDING,
        Severity.LOW,
        f"{names.case(r.case_id)}: the return from {names.agency(r.agency_id)} is not in yet; "
        f"it is due on {due_on:%-d %B %Y}",
        Subject(case_id=r.case_id, agency_id=r.agency_id),
    )


def return_late(r: ReturnFacts, names: Names, *, due_on: date, today: date) -> CaseFlag | None:
    if return_standing(r, due_on=due_on, today=today) is not ReturnStanding.LATE:
        return None
    return CaseFlag(
        CaseFlagKind.RETURN_LATE,
        Severity.LOW,
        f"{names.case(r.case_id)}: the return from {names.agency(r.agency_id)} was submitted on "
        f"{r.submitted_at:%-d %B %Y}, after the due date of {due_on:%-d %B %Y}",
        Subject(case_id=r.case_id, agency_id=r.agency_id),
    )


def recurring_learning(t: ThemeRecurrence, names: Names, labels: dict[str, str]) -> CaseFlag | None:
    if not t.recurs_in_round:
        return None
    references = ", ".join(
        names.case(case_id) for case_id in sorted(t.cases_in_round, key=names.case_order)
    )
    return CaseFlag(
        CaseFlagKind.RECURRING_LEARNING,
        Severity.MEDIUM,
        f"{_theme_label(t.theme, labels)}: learning in {len(t.cases_in_round)} cases "
        f"({references})",
        Subject(theme=t.theme),
    )


def learning_across_rounds(
    t: ThemeRecurrence, round_id: int, rounds: dict[int, RoundInfo], labels: dict[str, str]
) -> CaseFlag | None:
    others = t.other_rounds(round_id)
    if not t.cases_in_round or not others:
        return None
    ordered = sorted(others, key=lambda r: (rounds[r].due_on, r) if r in rounds else (date.max, r))
    named = ", ".join(rounds[r].name if r in rounds else f"round {r}" for r in ordered)
    return CaseFlag(
        CaseFlagKind.LEARNING_ACROSS_ROUNDS,
        Severity.MEDIUM,
        f"{_theme_label(t.theme, labels)}: also learning in {named}",
        Subject(theme=t.theme),
    )


_KIND_ORDER = {kind: n for n, kind in enumerate(CaseFlagKind)}


def round_flags(
    facts: RoundFacts, *, today: date, theme_labels: dict[str, str] | None = None
) -> list[CaseFlag]:
    """Every flag for a round: most severe first, then by kind, case, agency, section,
    question and theme."""
    labels = theme_labels or {}
    names = Names(facts)
    rounds = {r.round_id: r for r in facts.rounds}
    found: list[CaseFlag | None] = []
    found.extend(inadequate_overall(case, names) for case in facts.cases)
    found.extend(inadequate_judgement(j, names) for j in facts.judgements)
    found.extend(divergent_grades(spread, names) for spread in question_spreads(facts))
    found.extend(inadequate_agency_grade(a, names) for a in counted_grades(facts))
    for r in facts.returns:
        for rule in (return_overdue, return_outstanding, return_late):
            found.append(rule(r, names, due_on=facts.due_on, today=today))
    for theme in learning_themes(facts):
        found.append(recurring_learning(theme, names, labels))
        found.append(learning_across_rounds(theme, facts.round_id, rounds, labels))
    flags = {flag for flag in found if flag is not None}
    return sorted(
        flags,
        key=lambda f: (
            f.severity.rank,
            _KIND_ORDER[f.kind],
            names.case_order(f.subject.case_id),
            names.agency_order(f.subject.agency_id),
            names.section_order(f.subject.section_key),
            names.question_order(f.subject.section_key, f.subject.question_key),
            f.subject.theme or "",
            f.message,
        ),
    )


# -- Everything at once ---------------------------------------------------------------


@dataclass(frozen=True)
class RoundAnalysis:
    by_section: dict[str, dict[Grade, int]]
    by_agency: dict[int, dict[Grade, int]]
    judgements: dict[str, dict[Grade, int]]
    overall: dict[Grade, int]
    spreads: dict[tuple[int, str], SectionSpread]
    divergences: list[QuestionSpread]
    returns: list[ReturnIssue]
    themes: list[ThemeRecurrence]
    trend: list[TrendPoint]
    flags: list[CaseFlag]

    @property
    def graded(self) -> int:
        """The agencies' own grades that count, across the round."""
        return sum(sum(counts.values()) for counts in self.by_agency.values())

    @property
    def judged(self) -> int:
        """Consolidated judgements recorded, per section and overall."""
        sections = sum(sum(counts.values()) for counts in self.judgements.values())
        return sections + sum(self.overall.values())


def analyse(
    facts: RoundFacts, *, today: date, theme_labels: dict[str, str] | None = None
) -> RoundAnalysis:
    return RoundAnalysis(
        by_section=section_distribution(facts),
        by_agency=agency_distribution(facts),
        judgements=judgement_distribution(facts),
        overall=overall_distribution(facts),
        spreads=section_spreads(facts),
        divergences=divergences(facts),
        returns=missing_and_late(facts, today=today),
        themes=learning_themes(facts),
        trend=trend(facts),
        flags=round_flags(facts, today=today, theme_labels=theme_labels),
    )
