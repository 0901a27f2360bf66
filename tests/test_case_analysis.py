"""The case-audit round analysis as plain data: distributions, spreads, returns, learning,
trend, each flag rule on its own, then properties over generated rounds."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from audit_tool import case_analysis as ca
from audit_tool.case_analysis import (
    AgencyInfo,
    AnswerFacts,
    CaseFlagKind,
    CaseInfo,
    CaseOutcome,
    JudgementFacts,
    LearningFacts,
    QuestionInfo,
    ReturnFacts,
    ReturnStanding,
    RoundFacts,
    RoundInfo,
    SectionInfo,
    Subject,
)
from audit_tool.case_grading import Grade
from audit_tool.flags import Severity

OUT, G, RI, IN = Grade.OUTSTANDING, Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE
DUE = date(2026, 3, 31)
TODAY = date(2026, 4, 10)
ROUND = 7

SECTIONS = (
    SectionInfo("recognition", "Recognition of need and risk", 0),
    SectionInfo("planning", "Planning and intervention", 1),
)
QUESTIONS = (
    QuestionInfo("r1", "recognition", "Was the risk to the child recognised?", 0, "graded"),
    QuestionInfo("r2", "recognition", "Was the child seen alone?", 1, "yes_partly_no"),
    QuestionInfo("r3", "recognition", "How well was history used?", 2, "graded"),
    QuestionInfo("p1", "planning", "Was the plan specific and timed?", 0, "graded"),
)
POLICE, HEALTH, SCHOOL = 1, 2, 3
AGENCIES = (
    AgencyInfo(POLICE, "Police"),
    AgencyInfo(HEALTH, "Health"),
    AgencyInfo(SCHOOL, "School"),
)
CASE_A, CASE_B = 10, 11
CASES = (CaseInfo(CASE_A, "DA-2026-01", 1), CaseInfo(CASE_B, "DA-2026-02", 2))
THIS_ROUND = RoundInfo(ROUND, "Domestic abuse 2026", DUE)


def facts(**kwargs) -> RoundFacts:
    base = {
        "round_id": ROUND,
        "due_on": DUE,
        "sections": SECTIONS,
        "questions": QUESTIONS,
        "cases": CASES,
        "agencies": AGENCIES,
        "rounds": (THIS_ROUND,),
    }
    return RoundFacts(**{**base, **kwargs})


def submitted(case: int, agency: int, on: date = DUE) -> ReturnFacts:
    return ReturnFacts(case, agency, "submitted", datetime(on.year, on.month, on.day, 15, 30))


def draft(case: int, agency: int, status: str = "in_progress") -> ReturnFacts:
    return ReturnFacts(case, agency, status)


def grade(case: int, agency: int, question: str, value: Grade | None) -> AnswerFacts:
    q = next(q for q in QUESTIONS if q.key == question)
    return AnswerFacts(case, agency, q.section_key, q.key, q.kind, value)


def names(f: RoundFacts | None = None):
    return ca.Names(f or facts())


# -- Distributions ------------------------------------------------------------------


def test_only_graded_answers_on_submitted_returns_count():
    f = facts(
        returns=(
            submitted(CASE_A, POLICE),
            draft(CASE_A, HEALTH),
            draft(CASE_A, SCHOOL, "reopened"),
        ),
        answers=(
            grade(CASE_A, POLICE, "r1", G),
            grade(CASE_A, POLICE, "r3", None),  # not answered
            AnswerFacts(CASE_A, POLICE, "recognition", "r2", "yes_partly_no", None),
            grade(CASE_A, HEALTH, "r1", IN),  # a draft
            grade(CASE_A, SCHOOL, "r1", IN),  # reopened: not submitted now
        ),
    )
    assert [a.grade for a in ca.counted_grades(f)] == [G]


def test_distribution_per_section_and_per_agency():
    f = facts(
        returns=(submitted(CASE_A, POLICE), submitted(CASE_A, HEALTH), draft(CASE_B, SCHOOL)),
        answers=(
            grade(CASE_A, POLICE, "r1", G),
            grade(CASE_A, POLICE, "p1", RI),
            grade(CASE_A, HEALTH, "r1", G),
            grade(CASE_A, HEALTH, "r3", OUT),
        ),
    )
    assert ca.section_distribution(f) == {
        "recognition": {IN: 0, RI: 0, G: 2, OUT: 1},
        "planning": {IN: 0, RI: 1, G: 0, OUT: 0},
    }
    assert ca.agency_distribution(f) == {
        POLICE: {IN: 0, RI: 1, G: 1, OUT: 0},
        HEALTH: {IN: 0, RI: 0, G: 1, OUT: 1},
        SCHOOL: {IN: 0, RI: 0, G: 0, OUT: 0},  # involved, nothing submitted yet
    }


def test_distribution_of_consolidated_judgements():
    f = facts(
        cases=(replace(CASES[0], overall=RI), CASES[1]),
        judgements=(
            JudgementFacts(CASE_A, "recognition", RI),
            JudgementFacts(CASE_B, "recognition", IN),
            JudgementFacts(CASE_A, "planning", G),
        ),
    )
    assert ca.judgement_distribution(f) == {
        "recognition": {IN: 1, RI: 1, G: 0, OUT: 0},
        "planning": {IN: 0, RI: 0, G: 1, OUT: 0},
    }
    assert ca.overall_distribution(f) == {IN: 0, RI: 1, G: 0, OUT: 0}


# -- Spread and divergence ----------------------------------------------------------


def test_grades_two_levels_apart_on_one_question_diverge():
    f = facts(
        returns=(submitted(CASE_A, POLICE), submitted(CASE_A, HEALTH)),
        answers=(
            grade(CASE_A, POLICE, "r1", G),
            grade(CASE_A, HEALTH, "r1", IN),
            grade(CASE_A, POLICE, "p1", G),
            grade(CASE_A, HEALTH, "p1", RI),
        ),
    )
    [spread] = ca.divergences(f)
    assert (spread.case_id, spread.section_key, spread.question_key) == (
        CASE_A,
        "recognition",
        "r1",
    )
    assert spread.summary.spread == 2
    assert spread.grades == ((POLICE, G), (HEALTH, IN))


def test_spread_on_different_questions_is_not_divergence():
    # One agency's Outstanding and another's Inadequate on different questions: each
    # question has a single grade, so nothing diverges, though the section's range is wide.
    f = facts(
        returns=(submitted(CASE_A, POLICE), submitted(CASE_A, HEALTH)),
        answers=(grade(CASE_A, POLICE, "r1", OUT), grade(CASE_A, HEALTH, "r3", IN)),
    )
    assert ca.divergences(f) == []
    cell = ca.section_spreads(f)[(CASE_A, "recognition")]
    assert (cell.summary.lowest, cell.summary.highest, cell.agencies) == (IN, OUT, 2)
    assert not cell.divergent


def test_a_draft_grade_never_makes_a_divergence():
    f = facts(
        returns=(submitted(CASE_A, POLICE), draft(CASE_A, HEALTH)),
        answers=(grade(CASE_A, POLICE, "r1", OUT), grade(CASE_A, HEALTH, "r1", IN)),
    )
    assert ca.divergences(f) == []


def test_section_spread_names_its_divergent_questions():
    f = facts(
        returns=(submitted(CASE_B, POLICE), submitted(CASE_B, SCHOOL)),
        answers=(
            grade(CASE_B, POLICE, "r1", OUT),
            grade(CASE_B, SCHOOL, "r1", RI),
            grade(CASE_B, POLICE, "r3", G),
            grade(CASE_B, SCHOOL, "r3", G),
        ),
    )
    cell = ca.section_spreads(f)[(CASE_B, "recognition")]
    assert cell.divergent_questions == ("r1",)
    assert (CASE_A, "recognition") not in ca.section_spreads(f)


# -- Returns -------------------------------------------------------------------------


def test_return_standing():
    assert ca.return_standing(submitted(1, 1, DUE), due_on=DUE, today=TODAY) is (
        ReturnStanding.ON_TIME
    )
    assert ca.return_standing(submitted(1, 1, date(2026, 4, 1)), due_on=DUE, today=TODAY) is (
        ReturnStanding.LATE
    )
    assert ca.return_standing(draft(1, 1), due_on=DUE, today=TODAY) is ReturnStanding.OVERDUE
    assert ca.return_standing(draft(1, 1), due_on=DUE, today=DUE) is ReturnStanding.OUTSTANDING
    assert ca.return_standing(draft(1, 1, "reopened"), due_on=DUE, today=TODAY) is (
        ReturnStanding.OVERDUE
    )


def test_missing_and_late_returns_by_case_then_agency():
    f = facts(
        returns=(
            draft(CASE_B, POLICE, "not_started"),
            submitted(CASE_A, SCHOOL, date(2026, 4, 2)),
            submitted(CASE_A, POLICE),
            draft(CASE_A, HEALTH),
        ),
    )
    issues = ca.missing_and_late(f, today=TODAY)
    assert [(i.case_id, i.agency_id, i.standing) for i in issues] == [
        (CASE_A, HEALTH, ReturnStanding.OVERDUE),
        (CASE_A, SCHOOL, ReturnStanding.LATE),
        (CASE_B, POLICE, ReturnStanding.OVERDUE),
    ]


# -- Learning and trend --------------------------------------------------------------


def test_learning_themes_in_this_round_and_across_rounds():
    f = facts(
        learning=(
            LearningFacts(ROUND, CASE_A, "recording"),
            LearningFacts(ROUND, CASE_A, "recording"),  # twice in one case counts once
            LearningFacts(ROUND, CASE_B, "recording"),
            LearningFacts(ROUND, CASE_B, "escalation"),
            LearningFacts(3, 99, "escalation"),
            LearningFacts(3, 98, "thresholds"),
        )
    )
    themes = {t.theme: t for t in ca.learning_themes(f)}
    assert themes["recording"].cases_in_round == (CASE_A, CASE_B)
    assert themes["recording"].recurs_in_round
    assert not themes["escalation"].recurs_in_round
    assert themes["escalation"].other_rounds(ROUND) == (3,)
    assert themes["thresholds"].cases_in_round == ()
    assert [t.theme for t in ca.learning_themes(f)] == ["recording", "escalation", "thresholds"]


def test_trend_is_oldest_first_with_share_good_or_better():
    earlier = RoundInfo(3, "Domestic abuse 2025", date(2025, 3, 31))
    f = facts(
        rounds=(THIS_ROUND, earlier),
        outcomes=(
            CaseOutcome(3, 1, IN),
            CaseOutcome(3, 2, G),
            CaseOutcome(3, 3, OUT),
            CaseOutcome(ROUND, CASE_A, None),
            CaseOutcome(ROUND, CASE_B, None),
        ),
    )
    old, new = ca.trend(f)
    assert (old.name, old.distribution, old.judged, old.good_or_better) == (
        "Domestic abuse 2025",
        {IN: 1, RI: 0, G: 1, OUT: 1},
        3,
        67,
    )
    assert (new.round_id, new.cases, new.judged, new.not_judged) == (ROUND, 2, 0, 2)
    assert new.good_or_better is None


# -- Flag rules, one at a time ----------------------------------------------------------


def test_inadequate_judgement():
    flag = ca.inadequate_judgement(JudgementFacts(CASE_A, "planning", IN), names())
    assert (flag.kind, flag.severity) == (CaseFlagKind.INADEQUATE_JUDGEMENT, Severity.HIGH)
    assert flag.message == "DA-2026-01: the meeting judged Planning and intervention Inadequate"
    assert flag.subject == Subject(case_id=CASE_A, section_key="planning")
    assert ca.inadequate_judgement(JudgementFacts(CASE_A, "planning", RI), names()) is None


def test_inadequate_overall():
    flag = ca.inadequate_overall(replace(CASES[1], overall=IN), names())
    assert flag.message == "DA-2026-02: the meeting judged the case Inadequate overall"
    assert ca.inadequate_overall(replace(CASES[1], overall=G), names()) is None
    assert ca.inadequate_overall(CASES[1], names()) is None


def test_divergent_grades():
    f = facts(
        returns=(submitted(CASE_A, POLICE), submitted(CASE_A, HEALTH)),
        answers=(grade(CASE_A, POLICE, "r1", OUT), grade(CASE_A, HEALTH, "r1", RI)),
    )
    [spread] = ca.question_spreads(f)
    flag = ca.divergent_grades(spread, names(f))
    assert (flag.kind, flag.severity) == (CaseFlagKind.DIVERGENT_GRADES, Severity.MEDIUM)
    assert flag.message == (
        "DA-2026-01, Recognition of need and risk: agencies' grades range from Requires "
        "improvement to Outstanding on “Was the risk to the child recognised?”"
    )
    close = replace(spread, summary=replace(spread.summary, lowest=G))
    assert ca.divergent_grades(close, names(f)) is None


def test_inadequate_agency_grade():
    flag = ca.inadequate_agency_grade(grade(CASE_B, HEALTH, "p1", IN), names())
    assert (flag.kind, flag.severity) == (CaseFlagKind.INADEQUATE_AGENCY_GRADE, Severity.MEDIUM)
    assert flag.message == (
        "DA-2026-02, Planning and intervention: Health graded “Was the plan specific and "
        "timed?” Inadequate"
    )
    assert flag.subject.agency_id == HEALTH
    assert ca.inadequate_agency_grade(grade(CASE_B, HEALTH, "p1", RI), names()) is None


def test_return_overdue():
    flag = ca.return_overdue(draft(CASE_A, POLICE), names(), due_on=DUE, today=TODAY)
    assert (flag.kind, flag.severity) == (CaseFlagKind.RETURN_OVERDUE, Severity.HIGH)
    assert flag.message == (
        "DA-2026-01: the return from Police was due on 31 March 2026 and has not been submitted"
    )
    assert ca.return_overdue(draft(CASE_A, POLICE), names(), due_on=DUE, today=DUE) is None
    assert ca.return_overdue(submitted(CASE_A, POLICE), names(), due_on=DUE, today=TODAY) is None


def test_return_outstanding():
    flag = ca.return_outstanding(draft(CASE_A, POLICE), names(), due_on=DUE, today=DUE)
    assert (flag.kind, flag.severity) == (CaseFlagKind.RETURN_OUTSTANDING, Severity.LOW)
    assert ca.return_outstanding(draft(CASE_A, POLICE), names(), due_on=DUE, today=TODAY) is None


def test_return_late():
    late = submitted(CASE_A, SCHOOL, date(2026, 4, 3))
    flag = ca.return_late(late, names(), due_on=DUE, today=TODAY)
    assert (flag.kind, flag.severity) == (CaseFlagKind.RETURN_LATE, Severity.LOW)
    assert flag.message == (
        "DA-2026-01: the return from School was submitted on 3 April 2026, after the due date of "
        "31 March 2026"
    )
    assert ca.return_late(submitted(CASE_A, SCHOOL), names(), due_on=DUE, today=TODAY) is None


def test_recurring_learning():
    labels = {"recording": "Recording"}
    two = ca.ThemeRecurrence("recording", (CASE_B, CASE_A), {ROUND: 2})
    flag = ca.recurring_learning(two, names(), labels)
    assert (flag.kind, flag.severity) == (CaseFlagKind.RECURRING_LEARNING, Severity.MEDIUM)
    assert flag.message == "Recording: learning in 2 cases (DA-2026-01, DA-2026-02)"
    one = ca.ThemeRecurrence("recording", (CASE_A,), {ROUND: 1})
    assert ca.recurring_learning(one, names(), labels) is None


def test_learning_across_rounds():
    rounds = {3: RoundInfo(3, "Domestic abuse 2025", date(2025, 3, 31)), ROUND: THIS_ROUND}
    theme = ca.ThemeRecurrence("escalation", (CASE_A,), {ROUND: 1, 3: 2})
    flag = ca.learning_across_rounds(theme, ROUND, rounds, {})
    assert flag.kind is CaseFlagKind.LEARNING_ACROSS_ROUNDS
    assert flag.message == "Escalation: also learning in Domestic abuse 2025"
    only_before = ca.ThemeRecurrence("escalation", (), {3: 2})
    assert ca.learning_across_rounds(only_before, ROUND, rounds, {}) is None
    only_now = ca.ThemeRecurrence("escalation", (CASE_A,), {ROUND: 1})
    assert ca.learning_across_rounds(only_now, ROUND, rounds, {}) is None


def test_round_flags_most_severe_first():
    f = facts(
        cases=(replace(CASES[0], overall=IN), CASES[1]),
        returns=(
            submitted(CASE_A, POLICE),
            submitted(CASE_A, HEALTH, date(2026, 4, 2)),
            draft(CASE_B, SCHOOL),
        ),
        answers=(grade(CASE_A, POLICE, "r1", OUT), grade(CASE_A, HEALTH, "r1", IN)),
        learning=(
            LearningFacts(ROUND, CASE_A, "recording"),
            LearningFacts(ROUND, CASE_B, "recording"),
        ),
    )
    kinds = [flag.kind for flag in ca.round_flags(f, today=TODAY)]
    assert kinds == [
        CaseFlagKind.INADEQUATE_JUDGEMENT,
        CaseFlagKind.RETURN_OVERDUE,
        CaseFlagKind.DIVERGENT_GRADES,
        CaseFlagKind.INADEQUATE_AGENCY_GRADE,
        CaseFlagKind.RECURRING_LEARNING,
        CaseFlagKind.RETURN_LATE,
    ]


def test_an_empty_round_has_nothing_to_show():
    analysis = ca.analyse(facts(cases=(), agencies=()), today=TODAY)
    assert analysis.graded == 0 and analysis.judged == 0
    assert analysis.flags == [] and analysis.returns == [] and analysis.themes == []
    assert [p.round_id for p in analysis.trend] == [ROUND]


# -- Properties over generated rounds ---------------------------------------------------

GRADES = st.sampled_from(list(Grade))
STATUSES = st.sampled_from(["not_started", "in_progress", "submitted", "reopened"])
THEMES = st.sampled_from(["recording", "escalation", "thresholds", "voice_of_child"])


@st.composite
def rounds(draw) -> RoundFacts:
    case_ids = range(1, draw(st.integers(1, 4)) + 1)
    agency_ids = range(1, draw(st.integers(1, 4)) + 1)
    returns, answers, judgements, learning = [], [], [], []
    for case_id in case_ids:
        for agency_id in agency_ids:
            if not draw(st.booleans()):
                continue  # agency not involved in this case
            # submitted (if it is) up to a week either side of the due date
            at = datetime(2026, 3, 24, 12) + timedelta(days=draw(st.integers(0, 14)))
            returns.append(ReturnFacts(case_id, agency_id, draw(STATUSES), at))
            for q in QUESTIONS:
                value = draw(st.none() | GRADES) if q.kind == "graded" else None
                answers.append(AnswerFacts(case_id, agency_id, q.section_key, q.key, q.kind, value))
        for section in SECTIONS:
            if draw(st.booleans()):
                judgements.append(JudgementFacts(case_id, section.key, draw(GRADES)))
        for theme in draw(st.lists(THEMES, max_size=3)):
            learning.append(LearningFacts(draw(st.sampled_from([ROUND, 3])), case_id, theme))
    cases = tuple(CaseInfo(c, f"TT-2026-{c:02d}", c, draw(st.none() | GRADES)) for c in case_ids)
    return RoundFacts(
        round_id=ROUND,
        due_on=DUE,
        sections=SECTIONS,
        questions=QUESTIONS,
        cases=cases,
        agencies=tuple(AgencyInfo(a, f"Agency {a}") for a in agency_ids),
        returns=tuple(returns),
        answers=tuple(answers),
        judgements=tuple(judgements),
        learning=tuple(learning),
        rounds=(THIS_ROUND, RoundInfo(3, "Earlier", date(2025, 3, 31))),
        outcomes=(
            *(CaseOutcome(ROUND, c.case_id, c.overall) for c in cases),
            CaseOutcome(3, 100, G),
            CaseOutcome(3, 101, None),
        ),
    )


def _grades_given(f: RoundFacts) -> int:
    """Counted independently of the module: graded, answered, on a submitted return."""
    status = {(r.case_id, r.agency_id): r.status for r in f.returns}
    return sum(
        1
        for a in f.answers
        if a.kind == "graded"
        and a.grade is not None
        and status[(a.case_id, a.agency_id)] == "submitted"
    )


@given(rounds())
def test_distributions_sum_to_the_grades_given(f):
    given_grades = _grades_given(f)
    assert sum(sum(d.values()) for d in ca.section_distribution(f).values()) == given_grades
    assert sum(sum(d.values()) for d in ca.agency_distribution(f).values()) == given_grades
    assert sum(sum(d.values()) for d in ca.judgement_distribution(f).values()) == len(f.judgements)
    assert sum(ca.overall_distribution(f).values()) == sum(1 for c in f.cases if c.overall)


@given(rounds(), st.data())
def test_a_missing_return_never_adds_a_grade(f, data):
    submitted_returns = [r for r in f.returns if r.status == "submitted"]
    if not submitted_returns:
        return
    gone = data.draw(st.sampled_from(submitted_returns))
    status = data.draw(st.sampled_from(["not_started", "in_progress", "reopened"]))
    after = replace(
        f, returns=tuple(replace(r, status=status) if r == gone else r for r in f.returns)
    )
    before_counts, after_counts = ca.agency_distribution(f), ca.agency_distribution(after)
    for agency_id, counts in after_counts.items():
        for g, n in counts.items():
            assert n <= before_counts[agency_id][g]
    own = sum(
        1
        for a in f.answers
        if (a.case_id, a.agency_id) == (gone.case_id, gone.agency_id)
        and a.kind == "graded"
        and a.grade is not None
    )
    assert _grades_given(f) - _grades_given(after) == own
    assert len(ca.counted_grades(after)) == _grades_given(after)
    # and it never makes a divergence
    assert {(s.case_id, s.question_key) for s in ca.divergences(after)} <= {
        (s.case_id, s.question_key) for s in ca.divergences(f)
    }


@given(rounds(), st.randoms(use_true_random=False))
def test_order_of_inputs_does_not_matter(f, rnd):
    def shuffled(items):
        items = list(items)
        rnd.shuffle(items)
        return tuple(items)

    mixed = replace(
        f,
        sections=f.sections,  # the template's order is the page's order, not an input order
        questions=shuffled(f.questions),
        cases=shuffled(f.cases),
        agencies=shuffled(f.agencies),
        returns=shuffled(f.returns),
        answers=shuffled(f.answers),
        judgements=shuffled(f.judgements),
        learning=shuffled(f.learning),
        rounds=shuffled(f.rounds),
        outcomes=shuffled(f.outcomes),
    )
    assert ca.analyse(mixed, today=TODAY) == ca.analyse(f, today=TODAY)


@given(rounds(), st.permutations([1, 2, 3, 4]))
def test_divergence_is_symmetric_and_needs_a_spread_of_two(f, order):
    relabel = dict(zip([1, 2, 3, 4], order, strict=True))
    swapped = replace(
        f,
        agencies=tuple(replace(a, agency_id=relabel[a.agency_id]) for a in f.agencies),
        returns=tuple(replace(r, agency_id=relabel[r.agency_id]) for r in f.returns),
        answers=tuple(replace(a, agency_id=relabel[a.agency_id]) for a in f.answers),
    )

    def divergent(facts_):
        return {(s.case_id, s.section_key, s.question_key) for s in ca.divergences(facts_)}

    assert divergent(swapped) == divergent(f)
    # Worked out by hand: a question diverges exactly when its counted grades span >= 2.
    ranks: dict[tuple, list[int]] = {}
    for a in ca.counted_grades(f):
        ranks.setdefault((a.case_id, a.section_key, a.question_key), []).append(a.grade.rank)
    expected = {key for key, values in ranks.items() if max(values) - min(values) >= 2}
    assert divergent(f) == expected
    assert all(s.summary.spread >= 2 for s in ca.divergences(f))
    flagged = {
        (fl.subject.case_id, fl.subject.section_key, fl.subject.question_key)
        for fl in ca.round_flags(f, today=TODAY)
        if fl.kind is CaseFlagKind.DIVERGENT_GRADES
    }
    assert flagged == expected
