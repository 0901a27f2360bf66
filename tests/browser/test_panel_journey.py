"""The challenge panel journey in three browsers (PQA, panel member, agency lead): PQA
schedules a panel; the panel member opens the pack and records a challenge; the agency
answers it; the panel moderates two criteria down and agrees an action; the chair signs
off; the agency sees its feedback and the action; the heat map shows the moderated score
with the agency's own beside it. Every page visited is checked with axe."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from audit_tool import clock

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CYCLE = "Section 11 audit 2026 to 2028"
AGENCY = "Demo Academy Trust"
LEAD = "lead.agency7@example.org"  # the demo's lead for the academy trust


def _fill_date(page, field: str, when: date) -> None:
    page.locator(f"#{field}-day").fill(str(when.day))
    page.locator(f"#{field}-month").fill(str(when.month))
    page.locator(f"#{field}-year").fill(str(when.year))


def test_panel_journey_across_three_browsers(browser, sign_in, check_accessibility):
    pqa = browser.new_context().new_page()
    panel = browser.new_context().new_page()
    lead = browser.new_context().new_page()
    sign_in(pqa, "pqa@example.org")
    sign_in(panel, "panel@example.org")
    sign_in(lead, LEAD)
    held_on = clock.today() + timedelta(days=7)

    # PQA schedules the panel.
    pqa.get_by_role("navigation", name="Menu").get_by_role("link", name="Panels").click()
    pqa.get_by_role("link", name=f"Schedule a panel for {CYCLE}").click()
    check_accessibility(pqa)
    _fill_date(pqa, "held_on", held_on)
    pqa.get_by_label("Start time").fill("09:00")
    pqa.get_by_label("Place or video link").fill("Civic Centre, room 4")
    pqa.get_by_label("Chair").select_option(label="Patrick Nell")
    pqa.get_by_label(AGENCY).check()
    pqa.get_by_role("button", name="Schedule panel").click()
    expect(pqa.locator("main")).to_contain_text("Civic Centre, room 4")
    check_accessibility(pqa)

    # The panel member opens the pack and records a challenge.
    panel.reload()
    panel.get_by_role("link", name=f"{held_on:%-d %B %Y}, 09:00: {CYCLE}").click()
    panel.get_by_role("button", name="Start the panel").click()
    panel.get_by_role("link", name=f"Panel pack for {AGENCY}").click()
    expect(panel.locator("main")).to_contain_text(AGENCY)
    check_accessibility(panel)
    panel.go_back()
    panel.get_by_role("link", name=AGENCY, exact=True).click()
    meeting_url = panel.url
    check_accessibility(panel)
    panel.get_by_role("link", name="Record a challenge").click()
    panel.get_by_label("Challenge", exact=True).fill(
        "How do you know staff use the escalation policy?"
    )
    panel.get_by_role("button", name="Record challenge").click()
    expect(panel.locator("main")).to_contain_text("Not answered yet")

    # The agency answers it online.
    lead.get_by_role("navigation", name="Menu").get_by_role("link", name="Panels").click()
    check_accessibility(lead)
    lead.locator("tr", has_text="escalation policy").get_by_role("link", name="Answer").click()
    lead.get_by_label("Your answer").fill("We audited 20 referrals in 2026; see our QA report.")
    lead.get_by_role("button", name="Send answer").click()
    expect(lead.locator(".govuk-notification-banner--success")).to_contain_text("Answer sent")

    # The panel moderates two criteria down and agrees an action.
    panel.goto(meeting_url)
    expect(panel.locator("main")).to_contain_text("We audited 20 referrals")
    for _ in range(2):
        panel.get_by_role("link", name="Moderate", exact=False).first.click()
        panel.get_by_label("Amber – Partly met").check()
        panel.get_by_label("Why the panel rated it this way").fill(
            "The evidence shows policy, not practice."
        )
        panel.get_by_role("button", name="Save moderated rating").click()
        expect(panel.locator(".govuk-notification-banner--success")).to_contain_text(
            "Moderated rating saved"
        )
    check_accessibility(panel)
    panel.get_by_role("link", name="Agree an action").click()
    panel.get_by_label("Action", exact=True).fill(
        "Audit use of the escalation policy and report back"
    )
    panel.get_by_label("Who owns it").fill("Designated safeguarding lead")
    _fill_date(panel, "due_on", clock.today() + timedelta(days=120))
    panel.get_by_role("button", name="Agree action").click()
    expect(panel.locator(".govuk-notification-banner--success")).to_contain_text("Action agreed")
    panel.get_by_role("link", name="Record the outcome").click()
    panel.get_by_label("Partially assured").check()
    panel.get_by_label("Summary for the agency").fill(
        "Good leadership; show the impact on children."
    )
    panel.get_by_role("button", name="Save outcome").click()
    panel.get_by_role("link", name="Back to the agenda").click()
    panel.get_by_role("button", name="Sign off the panel").click()
    expect(panel.locator(".govuk-notification-banner--success")).to_contain_text("signed off")

    # The agency sees its feedback and the action.
    lead.reload()
    lead.get_by_role("link", name="Read the panel's feedback").first.click()
    expect(lead.locator("main")).to_contain_text("Partially assured")
    expect(lead.locator("main")).to_contain_text("Audit use of the escalation policy")
    check_accessibility(lead)

    # The heat map shows the moderated score with the agency's own beside it.
    pqa.get_by_role("navigation", name="Menu").get_by_role(
        "link", name="Cycles", exact=True
    ).click()
    pqa.get_by_role("link", name=CYCLE, exact=True).click()
    pqa.get_by_role("link", name="Heat map").click()
    expect(pqa.locator("table.app-heat-map tr", has_text=AGENCY)).to_contain_text("(self")
    check_accessibility(pqa)
