"""Each demo role signs in with a real browser, sees its home page, and every page
visited passes axe-core's WCAG 2.2 AA checks with no serious or critical violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_sign_in_page_is_accessible_and_shows_errors(page, live_server, check_accessibility):
    page.goto(f"{live_server}/login")
    expect(page).to_have_title("Sign in – Safeguarding partnership audits")
    check_accessibility(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title("Error: Sign in – Safeguarding partnership audits")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter an email address")
    check_accessibility(page)


def test_agency_lead_sees_their_agency(page, sign_in, check_accessibility):
    sign_in(page, "lead.police@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your agency's safeguarding audits")
    expect(page.locator("main")).to_contain_text("Shire Constabulary")
    expect(page.locator("main")).not_to_contain_text("Demo Hospitals")
    check_accessibility(page)


def test_health_lead_sees_their_agency(page, sign_in, check_accessibility):
    sign_in(page, "lead.health@example.org")
    expect(page.locator("main")).to_contain_text("Demo Hospitals NHS Foundation Trust")
    expect(page.locator("main")).not_to_contain_text("Shire Constabulary")
    check_accessibility(page)


def test_panel_member_sees_the_panel_home(page, sign_in, check_accessibility):
    sign_in(page, "panel@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Challenge panel")
    check_accessibility(page)


def test_pqa_sees_the_partnership_and_administers_it(page, sign_in, check_accessibility):
    sign_in(page, "pqa@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Partnership overview")
    check_accessibility(page)
    for link, heading in [
        ("Agencies", "Agencies"),
        ("Users", "Users"),
        ("Audit trail", "Audit trail"),
        ("Settings", "Partnership settings"),
    ]:
        page.get_by_role("navigation", name="Menu").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check_accessibility(page)

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Agencies").click()
    page.get_by_role("link", name="Add an agency").click()
    page.get_by_role("button", name="Save agency").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the agency name")
    check_accessibility(page)
    page.get_by_label("Agency name").fill("Demo Ambulance Service")
    page.get_by_label("Health").check()
    page.get_by_role("button", name="Save agency").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Demo Ambulance Service added"
    )

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Patrick Nell").click()
    check_accessibility(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
