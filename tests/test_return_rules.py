"""The pure rules for answers, standards and returns."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from audit_tool.return_rules import (
    Answer,
    Level,
    Progress,
    answer_problems,
    answer_progress,
    group_progress,
    percent_complete,
    submission_problems,
)

TODAY = date(2026, 11, 25)
RED = Level("red", "Red – Not met", needs_action=True, needs_evidence=False)
GREEN = Level("green", "Green – Met", needs_action=False, needs_evidence=True)
AMBER_NO_RULES = Level("amber", "Amber", needs_action=False, needs_evidence=False)


def answer(**kwargs) -> Answer:
    return Answer(criterion_id=1, code="1.1", title="Named lead", **kwargs)


def messages(a: Answer) -> list[str]:
    return [p.message for p in answer_problems(a, today=TODAY)]


def test_unrated_answer_must_be_rated():
    assert messages(answer()) == ["Select a rating for 1.1 Named lead"]


def test_not_applicable_needs_nothing_else():
    assert messages(answer(not_applicable=True)) == []


def test_top_rating_needs_evidence_text_or_an_item():
    assert "Enter the evidence for 1.1 Named lead" in messages(answer(level=GREEN))[0]
    assert messages(answer(level=GREEN, evidence="Policy v3")) == []
    assert messages(answer(level=GREEN, evidence_items=1)) == []


def test_rating_that_needs_an_action_needs_what_who_and_when():
    fields = [p.field for p in answer_problems(answer(level=RED), today=TODAY)]
    assert fields == ["action", "action_owner", "action_due"]
    complete = answer(
        level=RED, action="Fix it", action_owner="Head", action_due=TODAY + timedelta(days=1)
    )
    assert messages(complete) == []


def test_action_due_dates_must_be_in_the_future():
    late = answer(level=RED, action="Fix", action_owner="Head", action_due=TODAY)
    assert messages(late) == ["The action due date for 1.1 Named lead must be in the future"]


def test_carried_forward_answers_must_be_checked():
    carried = answer(level=GREEN, evidence="Old", review_needed=True)
    assert messages(carried) == ["Check the answer carried forward for 1.1 Named lead"]
    assert answer_progress(carried, today=TODAY) is Progress.REVIEW_NEEDED


def test_progress_of_single_answers():
    assert answer_progress(answer(), today=TODAY) is Progress.NOT_STARTED
    assert answer_progress(answer(evidence="Draft"), today=TODAY) is Progress.IN_PROGRESS
    assert answer_progress(answer(level=RED), today=TODAY) is Progress.IN_PROGRESS
    assert answer_progress(answer(level=AMBER_NO_RULES), today=TODAY) is Progress.COMPLETED


def test_group_progress():
    c, n, i, r = (
        Progress.COMPLETED,
        Progress.NOT_STARTED,
        Progress.IN_PROGRESS,
        Progress.REVIEW_NEEDED,
    )
    assert group_progress([c, c]) is c
    assert group_progress([n, n]) is n
    assert group_progress([c, n]) is i
    assert group_progress([c, r, n]) is r


def test_percent_complete_counts_completed_answers():
    answers = [answer(level=AMBER_NO_RULES), answer(), answer(not_applicable=True), answer()]
    assert percent_complete(answers, today=TODAY) == 50
    assert percent_complete([], today=TODAY) == 0


levels = st.sampled_from([RED, GREEN, AMBER_NO_RULES, None])
answers = st.builds(
    answer,
    level=levels,
    not_applicable=st.booleans(),
    evidence=st.sampled_from(["", "Some evidence"]),
    evidence_items=st.integers(0, 2),
    action=st.sampled_from(["", "Do it"]),
    action_owner=st.sampled_from(["", "Head"]),
    action_due=st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2030, 1, 1))),
    review_needed=st.booleans(),
)


@given(st.lists(answers, max_size=12))
def test_a_return_can_be_submitted_exactly_when_every_answer_is_complete(batch):
    complete = all(answer_progress(a, today=TODAY) is Progress.COMPLETED for a in batch)
    assert (submission_problems(batch, today=TODAY) == []) == complete


@given(st.lists(answers, min_size=1, max_size=12))
def test_percent_complete_is_between_0_and_100_and_order_free(batch):
    value = percent_complete(batch, today=TODAY)
    assert 0 <= value <= 100
    assert percent_complete(list(reversed(batch)), today=TODAY) == value
