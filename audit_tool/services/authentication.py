"""Signing in and out, and the server-side login sessions behind the cookie.

Signing in is one step (email and password) or, for someone with two-factor sign-in on,
two (then a code from their authenticator app); failures at either step count toward
the per-account and per-address limits in `login_throttle`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..audit_trail import AuditEventType, record_event
from ..db import lock_for_update
from ..models import LoginSession, User, utcnow
from .login_throttle import (
    SignInAttempt,
    clear_account_failures,
    locked_scopes,
    record_failure,
)
from .passwords import password_matches
from .two_factor import accept_code
from .users import get_user_by_email


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignInOutcome:
    """What a sign-in step came to. `user` is set only when the step succeeded; `locked`
    when the account or address is locked (whatever the password or code was);
    `restart` when a two-factor step can no longer finish and must start again."""

    user: User | None = None
    locked: bool = False
    restart: bool = False


def authenticate(
    session: Session, *, email: str, password: str, attempt: SignInAttempt
) -> SignInOutcome:
    """Check an email address and password.

    While the account or the client address is locked, every attempt is refused the
    same way, right password or wrong, known account or not. Otherwise a failure is
    counted against both and audited with its reason, and may start a lock.
    A right password returns the user; the caller then asks for a two-factor code if
    the user has one, or signs them in (`start_login_session` clears their count)."""
    if _refused_while_locked(session, attempt=attempt):
        return SignInOutcome(locked=True)
    user = get_user_by_email(session, email)
    if user is None or not user.active:
        password_matches(None, password)  # same work either way: no timing hint
        reason = "unknown_email" if user is None else "deactivated"
        return _failed(session, attempt=attempt, reason=reason, user=None, typed=email)
    if not password_matches(user.password_hash, password):
        record_failed_login(session, user_id=user.id)
        return _failed(session, attempt=attempt, reason="wrong_password", user=user)
    return SignInOutcome(user=user)


def check_sign_in_code(
    session: Session, *, user_id: int, code: str, attempt: SignInAttempt
) -> SignInOutcome:
    """The second sign-in step: the code from the person's authenticator app.

    A wrong or reused code counts toward the same limits as a wrong password, against
    the account of the user who gave the password (whatever `attempt.email` says)."""
    user = lock_for_update(session, User, user_id)
    if user is None or not user.active or not user.two_factor_enabled:
        return SignInOutcome(restart=True)  # deactivated or reset since the password step
    attempt = replace(attempt, email=user.email)
    if _refused_while_locked(session, attempt=attempt, user=user):
        return SignInOutcome(locked=True)
    refusal = accept_code(user, code, now=attempt.now)
    if refusal is not None:
        record_failed_login(session, user_id=user.id)
        return _failed(session, attempt=attempt, reason=refusal, user=user)
    return SignInOutcome(user=user)


def _refused_while_locked(
    session: Session, *, attempt: SignInAttempt, user: User | None = None
) -> bool:
    locked = locked_scopes(session, attempt=attempt)
    if locked:
        record_event(
            session,
            AuditEventType.LOGIN_FAILED,
            by=None,
            subject=user,
            email=attempt.email[:254],
            address=attempt.address,
            reason=f"{locked[0]}_locked",
        )
    return bool(locked)


def _failed(
    session: Session,
    *,
    attempt: SignInAttempt,
    reason: str,
    user: User | None,
    typed: str | None = None,
) -> SignInOutcome:
    record_event(
        session,
        AuditEventType.LOGIN_FAILED,
        by=None,
        subject=user,
        email=(typed or attempt.email)[:254],
        address=attempt.address,
        reason=reason,
    )
    locks = record_failure(session, attempt=attempt)
    for lock in locks:
        record_event(
            session,
            AuditEventType.LOGIN_LOCKED,
            by=None,
            subject=user,
            scope=lock.scope.value,
            email=attempt.email[:254],
            address=attempt.address,
            until=lock.until.isoformat(),
        )
    return SignInOutcome(locked=bool(locks))


def record_failed_login(session: Session, *, user_id: int) -> int:
    """Count one failed attempt against an account; returns the new count.

    Concurrent wrong guesses race on this counter, so the row is locked before it is
    read (see `lock_for_update`): every attempt is counted.
    """
    user = lock_for_update(session, User, user_id)
    user.failed_login_count += 1
    return user.failed_login_count


def start_login_session(session: Session, *, user: User) -> str:
    """Record a new signed-in session and return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(token_hash=_token_hash(token), user=user))
    user.last_login_at = utcnow()
    user.failed_login_count = 0
    clear_account_failures(session, email=user.email)
    record_event(session, AuditEventType.LOGIN_SUCCEEDED, by=user, subject=user)
    return token


def load_login_session(session: Session, *, token: str) -> LoginSession | None:
    """The session for this token, or None if it ended or its user left. Whether it has
    outlived the absolute timeout is the caller's to check (`session_ends_at`): the
    person is told, and a form they were sending is shown back to them."""
    login = session.scalar(
        select(LoginSession)
        .options(joinedload(LoginSession.user))
        .where(LoginSession.token_hash == _token_hash(token))
    )
    if login is None or login.ended_at is not None or not login.user.active:
        return None
    return login


def session_ends_at(login: LoginSession, *, absolute_timeout: timedelta) -> datetime:
    """When the absolute timeout ends this session, however active its user."""
    return login.created_at + absolute_timeout


def end_login_session(session: Session, *, login: LoginSession) -> None:
    if login.ended_at is None:
        login.ended_at = utcnow()
        record_event(session, AuditEventType.LOGGED_OUT, by=login.user, subject=login.user)
