"""Heat map, flags and criteria pages: numbers traceable by hand, flags as expected,
and a cost that does not grow with the number of agencies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import event, select

from audit_tool import clock
from audit_tool.bench_seed import LARGE_SLUG, Scale, seed
from audit_tool.models import (
    AssessmentStatus,
    AuditCycle,
    CaseAuditRound,
    CycleStatus,
    EvidenceItem,
    Panel,
    PanelAgency,
    PanelStatus,
    Partnership,
    Sector,
    User,
    utcnow,
)
from audit_tool.return_rules import percent_complete
from audit_tool.services import assessments as svc
from audit_tool.services import cycles, heat_map
from audit_tool.services.api_tokens import create_token
from audit_tool.services.assessments import AnswerInput

from .factories import PASSWORD

DUE = clock.today() + timedelta(days=60)


def _answer(session, assessment, criterion, by, level, **extra):
    return svc.save_answer(
        session,
        assessment=assessment,
        criterion=criterion,
        seen_version=0,
        answer=AnswerInput(level_key=level, **extra),
        by=by,
    )


@pytest.fixture
def scenario(make, world, session):
    """Three agencies; the police and health trust answer parts of standard 1."""
    council = make.agency(world.partnership, "Test Council", sector=Sector.LOCAL_AUTHORITY)
    cycle = make.cycle(world.partnership)
    by_agency = {a.agency_id: a for a in cycle.assessments}
    police, health = by_agency[world.police.id], by_agency[world.health.id]
    standard = svc.load_return(session, police).standards[0].standard
    c1, c2, c3 = standard.criteria[:3]
    _answer(session, police, c1, world.police_lead, "blue")  # 100, no evidence
    _answer(session, police, c2, world.police_lead, "amber", evidence="Some")  # 40, no action
    if c3.allow_na:
        _answer(session, police, c3, world.police_lead, "na")
    _answer(
        session,
        health,
        c1,
        world.health_lead,
        "red",
        evidence="Gap",
        action="Appoint a lead",
        action_owner="Director",
        action_due=DUE,
    )
    session.flush()
    return {
        "cycle": cycle,
        "standard": standard,
        "c1": c1,
        "c2": c2,
        "c3": c3,
        "council": council,
        "police": police,
        "health": health,
    }


def _cell(page: str, agency: str, column: int) -> str:
    soup = BeautifulSoup(page, "html.parser")
    row = next(r for r in soup.select("table.app-heat-map tbody tr") if agency in r.get_text())
    cells = row.find_all(["th", "td"])
    return cells[column].get_text(" ", strip=True)


def test_heat_map_cells_can_be_traced_by_hand(pqa_client, world, scenario):
    page = pqa_client.get(
        f"/p/{world.partnership.slug}/pqa/cycles/{scenario['cycle'].id}/dashboard"
    ).get_data(as_text=True)
    # Columns: agency, sector, return, overall, then standard 1.
    # Police, standard 1: blue (100) and amber (40); N/A and unrated left out.
    assert _cell(page, "Test Police", 4).startswith("70")
    # Health trust: red (0).
    assert _cell(page, "Test Health Trust", 4).startswith("0")
    # Council: nothing rated.
    assert "Not scored" in _cell(page, "Test Council", 4)
    soup = BeautifulSoup(page, "html.parser")
    footer = soup.select_one("table.app-heat-map tfoot tr").find_all(["th", "td"])
    # Partnership: mean of the agencies that have a score: (70 + 0) / 2.
    assert footer[2].get_text(" ", strip=True).startswith("35")
    assert "nearest rating" in _cell(page, "Test Police", 4)  # colour is never alone


def test_flags_match_a_hand_written_list(pqa_client, world, scenario):
    page = pqa_client.get(
        f"/p/{world.partnership.slug}/pqa/cycles/{scenario['cycle'].id}/flags"
    ).get_data(as_text=True)
    rows = [
        tuple(td.get_text(" ", strip=True) for td in tr.find_all("td"))
        for tr in BeautifulSoup(page, "html.parser").select("tbody tr")
    ]
    c1, c2 = scenario["c1"], scenario["c2"]
    expected = {
        ("High", "Test Health Trust", "Lowest rating"),
        ("High", "Test Police", "No action where one is needed"),
        ("Medium", "Test Police", "Unevidenced claim"),
        ("Low", "Test Council", "Return not started"),
    }
    if c1.essential:
        expected.add(("High", "Test Health Trust", "Essential criterion not fully met"))
    if c2.essential:
        expected.add(("High", "Test Police", "Essential criterion not fully met"))
    assert {row[:3] for row in rows} == expected


def _flag_rows(client, url) -> str:
    page = client.get(url).get_data(as_text=True)
    return BeautifulSoup(page, "html.parser").select_one("main table tbody").get_text(" ")


def test_flags_can_be_filtered(pqa_client, world, scenario):
    base = f"/p/{world.partnership.slug}/pqa/cycles/{scenario['cycle'].id}/flags"
    rows = _flag_rows(pqa_client, f"{base}?severity=low")
    assert "Return not started" in rows and "Lowest rating" not in rows
    rows = _flag_rows(pqa_client, f"{base}?agency={world.health.id}&kind=lowest_rating")
    assert "Test Health Trust" in rows and "Unevidenced claim" not in rows


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("severity=urgent", "severity"),
        ("agency=abc", "agency"),
        ("kind=x", "kind"),
        ("standard=ST99", "standard"),
    ],
)
def test_malformed_filters_are_a_400_naming_the_parameter(
    pqa_client, world, scenario, query, parameter
):
    response = pqa_client.get(
        f"/p/{world.partnership.slug}/pqa/cycles/{scenario['cycle'].id}/flags?{query}"
    )
    assert response.status_code == 400
    assert f"<code>{parameter}</code>" in response.get_data(as_text=True)


def _rows(page: str) -> list[str]:
    soup = BeautifulSoup(page, "html.parser")
    return [
        row.find("th").get_text(strip=True) for row in soup.select("table.app-heat-map tbody tr")
    ]


def test_the_heat_map_shows_a_page_of_agencies_and_every_agencys_means(
    pqa_client, world, scenario, monkeypatch
):
    monkeypatch.setattr(heat_map, "PER_PAGE", 2)
    base = f"/p/{world.partnership.slug}/pqa/cycles/{scenario['cycle'].id}/dashboard"
    first = pqa_client.get(base).get_data(as_text=True)
    assert _rows(first) == ["Test Council", "Test Health Trust"]
    assert "Showing agencies 1 to 2 of 3, 2 a page" in first
    second = pqa_client.get(f"{base}?page=2").get_data(as_text=True)
    assert _rows(second) == ["Test Police"]
    assert _cell(second, "Test Police", 4).startswith("70")
    for page in (first, second):
        footer = BeautifulSoup(page, "html.parser").select_one("table.app-heat-map tfoot tr")
        assert footer.find_all(["th", "td"])[2].get_text(" ", strip=True).startswith("35")

    # The order runs across pages; the page links keep it, the order links start again.
    soup = BeautifulSoup(pqa_client.get(f"{base}?sort=score").get_data(as_text=True), "html.parser")
    assert [row.find("th").get_text(strip=True) for row in soup.select("tbody tr")] == [
        "Test Health Trust",
        "Test Police",
    ]
    nav = soup.find("nav", class_="govuk-pagination")
    assert nav["aria-label"] == "Pages of the heat map"
    assert nav.find("a", rel="next")["href"] == f"{base}?sort=score&page=2"
    assert soup.find("a", string="agency name")["href"] == f"{base}?sort=agency"
    third = pqa_client.get(f"{base}?sort=score&page=2").get_data(as_text=True)
    assert _rows(third) == ["Test Council"]  # not scored: last


def test_a_heat_map_on_one_page_has_no_page_links(pqa_client, world, scenario):
    base = f"/p/{world.partnership.slug}/pqa/cycles/{scenario['cycle'].id}/dashboard"
    page = pqa_client.get(base).get_data(as_text=True)
    assert 'class="govuk-pagination' not in page and "Showing agencies" not in page


@pytest.mark.parametrize("page", ["0", "x", "1&page=1"])
def test_a_bad_page_is_a_400_and_one_past_the_last_a_404(pqa_client, world, scenario, page):
    base = f"/p/{world.partnership.slug}/pqa/cycles/{scenario['cycle'].id}/dashboard"
    response = pqa_client.get(f"{base}?page={page}")
    assert response.status_code == 400
    assert "<code>page</code>" in response.get_data(as_text=True)
    assert pqa_client.get(f"{base}?page=2").status_code == 404


def test_bad_sort_is_a_400_and_sorts_work(pqa_client, world, scenario):
    base = f"/p/{world.partnership.slug}/pqa/cycles/{scenario['cycle'].id}/dashboard"
    assert pqa_client.get(f"{base}?sort=colour").status_code == 400
    page = pqa_client.get(f"{base}?sort=score").get_data(as_text=True)
    assert page.index("Test Health Trust") < page.index("Test Police")


def test_unknown_and_draft_cycles_are_404(pqa_client, make, world):
    assert (
        pqa_client.get(f"/p/{world.partnership.slug}/pqa/cycles/999999/dashboard").status_code
        == 404
    )
    draft = make.cycle(world.partnership, opened=False)
    assert (
        pqa_client.get(f"/p/{world.partnership.slug}/pqa/cycles/{draft.id}/flags").status_code
        == 404
    )


def test_criteria_page_shows_the_distribution(pqa_client, world, scenario):
    page = pqa_client.get(
        f"/p/{world.partnership.slug}/pqa/cycles/{scenario['cycle'].id}/criteria"
    ).get_data(as_text=True)
    soup = BeautifulSoup(page, "html.parser")
    row = next(r for r in soup.select("tbody tr") if scenario["c1"].title in r.get_text())
    cells = [c.get_text(" ", strip=True) for c in row.find_all("td")]
    # Levels high to low (blue, green, amber, red), then not applicable, not rated.
    assert cells == ["1 (50%)", "0 (0%)", "0 (0%)", "1 (50%)", "0", "1"]


def test_agency_scorecard_never_names_another_agency(agency_client, world, scenario):
    url = f"/p/{world.partnership.slug}/agency/returns/{scenario['police'].id}/scorecard"
    page = agency_client.get(url).get_data(as_text=True)
    assert "Test Health Trust" not in page and "Test Council" not in page
    assert "Unevidenced claim" in page and "Lowest rating" not in page
    assert (
        agency_client.get(
            f"/p/{world.partnership.slug}/agency/returns/{scenario['health'].id}/scorecard"
        ).status_code
        == 404
    )


def test_panel_members_see_the_heat_map_and_returns(panel_client, world, scenario):
    base = f"/p/{world.partnership.slug}/panel/cycles/{scenario['cycle'].id}"
    assert "Test Police" in panel_client.get(f"{base}/dashboard").get_data(as_text=True)
    page = panel_client.get(f"{base}/returns/{scenario['police'].id}").get_data(as_text=True)
    assert "Reopen this return" not in page


def test_the_returns_tracker_agrees_with_each_returns_task_list(session):
    """The tracker works out every return's progress from plain rows; each return's
    task list from its answers and their evidence items, as objects."""
    today = clock.today()
    seed(
        session,
        scale=Scale(partnerships=1, agencies=12, large_agencies=0),
        password=PASSWORD,
        today=today,
    )
    cycle = session.scalar(
        select(AuditCycle)
        .join(Partnership)
        .where(Partnership.slug == "bench-01", AuditCycle.status == CycleStatus.OPEN)
    )

    def percents() -> dict[int, int]:
        session.flush()
        session.expire_all()
        rows = cycles.tracker(session, cycle, today=today)
        assert len(rows) == 12
        for row in rows:
            answers = svc.load_return(session, row.assessment).answers
            submitted = row.assessment.status is AssessmentStatus.SUBMITTED
            expected = 100 if submitted else percent_complete(answers, today=today)
            assert row.percent_complete == expected, row.assessment.agency.name
        return {row.assessment.id: row.percent_complete for row in rows}

    before = percents()
    assert len(set(before.values())) > 2
    # An answer complete by an evidence item alone, then with the item removed.
    assessment = next(
        a for a in cycle.assessments if a.status is AssessmentStatus.IN_PROGRESS and a.responses
    )
    green = next(level for level in cycle.framework_version.levels if level.key == "green")
    assert green.needs_evidence and not green.needs_action
    response = assessment.responses[0]
    response.level, response.not_applicable, response.review_needed = green, False, False
    response.evidence = response.action = response.action_owner = ""
    response.action_due = None
    item = EvidenceItem(response=response, title="Policy")
    session.add(item)
    with_item = percents()[assessment.id]
    item.removed_at = utcnow()
    assert percents()[assessment.id] < with_item


def _statements(app, client, url) -> int:
    engine = app.extensions["database"].engine
    count = 0

    def counter(*_args):
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counter)
    try:
        response = client.get(url)
        assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count


@pytest.mark.slow
def test_query_count_is_flat_from_5_to_50_agencies(app, session, client_for):
    """The same statements per page for a partnership of 5 agencies as for one of 50, on
    bench-seed data: two cycles, moderated ratings, evidence items, tracked actions, case
    audits. The 50 agencies have more answers and actions than SQLAlchemy's
    `selectinload` loads in one batch (500), so a page loading them that way grows."""
    seed(
        session,
        scale=Scale(partnerships=1, agencies=5, large_agencies=50),
        password=PASSWORD,
        today=clock.today(),
    )
    counts = {}
    for slug in ("bench-01", LARGE_SLUG):
        partnership = session.scalar(select(Partnership).where(Partnership.slug == slug))
        pqa = session.scalar(select(User).where(User.email == f"pqa@{slug}.example.org"))
        cycle = session.scalar(
            select(AuditCycle).where(
                AuditCycle.partnership_id == partnership.id,
                AuditCycle.status == CycleStatus.OPEN,
            )
        )
        panel_id, attendance_id = session.execute(
            select(Panel.id, PanelAgency.id)
            .join(PanelAgency)
            .where(Panel.cycle_id == cycle.id, Panel.status == PanelStatus.SIGNED_OFF)
            .limit(1)
        ).one()
        round_id = session.scalar(
            select(CaseAuditRound.id).where(CaseAuditRound.partnership_id == partnership.id)
        )
        _, token = create_token(session, user=pqa, partnership=partnership, name="t", by=pqa)
        session.flush()
        client = client_for(pqa)
        base = f"/p/{slug}/pqa"
        pages = [
            f"{base}/cycles/{cycle.id}/{page}"
            for page in ("dashboard", "dashboard?sort=score", "flags", "criteria")
        ] + [
            f"{base}/cycles/{cycle.id}",
            f"{base}/actions",
            f"{base}/panels/{panel_id}/agencies/{attendance_id}/pack",
            f"{base}/case-rounds/{round_id}",
            f"{base}/case-rounds/{round_id}/analysis",
        ]
        counts[slug] = [_statements(app, client, url) for url in pages]
        api = app.test_client()
        api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        counts[slug] += [
            _statements(app, api, f"/api/v1/cycles/{cycle.id}/{what}")
            for what in ("scores", "flags")
        ]
    assert counts["bench-01"] == counts[LARGE_SLUG], counts
