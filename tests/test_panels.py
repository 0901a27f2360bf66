"""Challenge panels through the web pages: scheduling, challenge and answer, moderation,
outcome, actions, sign-off and feedback, and the refusals that protect each party."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from audit_tool import clock
from audit_tool.models import (
    Action,
    CriterionResponse,
    ModeratedRating,
    Panel,
    PanelStatus,
    Role,
)
from audit_tool.services import assessments as svc
from audit_tool.services.assessments import AnswerInput

from .conftest import audit_events

TODAY = clock.today()
SOON = TODAY + timedelta(days=14)


@pytest.fixture
def setting(make, world, session, client_for):
    """A cycle where the police and health trust answered standard 1 'green'."""
    cycle = make.cycle(world.partnership)
    by_agency = {a.agency_id: a for a in cycle.assessments}
    police = by_agency[world.police.id]
    health = by_agency[world.health.id]
    for assessment, lead in ((police, world.police_lead), (health, world.health_lead)):
        for entry in svc.load_return(session, assessment).standards[0].entries[:3]:
            svc.save_answer(
                session,
                assessment=assessment,
                criterion=entry.criterion,
                seen_version=0,
                answer=AnswerInput(level_key="green", evidence="Policy"),
                by=lead,
            )
    outsider = make.user(world.partnership, Role.PANEL_MEMBER, name="Not On This Panel")
    session.flush()
    return {"cycle": cycle, "police": police, "health": health, "outsider": client_for(outsider)}


def _schedule(pqa_client, world, setting, agencies):
    url = f"/p/{world.partnership.slug}/pqa/cycles/{setting['cycle'].id}/panels/new"
    return pqa_client.submit(
        url,
        {
            "held_on": [str(SOON.day), str(SOON.month), str(SOON.year)],
            "starts_at": "09:30",
            "place": "Council offices, room 2",
            "chair": str(world.panel.id),
            "agencies": [str(a.id) for a in agencies],
        },
    )


def test_panel_journey(pqa_client, panel_client, agency_client, world, session, setting):
    slug = world.partnership.slug
    police = setting["police"]
    # PQA schedules the panel; errors first.
    url = f"/p/{slug}/pqa/cycles/{setting['cycle'].id}/panels/new"
    page = pqa_client.submit(url, {"starts_at": "9.30"}).get_data(as_text=True)
    for message in (
        "Enter the date of the panel",
        "Enter the start time like 09:30",
        "Select the chair",
        "Select the agencies attending",
    ):
        assert message in page
    response = _schedule(pqa_client, world, setting, [police, setting["health"]])
    assert response.status_code == 302
    session.expire_all()
    panel = session.query(Panel).one()
    slots = {a.assessment.agency.name: a.slot for a in panel.attendances}
    assert slots == {"Test Health Trust": "09:30", "Test Police": "10:15"}
    attendance = next(a for a in panel.attendances if a.assessment_id == police.id)

    # The agency sees when it is due and who sits on the panel.
    page = agency_client.get(f"/p/{slug}/agency/panels").get_data(as_text=True)
    assert "10:15" in page and "Pam Panel (chair)" in page

    base = f"/p/{slug}/panel/panels/{panel.id}"
    meeting = f"{base}/agencies/{attendance.id}"
    # Someone not on the panel cannot reach it.
    assert setting["outsider"].get(meeting).status_code == 404
    # The chair starts it and records a challenge on 1.1.
    panel_client.submit(base, {}, action=f"{base}/start")
    criteria = [e.criterion for e in svc.load_return(session, police).standards[0].entries]
    panel_client.submit(
        f"{meeting}/challenges/new",
        {"about": f"c{criteria[0].id}", "question": "Show us the board minutes"},
    )
    session.expire_all()
    challenge = session.get(Panel, panel.id).attendances[1].challenges[0]
    # The agency answers it online.
    answer_url = f"/p/{slug}/agency/panels/{attendance.id}/challenges/{challenge.id}"
    agency_client.submit(answer_url, {"response": "Minutes of 3 March attached"})
    assert "Minutes of 3 March attached" in panel_client.get(meeting).get_data(as_text=True)

    # Moderate two criteria down; an off-scale rating is refused.
    page = panel_client.submit(
        f"{meeting}/criteria/{criteria[0].id}/moderate", {"rating": "purple", "rationale": "x"}
    ).get_data(as_text=True)
    assert "Error:" in page
    for criterion in criteria[:2]:
        panel_client.submit(
            f"{meeting}/criteria/{criterion.id}/moderate",
            {"rating": "amber", "rationale": "Evidence is thin"},
        )
    session.expire_all()
    assert session.query(ModeratedRating).count() == 2
    own = (
        session.query(CriterionResponse)
        .filter_by(assessment_id=police.id, criterion_id=criteria[0].id)
        .one()
    )
    assert own.level.key == "green"  # the agency's own rating is untouched

    # An action due in the past is refused; a future one is agreed.
    past = TODAY - timedelta(days=1)
    page = panel_client.submit(
        f"{meeting}/actions/new",
        {
            "description": "Refresh the policy",
            "owner": "Head of PP",
            "due_on": [str(past.day), str(past.month), str(past.year)],
        },
    ).get_data(as_text=True)
    assert "The due date must be in the future" in page
    due = TODAY + timedelta(days=90)
    panel_client.submit(
        f"{meeting}/actions/new",
        {
            "description": "Refresh the policy",
            "owner": "Head of PP",
            "due_on": [str(due.day), str(due.month), str(due.year)],
            "link": f"c{criteria[0].id}",
        },
    )
    assert session.query(Action).filter_by(panel_agency_id=attendance.id).count() == 1

    # Sign-off needs every outcome.
    panel_client.submit(base, {}, action=f"{base}/sign-off")
    session.expire_all()
    assert session.get(Panel, panel.id).status is PanelStatus.IN_PROGRESS
    for a in session.get(Panel, panel.id).attendances:
        panel_client.submit(
            f"{base}/agencies/{a.id}/outcome",
            {
                "outcome": "partially_assured",
                "summary": "Good leadership; evidence thin",
                "private_notes": "SECRET PANEL NOTE",
            },
        )
    panel_client.submit(base, {}, action=f"{base}/sign-off")
    session.expire_all()
    assert session.get(Panel, panel.id).status is PanelStatus.SIGNED_OFF

    # The agency sees the feedback, never the private notes.
    page = agency_client.get(f"/p/{slug}/agency/panels/{attendance.id}/feedback").get_data(
        as_text=True
    )
    assert (
        "Partially assured" in page and "Evidence is thin" in page and "Refresh the policy" in page
    )
    assert "SECRET PANEL NOTE" not in page
    letter = agency_client.get(f"/p/{slug}/agency/panels/{attendance.id}/letter").get_data(
        as_text=True
    )
    assert world.partnership.name in letter and "SECRET PANEL NOTE" not in letter

    # Signed off: read-only.
    page = panel_client.submit(
        f"{meeting}/criteria/{criteria[2].id}/moderate", {"rating": "red", "rationale": "late"}
    ).get_data(as_text=True)
    assert "has been signed off" in page
    assert session.query(ModeratedRating).count() == 2

    # The heat map uses the panel's ratings and shows the agency's own beside them.
    heat = pqa_client.get(f"/p/{slug}/pqa/cycles/{setting['cycle'].id}/dashboard").get_data(
        as_text=True
    )
    assert re.search(r"\(self 80\)", heat)

    # The chair closes the panel's action with a note.
    action = session.query(Action).filter_by(panel_agency_id=attendance.id).one()
    panel_client.submit(f"{meeting}/actions/{action.id}/close", {"note": "Audit received"})
    session.expire_all()
    assert session.get(Action, action.id).status.value == "closed"

    # PQA reopens it with a reason, which is audited.
    pqa_client.submit(f"/p/{slug}/pqa/panels/{panel.id}/reopen", {"reason": "Late evidence"})
    session.expire_all()
    assert session.get(Panel, panel.id).status is PanelStatus.IN_PROGRESS
    assert audit_events(session, "panel_reopened")[-1].data["reason"] == "Late evidence"


def test_agencies_never_see_another_agencys_panel(pqa_client, client_for, world, session, setting):
    _schedule(pqa_client, world, setting, [setting["police"]])
    session.expire_all()
    attendance = session.query(Panel).one().attendances[0]
    health = client_for(world.health_lead)
    page = health.get(f"/p/{world.partnership.slug}/agency/panels").get_data(as_text=True)
    assert "Test Police" not in page
    assert (
        health.get(
            f"/p/{world.partnership.slug}/agency/panels/{attendance.id}/feedback"
        ).status_code
        == 404
    )


def test_feedback_waits_for_sign_off(pqa_client, agency_client, world, session, setting):
    _schedule(pqa_client, world, setting, [setting["police"]])
    session.expire_all()
    attendance = session.query(Panel).one().attendances[0]
    assert (
        agency_client.get(
            f"/p/{world.partnership.slug}/agency/panels/{attendance.id}/feedback"
        ).status_code
        == 404
    )
