"""`flask --app wsgi prune`: sign-in records past their retention go; nothing else does."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from audit_tool.audit_trail import AuditEventType
from audit_tool.models import AuditEvent, LoginSession, utcnow
from audit_tool.models.user import LoginThrottle, ThrottleScope
from audit_tool.operations.retention import RetentionPolicy, prune_expired
from audit_tool.services import assessments as returns
from audit_tool.services import evidence_items

from .conftest import audit_events

DAY = timedelta(days=1)
POLICY = RetentionPolicy(
    login_sessions=30 * DAY,
    session_lifetime=timedelta(hours=12),
    failure_window=timedelta(minutes=15),
    unused_files=DAY,
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
    session, make, now, login_sessions, counters, tmp_path
):
    old_event = AuditEvent(event="login_failed", data={"email": "x"}, created_at=now - 3650 * DAY)
    session.add(old_event)
    session.flush()
    events_before = len(session.scalars(select(AuditEvent.id)).all())

    pruned = prune_expired(session, policy=POLICY, upload_folder=tmp_path, now=now)

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
        "unused_files": 0,
        "unused_file_retention_days": 1,
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
    assert "0 evidence files that no evidence item names (kept for 1 day)" in result.output
    assert session.get(LoginSession, ended_29_days_ago) is not None

    monkeypatch.setitem(app.config, "LOGIN_SESSION_RETENTION", 7 * DAY)
    result = runner.invoke(args=["prune"], catch_exceptions=False)
    assert "Deleted 2 ended sign-in sessions (kept for 7 days" in result.output
    session.expire_all()
    assert session.get(LoginSession, ended_29_days_ago) is None
    assert [e.data["login_session_retention_days"] for e in _pruned_events(session)] == [30, 7]


def _pruned_events(session):
    return sorted(audit_events(session, AuditEventType.RECORDS_PRUNED), key=lambda e: e.id)


def _age(path, age: timedelta):
    when = (utcnow() - age).timestamp()
    os.utime(path, (when, when))


def test_prune_deletes_old_evidence_files_that_nothing_names(session, make, world, now, tmp_path):
    """A file is written before its evidence item's row commits; a refused save or a
    killed worker leaves one that nothing names. Those go after a day, with the leftovers
    of uploads killed part way; every file an item names stays, removed items' too."""
    cycle = make.cycle(world.partnership)
    assessment = next(a for a in cycle.assessments if a.agency_id == world.police.id)
    criterion = returns.load_return(session, assessment).standards[0].entries[0].criterion
    kept = make.evidence_item(assessment, criterion, by=world.police_lead, upload_folder=tmp_path)
    removed = make.evidence_item(
        assessment, criterion, by=world.police_lead, upload_folder=tmp_path
    )
    evidence_items.remove_evidence_item(
        session, assessment=assessment, item=removed, by=world.police_lead
    )
    session.flush()

    def stored(name: str, age: timedelta):
        path = tmp_path / name
        path.write_bytes(b"%PDF-1.7\n%%EOF\n")
        _age(path, age)
        return path

    files = {
        "named": tmp_path / kept.stored_name,
        "named, item removed": tmp_path / removed.stored_name,
        "unnamed, two days old": stored("a" * 32, 2 * DAY),
        "unnamed, an hour old": stored("b" * 32, timedelta(hours=1)),
        "upload killed part way, two days ago": stored(".incoming-x1y2z3", 2 * DAY),
        "upload in progress": stored(".incoming-a1b2c3", timedelta(minutes=1)),
        "not the app's": stored("README.txt", 30 * DAY),
    }
    for name in ("named", "named, item removed"):
        _age(files[name], 30 * DAY)

    pruned = prune_expired(session, policy=POLICY, upload_folder=tmp_path, now=now)

    assert pruned.unused_files == 2
    assert {name for name, path in files.items() if path.exists()} == {
        "named",
        "named, item removed",
        "unnamed, an hour old",
        "upload in progress",
        "not the app's",
    }
    [event] = audit_events(session, AuditEventType.RECORDS_PRUNED)
    assert event.data["unused_files"] == 2


def test_prune_with_no_upload_folder_yet_deletes_no_files(session, now, tmp_path):
    pruned = prune_expired(session, policy=POLICY, upload_folder=tmp_path / "none", now=now)
    assert pruned.unused_files == 0
