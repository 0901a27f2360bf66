"""The multi-agency moderation meeting for a case: returns side by side (missing ones
shown as missing, drafts marked and not counted), judgements, learning, actions and
immediate safeguarding concerns; and the refusals that protect a closed round."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from audit_tool import clock
from audit_tool.case_grading import Grade
from audit_tool.models import (
    Action,
    ActionSource,
    AuditCase,
    CaseAnswer,
    CaseJudgement,
    CaseReturnStatus,
    LearningPoint,
    LearningTheme,
    QuestionKind,
    RoundStatus,
    SafeguardingConcern,
    SectionReturn,
    utcnow,
)
from audit_tool.services import DomainError
from audit_tool.services import case_moderation as svc

from .conftest import audit_events

TODAY = clock.today()


def _date(value: date) -> list[str]:
    return [str(value.day), str(value.month), str(value.year)]


def _answer(session, case_return, section, answers, *, status, **reflections):
    """Give `case_return` answers for `section`: {question kind index: (key, comment)}."""
    page = SectionReturn(case_return=case_return, section=section, **reflections)
    session.add(page)
    for question, (key, comment) in zip(section.questions, answers, strict=False):
        session.add(CaseAnswer(section_return=page, question=question, answer=key, comment=comment))
    case_return.status = status
    if status is CaseReturnStatus.SUBMITTED:
        case_return.submitted_at = utcnow()


@pytest.fixture
def meeting(make, world, session):
    """A case on three agencies' lists: police submitted (Outstanding, Yes), health
    submitted (Inadequate, Partly), the council's return still a draft (Good), and a
    fourth agency that has not started."""
    council = make.agency(world.partnership, "Test Council")
    youth = make.agency(world.partnership, "Test Youth Service")
    audit_round = make.case_round(world.partnership, [[world.police, world.health, council, youth]])
    case = audit_round.cases[0]
    recognition, planning = audit_round.template_version.sections
    returns = {r.agency_id: r for r in case.returns}
    _answer(
        session,
        returns[world.police.id],
        recognition,
        [("outstanding", "Risk seen at once"), ("yes", "")],
        status=CaseReturnStatus.SUBMITTED,
        good_practice="Quick strategy discussion",
    )
    _answer(
        session,
        returns[world.health.id],
        recognition,
        [("inadequate", "Missed the bruising"), ("partly", "Some sharing")],
        status=CaseReturnStatus.SUBMITTED,
        development="Routine enquiry",
    )
    _answer(
        session,
        returns[council.id],
        recognition,
        [("good", "Draft view"), ("no", "")],
        status=CaseReturnStatus.IN_PROGRESS,
    )
    session.flush()
    return {
        "round": audit_round,
        "case": case,
        "recognition": recognition,
        "planning": planning,
        "council": council,
        "youth": youth,
    }


def _url(world, case, tail="", area="pqa"):
    return f"/p/{world.partnership.slug}/{area}/cases/{case.id}{tail}"


def test_the_case_view_counts_only_submitted_grades(session, meeting):
    view = svc.load_case_view(session, meeting["case"])
    assert [c.agency.name for c in view.columns] == [
        "Test Council",
        "Test Health Trust",
        "Test Police",
        "Test Youth Service",
    ]
    assert [c.state for c in view.columns] == ["draft", "submitted", "submitted", "missing"]
    recognition = view.sections[0]
    graded = recognition.rows[0]
    assert graded.question.kind is QuestionKind.GRADED
    # The draft's Good is shown but not counted; the missing return has no grade at all.
    assert [cell.grade for cell in graded.cells] == [
        Grade.GOOD,
        Grade.INADEQUATE,
        Grade.OUTSTANDING,
        None,
    ]
    summary = graded.summary
    assert summary.count == 2
    assert summary.lowest is Grade.INADEQUATE
    assert summary.most_common == (Grade.INADEQUATE, Grade.OUTSTANDING)
    assert summary.spread == 3 and summary.divergent
    assert recognition.rows[1].summary is None  # yes / partly / no is not a grade
    assert recognition.summary.spread == 3
    # Nothing graded yet in planning: no grades, no spread, not divergent.
    planning = view.sections[1]
    assert planning.summary.count == 0 and not planning.summary.divergent
    assert view.summary.count == 2


def test_the_side_by_side_page_shows_missing_returns_as_missing(panel_client, world, meeting):
    page = panel_client.get(_url(world, meeting["case"], area="panel")).get_data(as_text=True)
    assert "Not submitted yet" in page and "No return" in page
    assert "Missed the bruising" in page and "Risk seen at once" in page
    assert "Quick strategy discussion" in page and "Routine enquiry" in page
    assert "(draft)" in page and "Draft view" in page
    assert "Divergent" in page
    assert "Inadequate, Outstanding" in page  # the most common grades, tied
    assert "3 levels (2 grades)" in page
    assert "Partly" in page


def test_panel_member_records_a_section_judgement(panel_client, session, world, meeting):
    case, section = meeting["case"], meeting["recognition"]
    url = _url(world, case, f"/sections/{section.id}/judgement", area="panel")
    page = panel_client.get(url).get_data(as_text=True)
    assert "Lowest" in page and "Divergent" in page
    page = panel_client.submit(url, {}).get_data(as_text=True)
    assert "Select a grade for this section" in page
    assert "Enter why the meeting reached this judgement" in page
    response = panel_client.submit(
        url, {"grade": "requires_improvement", "rationale": "Health missed early signs"}
    )
    assert response.status_code == 302
    judgement = session.scalars(select(CaseJudgement)).one()
    assert (judgement.grade, judgement.set_by_id) == ("requires_improvement", world.panel.id)
    # Changing it keeps one judgement and records before and after.
    panel_client.submit(url, {"grade": "good", "rationale": "On reflection"})
    session.expire_all()
    assert session.scalars(select(CaseJudgement)).one().grade == "good"
    first, second = audit_events(session, "case_judgement_recorded")
    assert first.data["before"] == {} and first.data["section"] == "Recognition"
    assert second.data["before"] == {
        "grade": "requires_improvement",
        "rationale": "Health missed early signs",
    }
    # A section of another template is not found.
    other = meeting["round"].template_version.sections[0].id + 10_000
    assert (
        panel_client.get(_url(world, case, f"/sections/{other}/judgement", "panel")).status_code
        == 404
    )


def test_overall_judgement_marks_the_case_moderated(pqa_client, session, world, meeting):
    case = meeting["case"]
    url = _url(world, case, "/overall")
    assert "Select an overall grade for the case" in pqa_client.submit(url, {}).get_data(
        as_text=True
    )
    pqa_client.submit(url, {"grade": "inadequate", "rationale": "Risk not acted on"})
    session.expire_all()
    case = session.get(AuditCase, case.id)
    assert case.overall_grade == "inadequate"
    assert case.moderated_by_id == world.pqa.id and case.moderated_at is not None
    (event,) = audit_events(session, "case_judgement_recorded")
    assert event.data["section"] is None
    page = pqa_client.get(_url(world, case)).get_data(as_text=True)
    assert "Risk not acted on" in page


def test_learning_is_added_checked_for_identifiers_and_removed(pqa_client, session, world, meeting):
    case = meeting["case"]
    url = _url(world, case, "/learning")
    page = pqa_client.submit(
        url, {"theme": "recording", "text": "Mrs Smith was not asked"}
    ).get_data(as_text=True)
    assert "Learning looks like it includes a name" in page
    assert session.scalars(select(LearningPoint)).first() is None
    pqa_client.submit(url, {"theme": "voice_of_child", "text": "Nobody asked the child"})
    point = session.scalars(select(LearningPoint)).one()
    assert point.theme is LearningTheme.VOICE_OF_CHILD
    page = pqa_client.get(_url(world, case)).get_data(as_text=True)
    assert "Voice and lived experience of the child" in page
    pqa_client.submit(
        _url(world, case), {}, action=_url(world, case, f"/learning/{point.id}/remove")
    )
    session.expire_all()
    assert session.scalars(select(LearningPoint)).first() is None
    assert [e.data["theme"] for e in audit_events(session, "learning_removed")] == [
        "voice_of_child"
    ]


def test_an_agreed_action_goes_to_the_partnerships_tracker(
    panel_client, pqa_client, session, world, meeting
):
    case = meeting["case"]
    url = _url(world, case, "/actions/new", area="panel")
    page = panel_client.submit(url, {}).get_data(as_text=True)
    for message in (
        "Select the agency that will do this",
        "Enter the action",
        "Enter the due date",
    ):
        assert message in page
    data = {
        "agency": str(world.health.id),
        "description": "Train on routine enquiry",
        "owner": "Named nurse",
    }
    page = panel_client.submit(url, {**data, "due_on": _date(TODAY)}).get_data(as_text=True)
    assert "The due date must be in the future" in page
    # Only the case's agencies are choices.
    page = panel_client.submit(
        url,
        {**data, "agency": str(world.other_agency.id), "due_on": _date(TODAY + timedelta(days=60))},
    ).get_data(as_text=True)
    assert "Error:" in page
    response = panel_client.submit(url, {**data, "due_on": _date(TODAY + timedelta(days=60))})
    assert response.status_code == 302
    action = session.scalars(select(Action)).one()
    assert action.source is ActionSource.CASE_AUDIT
    assert (action.case_id, action.agency_id) == (case.id, world.health.id)
    (event,) = audit_events(session, "action_created")
    assert event.data["source"] == "case_audit"
    tracker = pqa_client.get(f"/p/{world.partnership.slug}/pqa/actions").get_data(as_text=True)
    assert "Train on routine enquiry" in tracker and f"Case {case.reference}" in tracker
    detail = pqa_client.get(f"/p/{world.partnership.slug}/pqa/actions/{action.id}")
    assert f"case {case.reference}" in detail.get_data(as_text=True)


def test_a_concern_stays_on_the_pqa_overview_until_closed(
    panel_client, pqa_client, session, world, meeting
):
    case = meeting["case"]
    url = _url(world, case, "/concerns/new", area="panel")
    page = panel_client.submit(url, {"description": "Sibling not seen"}).get_data(as_text=True)
    assert "Enter who will follow up the concern" in page
    assert "Enter the date it must be followed up by" in page
    yesterday = _date(TODAY - timedelta(days=1))
    data = {
        "description": "Younger sibling not seen by anyone",
        "follow_up_by": "Head of Children's Services",
        "follow_up_agency": str(meeting["council"].id),
    }
    page = panel_client.submit(url, {**data, "due_on": yesterday}).get_data(as_text=True)
    assert "The follow-up date must be today or in the future" in page
    panel_client.submit(url, {**data, "due_on": _date(TODAY)})
    concern = session.scalars(select(SafeguardingConcern)).one()
    assert concern.follow_up_agency_id == meeting["council"].id
    (event,) = audit_events(session, "concern_raised")
    assert event.data["follow_up_by"] == "Head of Children's Services"

    home = f"/p/{world.partnership.slug}/pqa/"
    page = pqa_client.get(home).get_data(as_text=True)
    assert "Immediate safeguarding concerns" in page
    assert case.reference in page and "Head of Children&#39;s Services" in page
    assert "Overdue" not in page.split("Immediate safeguarding concerns")[1].split("</table>")[0]
    # Once its date passes it is overdue, and still listed.
    concern.due_on = TODAY - timedelta(days=1)
    session.flush()
    page = pqa_client.get(home).get_data(as_text=True)
    assert "Overdue" in page.split("Immediate safeguarding concerns")[1].split("</table>")[0]

    close = f"/p/{world.partnership.slug}/pqa/concerns/{concern.id}/close"
    assert "Enter a closing note" in pqa_client.submit(close, {}).get_data(as_text=True)
    pqa_client.submit(close, {"note": "Sibling seen by social worker; safe"})
    session.expire_all()
    concern = session.get(SafeguardingConcern, concern.id)
    assert concern.closed_by_id == world.pqa.id and concern.closed_at is not None
    assert "Immediate safeguarding concerns" not in pqa_client.get(home).get_data(as_text=True)
    (event,) = audit_events(session, "concern_closed")
    assert event.data == {
        "reference": case.reference,
        "note": "Sibling seen by social worker; safe",
    }
    page = pqa_client.get(close, follow_redirects=True).get_data(as_text=True)
    assert "This concern is already closed" in page


def test_a_closed_round_refuses_moderation_changes(panel_client, session, world, meeting):
    case, section = meeting["case"], meeting["recognition"]
    meeting["round"].status = RoundStatus.CLOSED
    point = LearningPoint(case=case, theme=LearningTheme.RECORDING, text="Keep", by=world.pqa)
    session.add(point)
    session.flush()
    page = panel_client.get(_url(world, case, area="panel")).get_data(as_text=True)
    assert "This round is closed" in page
    assert "Record the judgement" not in page and "Add learning" not in page
    for tail in (
        f"/sections/{section.id}/judgement",
        "/overall",
        "/learning",
        "/actions/new",
        "/concerns/new",
    ):
        response = panel_client.get(_url(world, case, tail, area="panel"), follow_redirects=True)
        assert "This round is closed, so its moderation cannot be changed" in response.get_data(
            as_text=True
        ), tail
    token = panel_client.csrf_token("/account/password")
    remove = _url(world, case, f"/learning/{point.id}/remove", area="panel")
    response = panel_client.post(remove, data={"csrf_token": token}, follow_redirects=True)
    assert "This round is closed" in response.get_data(as_text=True)
    judge = _url(world, case, f"/sections/{section.id}/judgement", area="panel")
    panel_client.post(judge, data={"csrf_token": token, "grade": "good", "rationale": "x"})
    session.expire_all()
    assert session.scalars(select(CaseJudgement)).first() is None
    assert session.scalars(select(LearningPoint)).one().id == point.id
    with pytest.raises(DomainError, match="round is closed"):
        svc.add_learning(
            session, case=case, theme=LearningTheme.OTHER, text="Late thought", by=world.pqa
        )


def test_a_concern_can_be_closed_after_the_round_is(pqa_client, session, world, meeting):
    case = meeting["case"]
    concern = SafeguardingConcern(
        partnership_id=world.partnership.id,
        case=case,
        description="Sibling not seen",
        follow_up_by="Head of service",
        due_on=TODAY,
        raised_by=world.pqa,
    )
    session.add(concern)
    meeting["round"].status = RoundStatus.CLOSED
    session.flush()
    close = f"/p/{world.partnership.slug}/pqa/concerns/{concern.id}/close"
    assert pqa_client.submit(close, {"note": "Seen and safe"}).status_code == 302
    session.expire_all()
    assert session.get(SafeguardingConcern, concern.id).closed_at is not None


def test_moderation_is_allowed_before_returns_are_in(panel_client, session, make, world):
    audit_round = make.case_round(world.partnership, [[world.police, world.health]])
    case = audit_round.cases[0]
    page = panel_client.get(_url(world, case, area="panel")).get_data(as_text=True)
    assert page.count("Not submitted yet") >= 2 and "No submitted grades yet" in page
    response = panel_client.submit(
        _url(world, case, "/overall", area="panel"),
        {"grade": "requires_improvement", "rationale": "Provisional, from discussion"},
    )
    assert response.status_code == 302


def test_another_partnerships_case_and_concern_are_not_found(
    pqa_client, panel_client, session, make, world
):
    theirs = make.case_round(world.other_partnership, [[world.other_agency]])
    case = theirs.cases[0]
    concern = SafeguardingConcern(
        partnership_id=world.other_partnership.id,
        case=case,
        description="Not ours",
        follow_up_by="Someone",
        due_on=TODAY,
        raised_by=world.other_pqa,
    )
    session.add(concern)
    session.flush()
    section = theirs.template_version.sections[0]
    for client, area in ((pqa_client, "pqa"), (panel_client, "panel")):
        for tail in ("", "/overall", f"/sections/{section.id}/judgement", "/learning"):
            assert client.get(_url(world, case, tail, area=area)).status_code == 404
        slug = world.partnership.slug
        assert client.get(f"/p/{slug}/{area}/concerns/{concern.id}/close").status_code == 404
        assert client.get(f"/p/{slug}/{area}/case-rounds/{theirs.id}").status_code == 404


def test_agency_leads_cannot_reach_the_meeting(agency_client, world, meeting):
    assert agency_client.get(_url(world, meeting["case"], area="panel")).status_code == 403
    assert agency_client.get(_url(world, meeting["case"])).status_code == 403
