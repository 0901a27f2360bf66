"""An agency lead's return through the web pages, as a user would do it."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from audit_tool import clock
from audit_tool.models import Assessment, AssessmentStatus, CriterionResponse, EvidenceItem
from audit_tool.services import assessments as svc

from .conftest import audit_events


@pytest.fixture
def cycle(make, world):
    return make.cycle(world.partnership, name="Section 11 audit 2026 to 2028")


@pytest.fixture
def police_return(cycle, world):
    return next(a for a in cycle.assessments if a.agency_id == world.police.id)


def _base(world, assessment):
    return f"/p/{world.partnership.slug}/agency/returns/{assessment.id}"


def _criteria(session, assessment):
    return [e.criterion for s in svc.load_return(session, assessment).standards for e in s.entries]


def _answer(level="green", **extra):
    return {"rating": level, "evidence": "Policy v4 and audit", "then": "task-list", **extra}


def test_lead_starts_saves_leaves_and_finds_it_saved(agency_client, world, session, police_return):
    base = _base(world, police_return)
    home = agency_client.get(f"/p/{world.partnership.slug}/agency/").get_data(as_text=True)
    assert "Section 11 audit 2026 to 2028" in home
    response = agency_client.submit(f"{base}/", {})
    assert response.status_code == 302
    first, second = _criteria(session, police_return)[:2]
    response = agency_client.submit(
        f"{base}/criteria/{first.id}", {**_answer(), "then": "continue"}
    )
    assert response.headers["Location"] == f"{base}/criteria/{second.id}"
    # Leave, come back: it is there.
    page = agency_client.get(f"{base}/criteria/{first.id}").get_data(as_text=True)
    assert "Policy v4 and audit" in page
    assert re.search(r'value="green"[^>]*checked', page)
    task_list = agency_client.get(f"{base}/").get_data(as_text=True)
    assert "Completed" in task_list and "% complete" in task_list


def test_a_rejected_save_keeps_everything_typed(agency_client, world, session, police_return):
    base = _base(world, police_return)
    agency_client.submit(f"{base}/", {})
    criterion = _criteria(session, police_return)[0]
    typed = "A long careful answer that must not be lost"
    page = agency_client.submit(
        f"{base}/criteria/{criterion.id}",
        _answer(
            "red",
            evidence=typed,
            action="Train everyone",
            **{"action_due": ["31", "2", "2027"]},
        ),
    ).get_data(as_text=True)
    assert "When the action is due must be a real date" in page
    assert typed in page and "Train everyone" in page
    assert "<title>Error:" in page
    session.expire_all()
    assert session.query(CriterionResponse).count() == 0


def test_oversized_text_and_control_characters_are_refused(
    agency_client, world, session, police_return
):
    base = _base(world, police_return)
    agency_client.submit(f"{base}/", {})
    criterion = _criteria(session, police_return)[0]
    page = agency_client.submit(
        f"{base}/criteria/{criterion.id}", _answer(evidence="x" * 20_001)
    ).get_data(as_text=True)
    assert "Evidence must be 20,000 characters or fewer" in page
    page = agency_client.submit(
        f"{base}/criteria/{criterion.id}", _answer(evidence="bad\x00text")
    ).get_data(as_text=True)
    assert "Evidence must not include hidden control characters" in page


def test_script_in_answers_is_stored_and_shown_escaped(
    agency_client, world, session, police_return
):
    base = _base(world, police_return)
    agency_client.submit(f"{base}/", {})
    criterion = _criteria(session, police_return)[0]
    agency_client.submit(
        f"{base}/criteria/{criterion.id}", _answer(evidence="<script>alert('x')</script>")
    )
    page = agency_client.get(f"{base}/check").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_two_colleagues_editing_one_criterion_see_a_conflict(
    app, agency_client, client_for, make, world, session, police_return
):
    from audit_tool.models import Role

    colleague = make.user(world.partnership, Role.AGENCY_LEAD, world.police, name="Colleague")
    other_client = client_for(colleague)
    base = _base(world, police_return)
    agency_client.submit(f"{base}/", {})
    criterion = _criteria(session, police_return)[0]
    url = f"{base}/criteria/{criterion.id}"
    # Both open the page; the colleague saves first.
    mine_token = agency_client.csrf_token(url)
    other_client.submit(url, _answer(evidence="Colleague version"))
    response = agency_client.post(
        url,
        data={**_answer("amber", evidence="My version"), "version": "0", "csrf_token": mine_token},
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this answer" in page
    assert "Colleague version" in page and "My version" in page
    session.expire_all()
    assert session.query(CriterionResponse).one().evidence == "Colleague version"
    # Keep my version: the conflict page's form re-posts mine at their version.
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page).group(1)
    response = agency_client.post(
        url,
        data={**_answer("amber", evidence="My version"), "version": version, "csrf_token": token},
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.query(CriterionResponse).one().evidence == "My version"


def test_submit_with_gaps_then_complete_then_read_only(
    agency_client, pqa_client, world, session, police_return
):
    base = _base(world, police_return)
    agency_client.submit(f"{base}/", {})
    criteria = _criteria(session, police_return)
    agency_client.submit(f"{base}/criteria/{criteria[0].id}", _answer("red"))
    declaration = {"declaration_name": "Chief Constable", "declaration_role": "Chief Officer"}
    page = agency_client.submit(f"{base}/check", declaration).get_data(as_text=True)
    assert "Your return cannot be submitted yet" in page
    assert f"Enter the action to improve {criteria[0].code}" in page
    assert f"Select a rating for {criteria[1].code}" in page
    assert f'criteria/{criteria[1].id}#rating"' in page
    session.expire_all()
    assert session.get(Assessment, police_return.id).status is AssessmentStatus.IN_PROGRESS

    due = clock.today() + timedelta(days=90)
    agency_client.submit(
        f"{base}/criteria/{criteria[0].id}",
        _answer(
            "red",
            action="Refresh training",
            action_owner="Head of Public Protection",
            action_due=[str(due.day), str(due.month), str(due.year)],
            version="1",
        ),
    )
    for criterion in criteria[1:]:
        agency_client.submit(f"{base}/criteria/{criterion.id}", _answer("green"))
    response = agency_client.submit(f"{base}/check", declaration)
    assert response.headers["Location"] == f"{base}/submitted"
    assert "Return submitted" in agency_client.get(f"{base}/submitted").get_data(as_text=True)
    # Read-only now: no form on the criterion page, and a POST changes nothing.
    page = agency_client.get(f"{base}/criteria/{criteria[1].id}").get_data(as_text=True)
    assert 'name="rating"' not in page
    agency_client.post(
        f"{base}/criteria/{criteria[1].id}",
        data={**_answer("red"), "csrf_token": agency_client.csrf_token("/account/password")},
    )
    session.expire_all()
    answer = session.query(CriterionResponse).filter_by(criterion_id=criteria[1].id).one()
    assert answer.level.key == "green"
    assert audit_events(session, "return_submitted")[-1].data["declaration"]["name"] == (
        "Chief Constable"
    )

    # PQA sees it submitted in the tracker and reopens it with a reason.
    tracker_url = f"/p/{world.partnership.slug}/pqa/cycles/{police_return.cycle_id}"
    tracker = pqa_client.get(tracker_url).get_data(as_text=True)
    assert re.search(r"Test Police.*?Submitted", tracker, re.S)
    reopen = f"{tracker_url}/returns/{police_return.id}/reopen"
    page = pqa_client.submit(reopen, {"reason": ""}).get_data(as_text=True)
    assert "Enter why you are reopening this return" in page
    pqa_client.submit(reopen, {"reason": "Please add the 2026 training figures"})
    page = agency_client.get(f"{base}/").get_data(as_text=True)
    assert "Please add the 2026 training figures" in page
    assert 'name="rating"' in agency_client.get(f"{base}/criteria/{criteria[1].id}").get_data(
        as_text=True
    )


def test_evidence_upload_download_and_isolation(
    agency_client, client_for, world, session, police_return, app
):
    base = _base(world, police_return)
    agency_client.submit(f"{base}/", {})
    criterion = _criteria(session, police_return)[0]
    new = f"{base}/criteria/{criterion.id}/evidence/new"
    page = agency_client.submit(new, {"title": ""}).get_data(as_text=True)
    assert "Enter a title for the evidence" in page
    assert "Enter a reference or upload a file" in page
    page = agency_client.submit(
        new,
        {"title": "Fake", "file": (io.BytesIO(b"MZ\x90\x00binary"), "policy.pdf")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "The selected file must be a PDF" in page
    response = agency_client.submit(
        new,
        {
            "title": "Safeguarding policy",
            "file": (io.BytesIO(b"%PDF-1.7\n%%EOF\n"), "policy.pdf"),
            "review_on": ["1", "4", "2027"],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    session.expire_all()
    item = session.query(EvidenceItem).one()
    assert item.stored_name and item.original_filename == "policy.pdf"
    download = agency_client.get(f"{base}/evidence/{item.id}/download")
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF")
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()
    assert audit_events(session, "evidence_downloaded")
    # The health lead cannot see the police return, its pages or its files.
    health = client_for(world.health_lead)
    assert health.get(f"{base}/").status_code == 404
    assert health.get(f"{base}/criteria/{criterion.id}").status_code == 404
    assert health.get(f"{base}/evidence/{item.id}/download").status_code == 404


def test_other_agencies_and_draft_cycles_are_invisible(agency_client, make, world, cycle):
    health_return = next(a for a in cycle.assessments if a.agency_id == world.health.id)
    assert agency_client.get(_base(world, health_return) + "/").status_code == 404
    draft = make.cycle(world.partnership, opened=False)
    police_draft = next(a for a in draft.assessments if a.agency_id == world.police.id)
    assert agency_client.get(_base(world, police_draft) + "/").status_code == 404


def test_pqa_creates_and_opens_a_cycle_for_chosen_sectors(pqa_client, world, session):
    from audit_tool.frameworks.library import load_builtin

    versions = load_builtin(session)
    session.flush()
    url = f"/p/{world.partnership.slug}/pqa/cycles/new"
    page = pqa_client.submit(url, {"name": ""}).get_data(as_text=True)
    for message in (
        "Enter a name for the cycle",
        "Select a framework",
        "Enter the opening date",
        "Select which agencies take part",
    ):
        assert message in page
    page = pqa_client.submit(
        url,
        {
            "name": "Health cycle",
            "framework_version": str(versions[0].id),
            "opens_on": ["1", "12", "2026"],
            "due_on": ["1", "11", "2026"],
            "participation": "sectors",
            "sectors": ["health"],
        },
    ).get_data(as_text=True)
    assert "The due date must be after the opening date" in page
    response = pqa_client.submit(
        url,
        {
            "name": "Health cycle",
            "framework_version": str(versions[0].id),
            "opens_on": ["1", "12", "2026"],
            "due_on": ["31", "3", "2027"],
            "participation": "sectors",
            "sectors": ["health"],
        },
    )
    cycle_url = response.headers["Location"]
    page = pqa_client.get(cycle_url).get_data(as_text=True)
    assert "Test Health Trust" in page and "Test Police" not in page
    pqa_client.submit(cycle_url, {}, action=f"{cycle_url}/open")
    assert "is open to agencies" in pqa_client.get(cycle_url).get_data(as_text=True)
