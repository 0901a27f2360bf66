"""What `flask --app wsgi prune` deletes, and what it never touches.

Only sign-in bookkeeping is pruned: it grows with every sign-in and every mistyped
password (anyone on the internet can add counters by typing addresses), and once over it
says nothing the audit trail does not.

- A sign-in session's record is kept for `LOGIN_SESSION_RETENTION` after it ended:
  signed out or ended by deactivation (`ended_at`), or past the absolute timeout (the
  idle timeout lives in the cookie, so the absolute one is the latest a session can be
  alive). An ended session is never read again; its record only says when it existed.
- A failed sign-in counter is deleted once it is spent: its window has passed and any
  lock has run out. The next failure would start it again from nothing, so deleting it
  changes nothing; the audit trail keeps every failed attempt and every lock.

The audit trail is append-only and is never pruned. Everything else (returns, evidence,
panels, case-file audits) is the partnership's record, and goes only by a deliberate
decision, never on a timer: see docs/operations.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, text
from sqlalchemy.orm import Session

from ..audit_trail import AuditEventType, record_event
from ..models import utcnow
from ..models.user import LoginSession, LoginThrottle


@dataclass(frozen=True)
class RetentionPolicy:
    login_sessions: timedelta  # kept this long after they end
    session_lifetime: timedelta  # the absolute timeout: no session lives longer
    failure_window: timedelta  # a counter's window (a spent counter is past it)

    @classmethod
    def from_config(cls, config: Mapping) -> RetentionPolicy:
        return cls(
            login_sessions=config["LOGIN_SESSION_RETENTION"],
            session_lifetime=config["SESSION_ABSOLUTE_TIMEOUT"],
            failure_window=config["LOGIN_FAILURE_WINDOW"],
        )


@dataclass(frozen=True)
class Pruned:
    login_sessions: int
    login_throttles: int


def prune_expired(
    session: Session, *, policy: RetentionPolicy, now: datetime | None = None
) -> Pruned:
    """Delete sign-in sessions ended longer ago than the policy keeps them and spent
    failed sign-in counters, and record what was deleted in the audit trail."""
    now = now or utcnow()
    cutoff = now - policy.login_sessions
    over = or_(
        LoginSession.ended_at < cutoff,
        and_(
            LoginSession.ended_at.is_(None),
            LoginSession.created_at < cutoff - policy.session_lifetime,
        ),
    )
    sessions = session.execute(delete(LoginSession).where(over)).rowcount

    if session.get_bind().dialect.name == "postgresql":
        # A failed sign-in inserts its counter if missing, then reads it FOR UPDATE. A
        # delete committed between those two statements would leave the read with no
        # row. This lock waits for sign-ins in progress and holds new ones back until
        # the prune commits. (SQLite: BEGIN IMMEDIATE already serialises writers.)
        session.execute(text("LOCK TABLE login_throttle IN SHARE ROW EXCLUSIVE MODE"))
    spent = or_(
        LoginThrottle.locked_until <= now,
        and_(
            LoginThrottle.locked_until.is_(None),
            LoginThrottle.window_started_at <= now - policy.failure_window,
        ),
    )
    throttles = session.execute(delete(LoginThrottle).where(spent)).rowcount

    record_event(
        session,
        AuditEventType.RECORDS_PRUNED,
        by=None,
        login_sessions=sessions,
        login_throttles=throttles,
        login_session_retention_days=policy.login_sessions.days,
    )
    session.flush()
    return Pruned(login_sessions=sessions, login_throttles=throttles)
