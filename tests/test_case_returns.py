"""The case-return service: the lead's cases, saving sections with optimistic concurrency,
submission checks and submitting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from audit_tool import clock
from audit_tool.models import (
    CaseAnswer,
    CaseReturnStatus,
    QuestionKind,
    Role,
    RoundStatus,
    SectionReturn,
)
from audit_tool.services import DomainError, NotFound, users
from audit_tool.services import case_returns as svc
from audit_tool.services.assessments import EditConflict

from .conftest import audit_events


@pytest.fixture
def audit_round(make, world):
    return make.case_round(world.partnership, [[world.police, world.health], [world.health]])


@pytest.fixture
def police_return(session, world, audit_round):
    return svc.load_case_return(
        session,
        partnership=world.partnership,
        case_id=audit_round.cases[0].id,
        agency_ids={world.police.id},
    )


def _sections(audit_round):
    return audit_round.template_version.sections


def _save(session, world, case_return, section, answers, *, seen_version=0, **reflections):
    return svc.save_section(
        session,
        case_return=case_return,
        section=section,
        answers=answers,
        good_practice=reflections.get("good_practice", ""),
        development=reflections.get("development", ""),
        recommendations=reflections.get("recommendations", ""),
        seen_version=seen_version,
        by=world.police_lead,
    )


def _complete(session, world, case_return, audit_round):
    first, second = _sections(audit_round)
    _save(
        session,
        world,
        case_return,
        first,
        {first.questions[0].id: ("good", ""), first.questions[1].id: ("yes", "")},
    )
    _save(session, world, case_return, second, {second.questions[0].id: ("inadequate", "")})


# The lead's cases ------------------------------------------------------------------


def test_lists_the_cases_of_the_leads_agencies_in_open_and_closed_rounds(
    session, make, world, audit_round, police_return
):
    closed = make.case_round(world.partnership, [[world.police]], status=RoundStatus.CLOSED)
    make.case_round(world.partnership, [[world.police]], status=RoundStatus.DRAFT)
    make.case_round(world.other_partnership, [[world.other_agency]])
    first = _sections(audit_round)[0]
    _save(session, world, police_return, first, {first.questions[0].id: ("good", "")})
    rows = svc.agency_case_returns(session, world.partnership, {world.police.id})
    assert [row.case.id for row in rows] == [audit_round.cases[0].id, closed.cases[0].id]
    assert (rows[0].answered, rows[0].required) == (1, 3)
    assert rows[0].editable and not rows[1].editable
    assert not rows[0].overdue(clock.today())
    assert rows[0].overdue(audit_round.due_on + timedelta(days=1))
    assert not rows[1].overdue(closed.due_on + timedelta(days=1))
    assert svc.agency_case_returns(session, world.partnership, set()) == []


def test_a_lead_of_two_agencies_on_one_case_works_on_the_first_assigned(
    session, make, world, audit_round
):
    both = make.user(world.partnership, Role.AGENCY_LEAD, world.police, name="Both")
    users.grant_role(
        session,
        user=both,
        partnership=world.partnership,
        role=Role.AGENCY_LEAD,
        agency=world.health,
        by=None,
    )
    session.flush()
    agency_ids = users.led_agency_ids(both, world.partnership)
    assert agency_ids == {world.police.id, world.health.id}
    rows = svc.agency_case_returns(session, world.partnership, agency_ids)
    assert [row.case.id for row in rows] == [c.id for c in audit_round.cases]
    first_case = audit_round.cases[0]
    chosen = svc.load_case_return(
        session, partnership=world.partnership, case_id=first_case.id, agency_ids=agency_ids
    )
    assert chosen.id == min(r.id for r in first_case.returns)
    assert rows[0].case_return.id == chosen.id


@pytest.mark.parametrize("which", ["other_agency", "other_partnership", "draft", "unknown"])
def test_load_case_return_is_not_found_outside_the_leads_cases(
    session, make, world, audit_round, which
):
    agency_ids = {world.police.id}
    partnership = world.partnership
    if which == "other_agency":
        case_id = audit_round.cases[1].id
    elif which == "other_partnership":
        case_id = make.case_round(world.other_partnership, [[world.other_agency]]).cases[0].id
        agency_ids = {world.police.id, world.other_agency.id}
    elif which == "draft":
        draft = make.case_round(world.partnership, [[world.police]], status=RoundStatus.DRAFT)
        case_id = draft.cases[0].id
    else:
        case_id = 999_999
    with pytest.raises(NotFound):
        svc.load_case_return(
            session, partnership=partnership, case_id=case_id, agency_ids=agency_ids
        )
    with pytest.raises(NotFound):
        svc.load_case_return(
            session, partnership=partnership, case_id=audit_round.cases[0].id, agency_ids=set()
        )


# Saving ----------------------------------------------------------------------------


def test_first_save_starts_the_return_and_is_audited(session, world, audit_round, police_return):
    first = _sections(audit_round)[0]
    graded, yes_partly_no = first.questions
    section_return = _save(
        session,
        world,
        police_return,
        first,
        {graded.id: ("good", "Seen within a week"), yes_partly_no.id: (None, "")},
        good_practice="Quick referral",
    )
    assert police_return.status is CaseReturnStatus.IN_PROGRESS
    assert police_return.last_activity_at is not None
    assert section_return.version == 1 and section_return.updated_by_id == world.police_lead.id
    # An unanswered question with no comment is not stored at all.
    assert [(a.question_id, a.answer, a.comment) for a in section_return.answers] == [
        (graded.id, "good", "Seen within a week")
    ]
    (event,) = audit_events(session, "case_return_saved")
    assert event.data["before"] == {}
    assert event.data["after"]["answers"] == {
        graded.key: {"answer": "good", "comment": "Seen within a week"}
    }
    assert event.data["after"]["good_practice"] == "Quick referral"
    assert event.data["agency"] == world.police.name
    assert event.data["section"] == first.title
    contents = svc.load_contents(session, police_return)
    entry = contents.entry(first.id)
    assert entry.version == 1 and entry.updated_by == world.police_lead.name
    assert entry.questions[0].answer_label == "Good"
    assert entry.progress.value == "In progress"


def test_every_save_bumps_the_version_even_when_only_answers_change(
    session, world, audit_round, police_return
):
    first = _sections(audit_round)[0]
    graded = first.questions[0]
    _save(session, world, police_return, first, {graded.id: ("good", "")})
    section_return = _save(
        session, world, police_return, first, {graded.id: ("outstanding", "")}, seen_version=1
    )
    assert section_return.version == 2
    # Saving the same again is still a save (its version moves) but changes nothing to
    # audit.
    section_return = _save(
        session, world, police_return, first, {graded.id: ("outstanding", "")}, seen_version=2
    )
    assert section_return.version == 3
    assert len(audit_events(session, "case_return_saved")) == 2


def test_a_stale_version_is_a_conflict_and_changes_nothing(
    session, world, audit_round, police_return
):
    first = _sections(audit_round)[0]
    graded = first.questions[0]
    _save(session, world, police_return, first, {graded.id: ("good", "First")})
    with pytest.raises(svc.SectionEditConflict) as raised:
        _save(session, world, police_return, first, {graded.id: ("inadequate", "Second")})
    assert isinstance(raised.value, EditConflict)  # the Section 11 pattern, caught alike
    assert raised.value.current.version == 1
    session.expire_all()
    answer = session.scalar(select(CaseAnswer))
    assert (answer.answer, answer.comment) == ("good", "First")


def test_answers_must_fit_their_question(session, world, audit_round, police_return):
    first, second = _sections(audit_round)
    graded, yes_partly_no = first.questions
    with pytest.raises(DomainError) as raised:
        _save(session, world, police_return, first, {graded.id: ("yes", "")})
    assert raised.value.field == f"q{graded.id}_answer"
    assert raised.value.message == "Select a grade from the list"
    with pytest.raises(DomainError) as raised:
        _save(session, world, police_return, first, {yes_partly_no.id: ("good", "")})
    assert raised.value.message == "Select yes, partly or no"
    with pytest.raises(DomainError):
        _save(session, world, police_return, first, {second.questions[0].id: ("good", "")})
    # A free-text question keeps only its comment.
    free_text = second.questions[1]
    section_return = _save(
        session, world, police_return, second, {free_text.id: ("good", "Reviewed monthly")}
    )
    assert [(a.answer, a.comment) for a in section_return.answers] == [(None, "Reviewed monthly")]


def test_a_section_of_another_template_is_not_found(session, make, world, police_return):
    other = make.case_round(world.partnership, [[world.police]])
    with pytest.raises(NotFound):
        _save(session, world, police_return, other.template_version.sections[0], {})


def test_identifying_text_is_refused_by_the_service_too(session, world, audit_round, police_return):
    first = _sections(audit_round)[0]
    graded = first.questions[0]
    with pytest.raises(DomainError) as raised:
        _save(session, world, police_return, first, {graded.id: ("good", "DOB 01/02/2016")})
    assert raised.value.field == f"q{graded.id}_comment"
    with pytest.raises(DomainError) as raised:
        _save(session, world, police_return, first, {}, recommendations="Ask Mr Jones")
    assert raised.value.field == "recommendations"
    session.expire_all()
    assert session.scalars(select(SectionReturn)).all() == []


def test_a_reopened_return_stays_reopened_when_saved(session, world, audit_round, police_return):
    police_return.status = CaseReturnStatus.REOPENED
    first = _sections(audit_round)[0]
    _save(session, world, police_return, first, {first.questions[0].id: ("good", "")})
    assert police_return.status is CaseReturnStatus.REOPENED


def test_a_closed_round_cannot_be_changed(session, world, audit_round, police_return):
    audit_round.status = RoundStatus.CLOSED
    first = _sections(audit_round)[0]
    with pytest.raises(DomainError, match="round is not open"):
        _save(session, world, police_return, first, {})
    with pytest.raises(DomainError, match="round is not open"):
        svc.submit_case_return(session, case_return=police_return, by=world.police_lead)


# Submitting ------------------------------------------------------------------------


def test_submission_problems_list_every_unanswered_graded_and_yes_partly_no_question(
    session, world, audit_round, police_return
):
    first, second = _sections(audit_round)
    _save(session, world, police_return, first, {first.questions[0].id: ("good", "")})
    problems = svc.submission_problems(svc.load_contents(session, police_return))
    assert [(p.section_id, p.field) for p in problems] == [
        (first.id, f"q{first.questions[1].id}_answer"),
        (second.id, f"q{second.questions[0].id}_answer"),
    ]
    assert problems[0].message.startswith("Select yes, partly or no for “")
    assert problems[1].message.startswith("Select a grade for “")
    assert second.questions[0].wording in problems[1].message


def test_submit_refuses_gaps_then_submits_once(session, world, audit_round, police_return):
    with pytest.raises(svc.CaseReturnIncomplete) as raised:
        svc.submit_case_return(session, case_return=police_return, by=world.police_lead)
    assert len(raised.value.problems) == 3
    _complete(session, world, police_return, audit_round)
    svc.submit_case_return(session, case_return=police_return, by=world.police_lead)
    assert police_return.status is CaseReturnStatus.SUBMITTED
    assert police_return.submitted_at is not None
    assert police_return.submitted_by_id == world.police_lead.id
    (event,) = audit_events(session, "case_return_submitted")
    assert event.data == {"reference": audit_round.cases[0].reference, "agency": world.police.name}
    with pytest.raises(DomainError, match="has been submitted"):
        svc.submit_case_return(session, case_return=police_return, by=world.police_lead)
    first = _sections(audit_round)[0]
    with pytest.raises(DomainError, match="has been submitted"):
        _save(session, world, police_return, first, {}, seen_version=1)


# Pure rules, over plain data -------------------------------------------------------

KINDS = st.sampled_from(list(QuestionKind))


def _answer_for(kind: QuestionKind):
    if kind is QuestionKind.GRADED:
        return st.sampled_from([None, "outstanding", "good", "requires_improvement", "inadequate"])
    if kind is QuestionKind.YES_PARTLY_NO:
        return st.sampled_from([None, "yes", "partly", "no"])
    return st.none()


@st.composite
def contents(draw):
    sections = []
    question_id = 0
    for number in range(1, draw(st.integers(1, 4)) + 1):
        questions = []
        for q_number in range(1, draw(st.integers(0, 5)) + 1):
            question_id += 1
            kind = draw(KINDS)
            questions.append(
                svc.QuestionEntry(
                    id=question_id,
                    key=f"q{question_id}",
                    kind=kind,
                    wording=f"Question {question_id}",
                    guidance="",
                    number=q_number,
                    answer=draw(_answer_for(kind)),
                    comment=draw(st.sampled_from(["", "A comment"])),
                )
            )
        sections.append(
            svc.SectionEntry(
                section=None,
                id=number,
                title=f"Section {number}",
                summary="",
                number=number,
                questions=tuple(questions),
                good_practice=draw(st.sampled_from(["", "Good"])),
            )
        )
    return svc.CaseReturnContents(case_return=None, sections=tuple(sections))


@given(contents())
def test_problems_are_exactly_the_unanswered_required_questions(data):
    problems = svc.submission_problems(data)
    expected = [
        (section.id, f"q{q.id}_answer")
        for section, q in data.questions
        if q.kind is not QuestionKind.FREE_TEXT and q.answer is None
    ]
    assert [(p.section_id, p.field) for p in problems] == expected
    for section in data.sections:
        required = [q for q in section.questions if q.required]
        has_problem = any(p.section_id == section.id for p in problems)
        if section.progress.value == "Completed":
            assert not has_problem
        if has_problem:
            assert section.progress.value in ("Not started", "In progress")
        if not any(q.answer or q.comment for q in section.questions) and not section.good_practice:
            assert section.progress.value == "Not started"
        elif not has_problem:
            assert section.progress.value == "Completed" or not required
