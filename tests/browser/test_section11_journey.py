"""The Section 11 journey in a real browser: the police lead starts the current cycle's
return, completes a standard, leaves and finds it saved, is shown what is missing,
completes and submits it; PQA sees it submitted and reopens it. Every page is checked
with axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CYCLE = "Section 11 audit 2026 to 2028"


def _answer_open_criterion(page) -> None:
    page.get_by_label("Blue – Exceeds").check()
    page.get_by_label("Evidence", exact=True).fill("Board-approved policy, audited in 2026")


def test_police_lead_completes_and_submits_and_pqa_reopens(
    browser, live_server, sign_in, check_accessibility
):
    lead = browser.new_context().new_page()
    sign_in(lead, "lead.police@example.org")
    lead.get_by_role("link", name=CYCLE, exact=True).click()
    check_accessibility(lead)
    lead.get_by_label("Start with a blank return").check()
    lead.get_by_role("button", name="Start your return").click()
    expect(lead.locator("main")).to_contain_text("0% complete")
    check_accessibility(lead)

    # Complete the first standard, criterion by criterion.
    first_standard = lead.locator(".govuk-task-list").first
    count = first_standard.locator(".govuk-task-list__link").count()
    first_standard.locator(".govuk-task-list__link").first.click()
    check_accessibility(lead)
    for _ in range(count):
        _answer_open_criterion(lead)
        lead.get_by_role("button", name="Save and continue").click()

    # Leave, come back: the standard is complete and the answers are there.
    lead.get_by_role("link", name="Your agency").click()
    lead.get_by_role("link", name=CYCLE, exact=True).click()
    expect(lead.locator("main h2.govuk-heading-m").first).to_contain_text("Completed")
    lead.locator(".govuk-task-list__link").first.click()
    expect(lead.get_by_label("Evidence", exact=True)).to_have_value(
        "Board-approved policy, audited in 2026"
    )
    lead.get_by_role("link", name="Back to the task list").click()

    # Try to submit with gaps: told exactly what is missing.
    lead.get_by_role("link", name="Check your answers and submit").click()
    check_accessibility(lead)
    lead.get_by_label("Name of the senior lead signing off this return").fill("Alex Chief")
    lead.get_by_label("Their job title").fill("Chief Constable")
    lead.get_by_role("button", name="Submit return").click()
    summary = lead.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Your return cannot be submitted yet")
    expect(summary).to_contain_text("Select a rating for")
    expect(lead).to_have_title(
        "Error: Check your answers before submitting – Safeguarding partnership audits"
    )
    check_accessibility(lead)

    # Answer everything else, then submit.
    lead.get_by_role("link", name="Back to the task list").click()
    remaining = lead.locator(".govuk-task-list__item", has_text="Not started")
    while remaining.count():
        remaining.first.locator(".govuk-task-list__link").click()
        _answer_open_criterion(lead)
        lead.get_by_role("button", name="Save and return to the task list").click()
    expect(lead.locator("main")).to_contain_text("100% complete")
    lead.get_by_role("link", name="Check your answers and submit").click()
    lead.get_by_label("Name of the senior lead signing off this return").fill("Alex Chief")
    lead.get_by_label("Their job title").fill("Chief Constable")
    lead.get_by_role("button", name="Submit return").click()
    expect(lead.locator(".govuk-panel__title")).to_have_text("Return submitted")
    check_accessibility(lead)
    lead.get_by_role("link", name="View your submitted return").click()
    expect(lead.locator("main")).to_contain_text("It can no longer be changed")
    lead.locator(".govuk-task-list__link").first.click()
    expect(lead.locator("input[name=rating]")).to_have_count(0)

    # PQA sees it submitted and reopens it.
    pqa = browser.new_context().new_page()
    sign_in(pqa, "pqa@example.org")
    pqa.get_by_role("link", name="Cycles", exact=True).click()
    pqa.get_by_role("link", name=CYCLE, exact=True).click()
    row = pqa.locator("tr", has_text="Shire Constabulary")
    expect(row).to_contain_text("Submitted")
    check_accessibility(pqa)
    row.get_by_role("link", name="Shire Constabulary").click()
    check_accessibility(pqa)
    pqa.get_by_role("link", name="Reopen this return").click()
    pqa.get_by_role("button", name="Reopen return").click()
    expect(pqa.locator(".govuk-error-summary")).to_contain_text("Enter why you are reopening")
    check_accessibility(pqa)
    pqa.get_by_label("Why are you reopening this return?").fill("Add the 2026 audit figures")
    pqa.get_by_role("button", name="Reopen return").click()
    expect(pqa.locator("tr", has_text="Shire Constabulary")).to_contain_text("Reopened")

    lead.get_by_role("link", name="Back to the task list").click()
    lead.reload()
    expect(lead.locator("main")).to_contain_text("Add the 2026 audit figures")
