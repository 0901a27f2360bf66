"""Optional two-factor sign-in with time-based one-time codes (TOTP, RFC 6238).

PQA administrators and system administrators may turn it on. The secret is shared with
the person's authenticator app, and the server must read it back to check each code,
so it cannot be hashed like a password: it is stored as is in `user_account`, and must
never be included in an export or archive.

A code is accepted for its own 30-second step and the one either side (clocks drift),
and each step is accepted once: `totp_last_step` refuses a code seen before, which
also closes the gap a code's neighbouring steps would open.
"""

from __future__ import annotations

from datetime import datetime

import pyotp
from sqlalchemy.orm import Session

from ..audit_trail import AuditEventType, record_event
from ..db import lock_for_update
from ..models import Partnership, Role, User
from . import DomainError
from .users import _check_managed_only_here

# Steps either side of now that still count: 30 seconds of clock drift each way.
DRIFT_STEPS = 1


def can_use_two_factor(user: User) -> bool:
    """Offered to PQA administrators (in any partnership) and system administrators."""
    return user.is_system_admin or any(m.role is Role.PQA_ADMIN for m in user.memberships)


def code_step(secret: str, code: str, *, now: datetime) -> int | None:
    """The time step `code` belongs to (now or a neighbour), or None if it is wrong."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if pyotp.utils.strings_equal(code, totp.generate_otp(step)):
            return step
    return None


def accept_code(user: User, code: str, *, now: datetime) -> str | None:
    """Check a code against a user's secret and use it up. Returns None when accepted,
    or why not ("wrong_code", "reused_code"). The caller holds the user's row lock."""
    step = code_step(user.totp_secret or "", code, now=now) if user.totp_secret else None
    if step is None:
        return "wrong_code"
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return "reused_code"
    user.totp_last_step = step
    return None


def provisioning_uri(user: User, *, issuer: str) -> str:
    """The otpauth:// address an authenticator app can take instead of the typed key."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=issuer)


def start_setup(session: Session, *, user: User) -> None:
    """Give the user a new secret to add to their app. It does nothing until they
    confirm it with a code (`confirm_setup`); nothing is audited until then."""
    if user.two_factor_enabled:
        raise DomainError("Two-factor sign-in is already on")
    if not can_use_two_factor(user):
        raise DomainError("Two-factor sign-in is for PQA administrators and system administrators")
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None


def confirm_setup(session: Session, *, user: User, code: str, now: datetime) -> None:
    user = lock_for_update(session, User, user.id)
    if user.two_factor_enabled or user.totp_secret is None:
        raise DomainError("Start setting up two-factor sign-in again", field="code")
    if accept_code(user, code, now=now) is not None:
        raise DomainError(
            "The code is not right. Enter the 6-digit code your authenticator app shows now",
            field="code",
        )
    user.totp_enabled_at = now
    record_event(
        session, AuditEventType.TWO_FACTOR_ENABLED, by=user, subject=user, email=user.email
    )


def turn_off(session: Session, *, user: User, code: str, now: datetime) -> None:
    """Turn two-factor sign-in off: the person proves they still hold the secret."""
    user = lock_for_update(session, User, user.id)
    if not user.two_factor_enabled:
        raise DomainError("Two-factor sign-in is not on", field="code")
    if accept_code(user, code, now=now) is not None:
        raise DomainError(
            "The code is not right. Enter the 6-digit code your authenticator app shows now",
            field="code",
        )
    _clear(user)
    record_event(
        session, AuditEventType.TWO_FACTOR_DISABLED, by=user, subject=user, email=user.email
    )


def reset_two_factor(
    session: Session, *, user: User, partnership: Partnership | None, by: User | None
) -> None:
    """A PQA administrator (or, with `by=None`, the command line) turns off someone's
    two-factor sign-in, for example when they have lost their phone."""
    if partnership is not None:
        _check_managed_only_here(session, user, partnership)
    if user.totp_secret is None:
        raise DomainError(f"{user.name} has not set up two-factor sign-in")
    _clear(user)
    record_event(
        session,
        AuditEventType.TWO_FACTOR_RESET,
        by=by,
        partnership=partnership,
        subject=user,
        email=user.email,
    )


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
