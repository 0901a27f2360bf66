"""Case-audit rounds and cases through PQA's pages: creating a round, adding pseudonymous
cases with generated references, opening, closing and reopening, and the refusals that
keep cases pseudonymous and agencies' work safe."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from audit_tool import clock
from audit_tool.models import (
    AgeBand,
    AuditCase,
    CaseAuditRound,
    CaseReturn,
    CaseReturnStatus,
    PlanType,
    Role,
    RoundStatus,
    utcnow,
)
from audit_tool.services import DomainError
from audit_tool.services import case_rounds as svc

from .conftest import audit_events

TODAY = clock.today()


def _date(value: date) -> list[str]:
    return [str(value.day), str(value.month), str(value.year)]


def _round_data(version, **overrides) -> dict:
    data = {
        "name": "Domestic abuse audit",
        "template_version": str(version.id),
        "lookback_from": _date(date(2025, 4, 1)),
        "lookback_to": _date(date(2026, 3, 31)),
        "due_on": _date(TODAY + timedelta(days=30)),
        "moderation_on": _date(TODAY + timedelta(days=45)),
    }
    return {**data, **overrides}


def _case_data(*agencies, **overrides) -> dict:
    data = {
        "age_band": AgeBand.AGE_5_9.value,
        "plan_type": PlanType.CHILD_PROTECTION.value,
        "selection_reason": "Open to social care throughout the period",
        "agencies": [str(a.id) for a in agencies],
    }
    return {**data, **overrides}


@pytest.fixture
def version(make):
    return make.case_template()


@pytest.fixture
def base(world):
    return f"/p/{world.partnership.slug}/pqa/case-rounds"


def _only_round(session) -> CaseAuditRound:
    session.expire_all()
    return session.scalars(select(CaseAuditRound)).one()


def test_creating_a_round_shows_each_error_then_saves_a_draft(pqa_client, session, base, version):
    page = pqa_client.submit(f"{base}/new", {}).get_data(as_text=True)
    for message in (
        "Enter a name for the round",
        "Select an audit template",
        "Enter the start of the look-back period",
        "Enter the end of the look-back period",
        "Enter the deadline for agencies&#39; returns",
    ):
        assert message in page
    backwards = _round_data(
        version, lookback_from=_date(date(2026, 3, 31)), lookback_to=_date(date(2025, 4, 1))
    )
    page = pqa_client.submit(f"{base}/new", backwards).get_data(as_text=True)
    assert "The end of the look-back period must be after its start" in page
    early = _round_data(version, moderation_on=_date(TODAY + timedelta(days=29)))
    page = pqa_client.submit(f"{base}/new", early).get_data(as_text=True)
    assert "The moderation meeting must be on or after the deadline for returns" in page
    assert session.scalars(select(CaseAuditRound)).first() is None

    response = pqa_client.submit(f"{base}/new", _round_data(version))
    assert response.status_code == 302
    created = _only_round(session)
    assert created.status is RoundStatus.DRAFT
    assert created.theme == version.template.theme
    assert response.headers["Location"].endswith(f"/case-rounds/{created.id}")
    (event,) = audit_events(session, "case_round_created")
    assert event.data == {"name": "Domestic abuse audit", "template": version.label}


def test_the_template_list_offers_only_published_visible_versions(
    pqa_client, session, make, world, base, version
):
    from audit_tool.models import FrameworkStatus

    draft = make.case_template()
    draft.status = FrameworkStatus.DRAFT
    others = make.case_template(world.other_partnership)
    own = make.case_template(world.partnership)
    session.flush()
    offered = svc.usable_template_versions(session, world.partnership)
    assert version in offered and own in offered
    assert draft not in offered and others not in offered
    page = pqa_client.submit(f"{base}/new", _round_data(others)).get_data(as_text=True)
    assert "Not a valid choice" in page


def test_references_are_generated_per_prefix_and_year_across_rounds(
    pqa_client, session, make, world, base, version
):
    pqa_client.submit(f"{base}/new", _round_data(version))
    audit_round = _only_round(session)
    url = f"{base}/{audit_round.id}/cases/new"
    assert "TT-2026-01" in pqa_client.get(url).get_data(as_text=True)
    for _ in range(2):
        response = pqa_client.submit(url, _case_data(world.police, world.health))
        assert response.status_code == 302
    session.expire_all()
    cases = session.scalars(select(AuditCase).order_by(AuditCase.id)).all()
    assert [c.reference for c in cases] == ["TT-2026-01", "TT-2026-02"]
    assert [c.sequence for c in cases] == [1, 2]
    assert {r.agency_id for r in cases[0].returns} == {world.police.id, world.health.id}
    assert all(r.status is CaseReturnStatus.NOT_STARTED for r in cases[0].returns)
    (event, _) = audit_events(session, "case_added")
    assert event.data == {
        "reference": "TT-2026-01",
        "agencies": ["Test Health Trust", "Test Police"],
    }

    # A second round with the same prefix and year carries on the numbering; another
    # partnership and another year start again.
    again = svc.create_round(
        session,
        partnership=world.partnership,
        name="Second",
        template_version=version,
        lookback_from=date(2025, 6, 1),
        lookback_to=date(2026, 5, 31),
        due_on=TODAY,
        moderation_on=None,
        by=world.pqa,
    )
    case = svc.add_case(
        session,
        audit_round=again,
        age_band=AgeBand.UNDER_1,
        plan_type=PlanType.EARLY_HELP,
        selection_reason="",
        agencies=[world.police],
        by=world.pqa,
    )
    assert case.reference == "TT-2026-03"
    next_year = svc.next_reference(session, partnership=world.partnership, prefix="TT", year=2027)
    assert next_year == "TT-2027-01"
    theirs = svc.next_reference(
        session, partnership=world.other_partnership, prefix="TT", year=2026
    )
    assert theirs == "TT-2026-01"


@pytest.mark.parametrize(
    ("reason", "found"),
    [
        ("NHS number 943 476 5919 on the referral", "an NHS number"),
        ("Born on 12/03/2015, open since", "a date of birth"),
        ("Child called Jayden lives with mother", "a name"),
        ("Family at 14 Acacia Avenue", "an address"),
    ],
)
def test_identifying_text_blocks_saving_a_case(
    pqa_client, session, world, base, version, reason, found
):
    audit_round = svc.create_round(
        session,
        partnership=world.partnership,
        name="Round",
        template_version=version,
        lookback_from=date(2025, 4, 1),
        lookback_to=date(2026, 3, 31),
        due_on=TODAY,
        moderation_on=None,
        by=world.pqa,
    )
    session.flush()
    response = pqa_client.submit(
        f"{base}/{audit_round.id}/cases/new", _case_data(world.police, selection_reason=reason)
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Why the case was selected (optional) looks like it includes {found}" in page
    assert session.scalars(select(AuditCase)).first() is None


def test_a_case_needs_an_age_band_a_plan_and_an_agency(pqa_client, session, make, world, base):
    audit_round = make.case_round(world.partnership, [], status=RoundStatus.DRAFT)
    page = pqa_client.submit(f"{base}/{audit_round.id}/cases/new", {}).get_data(as_text=True)
    for message in (
        "Select the child&#39;s age band",
        "Select the plan the child was on when the case was selected",
        "Select at least one agency involved",
    ):
        assert message in page
    # Another partnership's agency is not a choice.
    page = pqa_client.submit(
        f"{base}/{audit_round.id}/cases/new", _case_data(world.other_agency)
    ).get_data(as_text=True)
    assert "Error:" in page
    assert session.scalars(select(AuditCase)).first() is None


def test_opening_needs_a_case_with_an_agency(pqa_client, session, make, world, base):
    audit_round = make.case_round(world.partnership, [], status=RoundStatus.DRAFT)
    url = f"{base}/{audit_round.id}"
    page = pqa_client.submit(url, {}, action=f"{url}/open", follow_redirects=True)
    assert "Add at least one case before opening the round" in page.get_data(as_text=True)
    assert _only_round(session).status is RoundStatus.DRAFT
    assert audit_events(session, "case_round_opened") == []

    pqa_client.submit(f"{url}/cases/new", _case_data(world.police))
    pqa_client.submit(url, {}, action=f"{url}/open")
    assert _only_round(session).status is RoundStatus.OPEN
    assert len(audit_events(session, "case_round_opened")) == 1


def test_a_case_without_agencies_stops_the_round_opening(session, make, world):
    audit_round = make.case_round(world.partnership, [[]], status=RoundStatus.DRAFT)
    reference = audit_round.cases[0].reference
    with pytest.raises(DomainError, match=f"Add the agencies involved in {reference}"):
        svc.open_round(session, audit_round=audit_round, by=world.pqa)


def test_editing_a_case_keeps_agencies_that_have_started(pqa_client, session, make, world, base):
    third = make.agency(world.partnership, "Test Council")
    audit_round = make.case_round(world.partnership, [[world.police, world.health]])
    case = audit_round.cases[0]
    police = next(r for r in case.returns if r.agency_id == world.police.id)
    police.status = CaseReturnStatus.IN_PROGRESS
    session.flush()
    url = f"{base}/{audit_round.id}/cases/{case.id}/edit"
    page = pqa_client.submit(url, _case_data(world.health)).get_data(as_text=True)
    assert "Test Police cannot be removed from this case" in page
    # Taking off an agency that has not started, and adding another, is fine.
    response = pqa_client.submit(
        url, _case_data(world.police, third, age_band=AgeBand.AGE_10_15.value)
    )
    assert response.status_code == 302
    session.expire_all()
    case = session.get(AuditCase, case.id)
    assert {r.agency_id for r in case.returns} == {world.police.id, third.id}
    assert case.age_band is AgeBand.AGE_10_15
    (event,) = audit_events(session, "case_updated")
    assert event.data["before"]["agencies"] == ["Test Health Trust", "Test Police"]
    assert event.data["after"]["agencies"] == ["Test Council", "Test Police"]


def test_cases_are_removed_only_from_a_draft_round(pqa_client, session, make, world, base):
    audit_round = make.case_round(world.partnership, [[world.police]])
    case = audit_round.cases[0]
    reference = case.reference
    url = f"{base}/{audit_round.id}"
    # No remove button on an open round; a crafted POST is refused.
    token = pqa_client.csrf_token(url, f"{url}/close")
    page = pqa_client.post(
        f"{url}/cases/{case.id}/remove", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Cases can only be removed while the round is a draft" in page
    assert session.get(AuditCase, case.id) is not None

    audit_round.status = RoundStatus.DRAFT
    session.flush()
    pqa_client.submit(url, {}, action=f"{url}/cases/{case.id}/remove")
    session.expire_all()
    assert session.scalars(select(AuditCase)).first() is None
    assert session.scalars(select(CaseReturn)).first() is None
    (event,) = audit_events(session, "case_removed")
    assert event.data == {"reference": reference}


def test_close_and_reopen_a_round_with_a_reason(pqa_client, session, make, world, base):
    audit_round = make.case_round(world.partnership, [[world.police]])
    url = f"{base}/{audit_round.id}"
    pqa_client.submit(url, {}, action=f"{url}/close")
    assert _only_round(session).status is RoundStatus.CLOSED
    # A closed round's details and cases cannot be changed.
    page = pqa_client.get(f"{url}/edit", follow_redirects=True).get_data(as_text=True)
    assert "This round is closed. Reopen it to change its details." in page
    page = pqa_client.get(f"{url}/cases/new", follow_redirects=True).get_data(as_text=True)
    assert "Reopen it to add cases" in page

    page = pqa_client.submit(f"{url}/reopen", {"reason": ""}).get_data(as_text=True)
    assert "Enter why you are reopening it" in page
    pqa_client.submit(f"{url}/reopen", {"reason": "The meeting missed a section"})
    reopened = _only_round(session)
    assert reopened.status is RoundStatus.OPEN
    assert reopened.reopened_reason == "The meeting missed a section"
    (event,) = audit_events(session, "case_round_reopened")
    assert event.data == {"name": reopened.name, "reason": "The meeting missed a section"}


def test_editing_a_round_is_audited_and_the_template_is_fixed_once_open(
    pqa_client, session, make, world, base, version
):
    audit_round = make.case_round(world.partnership, [[world.police]], version=version)
    other = make.case_template()
    url = f"{base}/{audit_round.id}/edit"
    page = pqa_client.submit(url, _round_data(other)).get_data(as_text=True)
    assert "The template cannot be changed once the round is open" in page
    response = pqa_client.submit(url, _round_data(version, name="Renamed round"))
    assert response.status_code == 302
    assert _only_round(session).name == "Renamed round"
    (event,) = audit_events(session, "case_round_updated")
    assert event.data["after"]["name"] == "Renamed round"


def test_pqa_reopens_a_submitted_return(pqa_client, session, make, world, base):
    audit_round = make.case_round(world.partnership, [[world.police, world.health]])
    case = audit_round.cases[0]
    health = next(r for r in case.returns if r.agency_id == world.health.id)
    url = f"{base}/{audit_round.id}/cases/{case.id}/returns/{world.health.id}/reopen"
    page = pqa_client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "has not submitted its audit" in page

    health.status = CaseReturnStatus.SUBMITTED
    health.submitted_at = utcnow()
    session.flush()
    page = pqa_client.submit(url, {}).get_data(as_text=True)
    assert "Enter why you are reopening it" in page
    pqa_client.submit(url, {"reason": "Section 2 is missing its comments"})
    session.expire_all()
    health = session.get(CaseReturn, health.id)
    assert health.status is CaseReturnStatus.REOPENED
    assert health.reopened_reason == "Section 2 is missing its comments"
    (event,) = audit_events(session, "case_return_reopened")
    assert event.data == {
        "reference": case.reference,
        "agency": "Test Health Trust",
        "reason": "Section 2 is missing its comments",
    }
    # An agency not on the case is not found.
    other = f"{base}/{audit_round.id}/cases/{case.id}/returns/{world.other_agency.id}/reopen"
    assert pqa_client.get(other).status_code == 404


def test_the_round_page_tracks_returns_with_overdue_and_late_tags(
    pqa_client, panel_client, session, make, world, base
):
    audit_round = make.case_round(
        world.partnership, [[world.police, world.health]], due_on=TODAY - timedelta(days=3)
    )
    case = audit_round.cases[0]
    police = next(r for r in case.returns if r.agency_id == world.police.id)
    police.status = CaseReturnStatus.SUBMITTED
    police.submitted_at = utcnow()  # after the deadline: late
    session.flush()
    tracker = svc.tracker(audit_round, today=TODAY)
    (row,) = tracker.rows
    assert [(r.case_return.agency.name, r.overdue, r.late) for r in row.returns] == [
        ("Test Health Trust", True, False),
        ("Test Police", False, True),
    ]
    assert (tracker.submitted, tracker.expected, tracker.overdue) == (1, 2, 1)

    page = pqa_client.get(f"{base}/{audit_round.id}").get_data(as_text=True)
    assert case.reference in page and "Overdue" in page and "Late" in page
    assert "Close the round" in page and "Reopen" in page
    panel_page = panel_client.get(
        f"/p/{world.partnership.slug}/panel/case-rounds/{audit_round.id}"
    ).get_data(as_text=True)
    assert case.reference in panel_page and "Overdue" in panel_page
    assert "Close the round" not in panel_page and "Reopen" not in panel_page
    listing = pqa_client.get(base).get_data(as_text=True)
    assert audit_round.name in listing and "1 of 2" in listing and "1 overdue" in listing


def test_each_case_on_the_round_page_lists_only_its_own_agencies(pqa_client, make, world, base):
    audit_round = make.case_round(world.partnership, [[world.police], [world.health, world.police]])
    first, second = audit_round.cases
    soup = pqa_client.soup(f"{base}/{audit_round.id}")
    listed = {
        row.find("th").find(class_="app-reference").get_text(strip=True): [
            name.get_text(strip=True) for name in row.select(".app-return-list__agency")
        ]
        for row in soup.select("table.govuk-table tbody tr")
    }
    assert listed == {
        first.reference: [world.police.name],
        second.reference: [world.health.name, world.police.name],
    }
    assert "Not involved" not in soup.get_text()


def test_the_panel_sees_rounds_once_they_are_open(panel_client, session, make, world):
    draft = make.case_round(world.partnership, [[world.police]], status=RoundStatus.DRAFT)
    opened = make.case_round(world.partnership, [[world.police]])
    slug = world.partnership.slug
    listing = panel_client.get(f"/p/{slug}/panel/case-rounds").get_data(as_text=True)
    assert opened.name in listing and draft.name not in listing
    assert panel_client.get(f"/p/{slug}/panel/case-rounds/{draft.id}").status_code == 404
    assert panel_client.get(f"/p/{slug}/panel/cases/{draft.cases[0].id}").status_code == 404


def test_another_partnerships_round_and_case_are_not_found(pqa_client, session, make, world, base):
    theirs = make.case_round(world.other_partnership, [[world.other_agency]])
    case = theirs.cases[0]
    ours = make.case_round(world.partnership, [[world.police]])
    for url in (
        f"{base}/{theirs.id}",
        f"{base}/{theirs.id}/edit",
        f"{base}/{theirs.id}/cases/new",
        f"{base}/{theirs.id}/cases/{case.id}/edit",
        # Our round, their case: the case must belong to the round in the URL.
        f"{base}/{ours.id}/cases/{case.id}/edit",
        f"{base}/{ours.id}/cases/{ours.cases[0].id + 10_000}/edit",
    ):
        assert pqa_client.get(url).status_code == 404, url
    token = pqa_client.csrf_token(f"{base}/{ours.id}")
    for url in (f"{base}/{theirs.id}/close", f"{base}/{theirs.id}/cases/{case.id}/remove"):
        assert pqa_client.post(url, data={"csrf_token": token}).status_code == 404
    session.expire_all()
    assert session.get(CaseAuditRound, theirs.id).status is RoundStatus.OPEN


def test_only_pqa_manages_rounds(client_for, make, world, base, session):
    audit_round = make.case_round(world.partnership, [[world.police]], status=RoundStatus.DRAFT)
    lead = client_for(world.police_lead)
    panel = client_for(world.panel)
    for person in (lead, panel):
        assert person.get(f"{base}/new").status_code == 403
        assert person.get(f"{base}/{audit_round.id}/cases/new").status_code == 403
    other_pqa = make.user(world.other_partnership, Role.PQA_ADMIN, name="Also Other")
    assert client_for(other_pqa).get(f"{base}/{audit_round.id}").status_code == 403


def test_every_role_reaches_case_audits_from_the_navigation(
    agency_client, panel_client, pqa_client, make, world
):
    make.case_round(world.partnership, [[world.police]])
    slug = world.partnership.slug
    for client, area, home, listing in (
        (agency_client, "agency", f"/p/{slug}/agency/", f"/p/{slug}/agency/case-audits"),
        (panel_client, "panel", f"/p/{slug}/panel/", f"/p/{slug}/panel/case-rounds"),
        (pqa_client, "pqa", f"/p/{slug}/pqa/", f"/p/{slug}/pqa/case-rounds"),
    ):
        soup = client.soup(home)
        link = soup.select_one(f'.govuk-service-navigation a[href="{listing}"]')
        assert link is not None and link.get_text(strip=True) == "Case audits", area
        # Inside the case audits, that place is the one highlighted.
        soup = client.soup(listing)
        active = soup.select_one(".govuk-service-navigation__item--active a")
        assert active.get_text(strip=True) == "Case audits", area


def test_the_pqa_overview_lists_rounds_and_links_each_cycles_heat_map(pqa_client, make, world):
    audit_round = make.case_round(world.partnership, [[world.police]])
    cycle = make.cycle(world.partnership)
    slug = world.partnership.slug
    soup = pqa_client.soup(f"/p/{slug}/pqa/")
    assert soup.select_one(f'a[href="/p/{slug}/pqa/case-rounds/{audit_round.id}"]') is not None
    assert soup.select_one(f'a[href="/p/{slug}/pqa/cycles/{cycle.id}/dashboard"]') is not None
    assert "not available in this version" not in soup.get_text()
