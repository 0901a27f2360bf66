"""The return's save path: drafts, conflicts, carry forward, submission, reopening."""

from __future__ import annotations

from datetime import timedelta

import pytest

from audit_tool import clock
from audit_tool.models import AssessmentStatus, CriterionResponse
from audit_tool.services import DomainError
from audit_tool.services import assessments as svc
from audit_tool.services.assessments import AnswerInput, EditConflict, ReturnIncomplete

from .conftest import audit_events

TODAY = clock.today()


@pytest.fixture
def police_return(make, world):
    cycle = make.cycle(world.partnership)
    assessment = next(a for a in cycle.assessments if a.agency_id == world.police.id)
    return assessment


def _first(contents):
    return contents.standards[0].entries[0].criterion


def _complete(session, assessment, by, *, level_key="green", today=TODAY):
    contents = svc.load_return(session, assessment)
    for standard in contents.standards:
        for entry in standard.entries:
            svc.save_answer(
                session,
                assessment=assessment,
                criterion=entry.criterion,
                seen_version=entry.response.version if entry.response else 0,
                answer=AnswerInput(level_key=level_key, evidence="Policy and audit"),
                by=by,
            )


def test_a_draft_save_creates_the_answer_and_starts_the_return(session, police_return, world):
    criterion = _first(svc.load_return(session, police_return))
    saved = svc.save_answer(
        session,
        assessment=police_return,
        criterion=criterion,
        seen_version=0,
        answer=AnswerInput(level_key=None, evidence="Half-written thoughts"),
        by=world.police_lead,
    )
    assert saved.version == 1
    assert police_return.status is AssessmentStatus.IN_PROGRESS
    event = audit_events(session, "response_saved")[-1]
    assert event.data["before"] == {}
    assert event.data["after"]["evidence"] == "Half-written thoughts"


def test_a_save_against_an_old_version_is_a_conflict_and_changes_nothing(
    session, police_return, world
):
    criterion = _first(svc.load_return(session, police_return))
    first = svc.save_answer(
        session,
        assessment=police_return,
        criterion=criterion,
        seen_version=0,
        answer=AnswerInput(level_key="green", evidence="Colleague's answer"),
        by=world.police_lead,
    )
    with pytest.raises(EditConflict) as conflict:
        svc.save_answer(
            session,
            assessment=police_return,
            criterion=criterion,
            seen_version=0,  # loaded before the colleague saved
            answer=AnswerInput(level_key="red", evidence="My answer"),
            by=world.police_lead,
        )
    assert conflict.value.current.evidence == "Colleague's answer"
    session.expire_all()
    assert session.get(CriterionResponse, first.id).evidence == "Colleague's answer"


def test_keeping_my_version_saves_against_the_version_i_have_now_seen(
    session, police_return, world
):
    criterion = _first(svc.load_return(session, police_return))
    svc.save_answer(
        session,
        assessment=police_return,
        criterion=criterion,
        seen_version=0,
        answer=AnswerInput(level_key="green", evidence="Theirs"),
        by=world.police_lead,
    )
    mine = svc.save_answer(
        session,
        assessment=police_return,
        criterion=criterion,
        seen_version=1,
        answer=AnswerInput(level_key="amber", evidence="Mine"),
        by=world.police_lead,
    )
    assert (mine.version, mine.evidence, mine.level.key) == (2, "Mine", "amber")


def test_not_applicable_only_where_allowed(session, police_return, world):
    contents = svc.load_return(session, police_return)
    strict = next(
        e.criterion for s in contents.standards for e in s.entries if not e.criterion.allow_na
    )
    with pytest.raises(DomainError, match="cannot be marked not applicable"):
        svc.save_answer(
            session,
            assessment=police_return,
            criterion=strict,
            seen_version=0,
            answer=AnswerInput(level_key="na"),
            by=world.police_lead,
        )


def test_an_unknown_rating_is_refused(session, police_return, world):
    criterion = _first(svc.load_return(session, police_return))
    with pytest.raises(DomainError, match="Select a rating from the list"):
        svc.save_answer(
            session,
            assessment=police_return,
            criterion=criterion,
            seen_version=0,
            answer=AnswerInput(level_key="purple"),
            by=world.police_lead,
        )


def test_sector_specific_criteria_only_for_their_sector(session, make, world):
    cycle = make.cycle(world.partnership)
    police = next(a for a in cycle.assessments if a.agency_id == world.police.id)
    health = next(a for a in cycle.assessments if a.agency_id == world.health.id)
    police_codes = {
        e.criterion.code for s in svc.load_return(session, police).standards for e in s.entries
    }
    health_codes = {
        e.criterion.code for s in svc.load_return(session, health).standards for e in s.entries
    }
    assert health_codes - police_codes, "health-only criteria exist in the built-in framework"


def test_submit_with_gaps_lists_every_problem_and_changes_nothing(session, police_return, world):
    criterion = _first(svc.load_return(session, police_return))
    svc.save_answer(
        session,
        assessment=police_return,
        criterion=criterion,
        seen_version=0,
        answer=AnswerInput(level_key="red"),
        by=world.police_lead,
    )
    with pytest.raises(ReturnIncomplete) as incomplete:
        svc.submit_return(
            session,
            assessment=police_return,
            declaration_name="A",
            declaration_role="B",
            by=world.police_lead,
            today=TODAY,
        )
    fields = {(p.criterion_id, p.field) for p in incomplete.value.problems}
    assert {
        (criterion.id, "action"),
        (criterion.id, "action_owner"),
        (criterion.id, "action_due"),
    } <= fields
    assert police_return.status is AssessmentStatus.IN_PROGRESS


def test_submit_then_read_only_then_reopen(session, police_return, world):
    _complete(session, police_return, world.police_lead)
    svc.submit_return(
        session,
        assessment=police_return,
        declaration_name="Chief Constable",
        declaration_role="Chief Officer",
        by=world.police_lead,
        today=TODAY,
    )
    assert police_return.status is AssessmentStatus.SUBMITTED
    criterion = _first(svc.load_return(session, police_return))
    with pytest.raises(DomainError, match="submitted and cannot be changed"):
        svc.save_answer(
            session,
            assessment=police_return,
            criterion=criterion,
            seen_version=1,
            answer=AnswerInput(level_key="red"),
            by=world.police_lead,
        )
    svc.reopen_return(session, assessment=police_return, reason="Evidence missing", by=world.pqa)
    assert police_return.status is AssessmentStatus.REOPENED
    assert audit_events(session, "return_reopened")[-1].data["reason"] == "Evidence missing"
    svc.save_answer(
        session,
        assessment=police_return,
        criterion=criterion,
        seen_version=1,
        answer=AnswerInput(level_key="green", evidence="Better evidence"),
        by=world.police_lead,
    )


def test_carry_forward_marks_answers_for_review_and_keys_must_match(session, make, world):
    old_cycle = make.cycle(world.partnership, opens_on=TODAY - timedelta(days=800))
    old = next(a for a in old_cycle.assessments if a.agency_id == world.police.id)
    _complete(session, old, world.police_lead)
    svc.submit_return(
        session,
        assessment=old,
        declaration_name="A",
        declaration_role="B",
        by=world.police_lead,
        today=TODAY,
    )
    other_framework = make.cycle(world.partnership, framework_key="s11-arrangements")
    unrelated = next(a for a in other_framework.assessments if a.agency_id == world.police.id)
    assert svc.previous_return(session, unrelated) is None  # different framework: nothing carries

    new_cycle = make.cycle(world.partnership)
    new = next(a for a in new_cycle.assessments if a.agency_id == world.police.id)
    assert svc.previous_return(session, new).id == old.id
    carried = svc.start_return(session, assessment=new, carry_from=old, by=world.police_lead)
    contents = svc.load_return(session, new)
    assert carried == len(contents.answers)
    assert all(a.review_needed and a.level.key == "green" for a in contents.answers)
    problems = [p.message for p in svc.submission_problems(contents.answers, today=TODAY)]
    assert problems and all(m.startswith("Check the answer carried forward") for m in problems)
    # Saving an answer confirms it.
    entry = contents.standards[0].entries[0]
    svc.save_answer(
        session,
        assessment=new,
        criterion=entry.criterion,
        seen_version=entry.response.version,
        answer=AnswerInput(level_key="green", evidence="Still true"),
        by=world.police_lead,
    )
    again = svc.load_return(session, new)
    assert sum(a.review_needed for a in again.answers) == len(contents.answers) - 1


def test_a_closed_cycle_cannot_be_changed(session, make, world):
    cycle = make.cycle(world.partnership)
    from audit_tool.services.cycles import close_cycle

    close_cycle(session, cycle=cycle, by=world.pqa)
    assessment = next(a for a in cycle.assessments if a.agency_id == world.police.id)
    criterion = _first(svc.load_return(session, assessment))
    with pytest.raises(DomainError, match="not open"):
        svc.save_answer(
            session,
            assessment=assessment,
            criterion=criterion,
            seen_version=0,
            answer=AnswerInput(level_key="green"),
            by=world.police_lead,
        )
