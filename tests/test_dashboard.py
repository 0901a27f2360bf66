"""Heat map, flags and criteria pages: numbers traceable by hand, flags as expected,
and a cost that does not grow with the number of agencies."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import event

from audit_tool.models import Role, Sector
from audit_tool.services import assessments as svc
from audit_tool.services.assessments import AnswerInput

DUE = date.today() + timedelta(days=60)


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


def _partnership_with(make, session, agencies: int):
    partnership = make.partnership()
    pqa = make.user(partnership, Role.PQA_ADMIN)
    for n in range(agencies):
        make.agency(partnership, f"Agency {n:03d}", sector=list(Sector)[n % len(Sector)])
    cycle = make.cycle(partnership)
    for assessment in cycle.assessments:
        criteria = svc.load_return(session, assessment).standards[0].entries
        for entry in criteria[:2]:
            _answer(session, assessment, entry.criterion, pqa, "green", evidence="Yes")
    session.flush()
    return partnership, pqa, cycle


@pytest.mark.slow
def test_query_count_is_flat_from_5_to_50_agencies(app, make, session, client_for):
    counts = {}
    for size in (5, 50):
        partnership, pqa, cycle = _partnership_with(make, session, size)
        client = client_for(pqa)
        base = f"/p/{partnership.slug}/pqa/cycles/{cycle.id}"
        counts[size] = [
            _statements(app, client, f"{base}/{page}")
            for page in ("dashboard", "flags", "criteria")
        ]
    assert counts[5] == counts[50], counts
