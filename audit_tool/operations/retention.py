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

- An evidence file no evidence item names is deleted once it is older than
  `UNUSED_FILE_RETENTION`. The file is written before its item's row is committed (so a
  row never names a missing file); a save refused after that, or a worker killed
  between the two, leaves a file nothing can reach. The same goes for the temporary
  file of an upload killed part way. The age keeps uploads in progress safe.

The audit trail is append-only and is never pruned. Everything else (returns, evidence,
panels, case-file audits) is the partnership's record, and goes only by a deliberate
decision, never on a timer: see docs/operations.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, delete, or_, select, text
from sqlalchemy.orm import Session

from ..audit_trail import AuditEventType, record_event
from ..models import EvidenceItem, utcnow
from ..models.user import LoginSession, LoginThrottle
from ..services.evidence_files import files_older_than


@dataclass(frozen=True)
class RetentionPolicy:
    login_sessions: timedelta  # kept this long after they end
    session_lifetime: timedelta  # the absolute timeout: no session lives longer
    failure_window: timedelta  # a counter's window (a spent counter is past it)
    unused_files: timedelta  # an evidence file no item names is kept this long

    @classmethod
    def from_config(cls, config: Mapping) -> RetentionPolicy:
        return cls(
            login_sessions=config["LOGIN_SESSION_RETENTION"],
            session_lifetime=config["SESSION_ABSOLUTE_TIMEOUT"],
            failure_window=config["LOGIN_FAILURE_WINDOW"],
            unused_files=config["UNUSED_FILE_RETENTION"],
        )


@dataclass(frozen=True)
class Pruned:
    login_sessions: int
    login_throttles: int
    unused_files: int


def prune_expired(
    session: Session,
    *,
    policy: RetentionPolicy,
    upload_folder: str | Path,
    now: datetime | None = None,
) -> Pruned:
    """Delete sign-in sessions ended longer ago than the policy keeps them, spent failed
    sign-in counters and old evidence files no evidence item names, and record what was
    deleted in the audit trail."""
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
    files = _delete_unused_files(session, upload_folder, cutoff=now - policy.unused_files)

    record_event(
        session,
        AuditEventType.RECORDS_PRUNED,
        by=None,
        login_sessions=sessions,
        login_throttles=throttles,
        login_session_retention_days=policy.login_sessions.days,
        unused_files=files,
        unused_file_retention_days=policy.unused_files.days,
    )
    session.flush()
    return Pruned(login_sessions=sessions, login_throttles=throttles, unused_files=files)


def _delete_unused_files(session: Session, upload_folder: str | Path, *, cutoff: datetime) -> int:
    """Delete the folder's files written before `cutoff` that no evidence item names
    (a removed item included: it stays on the record)."""
    named = set(
        session.scalars(
            select(EvidenceItem.stored_name).where(EvidenceItem.stored_name.is_not(None))
        )
    )
    deleted = 0
    for name, path in files_older_than(upload_folder, cutoff):
        if name not in named:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
