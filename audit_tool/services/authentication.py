"""Signing in and out, and the server-side login sessions behind the cookie."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..audit_trail import AuditEventType, record_event
from ..db import lock_for_update
from ..models import LoginSession, User, utcnow
from .passwords import password_matches
from .users import get_user_by_email


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Failures are counted and audited."""
    user = get_user_by_email(session, email)
    if user is None or not user.active:
        password_matches(None, password)  # same work either way: no timing hint
        record_event(session, AuditEventType.LOGIN_FAILED, by=None, email=email[:254])
        return None
    if not password_matches(user.password_hash, password):
        record_failed_login(session, user_id=user.id)
        record_event(session, AuditEventType.LOGIN_FAILED, by=None, subject=user, email=user.email)
        return None
    return user


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
    record_event(session, AuditEventType.LOGIN_SUCCEEDED, by=user, subject=user)
    return token


def load_login_session(
    session: Session, *, token: str, absolute_timeout: timedelta, now: datetime
) -> LoginSession | None:
    """The live session for this token, or None if it ended, expired or its user left."""
    login = session.scalar(
        select(LoginSession)
        .options(joinedload(LoginSession.user))
        .where(LoginSession.token_hash == _token_hash(token))
    )
    if login is None or login.ended_at is not None or not login.user.active:
        return None
    if now - login.created_at > absolute_timeout:
        return None
    return login


def end_login_session(session: Session, *, login: LoginSession) -> None:
    if login.ended_at is None:
        login.ended_at = utcnow()
        record_event(session, AuditEventType.LOGGED_OUT, by=login.user, subject=login.user)
