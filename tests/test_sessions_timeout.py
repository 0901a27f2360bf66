"""An idle timeout never loses work: what was saved stays saved, and a form sent just
after the timeout is not dropped without a word."""

from __future__ import annotations

from datetime import timedelta

from bs4 import BeautifulSoup
from sqlalchemy import select

from audit_tool.models import CriterionResponse, LoginSession
from audit_tool.services import assessments as returns

from .factories import PASSWORD
from .test_fuzz_forms import injected_script


def _go_idle(app, client) -> None:
    with client.session_transaction() as cookie_session:
        idle = app.config["SESSION_IDLE_TIMEOUT"] + timedelta(seconds=5)
        cookie_session["seen"] -= idle.total_seconds()


def test_a_form_sent_after_the_idle_timeout_is_shown_back_not_lost(
    app, agency_client, make, world, session
):
    cycle = make.cycle(world.partnership)
    assessment = next(a for a in cycle.assessments if a.agency_id == world.police.id)
    criterion = returns.load_return(session, assessment).standards[0].entries[0].criterion
    base = f"/p/{world.partnership.slug}/agency/returns/{assessment.id}"
    url = f"{base}/criteria/{criterion.id}"
    agency_client.submit(f"{base}/", {})
    saved = {"rating": "green", "evidence": "Saved draft: policy v4", "then": "task-list"}
    assert agency_client.submit(url, saved).status_code == 302

    # The lead types for a long time; the page's CSRF token is still the session's.
    token = agency_client.csrf_token(url)
    _go_idle(app, agency_client)
    typed = "Unsaved paragraph <script>alert('x')</script> about training"
    response = agency_client.post(
        url, data={**saved, "evidence": typed, "impact": "Audit of 40 files", "csrf_token": token}
    )

    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "has <strong>not</strong> been saved" in page
    assert "You were signed out because you had not done anything for 30 minutes" in page
    shown = [t.get_text() for t in BeautifulSoup(page, "html.parser").find_all("textarea")]
    assert shown == ["green", typed, "Audit of 40 files"]
    assert injected_script(page) == []
    assert token not in page
    session.expire_all()
    assert session.query(CriterionResponse).one().evidence == "Saved draft: policy v4"

    # Signing in again leads back to the page, with the saved draft on it.
    sign_in = BeautifulSoup(page, "html.parser").find(
        "a", string="Sign in again and go back to the page"
    )
    response = agency_client.submit(
        sign_in["href"], {"email": world.police_lead.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == url
    assert "Saved draft: policy v4" in agency_client.get(url).get_data(as_text=True)


def test_a_signed_out_form_without_the_sessions_token_is_refused_as_before(client, world):
    """Only the browser whose session timed out gets its typing back: a form from
    anywhere else still fails the CSRF check."""
    url = f"/p/{world.partnership.slug}/pqa/agencies/new"
    assert client.post(url, data={"name": "Typed"}).status_code == 400


def test_a_form_from_a_browser_that_never_signed_in_goes_to_sign_in(client, world):
    url = f"/p/{world.partnership.slug}/pqa/agencies/new"
    token = client.csrf_token("/login")
    response = client.post(url, data={"name": "Typed", "csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_passwords_and_codes_sent_after_the_timeout_are_never_shown(app, pqa_client):
    token = pqa_client.csrf_token("/account/password")
    _go_idle(app, pqa_client)
    response = pqa_client.post(
        "/account/password",
        data={
            "current_password": "my-secret-passphrase",
            "new_password": "another-secret-one",
            "confirm_password": "another-secret-one",
            "csrf_token": token,
        },
    )
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "secret" not in page


def test_signed_in_pages_carry_the_timeout_warning(app, agency_client, client, world):
    """The warning the page script shows five minutes before the idle timeout, with the
    timings it needs; signed-out pages have neither."""
    page = agency_client.soup(f"/p/{world.partnership.slug}/agency/")
    body = page.body
    idle = app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    warning = app.config["SESSION_WARNING_BEFORE"].total_seconds()
    assert int(body["data-idle-timeout-seconds"]) == idle
    assert int(body["data-warning-seconds"]) == warning
    assert body["data-keep-alive-url"] == "/session/keep-alive"
    banner = page.find(attrs={"data-module": "app-timeout-warning"})
    assert banner.has_attr("hidden") and banner.find("button", attrs={"data-keep-alive": True})
    signed_out = client.soup("/login")
    assert not signed_out.body.has_attr("data-idle-timeout-seconds")
    assert signed_out.find(attrs={"data-module": "app-timeout-warning"}) is None


def _outlive_the_absolute_timeout(app, session, user) -> None:
    login = session.scalars(
        select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
    ).one()
    login.created_at -= app.config["SESSION_ABSOLUTE_TIMEOUT"] + timedelta(seconds=5)
    session.commit()


def test_a_form_sent_after_the_absolute_timeout_is_shown_back_not_lost(
    app, agency_client, make, world, session
):
    """Twelve hours after signing in the session ends however busy its user: what they
    were sending comes back to them to copy, and nothing saved is touched."""
    cycle = make.cycle(world.partnership)
    assessment = next(a for a in cycle.assessments if a.agency_id == world.police.id)
    criterion = returns.load_return(session, assessment).standards[0].entries[0].criterion
    base = f"/p/{world.partnership.slug}/agency/returns/{assessment.id}"
    url = f"{base}/criteria/{criterion.id}"
    agency_client.submit(f"{base}/", {})
    saved = {"rating": "green", "evidence": "Saved draft: policy v4", "then": "task-list"}
    assert agency_client.submit(url, saved).status_code == 302
    token = agency_client.csrf_token(url)
    _outlive_the_absolute_timeout(app, session, world.police_lead)

    typed = "Typed in the twelfth hour"
    response = agency_client.post(url, data={**saved, "evidence": typed, "csrf_token": token})

    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "You were signed out because you signed in more than 12 hours ago" in page
    shown = [t.get_text() for t in BeautifulSoup(page, "html.parser").find_all("textarea")]
    assert shown == ["green", typed]
    session.expire_all()
    assert session.query(CriterionResponse).one().evidence == "Saved draft: policy v4"
    # The session is over: the next page asks for a sign-in.
    response = agency_client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_page_opened_after_the_absolute_timeout_says_why_sign_in_is_needed(
    app, agency_client, world, session
):
    _outlive_the_absolute_timeout(app, session, world.police_lead)
    response = agency_client.get(f"/p/{world.partnership.slug}/agency/")
    assert response.status_code == 302
    page = agency_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out because you signed in more than 12 hours ago" in page


def test_pages_say_when_the_absolute_timeout_will_end_the_session(
    app, agency_client, world, session
):
    absolute = app.config["SESSION_ABSOLUTE_TIMEOUT"]
    fresh = agency_client.soup(f"/p/{world.partnership.slug}/agency/")
    ends_in = int(fresh.body["data-session-ends-seconds"])
    assert absolute.total_seconds() - 60 < ends_in <= absolute.total_seconds()
    assert fresh.find(attrs={"data-module": "app-session-end-warning"}).has_attr("hidden")

    login = session.scalars(
        select(LoginSession).where(LoginSession.user_id == world.police_lead.id)
    ).one()
    login.created_at -= timedelta(hours=11)
    session.commit()
    later = agency_client.soup(f"/p/{world.partnership.slug}/agency/")
    assert int(later.body["data-session-ends-seconds"]) <= 3600
