"""Sign-in throttling: per account and per client address, stored in the database.

Time is controlled with `clock`: the sign-in views read the time through `utcnow` in
their module, which the fixture replaces with a clock the test moves on by hand.
"""

from __future__ import annotations

import multiprocessing
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit_tool import migrate
from audit_tool.db import build_engine
from audit_tool.models import User
from audit_tool.models.user import LoginThrottle, ThrottleScope
from audit_tool.services.login_throttle import (
    SignInAttempt,
    ThrottleLimits,
    locked_scopes,
    record_failure,
)
from audit_tool.services.users import create_user

from .conftest import audit_events, make_app
from .databases import fresh_database_url
from .factories import PASSWORD
from .html_client import HTMLCheckingClient

LOCKED = (
    "Too many failed attempts. Wait 15 minutes and try again, "
    "or ask your PQA administrator to reset your password"
)
GENERIC = "Email address or password is incorrect"
LIMITS = ThrottleLimits(
    max_failures=5,
    max_failures_per_address=20,
    window=timedelta(minutes=15),
    lockout=timedelta(minutes=15),
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("audit_tool.areas.auth.views.utcnow", clock)
    return clock


def attempt_sign_in(client, email: str, password: str):
    return client.submit("/login", {"email": email, "password": password})


def page_of(response) -> str:
    return response.get_data(as_text=True)


def signed_in(response) -> bool:
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def fail(client, email: str, times: int):
    for _ in range(times):
        response = attempt_sign_in(client, email, "not the password")
    return response


# The account limit --------------------------------------------------------------


def test_five_failures_lock_the_account_with_a_clear_message(client, clock, world, session):
    page = page_of(fail(client, world.pqa.email, 4))
    assert GENERIC in page and LOCKED not in page
    response = fail(client, world.pqa.email, 1)
    assert response.status_code == 200
    assert LOCKED in page_of(response)
    assert "<title>Error: Sign in" in page_of(response)

    locks = audit_events(session, "login_locked")
    assert [(e.data["scope"], e.data["email"]) for e in locks] == [("account", world.pqa.email)]
    reasons = [e.data["reason"] for e in audit_events(session, "login_failed")]
    assert reasons == ["wrong_password"] * 5
    assert all(e.data["address"] == "127.0.0.1" for e in audit_events(session, "login_failed"))


def test_a_locked_account_refuses_the_right_password_the_same_way(client, clock, world, session):
    fail(client, world.pqa.email, 5)
    clock.advance(minutes=14)
    right = attempt_sign_in(client, world.pqa.email, PASSWORD)
    wrong = attempt_sign_in(client, world.pqa.email, "still wrong")
    assert not signed_in(right)
    assert LOCKED in page_of(right) and LOCKED in page_of(wrong)
    # Refused attempts are audited but neither counted nor stretching the lock.
    assert [e.data["reason"] for e in audit_events(session, "login_failed")][-2:] == [
        "account_locked",
        "account_locked",
    ]
    assert len(audit_events(session, "login_locked")) == 1
    clock.advance(minutes=1, seconds=1)
    assert signed_in(attempt_sign_in(client, world.pqa.email, PASSWORD))


def _without(page: str, email: str) -> str:
    page = page.replace(email, "EMAIL")
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", page)


def test_an_unknown_email_is_locked_exactly_like_a_real_one(client, clock, world):
    real, unknown = world.pqa.email, "nobody@example.org"
    first = [_without(page_of(fail(client, e, 1)), e) for e in (real, unknown)]
    fifth = [_without(page_of(fail(client, e, 4)), e) for e in (real, unknown)]
    assert GENERIC in first[0] and first[0] == first[1]
    assert LOCKED in fifth[0] and fifth[0] == fifth[1]
    assert LOCKED in page_of(attempt_sign_in(client, "Nobody@Example.org", "anything"))


def test_failures_spread_wider_than_the_window_do_not_lock(client, clock, world):
    fail(client, world.pqa.email, 4)
    clock.advance(minutes=15)
    page = page_of(fail(client, world.pqa.email, 4))
    assert GENERIC in page and LOCKED not in page
    assert signed_in(attempt_sign_in(client, world.pqa.email, PASSWORD))


def test_a_successful_sign_in_resets_the_accounts_count(app, client, clock, world, session):
    fail(client, world.pqa.email, 4)
    assert signed_in(attempt_sign_in(client, world.pqa.email, PASSWORD))
    session.expire_all()
    assert session.get(User, world.pqa.id).failed_login_count == 0
    other = app.test_client()
    page = page_of(fail(other, world.pqa.email, 4))
    assert LOCKED not in page


def test_a_pqa_password_reset_unlocks_the_account(client, clock, world, pqa_client, session):
    fail(client, world.police_lead.email, 5)
    assert LOCKED in page_of(attempt_sign_in(client, world.police_lead.email, PASSWORD))
    user_url = f"/p/{world.partnership.slug}/pqa/users/{world.police_lead.id}"
    reset = pqa_client.submit(user_url, {}, action=f"{user_url}/reset-password")
    temporary = reset.get_data(as_text=True).split('id="temporary-password">')[1].split("<")[0]
    assert signed_in(attempt_sign_in(client, world.police_lead.email, temporary.strip()))


def test_the_lock_ends_after_the_lockout_and_counting_starts_again(client, clock, world):
    fail(client, world.pqa.email, 5)
    clock.advance(minutes=15, seconds=1)
    page = page_of(fail(client, world.pqa.email, 1))
    assert GENERIC in page and LOCKED not in page  # one new failure, not a sixth


# The address limit ---------------------------------------------------------------


def test_twenty_failures_from_one_address_lock_that_address(app, client, clock, world, session):
    # Four wrong passwords for each of five addresses: no account reaches its limit.
    emails = [f"guess{n}@example.org" for n in range(4)] + [world.panel.email]
    for email in emails:
        page = page_of(fail(client, email, 4))
    assert LOCKED in page  # the twentieth failure
    assert [e.data["scope"] for e in audit_events(session, "login_locked")] == ["address"]
    # Every account is refused from that address, even with the right password...
    assert LOCKED in page_of(attempt_sign_in(client, world.pqa.email, PASSWORD))
    assert audit_events(session, "login_failed")[-1].data["reason"] == "address_locked"
    # ...and not from anywhere else.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert signed_in(attempt_sign_in(elsewhere, world.pqa.email, PASSWORD))
    clock.advance(minutes=15, seconds=1)
    assert signed_in(attempt_sign_in(client, world.pqa.email, PASSWORD))


def test_a_success_does_not_clear_the_address_count(client, clock, world):
    for n in range(4):
        fail(client, f"guess{n}@example.org", 4)
    assert signed_in(attempt_sign_in(client, world.pqa.email, PASSWORD))
    client.post("/logout", data={"csrf_token": client.csrf_token("/account/password")})
    assert LOCKED in page_of(fail(client, "guess9@example.org", 4))


# The service, on its own -----------------------------------------------------------


def _attempt(email: str, now: datetime, address: str = "198.51.100.1") -> SignInAttempt:
    return SignInAttempt(email=email, address=address, now=now, limits=LIMITS)


def test_record_failure_counts_in_the_database(session):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for _ in range(4):
        assert record_failure(session, attempt=_attempt("a@example.org", start)) == []
        start += timedelta(minutes=1)
    started = record_failure(session, attempt=_attempt("a@example.org", start))
    assert [(lock.scope, lock.failures) for lock in started] == [(ThrottleScope.ACCOUNT, 5)]
    assert started[0].until == start + timedelta(minutes=15)
    assert locked_scopes(session, attempt=_attempt("a@example.org", start)) == [
        ThrottleScope.ACCOUNT
    ]
    later = start + timedelta(minutes=15)
    assert locked_scopes(session, attempt=_attempt("a@example.org", later)) == []
    rows = session.scalars(select(LoginThrottle).order_by(LoginThrottle.scope)).all()
    assert [(r.scope, r.key, r.failures) for r in rows] == [
        (ThrottleScope.ACCOUNT, "a@example.org", 5),
        (ThrottleScope.ADDRESS, "198.51.100.1", 5),
    ]


def test_limits_come_from_the_configuration(app):
    limits = ThrottleLimits.from_config(app.config)
    assert limits == LIMITS


# Across workers and processes --------------------------------------------------------


def test_failures_in_different_workers_add_up():
    """Two app instances (as two gunicorn workers) on one database share the count."""
    with fresh_database_url() as url:
        engine = build_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as db_session:
            create_user(db_session, email="w@example.org", name="W", by=None, password=PASSWORD)
            db_session.commit()
        engine.dispose()
        workers = [make_app(url), make_app(url)]
        clients = []
        for worker in workers:
            worker.test_client_class = HTMLCheckingClient
            clients.append(worker.test_client())
        for n in range(5):
            response = attempt_sign_in(clients[n % 2], "w@example.org", "wrong")
        assert LOCKED in page_of(response)
        assert LOCKED in page_of(attempt_sign_in(clients[0], "w@example.org", PASSWORD))
        for worker in workers:
            worker.extensions["database"].engine.dispose()


def _hammer(url: str, email: str, attempts: int) -> list[str]:
    engine = build_engine(url)
    errors = []
    now = datetime.now(UTC)
    limits = ThrottleLimits(
        max_failures=10_000,
        max_failures_per_address=10_000,
        window=timedelta(hours=1),
        lockout=timedelta(minutes=15),
    )
    for _ in range(attempts):
        with Session(engine) as db_session:
            try:
                attempt = SignInAttempt(email=email, address="192.0.2.1", now=now, limits=limits)
                record_failure(db_session, attempt=attempt)
                db_session.commit()
            except Exception as error:  # reported to the test
                errors.append(repr(error))
    engine.dispose()
    return errors


@pytest.mark.slow
def test_concurrent_failures_for_a_new_key_are_all_counted():
    """Several processes record the first failures for the same new email and address
    at once: the row is created once, and no failure is lost."""
    processes, attempts = 4, 15
    with fresh_database_url() as url:
        engine = build_engine(url)
        migrate.upgrade(engine)
        context = multiprocessing.get_context("spawn")
        with context.Pool(processes) as pool:
            outcomes = pool.starmap(_hammer, [(url, "new@example.org", attempts)] * processes)
        assert outcomes == [[]] * processes
        with Session(engine) as db_session:
            counts = db_session.execute(
                select(LoginThrottle.scope, func.sum(LoginThrottle.failures)).group_by(
                    LoginThrottle.scope
                )
            ).all()
        assert sorted(counts) == [
            (ThrottleScope.ACCOUNT, processes * attempts),
            (ThrottleScope.ADDRESS, processes * attempts),
        ]
        engine.dispose()


@pytest.mark.parametrize(
    ("trusted_proxies", "seen"),
    [(0, "127.0.0.1 http"), (1, "203.0.113.7 https")],
)
def test_the_client_address_is_believed_from_trusted_proxies_only(
    database_url, trusted_proxies, seen
):
    """Behind a proxy, the per-address limit must count each person's address, not the
    proxy's; without a proxy, a client must not choose the address it is counted under."""
    from flask import request

    from audit_tool.access import public

    app = make_app(database_url, TRUSTED_PROXIES=trusted_proxies)

    @app.route("/address-seen")
    @public
    def address_seen():
        return f"{request.remote_addr} {request.scheme}"

    response = app.test_client().get(
        "/address-seen", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    )
    assert response.get_data(as_text=True) == seen
    app.extensions["database"].engine.dispose()
