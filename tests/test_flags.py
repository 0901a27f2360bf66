"""Each flag rule on its own, then the ordering of a cycle's flags."""

from __future__ import annotations

from datetime import date, timedelta

from audit_tool import flags as f
from audit_tool.flags import AnswerFacts, FlagKind, LevelFacts, ReturnFacts, Severity

TODAY = date(2026, 11, 25)
CTX = f.Context(today=TODAY)
RED = LevelFacts("red", "Red – Not met", True, False, True, False, 0.0)
AMBER = LevelFacts("amber", "Amber – Partly met", False, False, True, False, 40.0)
BLUE = LevelFacts("blue", "Blue – Exceeds", False, True, False, True, 100.0)


def facts(**kwargs) -> AnswerFacts:
    base = {
        "agency_id": 1,
        "standard_key": "ST01",
        "criterion_key": "ST01-C01",
        "criterion_code": "1.1",
        "essential": False,
        "level": AMBER,
        "has_evidence": True,
        "has_action": True,
    }
    return AnswerFacts(**{**base, **kwargs})


def test_lowest_rating():
    flag = f.lowest_rating(facts(level=RED), CTX)
    assert (flag.kind, flag.severity) == (FlagKind.LOWEST_RATING, Severity.HIGH)
    assert flag.reason == "1.1: rated Red – Not met, the lowest rating"
    assert f.lowest_rating(facts(level=AMBER), CTX) is None


def test_action_missing():
    assert (
        f.action_missing(facts(level=AMBER, has_action=False), CTX).kind is FlagKind.ACTION_MISSING
    )
    assert f.action_missing(facts(level=AMBER, has_action=True), CTX) is None
    assert f.action_missing(facts(level=BLUE, has_action=False), CTX) is None


def test_unevidenced_claim():
    flag = f.unevidenced_claim(facts(level=BLUE, has_evidence=False), CTX)
    assert flag.kind is FlagKind.UNEVIDENCED_CLAIM
    assert f.unevidenced_claim(facts(level=BLUE, has_evidence=True), CTX) is None
    assert f.unevidenced_claim(facts(level=AMBER, has_evidence=False), CTX) is None


def test_evidence_out_of_date_and_expiring_before_panel():
    old = facts(evidence_review_dates=(TODAY - timedelta(days=1), TODAY + timedelta(days=400)))
    assert (
        f.evidence_out_of_date(old, CTX).reason
        == "1.1: evidence was due for review on 24 November 2026"
    )
    soon = facts(evidence_review_dates=(TODAY + timedelta(days=10),))
    assert f.evidence_out_of_date(soon, CTX) is None
    expiring = f.evidence_expiring_before_panel(soon, CTX, TODAY + timedelta(days=30))
    assert (expiring.kind, expiring.severity) == (FlagKind.EVIDENCE_EXPIRING, Severity.LOW)
    assert f.evidence_expiring_before_panel(soon, CTX, TODAY + timedelta(days=5)) is None
    assert f.evidence_expiring_before_panel(soon, CTX, None) is None


def test_essential_not_fully_met():
    assert f.essential_not_met(facts(essential=True, level=AMBER), CTX).severity is Severity.HIGH
    assert f.essential_not_met(facts(essential=False, level=AMBER), CTX) is None
    assert f.essential_not_met(facts(essential=True, level=BLUE), CTX) is None


def test_decline_since_the_previous_cycle():
    flag = f.decline(facts(level=AMBER, previous_score=80.0), CTX)
    assert flag.reason == "1.1: scored 40, down from 80 last cycle"
    assert f.decline(facts(level=AMBER, previous_score=40.0), CTX) is None
    assert f.decline(facts(level=AMBER, previous_score=None), CTX) is None


def test_carried_forward_not_reviewed():
    assert (
        f.carried_not_reviewed(facts(review_needed=True), CTX).kind is FlagKind.CARRIED_NOT_REVIEWED
    )
    assert f.carried_not_reviewed(facts(review_needed=False), CTX) is None


def test_tracked_actions_overdue():
    late = f.OpenAction("Audit referrals", TODAY - timedelta(days=1), "Challenge panel", "ST01-C01")
    on_time = f.OpenAction("Train staff", TODAY, "Section 11 return")
    found = f.actions_overdue(ReturnFacts(1, "submitted", TODAY, None, (late, on_time)), CTX)
    assert [(fl.kind, fl.criterion_key) for fl in found] == [(FlagKind.ACTION_OVERDUE, "ST01-C01")]
    assert found[0].reason.startswith("Challenge panel action due on 24 November 2026")


def test_returns_late_or_not_started():
    due_past = ReturnFacts(1, "in_progress", TODAY - timedelta(days=1), None)
    assert f.return_late(due_past, CTX).kind is FlagKind.RETURN_OVERDUE
    not_started = ReturnFacts(1, "not_started", TODAY + timedelta(days=9), None)
    assert f.return_late(not_started, CTX).kind is FlagKind.RETURN_NOT_STARTED
    submitted = ReturnFacts(1, "submitted", TODAY - timedelta(days=9), None)
    assert f.return_late(submitted, CTX) is None


def test_not_applicable_answers_raise_no_flags():
    na = facts(level=None, not_applicable=True, review_needed=True)
    assert f.flags_for([na], [], today=TODAY) == []


def test_flags_are_ordered_most_severe_first():
    found = f.flags_for(
        [facts(level=BLUE, has_evidence=False), facts(agency_id=2, level=RED, has_action=False)],
        [ReturnFacts(3, "not_started", TODAY + timedelta(days=5), None)],
        today=TODAY,
    )
    assert [fl.severity for fl in found] == sorted(
        (fl.severity for fl in found), key=lambda s: s.rank
    )
    assert found[0].severity is Severity.HIGH and found[-1].severity is Severity.LOW
    assert {fl.kind for fl in found} == {
        FlagKind.UNEVIDENCED_CLAIM,
        FlagKind.LOWEST_RATING,
        FlagKind.ACTION_MISSING,
        FlagKind.RETURN_NOT_STARTED,
    }
