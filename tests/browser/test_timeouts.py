"""The page warns before either timeout signs its reader out, with the browser's clock
moved on: before the idle timeout with a way to stay signed in, before the absolute
timeout (which nothing extends) with a prompt to save."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IDLE_WARNING = "You will be signed out soon because you have not done anything for a while"
END_WARNING = "You will be signed out in a few minutes because you signed in 12 hours ago"


def _signed_in_with_a_fake_clock(page, sign_in) -> None:
    page.clock.install()
    sign_in(page, "lead.police@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your agency's safeguarding audits")
    # The warnings' timers start when app.mjs runs, which can be after the heading shows
    # (a module script is deferred): moving the clock on before then would move it on
    # before the timers exist. The script marks the body first, in the same task.
    expect(page.locator("body")).to_have_class(re.compile(r"\bjs-enabled\b"))


def test_the_idle_warning_comes_before_the_idle_timeout_and_stay_signed_in_keeps_the_session(
    page, sign_in, check_accessibility
):
    _signed_in_with_a_fake_clock(page, sign_in)
    warning = page.get_by_text(IDLE_WARNING)
    page.clock.run_for("24:00")
    expect(warning).to_be_hidden()
    page.clock.run_for("01:30")
    expect(warning).to_be_visible()
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    check_accessibility(page)

    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    page.clock.run_for("24:00")
    expect(warning).to_be_hidden()


def test_the_absolute_timeout_is_announced_five_minutes_before(page, sign_in, check_accessibility):
    _signed_in_with_a_fake_clock(page, sign_in)
    ends_in = int(page.locator("body").get_attribute("data-session-ends-seconds"))
    assert 12 * 3600 - 60 < ends_in <= 12 * 3600
    warning = page.get_by_text(END_WARNING)
    page.clock.run_for((ends_in - 5 * 60 - 30) * 1000)
    expect(warning).to_be_hidden()
    page.clock.run_for("01:00")
    expect(warning).to_be_visible()
    check_accessibility(page)
