"""The heat map, flags and criteria pages, the panel's view and an agency's scorecard,
in a real browser with axe checks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CYCLE = "Section 11 audit 2026 to 2028"


def test_pqa_dashboards(page, sign_in, check_accessibility):
    sign_in(page, "pqa@example.org")
    page.get_by_role("navigation", name="Menu").get_by_role(
        "link", name="Cycles", exact=True
    ).click()
    page.get_by_role("link", name=CYCLE, exact=True).click()
    page.get_by_role("link", name="Heat map").click()
    heat_map = page.locator("table.app-heat-map")
    expect(heat_map).to_contain_text("Demo Academy Trust")
    expect(heat_map.locator("tfoot")).to_contain_text("Partnership (mean of agencies)")
    check_accessibility(page)
    page.get_by_role("link", name="lowest score first").click()
    check_accessibility(page)

    page.get_by_role("navigation", name="Cycle views").get_by_role("link", name="Flags").click()
    expect(page.locator("main table")).to_contain_text("Return not started")
    check_accessibility(page)
    page.get_by_label("Severity").select_option("high")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("main table tbody")).not_to_contain_text("Return not started")
    check_accessibility(page)

    page.get_by_role("navigation", name="Cycle views").get_by_role("link", name="Criteria").click()
    expect(page.locator("main")).to_contain_text("Not applicable")
    check_accessibility(page)


def test_panel_member_sees_where_to_press(page, sign_in, check_accessibility):
    sign_in(page, "panel@example.org")
    page.get_by_role("link", name=CYCLE, exact=True).click()
    expect(page.locator("table.app-heat-map")).to_be_visible()
    check_accessibility(page)
    page.locator("table.app-heat-map tbody th a").first.click()
    expect(page.locator("main")).not_to_contain_text("Reopen this return")
    check_accessibility(page)


def test_agency_scorecard(page, sign_in, check_accessibility):
    sign_in(page, "lead.health@example.org")
    page.get_by_role("link", name=CYCLE, exact=True).click()
    page.get_by_role("link", name="See your scorecard and flags").click()
    expect(page.locator("main")).to_contain_text("Partnership average")
    expect(page.locator("main")).not_to_contain_text("Shire Constabulary")
    check_accessibility(page)
