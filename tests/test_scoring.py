"""Scores, distributions and changes between cycles, on the built-in scales' real scores.

BRAG (scales.json): red 0, amber 40, green 80, blue 100. Score 0-3: 0, 33.3, 66.7, 100.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from audit_tool.scoring import (
    Change,
    Distribution,
    Scored,
    agency_scores,
    agency_standard_scores,
    compare,
    criterion_distributions,
    effective_level,
    effective_score,
    partnership_score,
    partnership_standard_scores,
    standard_changes,
    summarise,
    weighted_score,
)

BRAG = {"red": 0, "amber": 40, "green": 80, "blue": 100}
POLICE, HEALTH, SCHOOLS = 1, 2, 3


def rated(
    agency_id: int,
    criterion_key: str,
    level: str | None,
    *,
    moderated: str | None = None,
    weight: float = 1.0,
) -> Scored:
    """An answer on the BRAG scale; the standard is the part of the key before the dot."""
    return Scored(
        agency_id=agency_id,
        criterion_key=criterion_key,
        standard_key=criterion_key.split(".")[0],
        self_level=level,
        self_score=None if level is None else BRAG[level],
        moderated_level=moderated,
        moderated_score=None if moderated is None else BRAG[moderated],
        weight=weight,
    )


def not_applicable(agency_id: int, criterion_key: str) -> Scored:
    return replace(rated(agency_id, criterion_key, None), not_applicable=True)


# docs/scoring.md, example 1: the police force's standard 1. The panel moderated 1.2 from
# blue down to green; 1.5 (commissioning) does not apply to it.
POLICE_STANDARD_1 = [
    rated(POLICE, "1.1", "green"),
    rated(POLICE, "1.2", "blue", moderated="green"),
    rated(POLICE, "1.3", "amber"),
    rated(POLICE, "1.4", "green"),
    not_applicable(POLICE, "1.5"),
]


# Effective ratings


def test_effective_rating_is_the_agencys_own_until_the_panel_moderates():
    own = rated(POLICE, "1.1", "amber")
    assert (effective_level(own), effective_score(own)) == ("amber", 40)
    moderated = rated(POLICE, "1.1", "amber", moderated="red")
    assert (effective_level(moderated), effective_score(moderated)) == ("red", 0)
    # The agency's own rating stays on the answer for everyone to see.
    assert (moderated.self_level, moderated.self_score) == ("amber", 40)


def test_the_panel_can_rate_an_answer_the_agency_left_unrated():
    answer = rated(POLICE, "1.1", None, moderated="green")
    assert (effective_level(answer), effective_score(answer)) == ("green", 80)


def test_not_applicable_and_unrated_answers_have_no_effective_rating():
    for answer in (
        rated(POLICE, "1.1", None),
        not_applicable(POLICE, "1.1"),
        # N/A wins even over a rating left behind on the answer.
        replace(rated(POLICE, "1.1", "green", moderated="blue"), not_applicable=True),
    ):
        assert effective_level(answer) is None
        assert effective_score(answer) is None


# Invalid answers


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"self_score": 100.1}, "self_score must be between 0 and 100"),
        ({"self_score": -1}, "self_score must be between 0 and 100"),
        ({"self_score": math.nan}, "self_score must be between 0 and 100"),
        ({"moderated_level": "x", "moderated_score": 101}, "moderated_score must be between"),
        ({"self_score": None}, "self_level and self_score must be given together"),
        ({"self_level": None}, "self_level and self_score must be given together"),
        ({"moderated_level": "red"}, "moderated_level and moderated_score must be given"),
        ({"moderated_score": 0}, "moderated_level and moderated_score must be given"),
        ({"weight": 0}, "weight must be a finite number above 0"),
        ({"weight": -2}, "weight must be a finite number above 0"),
        ({"weight": math.inf}, "weight must be a finite number above 0"),
        ({"weight": math.nan}, "weight must be a finite number above 0"),
    ],
)
def test_invalid_answers_are_refused(changes, message):
    with pytest.raises(ValueError, match=message) as error:
        replace(rated(POLICE, "1.1", "green"), **changes)
    assert "agency 1, criterion '1.1'" in str(error.value)


@pytest.mark.parametrize("value", [True, "80", None])
def test_scores_and_weights_must_be_numbers(value):
    with pytest.raises(TypeError, match="must be a number"):
        replace(rated(POLICE, "1.1", "green"), weight=value)
    if value is not None:
        with pytest.raises(TypeError, match="must be a number"):
            replace(rated(POLICE, "1.1", "green"), self_score=value)


def test_decimal_scores_from_the_database_become_floats():
    answer = Scored(1, "1.1", "1", "1", Decimal("33.3"), "2", Decimal("66.7"), weight=2)
    assert answer.self_score == 33.3 and type(answer.self_score) is float
    assert answer.moderated_score == 66.7 and type(answer.moderated_score) is float
    assert type(answer.weight) is float


def test_a_second_answer_to_the_same_criterion_is_refused():
    twice = [rated(POLICE, "1.1", "green"), rated(POLICE, "1.1", "red")]
    for aggregate in (*AGGREGATES, criterion_distributions):
        with pytest.raises(ValueError, match="agency 1 has more than one answer to criterion"):
            aggregate(twice)
    with pytest.raises(ValueError, match="more than one answer"):
        compare([], twice)


# Scores


def test_weighted_score_leaves_out_not_applicable_and_uses_the_moderated_rating():
    # (80 + 80 + 40 + 80) / 4: 1.2 counts as the panel's green, and 1.5 is on neither side.
    assert weighted_score(POLICE_STANDARD_1) == 70.0
    # On the agency's own ratings alone, 1.2 would count as blue.
    unmoderated = [
        replace(a, moderated_level=None, moderated_score=None) for a in POLICE_STANDARD_1
    ]
    assert weighted_score(unmoderated) == 75.0


def test_unrated_answers_are_left_out_not_counted_as_zero():
    assert weighted_score([*POLICE_STANDARD_1, rated(POLICE, "1.6", None)]) == 70.0


def test_weights_count_an_answer_more_than_once():
    # 1.1 is essential and weighs 2: (2 * 80 + 80 + 40 + 80) / (2 + 1 + 1 + 1) = 360 / 5.
    essential = [replace(POLICE_STANDARD_1[0], weight=2), *POLICE_STANDARD_1[1:]]
    assert weighted_score(essential) == 72.0
    # The N/A answer's weight is left out too.
    assert weighted_score([*essential[:4], replace(essential[4], weight=10)]) == 72.0


def test_a_mean_of_equal_scores_is_exactly_that_score():
    # In floating point (0.1 * 100 + 0.7 * 100) / (0.1 + 0.7) is 100.00000000000001: above
    # the top of the scale. A mean never leaves the range of the scores it is a mean of.
    blue = [rated(POLICE, "1.1", "blue", weight=0.1), rated(POLICE, "1.2", "blue", weight=0.7)]
    assert weighted_score(blue) == 100.0
    green = [rated(POLICE, "1.1", "green", weight=0.1), rated(POLICE, "1.2", "green", weight=0.2)]
    assert weighted_score(green) == 80.0


def test_nothing_scored_gives_none_not_zero():
    assert weighted_score([]) is None
    assert weighted_score([not_applicable(POLICE, "1.5"), rated(POLICE, "1.6", None)]) is None


def test_scores_keep_full_precision():
    # Score 0-3 scale: 1, 2 and 2 are 33.3, 66.7 and 66.7. The mean is 55.566…, shown as
    # 55.6, but never rounded here.
    answers = [
        Scored(POLICE, key, "1", level, score)
        for key, level, score in [("1.1", "1", 33.3), ("1.2", "2", 66.7), ("1.3", "2", 66.7)]
    ]
    assert weighted_score(answers) == pytest.approx(166.7 / 3)
    assert weighted_score(answers) != 55.6


def test_agency_standard_scores():
    answers = [
        *POLICE_STANDARD_1,
        rated(POLICE, "2.1", "red"),
        rated(HEALTH, "1.1", "blue"),
        rated(HEALTH, "1.2", "amber"),
        not_applicable(HEALTH, "2.1"),
    ]
    assert agency_standard_scores(answers) == {
        (POLICE, "1"): 70.0,
        (POLICE, "2"): 0.0,
        (HEALTH, "1"): 70.0,
        # Answered, but nothing scored: None, not missing and not 0.
        (HEALTH, "2"): None,
    }


def test_an_agency_score_is_over_all_its_answers_not_a_mean_of_its_standards():
    answers = [*POLICE_STANDARD_1, rated(POLICE, "2.1", "red"), not_applicable(HEALTH, "1.1")]
    # (80 + 80 + 40 + 80 + 0) / 5, where a mean of standards would give (70 + 0) / 2 = 35.
    assert agency_scores(answers) == {POLICE: 56.0, HEALTH: None}


# docs/scoring.md, example 2: three agencies' standard 1 on the BRAG scale.
PARTNERSHIP = [
    *POLICE_STANDARD_1,  # 70 from 4 scored criteria
    rated(HEALTH, "1.1", "green"),  # (80 + 40) / 2 = 60 from 2 scored criteria
    rated(HEALTH, "1.2", "amber"),
    not_applicable(HEALTH, "1.3"),
    not_applicable(HEALTH, "1.4"),
    not_applicable(HEALTH, "1.5"),
    *(rated(SCHOOLS, f"1.{n}", "green") for n in range(1, 6)),  # 80 from 5 scored criteria
]


def test_partnership_standard_score_is_the_mean_of_the_agencies():
    # (70 + 60 + 80) / 3. Pooling all 11 scored criteria would give 800 / 11 = 72.7 and let
    # the agency answering most criteria count most.
    assert partnership_standard_scores(PARTNERSHIP) == {"1": 70.0}


def test_partnership_standard_scores_leave_out_agencies_with_nothing_scored():
    answers = [*PARTNERSHIP, not_applicable(4, "1.1"), not_applicable(4, "2.1")]
    assert partnership_standard_scores(answers) == {"1": 70.0, "2": None}


def test_partnership_score_is_the_mean_of_the_agency_scores():
    answers = [*PARTNERSHIP, rated(SCHOOLS, "2.1", "red"), not_applicable(4, "1.1")]
    # Police 70, health 60, schools (5 * 80 + 0) / 6 = 66.67; agency 4 scored nothing.
    assert agency_scores(answers)[SCHOOLS] == pytest.approx(400 / 6)
    assert partnership_score(answers) == pytest.approx((70 + 60 + 400 / 6) / 3)
    assert partnership_score([not_applicable(4, "1.1")]) is None
    assert partnership_score([]) is None


# Distributions


def test_distribution_percentages_are_of_the_agencies_that_rated_the_criterion():
    # docs/scoring.md, example 3: criterion 1.1 across six agencies.
    answers = [
        rated(1, "1.1", "green"),
        rated(2, "1.1", "green"),
        rated(3, "1.1", "blue", moderated="green"),  # counts at the panel's level
        rated(4, "1.1", "green", moderated="amber"),
        not_applicable(5, "1.1"),
        rated(6, "1.1", None),
        rated(1, "1.2", "red"),
    ]
    distributions = criterion_distributions(answers)
    assert distributions["1.1"] == Distribution(
        counts={"amber": 1, "green": 3}, not_applicable=1, unrated=1
    )
    assert distributions["1.1"].percent("green") == 75.0
    assert distributions["1.1"].percent("amber") == 25.0
    assert distributions["1.1"].percent("blue") == 0.0
    assert distributions["1.2"].percent("red") == 100.0


def test_a_criterion_nobody_rated_is_zero_percent_everything():
    distribution = criterion_distributions([not_applicable(1, "1.5"), rated(2, "1.5", None)])
    assert distribution["1.5"] == Distribution(counts={}, not_applicable=1, unrated=1)
    assert distribution["1.5"].percent("green") == 0.0


# Comparison with the previous cycle


def test_compare_pairs_answers_by_agency_and_criterion_key():
    # docs/scoring.md, example 4.
    previous = [
        rated(POLICE, "1.3", "amber"),
        rated(POLICE, "1.4", "green", moderated="amber"),
        rated(POLICE, "1.5", "red"),
        rated(POLICE, "1.7", "green"),  # dropped from the new framework version
    ]
    current = [
        rated(POLICE, "1.3", "green"),
        rated(POLICE, "1.4", "green"),
        not_applicable(POLICE, "1.5"),
        rated(POLICE, "1.6", "amber"),  # new in the new framework version
    ]
    changes = compare(current, previous)
    assert changes == {
        (POLICE, "1.3"): Change(previous=40, current=80),
        (POLICE, "1.4"): Change(previous=40, current=80),
        (POLICE, "1.5"): Change(previous=0, current=None),
        (POLICE, "1.6"): Change(previous=None, current=40),
        (POLICE, "1.7"): Change(previous=80, current=None),
    }
    assert [change.delta for change in changes.values()] == [40, 40, None, None, None]


def test_delta_is_signed():
    assert Change(previous=80, current=40).delta == -40
    assert Change(previous=None, current=None).delta is None


def test_standard_changes_compare_agency_standard_scores():
    previous = [rated(POLICE, "1.1", "amber"), rated(POLICE, "1.2", "amber")]
    changes = standard_changes(POLICE_STANDARD_1, [*previous, rated(HEALTH, "1.1", "red")])
    assert changes == {
        (POLICE, "1"): Change(previous=40, current=70),
        (HEALTH, "1"): Change(previous=0, current=None),
    }
    assert changes[(POLICE, "1")].delta == 30


# Properties

CRITERIA = {"1.1": "1", "1.2": "1", "1.3": "1", "2.1": "2", "2.2": "2", "3.1": "3"}
REAL_SCORES = [0, 33.3, 40, 50, 66.7, 80, 100]

scores = st.one_of(st.sampled_from(REAL_SCORES), st.floats(0, 100))
ratings = st.one_of(st.none(), st.tuples(st.sampled_from(["a", "b", "c"]), scores))
weights = st.one_of(st.just(1.0), st.sampled_from([0.1, 0.5, 0.7, 2, 3]), st.floats(0.01, 100))


@st.composite
def answers(draw: st.DrawFn, max_agency_id: int = 4) -> Scored:
    criterion_key = draw(st.sampled_from(sorted(CRITERIA)))
    own = draw(ratings)
    panel = draw(ratings)
    return Scored(
        agency_id=draw(st.integers(1, max_agency_id)),
        criterion_key=criterion_key,
        standard_key=CRITERIA[criterion_key],
        self_level=None if own is None else own[0],
        self_score=None if own is None else own[1],
        moderated_level=None if panel is None else panel[0],
        moderated_score=None if panel is None else panel[1],
        not_applicable=draw(st.booleans()),
        weight=draw(weights),
    )


def key(answer: Scored) -> tuple[int, str]:
    return (answer.agency_id, answer.criterion_key)


batches = st.lists(answers(), max_size=24, unique_by=key)

AGGREGATES: list[Callable[[Iterable[Scored]], object]] = [
    weighted_score,
    agency_standard_scores,
    agency_scores,
    partnership_standard_scores,
    partnership_score,
]


def as_dict(result: object) -> dict:
    """Every aggregate's result as a dict, a single score under the key None."""
    return result if isinstance(result, dict) else {None: result}


def assert_same_scores(smaller: list[Scored], larger: list[Scored]) -> None:
    """`larger` is `smaller` plus N/A answers: every score is the same, and any group that
    only the N/A answers bring in has no score."""
    for aggregate in AGGREGATES:
        before, after = as_dict(aggregate(smaller)), as_dict(aggregate(larger))
        assert {k: after[k] for k in before} == before, aggregate.__name__
        assert all(after[k] is None for k in after.keys() - before.keys()), aggregate.__name__


@given(batches)
def test_every_score_is_between_0_and_100(batch):
    for aggregate in AGGREGATES:
        assert all(
            score is None or 0 <= score <= 100 for score in as_dict(aggregate(batch)).values()
        )
    for distribution in criterion_distributions(batch).values():
        percents = [distribution.percent(level) for level in distribution.counts]
        assert all(0 <= p <= 100 for p in percents)
        assert math.fsum(percents) == pytest.approx(100 if percents else 0)


@given(scores, st.lists(weights, min_size=1, max_size=8))
def test_answers_all_at_one_score_score_exactly_that(score, answer_weights):
    answers = [
        Scored(POLICE, f"1.{n}", "1", "a", score, weight=weight)
        for n, weight in enumerate(answer_weights)
    ]
    assert weighted_score(answers) == score
    assert agency_scores(answers) == {POLICE: score}


@given(batches, answers(max_agency_id=5))
def test_adding_a_not_applicable_answer_changes_no_score(batch, extra):
    assume(key(extra) not in {key(a) for a in batch})
    assert_same_scores(batch, [*batch, replace(extra, not_applicable=True)])


@given(batches)
def test_removing_not_applicable_answers_changes_no_score(batch):
    assert_same_scores([a for a in batch if not a.not_applicable], batch)


@given(batches, st.data())
def test_raising_one_rating_never_lowers_any_score(batch, data):
    scored = [i for i, a in enumerate(batch) if effective_score(a) is not None]
    assume(scored)
    i = data.draw(st.sampled_from(scored))
    target = batch[i]
    higher = data.draw(st.floats(effective_score(target), 100))
    if target.moderated_score is None and data.draw(st.booleans()):
        raised = replace(target, self_score=higher)
    else:
        # The panel moderates up, or raises its own moderated rating.
        raised = replace(target, moderated_level="up", moderated_score=higher)
    assert effective_score(raised) == higher
    after_batch = [*batch[:i], raised, *batch[i + 1 :]]
    for aggregate in AGGREGATES:
        before, after = as_dict(aggregate(batch)), as_dict(aggregate(after_batch))
        assert before.keys() == after.keys()
        for k, score in before.items():
            assert (score is None) == (after[k] is None)
            assert score is None or after[k] >= score, aggregate.__name__


@given(batches, batches, st.data())
def test_shuffling_the_input_changes_nothing(batch, previous, data):
    shuffled = data.draw(st.permutations(batch))
    previous_shuffled = data.draw(st.permutations(previous))
    # repr shows every float in full and every dict in its order, so this also checks that
    # results come out in the same order.
    for function in (*AGGREGATES, criterion_distributions):
        assert repr(function(shuffled)) == repr(function(batch)), function.__name__
    for function in (compare, standard_changes):
        assert repr(function(shuffled, previous_shuffled)) == repr(function(batch, previous))


@given(answers())
def test_effective_score_is_the_moderated_one_when_present(answer):
    if answer.not_applicable:
        assert effective_score(answer) is None
    elif answer.moderated_score is not None:
        assert effective_score(answer) == answer.moderated_score
        assert effective_level(answer) == answer.moderated_level
    else:
        assert effective_score(answer) == answer.self_score
        assert effective_level(answer) == answer.self_level


@given(batches)
def test_results_are_consistent_with_each_other_and_read_the_input_once(batch):
    agencies = agency_scores(iter(batch))
    assert agencies == agency_scores(batch)
    for agency_id, score in agencies.items():
        assert weighted_score(a for a in batch if a.agency_id == agency_id) == score
    assert partnership_score(iter(batch)) == partnership_score(batch)
    assert partnership_standard_scores(iter(batch)) == partnership_standard_scores(batch)
    assert criterion_distributions(iter(batch)) == criterion_distributions(batch)
    assert all(change.delta in (0, None) for change in compare(iter(batch), batch).values())


@given(batches)
def test_summarise_agrees_with_the_separate_functions(batch):
    summary = summarise(batch)
    assert summary.agency_standard == agency_standard_scores(batch)
    assert summary.agency == agency_scores(batch)
    assert summary.partnership_standard == partnership_standard_scores(batch)
    assert summary.partnership == partnership_score(batch)
    assert summary.distributions == criterion_distributions(batch)
