"""An agency lead's case-file audit through the web pages, as a user would do it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from audit_tool import clock
from audit_tool.models import (
    CaseAnswer,
    CaseReturn,
    CaseReturnStatus,
    Role,
    RoundStatus,
    SectionReturn,
)

from .conftest import audit_events


@pytest.fixture
def audit_round(make, world):
    """An open round: case 1 involves the police and health, case 2 only health."""
    return make.case_round(world.partnership, [[world.police, world.health], [world.health]])


@pytest.fixture
def case(audit_round):
    return audit_round.cases[0]


def _base(world, case):
    return f"/p/{world.partnership.slug}/agency/case-audits/{case.id}"


def _sections(audit_round):
    return audit_round.template_version.sections


def _police_return(session, world, case) -> CaseReturn:
    session.expire_all()
    return session.scalar(
        select(CaseReturn).where(
            CaseReturn.case_id == case.id, CaseReturn.agency_id == world.police.id
        )
    )


def _save(client, url: str, data: dict):
    """Post a section page as a browser would: with the version it was loaded at."""
    version = client.soup(url).find("input", attrs={"name": "version"})["value"]
    return client.submit(url, {"version": version, **data})


def _first_section_answers(section, *, grade="good", yes="partly", **extra):
    graded, yes_partly_no = section.questions
    return {
        f"q{graded.id}_answer": grade,
        f"q{graded.id}_comment": "Risk was recognised at the first contact",
        f"q{yes_partly_no.id}_answer": yes,
        f"q{yes_partly_no.id}_comment": "",
        "good_practice": "Prompt referral to the MASH",
        "development": "",
        "recommendations": "",
        "then": "continue",
        **extra,
    }


def _second_section_answers(section, *, grade="requires_improvement", **extra):
    graded, free_text = section.questions
    return {
        f"q{graded.id}_answer": grade,
        f"q{graded.id}_comment": "",
        f"q{free_text.id}_comment": "The plan was reviewed every 3 months",
        "good_practice": "",
        "development": "Plans lacked timescales",
        "recommendations": "Use SMART plans",
        "then": "continue",
        **extra,
    }


def test_list_shows_the_leads_cases_by_round_with_status_and_due_date(
    agency_client, make, world, audit_round, case
):
    overdue = make.case_round(
        world.partnership, [[world.police]], due_on=clock.today() - timedelta(days=1)
    )
    closed = make.case_round(world.partnership, [[world.police]], status=RoundStatus.CLOSED)
    draft = make.case_round(world.partnership, [[world.police]], status=RoundStatus.DRAFT)
    elsewhere = make.case_round(world.other_partnership, [[world.other_agency]])
    page = agency_client.get(f"/p/{world.partnership.slug}/agency/case-audits").get_data(
        as_text=True
    )
    assert audit_round.name in page and case.reference in page
    # Case 2 involves only health: it is not the police's to see.
    assert audit_round.cases[1].reference not in page
    assert overdue.cases[0].reference in page and "Overdue" in page
    assert closed.cases[0].reference in page and "Round closed" in page
    assert draft.name not in page and draft.cases[0].reference not in page
    assert elsewhere.cases[0].reference not in page
    assert "Not started" in page and "0 of 3 questions answered" in page
    assert audit_round.due_on.strftime("%-d %B %Y") in page
    # Open rounds come before closed ones.
    assert page.index(audit_round.name) < page.index(closed.name)


def test_the_list_says_so_when_nothing_is_assigned(agency_client, world):
    page = agency_client.get(f"/p/{world.partnership.slug}/agency/case-audits").get_data(
        as_text=True
    )
    assert "No case-file audits are assigned to your agency" in page


def test_the_agency_home_says_how_many_cases_wait_for_answers(
    agency_client, make, world, audit_round
):
    home = f"/p/{world.partnership.slug}/agency/"
    page = agency_client.soup(home).get_text(" ", strip=True)
    # Case 1 involves the police; case 2 only health.
    assert "1 case is waiting for your agency's answers" in page
    assert audit_round.name in page
    make.case_round(world.partnership, [[world.police]], status=RoundStatus.CLOSED)
    assert "1 case is waiting" in agency_client.soup(home).get_text(" ", strip=True)


def test_the_agency_home_says_when_nothing_waits(agency_client, world):
    page = agency_client.soup(f"/p/{world.partnership.slug}/agency/").get_text(" ", strip=True)
    assert "Case-file audits: nothing is waiting for your agency" in page


def test_case_page_shows_pseudonymous_details_and_the_sections(
    agency_client, world, audit_round, case
):
    page = agency_client.get(f"{_base(world, case)}").get_data(as_text=True)
    assert f"Case {case.reference}" in page
    assert "Refer to this child only as" in page
    for text in (
        case.age_band.label,
        case.plan_type.label,
        audit_round.lookback_from.strftime("%-d %B %Y"),
        audit_round.lookback_to.strftime("%-d %B %Y"),
        "Check your answers and submit",
    ):
        assert text in page
    for section in _sections(audit_round):
        assert section.title in page


def test_draft_save_continue_check_submit_then_read_only(
    agency_client, world, session, audit_round, case
):
    base = _base(world, case)
    first, second = _sections(audit_round)
    # A partial first section saves as a draft and goes back to the case.
    graded, yes_partly_no = first.questions
    response = agency_client.submit(
        f"{base}/sections/{first.id}",
        {f"q{graded.id}_answer": "good", f"q{graded.id}_comment": "Half done", "then": "draft"},
    )
    assert response.headers["Location"] == base
    case_return = _police_return(session, world, case)
    assert case_return.status is CaseReturnStatus.IN_PROGRESS
    page = agency_client.get(f"{base}/sections/{first.id}").get_data(as_text=True)
    assert "Half done" in page and re.search(r'value="good"[^>]*checked', page)
    assert "In progress" in agency_client.get(base).get_data(as_text=True)

    # Check your answers lists every unanswered question, with links to the field.
    check = agency_client.get(f"{base}/check").get_data(as_text=True)
    assert "Check your answers before submitting" in check and "Half done" in check
    response = agency_client.submit(f"{base}/check", {})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error:" in page
    assert "Select yes, partly or no for" in page
    assert "Select a grade for" in page and second.questions[0].wording in page
    assert f"{base}/sections/{first.id}#q{yes_partly_no.id}_answer" in page
    assert f"{base}/sections/{second.id}#q{second.questions[0].id}_answer" in page
    assert _police_return(session, world, case).status is CaseReturnStatus.IN_PROGRESS

    # Save and continue walks the sections, then on to check your answers.
    response = _save(agency_client, f"{base}/sections/{first.id}", _first_section_answers(first))
    assert response.headers["Location"] == f"{base}/sections/{second.id}"
    response = agency_client.submit(f"{base}/sections/{second.id}", _second_section_answers(second))
    assert response.headers["Location"] == f"{base}/check"
    check = agency_client.get(f"{base}/check").get_data(as_text=True)
    assert "Requires improvement" in check and "Use SMART plans" in check

    response = agency_client.submit(f"{base}/check", {})
    assert response.headers["Location"] == f"{base}/submitted"
    confirmation = agency_client.get(f"{base}/submitted").get_data(as_text=True)
    assert "Case audit submitted" in confirmation and case.reference in confirmation
    case_return = _police_return(session, world, case)
    assert case_return.status is CaseReturnStatus.SUBMITTED
    assert case_return.submitted_by_id == world.police_lead.id
    assert len(audit_events(session, "case_return_submitted")) == 1
    saved = audit_events(session, "case_return_saved")
    assert len(saved) == 3 and saved[0].data["reference"] == case.reference

    # Read-only from now on: no form, and a post changes nothing.
    page = agency_client.get(f"{base}/sections/{first.id}").get_data(as_text=True)
    assert "Save and continue" not in page and "Prompt referral to the MASH" in page
    response = agency_client.post(
        f"{base}/sections/{first.id}",
        data={
            **_first_section_answers(first, grade="inadequate"),
            "csrf_token": _token(agency_client, world),
        },
    )
    assert response.status_code == 200
    session.expire_all()
    assert "inadequate" not in {a.answer for a in session.scalars(select(CaseAnswer))}
    assert "Submit case audit" not in agency_client.get(f"{base}/check").get_data(as_text=True)
    case_page = agency_client.get(base).get_data(as_text=True)
    assert "It can no longer be changed" in case_page
    assert "Check your answers and submit" not in case_page


def _token(client, world):
    """A CSRF token from any page with a POST form (the header's sign-out form)."""
    return client.csrf_token(f"/p/{world.partnership.slug}/agency/case-audits", action="/logout")


def test_save_and_continue_on_a_partial_page_still_saves(agency_client, world, session, case):
    first = case.round.template_version.sections[0]
    graded = first.questions[0]
    response = agency_client.submit(
        f"{_base(world, case)}/sections/{first.id}",
        {f"q{graded.id}_comment": "Only a comment so far", "then": "continue"},
    )
    assert response.status_code == 302
    session.expire_all()
    answer = session.scalar(select(CaseAnswer))
    assert answer.comment == "Only a comment so far" and answer.answer is None


def test_two_colleagues_editing_one_section_see_a_conflict(
    agency_client, client_for, make, world, session, case
):
    colleague = make.user(world.partnership, Role.AGENCY_LEAD, world.police, name="Colleague")
    other_client = client_for(colleague)
    first = case.round.template_version.sections[0]
    url = f"{_base(world, case)}/sections/{first.id}"
    mine_token = agency_client.csrf_token(url)
    other_client.submit(url, _first_section_answers(first, good_practice="Colleague version"))
    response = agency_client.post(
        url,
        data={
            **_first_section_answers(first, grade="inadequate", good_practice="My version"),
            "version": "0",
            "csrf_token": mine_token,
        },
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this section" in page and "Colleague saved" in page
    assert "Colleague version" in page and "My version" in page
    assert "Inadequate" in page and "Good" in page
    session.expire_all()
    assert session.scalar(select(SectionReturn)).good_practice == "Colleague version"
    # Keep my version: the conflict page re-posts mine at their version.
    form = re.search(r'<form method="post" action="[^"]+" novalidate>(.*?)</form>', page, re.S)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(1)))
    assert fields["version"] == "1"
    response = agency_client.post(url, data={**fields, "then": "draft"})
    assert response.status_code == 302
    session.expire_all()
    section_return = session.scalar(select(SectionReturn))
    assert section_return.good_practice == "My version" and section_return.version == 2
    graded = first.questions[0]
    assert (
        session.scalar(select(CaseAnswer.answer).where(CaseAnswer.question_id == graded.id))
        == "inadequate"
    )


def test_identifying_text_blocks_the_whole_page_and_keeps_what_was_typed(
    agency_client, world, session, case
):
    first = case.round.template_version.sections[0]
    graded = first.questions[0]
    data = _first_section_answers(
        first,
        **{f"q{graded.id}_comment": "Seen at home, NHS 943 476 5919, by the health visitor"},
        development="Mrs Smith was not invited to the meeting",
    )
    response = agency_client.submit(f"{_base(world, case)}/sections/{first.id}", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error:" in page
    assert "govuk-error-summary" in page
    assert f'href="#q{graded.id}_comment"' in page and 'href="#development"' in page
    assert "looks like it includes an NHS number" in page
    assert "looks like it includes a name" in page
    # What was typed stays on the page, the identifying text included, to be edited.
    assert "NHS 943 476 5919" in page and "Prompt referral to the MASH" in page
    assert re.search(r'value="good"[^>]*checked', page)
    session.expire_all()
    assert session.scalars(select(SectionReturn)).all() == []
    assert session.scalars(select(CaseAnswer)).all() == []
    assert _police_return(session, world, case).status is CaseReturnStatus.NOT_STARTED
    assert audit_events(session, "case_return_saved") == []


def test_full_dates_are_refused_but_month_and_year_save(agency_client, world, session, case):
    first = case.round.template_version.sections[0]
    url = f"{_base(world, case)}/sections/{first.id}"
    page = agency_client.submit(
        url, _first_section_answers(first, good_practice="Strategy meeting on 14/03/2025")
    ).get_data(as_text=True)
    assert "give the month and year only" in page
    response = _save(
        agency_client,
        url,
        _first_section_answers(first, good_practice="Strategy meeting in March 2025"),
    )
    assert response.status_code == 302


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_case_not_assigned_to_the_leads_agency_is_404_everywhere(
    agency_client, make, world, audit_round, method
):
    health_only = audit_round.cases[1]
    draft_case = make.case_round(
        world.partnership, [[world.police]], status=RoundStatus.DRAFT
    ).cases[0]
    elsewhere = make.case_round(world.other_partnership, [[world.other_agency]]).cases[0]
    token = _token(agency_client, world)
    section_id = _sections(audit_round)[0].id
    slug = world.partnership.slug
    for case in (health_only, draft_case, elsewhere):
        base = f"/p/{slug}/agency/case-audits/{case.id}"
        urls = {f"{base}/sections/{section_id}", f"{base}/check"}
        if method == "GET":
            urls |= {base, f"{base}/submitted"}
        for url in urls:
            if method == "GET":
                response = agency_client.get(url)
            else:
                response = agency_client.post(url, data={"csrf_token": token})
            assert response.status_code == 404, url


def test_a_section_of_another_template_is_404(agency_client, make, world, case):
    other_round = make.case_round(world.partnership, [[world.police]])
    other_section = other_round.template_version.sections[0]
    response = agency_client.get(f"{_base(world, case)}/sections/{other_section.id}")
    assert response.status_code == 404


def test_agencies_never_see_each_others_answers(agency_client, client_for, world, session, case):
    health_client = client_for(world.health_lead)
    first = case.round.template_version.sections[0]
    url = f"{_base(world, case)}/sections/{first.id}"
    health_client.submit(
        url, _first_section_answers(first, grade="inadequate", good_practice="Health only note")
    )
    for page_url in (_base(world, case), url, f"{_base(world, case)}/check"):
        page = agency_client.get(page_url).get_data(as_text=True)
        assert "Health only note" not in page
        assert "Inadequate</strong>" not in page and not re.search(
            r"value=\"\w+\"[^>]*checked", page
        )
    # The health lead's save is theirs alone: the police return is untouched.
    assert _police_return(session, world, case).status is CaseReturnStatus.NOT_STARTED


def test_a_closed_round_is_read_only(agency_client, make, world, session):
    closed = make.case_round(world.partnership, [[world.police]], status=RoundStatus.CLOSED)
    case = closed.cases[0]
    first = closed.template_version.sections[0]
    page = agency_client.get(_base(world, case)).get_data(as_text=True)
    assert "This audit round is closed" in page
    assert "Check your answers and submit" not in page
    response = agency_client.post(
        f"{_base(world, case)}/sections/{first.id}",
        data={**_first_section_answers(first), "csrf_token": _token(agency_client, world)},
    )
    assert response.status_code == 200
    session.expire_all()
    assert session.scalars(select(SectionReturn)).all() == []


def test_submitted_page_before_submission_goes_back_to_the_case(agency_client, world, case):
    response = agency_client.get(f"{_base(world, case)}/submitted")
    assert response.status_code == 302 and response.headers["Location"] == _base(world, case)
