"""Failed sign-ins, counted in the database per account and per client address.

The counts are rows in `login_throttle`, so every gunicorn worker sees the same numbers
(a counter in one worker's memory would let an attacker spread guesses across workers).
An account is keyed by the normalised email address typed, whether or not an account
has it: an unknown address is counted and locked exactly like a real one, so a lock
says nothing about who has an account.

Rows are reused: a row's count starts again when its window has passed or its lock
has run out. `flask prune` deletes spent rows (window passed, no lock running), which
changes nothing a sign-in would see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models.user import LoginThrottle, ThrottleScope

KEY_LENGTH = 254


@dataclass(frozen=True)
class ThrottleLimits:
    max_failures: int  # per account, within `window`
    max_failures_per_address: int  # per client address, within `window`
    window: timedelta
    lockout: timedelta

    @classmethod
    def from_config(cls, config: Mapping) -> ThrottleLimits:
        return cls(
            max_failures=config["LOGIN_MAX_FAILURES"],
            max_failures_per_address=config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
            window=config["LOGIN_FAILURE_WINDOW"],
            lockout=config["LOGIN_LOCKOUT"],
        )

    def limit_for(self, scope: ThrottleScope) -> int:
        if scope is ThrottleScope.ACCOUNT:
            return self.max_failures
        return self.max_failures_per_address


@dataclass(frozen=True)
class SignInAttempt:
    """Where a sign-in attempt came from, when, and the limits that apply to it."""

    email: str  # the normalised email address typed (the account's key)
    address: str
    now: datetime
    limits: ThrottleLimits

    def scoped_keys(self) -> tuple[tuple[ThrottleScope, str], ...]:
        return (
            (ThrottleScope.ACCOUNT, self.email[:KEY_LENGTH]),
            (ThrottleScope.ADDRESS, self.address[:KEY_LENGTH]),
        )


@dataclass(frozen=True)
class LockStarted:
    scope: ThrottleScope
    until: datetime
    failures: int


def locked_scopes(session: Session, *, attempt: SignInAttempt) -> list[ThrottleScope]:
    """The scopes (account, address) locked at `attempt.now`. Reads only."""
    locked = []
    for scope, key in attempt.scoped_keys():
        until = session.scalar(
            select(LoginThrottle.locked_until).where(
                LoginThrottle.scope == scope, LoginThrottle.key == key
            )
        )
        if until is not None and until > attempt.now:
            locked.append(scope)
    return locked


def record_failure(session: Session, *, attempt: SignInAttempt) -> list[LockStarted]:
    """Count one failed attempt against the account and the address; return the locks
    this failure started (none, one or both)."""
    started = []
    for scope, key in attempt.scoped_keys():
        row = _row_for_update(session, scope=scope, key=key, now=attempt.now)
        if row.locked_until is not None and row.locked_until > attempt.now:
            continue  # already locked: refused attempts do not stretch the lock
        lock_ran_out = row.locked_until is not None
        if lock_ran_out or attempt.now - row.window_started_at >= attempt.limits.window:
            row.failures = 0
            row.window_started_at = attempt.now
            row.locked_until = None
        row.failures += 1
        if row.failures >= attempt.limits.limit_for(scope):
            row.locked_until = attempt.now + attempt.limits.lockout
            started.append(LockStarted(scope=scope, until=row.locked_until, failures=row.failures))
    session.flush()
    return started


def clear_account_failures(session: Session, *, email: str) -> None:
    """Forget an account's failures and lift its lock (a successful sign-in, or a PQA
    administrator resetting the password). The address's count is kept: one good
    password must not wipe out the guesses made from the same place."""
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.scope == ThrottleScope.ACCOUNT, LoginThrottle.key == email[:KEY_LENGTH]
        )
    )


def _row_for_update(session: Session, *, scope: ThrottleScope, key: str, now: datetime):
    """The row for (scope, key), created if need be, locked for this transaction.

    One upsert creates the row or, if it exists, updates it to itself: either way the
    row is then locked until commit (PostgreSQL; SQLite already holds the write lock
    from BEGIN IMMEDIATE). Two workers seeing a key's first failure at once both get
    the row, and a successful sign-in or `prune` deleting it cannot slip in between
    creating and reading it, as it could between an insert-or-ignore and a separate
    SELECT FOR UPDATE."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(LoginThrottle).values(scope=scope, key=key, failures=0, window_started_at=now)
    row_id = session.execute(
        stmt.on_conflict_do_update(
            index_elements=["scope", "key"], set_={"failures": LoginThrottle.failures}
        ).returning(LoginThrottle.id)
    ).scalar_one()
    return session.execute(
        select(LoginThrottle)
        .where(LoginThrottle.id == row_id)
        .execution_options(populate_existing=True)
    ).scalar_one()
