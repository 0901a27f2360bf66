"""Optional two-factor sign-in (TOTP) for PQA and system administrators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from audit_tool.models import Role, User
from audit_tool.services import DomainError
from audit_tool.services import two_factor as service

from .conftest import audit_events
from .factories import PASSWORD
from .test_login_throttling import LOCKED, Clock, attempt_sign_in, page_of, signed_in

SETUP = "/account/two-factor"
CODE_STEP = "/login/code"


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("audit_tool.areas.auth.views.utcnow", clock)
    return clock


def code_at(secret: str, when: datetime, steps: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(when) + steps)


def turn_on(client, session, user: User, clock: Clock) -> str:
    """Set up two-factor sign-in through the pages; returns the secret."""
    client.submit(SETUP, {})
    session.expire_all()
    secret = session.get(User, user.id).totp_secret
    response = client.submit(SETUP, {"code": code_at(secret, clock.now)})
    assert response.status_code == 302
    return secret


@pytest.fixture
def pqa_with_two_factor(pqa_client, session, world, clock, app):
    """world.pqa with two-factor sign-in on, signed out; returns the secret."""
    secret = turn_on(pqa_client, session, world.pqa, clock)
    clock.advance(seconds=30)  # the setup code's step is used up
    return secret


# Setting it up ----------------------------------------------------------------------


def test_a_pqa_administrator_sets_it_up_with_a_code(pqa_client, session, world, clock):
    page = page_of(pqa_client.get(SETUP))
    assert "Set up two-factor sign-in" in page
    pqa_client.submit(SETUP, {})
    session.expire_all()
    secret = session.get(User, world.pqa.id).totp_secret
    assert secret and not session.get(User, world.pqa.id).two_factor_enabled

    soup = pqa_client.soup(SETUP)
    assert soup.find(id="two-factor-secret").get_text().replace(" ", "") == secret
    uri = soup.find(id="two-factor-uri").get_text()
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri

    for code, message in (
        ("", "Enter the 6-digit code from your authenticator app"),
        ("12a456", "The code must be 6 digits, like 123456"),
        (code_at(secret, clock.now, steps=5), "The code is not right"),
    ):
        page = page_of(pqa_client.submit(SETUP, {"code": code}))
        assert message in page
    session.expire_all()
    assert not session.get(User, world.pqa.id).two_factor_enabled

    spaced = code_at(secret, clock.now)
    response = pqa_client.submit(SETUP, {"code": f"{spaced[:3]} {spaced[3:]}"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, world.pqa.id).two_factor_enabled
    assert audit_events(session, "two_factor_enabled")[-1].data == {"email": world.pqa.email}
    page = page_of(pqa_client.get(SETUP))
    assert "two-factor-secret" not in page and secret not in page


def test_others_are_told_it_is_for_administrators(agency_client, session, world):
    page = page_of(agency_client.get(SETUP))
    assert "for PQA administrators and system administrators" in page
    assert '<form method="post" novalidate>' not in page
    response = agency_client.post(
        SETUP, data={"csrf_token": agency_client.csrf_token("/account/password")}
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, world.police_lead.id).totp_secret is None


def test_a_system_administrator_is_offered_it(make):
    admin = make.user(None, None, email="root@example.org", system_admin=True)
    assert service.can_use_two_factor(admin)


def test_the_setup_pages_are_never_cached(pqa_client):
    pqa_client.submit(SETUP, {})
    assert pqa_client.get(SETUP).headers["Cache-Control"] == "no-store"


# Signing in with it ------------------------------------------------------------------


def test_sign_in_asks_for_the_code_after_the_password(
    app, pqa_with_two_factor, world, clock, session
):
    client = app.test_client()
    target = f"/p/{world.partnership.slug}/pqa/agencies"
    response = client.submit(
        f"/login?next={target}", {"email": world.pqa.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == CODE_STEP
    # Not signed in yet: everything else still sends them to sign in.
    assert "/login" in client.get(target).headers["Location"]
    assert client.get("/account/password").status_code == 302

    page = page_of(client.submit(CODE_STEP, {"code": "000000"}))
    assert "The code is not right" in page
    response = client.submit(CODE_STEP, {"code": code_at(pqa_with_two_factor, clock.now)})
    assert response.headers["Location"] == target
    assert client.get(target).status_code == 200
    assert audit_events(session, "login_succeeded")
    assert audit_events(session, "login_failed")[-1].data["reason"] == "wrong_code"


def test_a_code_from_the_step_before_or_after_is_accepted(app, pqa_with_two_factor, world, clock):
    """Phones' clocks drift: a code one 30-second step either side still works."""
    for offset in (1, -1):
        clock.advance(seconds=90)  # past any step an earlier sign-in used
        client = app.test_client()
        attempt_sign_in(client, world.pqa.email, PASSWORD)
        code = code_at(pqa_with_two_factor, clock.now, offset)
        assert signed_in(client.submit(CODE_STEP, {"code": code}))


def test_a_code_cannot_be_used_twice(app, pqa_with_two_factor, world, clock, session):
    code = code_at(pqa_with_two_factor, clock.now)
    first = app.test_client()
    attempt_sign_in(first, world.pqa.email, PASSWORD)
    assert signed_in(first.submit(CODE_STEP, {"code": code}))

    clock.advance(seconds=10)  # same 30-second step
    second = app.test_client()
    attempt_sign_in(second, world.pqa.email, PASSWORD)
    page = page_of(second.submit(CODE_STEP, {"code": code}))
    assert "The code is not right" in page
    assert audit_events(session, "login_failed")[-1].data["reason"] == "reused_code"
    # An earlier step than the one used is refused too, even inside the drift allowance.
    page = page_of(second.submit(CODE_STEP, {"code": code_at(pqa_with_two_factor, clock.now, -1)}))
    assert "The code is not right" in page
    clock.advance(seconds=30)
    assert signed_in(second.submit(CODE_STEP, {"code": code_at(pqa_with_two_factor, clock.now)}))


def test_wrong_codes_count_toward_the_lock(app, pqa_with_two_factor, world, clock, session):
    client = app.test_client()
    attempt_sign_in(client, world.pqa.email, "wrong password")
    attempt_sign_in(client, world.pqa.email, PASSWORD)
    for _ in range(3):
        client.submit(CODE_STEP, {"code": "000000"})
    response = client.submit(CODE_STEP, {"code": "000000"})  # the fifth failure
    assert response.headers["Location"] == "/login"
    assert LOCKED in page_of(client.get("/login"))
    assert [e.data["scope"] for e in audit_events(session, "login_locked")] == ["account"]
    # The code step is gone, and the right password is refused while locked.
    assert "Sign in again" in page_of(client.get(CODE_STEP))
    assert LOCKED in page_of(attempt_sign_in(client, world.pqa.email, PASSWORD))


def test_the_code_step_times_out(app, pqa_with_two_factor, world, clock):
    client = app.test_client()
    attempt_sign_in(client, world.pqa.email, PASSWORD)
    clock.advance(minutes=5, seconds=1)
    response = client.get(CODE_STEP)
    assert response.status_code == 200
    assert "Sign in again" in page_of(response)


def test_the_code_step_without_a_password_is_a_dead_end(client, world):
    page = page_of(client.get(CODE_STEP))
    assert "Sign in again" in page
    assert "csrf_token" not in page.split("<main")[1]  # no code form to guess against


def test_a_user_deactivated_during_the_code_step_must_start_again(
    app, pqa_with_two_factor, world, clock, session
):
    client = app.test_client()
    attempt_sign_in(client, world.pqa.email, PASSWORD)
    session.get(User, world.pqa.id).active = False
    session.flush()
    page = page_of(client.submit(CODE_STEP, {"code": code_at(pqa_with_two_factor, clock.now)}))
    assert "Sign in again" in page


# Turning it off, and PQA resetting it ---------------------------------------------------


def test_turning_it_off_needs_a_code(app, pqa_with_two_factor, world, clock, session):
    client = app.test_client()
    attempt_sign_in(client, world.pqa.email, PASSWORD)
    client.submit(CODE_STEP, {"code": code_at(pqa_with_two_factor, clock.now)})
    off = "/account/two-factor/turn-off"
    page = page_of(client.submit(off, {"code": code_at(pqa_with_two_factor, clock.now)}))
    assert "The code is not right" in page  # the code just used to sign in
    clock.advance(seconds=30)
    response = client.submit(off, {"code": code_at(pqa_with_two_factor, clock.now)})
    assert response.headers["Location"] == SETUP
    session.expire_all()
    user = session.get(User, world.pqa.id)
    assert user.totp_secret is None and not user.two_factor_enabled
    assert audit_events(session, "two_factor_disabled")[-1].actor_id == world.pqa.id
    assert client.get(off).headers["Location"] == SETUP


def _second_pqa(make, world):
    return make.user(world.partnership, Role.PQA_ADMIN, name="Pip Pqa")


def test_pqa_resets_a_colleagues_two_factor(make, world, client_for, pqa_client, session, clock):
    colleague = _second_pqa(make, world)
    turn_on(client_for(colleague), session, colleague, clock)
    slug = world.partnership.slug
    detail = pqa_client.get(f"/p/{slug}/pqa/users/{colleague.id}").get_data(as_text=True)
    reset = f"/p/{slug}/pqa/users/{colleague.id}/two-factor/reset"
    assert reset in detail
    response = pqa_client.submit(reset, {})
    assert response.headers["Location"] == f"/p/{slug}/pqa/users/{colleague.id}"
    session.expire_all()
    assert session.get(User, colleague.id).totp_secret is None
    event = audit_events(session, "two_factor_reset")[-1]
    assert (event.actor_id, event.partnership_id, event.subject_id) == (
        world.pqa.id,
        world.partnership.id,
        colleague.id,
    )
    # Now nothing is left to reset.
    page = page_of(pqa_client.submit(reset, {}))
    assert "does not use two-factor sign-in" in page
    assert "<title>Error:" in page


def test_pqa_cannot_reset_someone_outside_their_partnership(pqa_client, world):
    slug = world.partnership.slug
    url = f"/p/{slug}/pqa/users/{world.other_pqa.id}/two-factor/reset"
    assert pqa_client.get(url).status_code == 404


def test_pqa_cannot_reset_a_system_administrator(make, world, session):
    admin = make.user(world.partnership, Role.PQA_ADMIN, name="Sys Admin", system_admin=True)
    admin.totp_secret = pyotp.random_base32()
    admin.totp_enabled_at = datetime.now(UTC)
    session.flush()
    with pytest.raises(DomainError, match="another partnership"):
        service.reset_two_factor(session, user=admin, partnership=world.partnership, by=world.pqa)


# The pieces on their own ----------------------------------------------------------------


def test_code_step_matches_only_the_window_around_now():
    secret = pyotp.random_base32()
    now = datetime(2026, 3, 2, 9, 0, 15, tzinfo=UTC)
    step = pyotp.TOTP(secret).timecode(now)
    for offset in (-1, 0, 1):
        assert service.code_step(secret, code_at(secret, now, offset), now=now) == step + offset
    assert service.code_step(secret, code_at(secret, now, 2), now=now) is None
    later = now + timedelta(minutes=2)
    assert service.code_step(secret, code_at(secret, now), now=later) is None
