"""A themed case-file audit in real browsers, as new users would do it: PQA sets up a
round of two cases with three agencies and opens it; the police and health leads audit
their own work on both cases (one tries to save an NHS number, one submits with a grade
missing); the third agency never starts, so the moderation meeting sees its return as
missing; PQA records the meeting's judgements, learning and an action, then finds them
in the round report and the agencies' different grades in the analysis. Every distinct
page is checked with axe.

The demo database is shared by every browser test, so this test makes its own round and
finds its cases by the references the service gives them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from audit_tool import clock

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROUND = "Mental health and self-harm audit, browser journey"
TEMPLATE = "Mental health and self-harm themed audit, version 1"
POLICE = "Shire Constabulary"
HEALTH = "Demo Hospitals NHS Foundation Trust"
SCHOOL = "Demo Academy Trust"  # involved in both cases, and never starts its return
SECTIONS = 6


def _fill_date(page, field: str, when: date) -> None:
    page.locator(f"#{field}-day").fill(str(when.day))
    page.locator(f"#{field}-month").fill(str(when.month))
    page.locator(f"#{field}-year").fill(str(when.year))


def _success(page, text: str) -> None:
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(text)


def _answer_section(page, grade: str, *, skip_grade: bool = False) -> None:
    """Answer every question on a section page: `grade` for graded ones, "Yes" for the
    rest (a graded question is left unanswered with `skip_grade`)."""
    questions = page.locator("form .govuk-radios")
    for n in range(questions.count()):
        options = questions.nth(n)
        graded = options.get_by_label("Outstanding").count() > 0
        if graded and skip_grade:
            continue
        options.get_by_label(grade if graded else "Yes", exact=True).check()


def _pqa_sets_up_the_round(pqa, check_accessibility) -> list[str]:
    today = clock.today()
    pqa.get_by_role("navigation", name="Menu").get_by_role("link", name="Case audits").click()
    expect(pqa.locator("h1")).to_have_text("Case-file audits")
    check_accessibility(pqa)
    pqa.get_by_role("link", name="Start a new round").click()
    expect(pqa.locator("h1")).to_have_text("Start a new case-file audit round")
    check_accessibility(pqa)
    pqa.get_by_label("Name").fill(ROUND)
    pqa.get_by_label("Audit template").select_option(label=TEMPLATE)
    _fill_date(pqa, "lookback_from", today - timedelta(days=395))
    _fill_date(pqa, "lookback_to", today - timedelta(days=30))
    _fill_date(pqa, "due_on", today + timedelta(days=14))
    _fill_date(pqa, "moderation_on", today + timedelta(days=28))
    pqa.get_by_role("button", name="Save round").click()
    _success(pqa, f"{ROUND} created. Add its cases, then open it.")
    check_accessibility(pqa)

    references = []
    for age_band, plan in (("10 to 15", "Child in need"), ("16 to 17", "Child protection")):
        pqa.get_by_role("link", name="Add a case", exact=True).click()
        expect(pqa.locator("h1")).to_have_text("Add a case")
        if not references:
            check_accessibility(pqa)
        pqa.get_by_role("group", name="Age band").get_by_label(age_band).check()
        pqa.get_by_role("group", name="Plan when the case was selected").get_by_label(plan).check()
        pqa.get_by_label("Why the case was selected (optional)").fill(
            "Three attendances at the emergency department after self-harm in the period."
        )
        for agency in (POLICE, HEALTH, SCHOOL):
            pqa.get_by_label(agency, exact=True).check()
        pqa.get_by_role("button", name="Save case").click()
        banner = pqa.locator(".govuk-notification-banner--success")
        expect(banner).to_contain_text(re.compile(r"Case MH-\d{4}-\d+ added"))
        references.append(re.search(r"MH-\d{4}-\d+", banner.inner_text()).group(0))

    pqa.get_by_role("button", name="Open the round to agencies").click()
    _success(pqa, f"{ROUND} is open to the agencies involved")
    return references


def _lead_completes_a_case(lead, reference: str, grade: str) -> None:
    lead.get_by_role("navigation", name="Menu").get_by_role("link", name="Case audits").click()
    lead.get_by_role("link", name=reference, exact=True).click()
    expect(lead.locator("h1")).to_have_text(f"Case {reference}")
    lead.locator(".govuk-task-list__link").first.click()
    for number in range(1, SECTIONS + 1):
        expect(lead.locator("h1")).to_contain_text(f"{number}. ")
        _answer_section(lead, grade)
        lead.get_by_role("button", name="Save and continue").click()
    expect(lead.locator("h1")).to_have_text("Check your answers before submitting")
    lead.get_by_role("button", name="Submit case audit").click()
    expect(lead.locator(".govuk-panel__title")).to_have_text("Case audit submitted")


def test_a_case_audit_round_from_set_up_to_report(browser, sign_in, check_accessibility):
    pqa = browser.new_context().new_page()
    police = browser.new_context().new_page()
    health = browser.new_context().new_page()
    sign_in(pqa, "pqa@example.org")
    sign_in(police, "lead.police@example.org")
    sign_in(health, "lead.health@example.org")

    # PQA creates the round, adds two cases with three agencies each, and opens it.
    first, second = _pqa_sets_up_the_round(pqa, check_accessibility)

    # The police lead finds the new case among their case audits.
    police.get_by_role("navigation", name="Menu").get_by_role("link", name="Case audits").click()
    expect(police.locator("h1")).to_have_text("Your agency's case-file audits")
    expect(police.locator("main")).to_contain_text(ROUND)
    check_accessibility(police)
    police.get_by_role("link", name=first, exact=True).click()
    expect(police.locator("h1")).to_have_text(f"Case {first}")
    expect(police.locator("main")).to_contain_text("You have completed 0 of 6 sections.")
    check_accessibility(police)

    # Identifying text is refused, with the reason, and nothing is saved.
    police.locator(".govuk-task-list__link").first.click()
    expect(police.locator("h1")).to_contain_text("1. Recognition of need and risk")
    check_accessibility(police)
    _answer_section(police, "Outstanding")
    police.get_by_label("Comments on question 1").fill(
        "Seen in the emergency department; NHS number 943 476 5919 on the referral."
    )
    police.get_by_role("button", name="Save and continue").click()
    summary = police.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("looks like it includes an NHS number")
    expect(police).to_have_title(re.compile(r"^Error: Recognition of need and risk"))
    check_accessibility(police)
    police.get_by_label("Comments on question 1").fill(
        "Seen in the emergency department; the referral reached the safeguarding team."
    )
    police.get_by_role("button", name="Save and continue").click()
    _success(police, "Recognition of need and risk saved")

    # Section 2 is saved with its graded question unanswered; the rest are completed.
    expect(police.locator("h1")).to_contain_text("2. Assessment")
    _answer_section(police, "Outstanding", skip_grade=True)
    police.get_by_role("button", name="Save and continue").click()
    for number in range(3, SECTIONS + 1):
        expect(police.locator("h1")).to_contain_text(f"{number}. ")
        _answer_section(police, "Outstanding")
        police.get_by_role("button", name="Save and continue").click()

    # Check your answers: submitting is refused with the gap named and linked.
    expect(police.locator("h1")).to_have_text("Check your answers before submitting")
    check_accessibility(police)
    police.get_by_role("button", name="Submit case audit").click()
    summary = police.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Your case audit cannot be submitted yet")
    expect(summary).to_contain_text("Select a grade for")
    expect(police).to_have_title(re.compile(r"^Error: Check your answers before submitting"))
    check_accessibility(police)
    summary.get_by_role("link").first.click()
    expect(police.locator("h1")).to_contain_text("2. Assessment")
    _answer_section(police, "Outstanding")
    police.get_by_role("button", name="Save as draft").click()
    _success(police, "Assessment saved")
    expect(police.locator("main")).to_contain_text("You have completed 6 of 6 sections.")
    police.get_by_role("link", name="Check your answers and submit").click()
    police.get_by_role("button", name="Submit case audit").click()
    expect(police.locator(".govuk-panel__title")).to_have_text("Case audit submitted")
    check_accessibility(police)

    # The police lead's second case, and both of the health lead's, graded lower.
    _lead_completes_a_case(police, second, "Outstanding")
    _lead_completes_a_case(health, first, "Requires improvement")
    _lead_completes_a_case(health, second, "Requires improvement")

    # PQA opens the meeting for the first case: two returns side by side, the school's
    # shown as missing.
    pqa.get_by_role("link", name=first, exact=True).click()
    expect(pqa.locator("h1")).to_have_text(f"Case {first}")
    returns = pqa.locator(".govuk-summary-list__row", has_text="Agencies' returns")
    expect(returns).to_contain_text(f"{POLICE}: Submitted")
    expect(returns).to_contain_text(f"{HEALTH}: Submitted")
    expect(returns).to_contain_text(f"{SCHOOL}: Not submitted yet")
    first_table = pqa.locator("table").first
    expect(first_table).to_contain_text("Outstanding")
    expect(first_table).to_contain_text("Requires improvement")
    expect(first_table).to_contain_text("No return")
    expect(first_table).to_contain_text("Divergent")
    check_accessibility(pqa)

    # The meeting's judgements, learning and an action.
    pqa.get_by_role("link", name="Record the judgement for Recognition of need and risk").click()
    expect(pqa.locator("h1")).to_have_text("Judgement: Recognition of need and risk")
    check_accessibility(pqa)
    pqa.get_by_label("Good", exact=True).check()
    pqa.get_by_label("Why the meeting reached this judgement").fill(
        "Police recognised the risk at once; health saw each attendance on its own."
    )
    pqa.get_by_role("button", name="Save judgement").click()
    _success(pqa, "Judgement for Recognition of need and risk saved")

    pqa.get_by_role("link", name="Record the overall judgement").click()
    expect(pqa.locator("h1")).to_have_text("Overall judgement")
    check_accessibility(pqa)
    pqa.get_by_label("Requires improvement", exact=True).check()
    pqa.get_by_label("Why the meeting reached this judgement").fill(
        "Risk was recognised, but agencies did not share what each attendance showed."
    )
    pqa.get_by_role("button", name="Save overall judgement").click()
    _success(pqa, f"Overall judgement for {first} saved")

    learning = "Emergency department attendances were not shared with the school nurse."
    pqa.get_by_role("link", name="Add learning").click()
    expect(pqa.locator("h1")).to_have_text("Add learning")
    check_accessibility(pqa)
    pqa.get_by_label("Information sharing").check()
    pqa.get_by_label("Learning", exact=True).fill(learning)
    pqa.get_by_role("button", name="Add learning").click()
    _success(pqa, "Learning added")

    action = "Tell the school nurse of every attendance for self-harm within two days."
    pqa.get_by_role("link", name="Agree an action").click()
    expect(pqa.locator("h1")).to_have_text("Agree an action")
    check_accessibility(pqa)
    pqa.get_by_label("Agency").select_option(label=HEALTH)
    pqa.get_by_label("Action", exact=True).fill(action)
    pqa.get_by_label("Who owns it").fill("Named nurse for safeguarding children")
    _fill_date(pqa, "due_on", clock.today() + timedelta(days=90))
    pqa.get_by_role("button", name="Add action").click()
    _success(pqa, "Action added to the partnership's action tracker")

    # The round report shows the learning and the action.
    pqa.get_by_role("link", name=f"Back to {ROUND}").click()
    expect(pqa.locator("h1")).to_have_text(ROUND)
    pqa.get_by_role("link", name="Round report for the PQA sub-group and the board").click()
    expect(pqa.locator("h1")).to_have_text(f"{ROUND}: round report")
    expect(pqa.locator("main")).to_contain_text(learning)
    expect(pqa.locator("main")).to_contain_text(action)
    check_accessibility(pqa)

    # The analysis shows how far apart the agencies' grades are.
    pqa.get_by_role("link", name=f"Back to {ROUND}").click()
    pqa.get_by_role("link", name=re.compile("^Analysis")).click()
    expect(pqa.locator("h1")).to_have_text(f"{ROUND}: analysis")
    spread = pqa.get_by_role("table", name="Lowest to highest agency grade, by case and section")
    expect(spread.locator("tr", has_text=first)).to_contain_text(
        "Requires improvement to Outstanding"
    )
    expect(spread.locator("tr", has_text=first)).to_contain_text("Divergent")
    divergences = pqa.get_by_role(
        "table", name="Questions where agencies' grades differ by two levels or more"
    )
    expect(divergences).to_contain_text(first)
    expect(divergences).to_contain_text(second)
    check_accessibility(pqa)
