"""`flask --app wsgi prune`: sign-in records past their retention go; nothing else does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from audit_tool.audit_trail import AuditEventType
from audit_tool.models import AuditEvent, LoginSession, utcnow
from audit_tool.models.user import LoginThrottle, ThrottleScope
from audit_tool.operations.retention import RetentionPolicy, prune_expired

from .conftest import audit_events

DAY = timedelta(days=1)
POLICY = RetentionPolicy(
    login_sessions=30 * DAY,
    session_lifetime=timedelta(hours=12),
    failure_window=timedelta(minutes=15),
)


@pytest.fixture
def now():
    return utcnow()


@pytest.fixture
def login_sessions(session, make, now):
    """Sign-in sessions by what `prune` must do with them under POLICY."""
    user = make.user()

    def login(name, *, started, ended=None):
        row = LoginSession(
            token_hash=name.ljust(64, "0")[:64], user=user, created_at=started, ended_at=ended
        )
        session.add(row)
        return row

    rows = {
        "signed out 31 days ago": login("a", started=now - 31 * DAY, ended=now - 31 * DAY),
        "signed out 29 days ago": login("b", started=now - 29 * DAY, ended=now - 29 * DAY),
        # Never signed out: dead at the absolute timeout, 12 hours after it began.
        "expired 30 days and a minute ago": login(
            "c", started=now - 30 * DAY - timedelta(hours=12, minutes=1)
        ),
        "expired 29 days ago": login("d", started=now - 29 * DAY - timedelta(hours=12)),
        "alive": login("e", started=now - timedelta(hours=1)),
    }
    session.flush()
    return rows


@pytest.fixture
def counters(session, now):
    """Failed sign-in counters by what `prune` must do with them under POLICY."""

    def counter(key, *, window_started, locked_until=None, failures=3):
        row = LoginThrottle(
            scope=ThrottleScope.ADDRESS,
            key=key,
            failures=failures,
            window_started_at=window_started,
            locked_until=locked_until,
        )
        session.add(row)
        return row

    minute = timedelta(minutes=1)
    rows = {
        "locked": counter("192.0.2.1", window_started=now - 20 * minute, locked_until=now + minute),
        "counting": counter("192.0.2.2", window_started=now - 14 * minute),
        "window passed": counter("192.0.2.3", window_started=now - 16 * minute),
        "lock ran out": counter(
            "192.0.2.4", window_started=now - 10 * minute, locked_until=now - minute
        ),
    }
    session.flush()
    return rows


def _left(session, model, rows: dict) -> set[str]:
    ids = set(session.scalars(select(model.id)))
    return {name for name, row in rows.items() if row.id in ids}


def test_prune_deletes_only_sign_in_records_past_their_time(
    session, make, now, login_sessions, counters
):
    old_event = AuditEvent(event="login_failed", data={"email": "x"}, created_at=now - 3650 * DAY)
    session.add(old_event)
    session.flush()
    events_before = len(session.scalars(select(AuditEvent.id)).all())

    pruned = prune_expired(session, policy=POLICY, now=now)

    assert (pruned.login_sessions, pruned.login_throttles) == (2, 2)
    session.expire_all()
    assert _left(session, LoginSession, login_sessions) == {
        "signed out 29 days ago",
        "expired 29 days ago",
        "alive",
    }
    assert _left(session, LoginThrottle, counters) == {"locked", "counting"}
    # The audit trail loses nothing, however old, and gains the record of the prune.
    assert len(session.scalars(select(AuditEvent.id)).all()) == events_before + 1
    assert session.get(AuditEvent, old_event.id) is not None
    [event] = audit_events(session, AuditEventType.RECORDS_PRUNED)
    assert event.data == {
        "login_sessions": 2,
        "login_throttles": 2,
        "login_session_retention_days": 30,
    }
    assert event.actor_id is None


def test_the_prune_command_applies_the_retention_setting(
    app, session, login_sessions, counters, monkeypatch
):
    ended_29_days_ago = login_sessions["signed out 29 days ago"].id
    runner = app.test_cli_runner()
    monkeypatch.setitem(app.config, "LOGIN_SESSION_RETENTION", 30 * DAY)

    result = runner.invoke(args=["prune"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Deleted 2 ended sign-in sessions (kept for 30 days" in result.output
    assert "2 spent failed sign-in counters" in result.output
    assert session.get(LoginSession, ended_29_days_ago) is not None

    monkeypatch.setitem(app.config, "LOGIN_SESSION_RETENTION", 7 * DAY)
    result = runner.invoke(args=["prune"], catch_exceptions=False)
    assert "Deleted 2 ended sign-in sessions (kept for 7 days" in result.output
    session.expire_all()
    assert session.get(LoginSession, ended_29_days_ago) is None
    assert [e.data["login_session_retention_days"] for e in _pruned_events(session)] == [30, 7]


def _pruned_events(session):
    return sorted(audit_events(session, AuditEventType.RECORDS_PRUNED), key=lambda e: e.id)
