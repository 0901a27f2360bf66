from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped
from .partnership import Agency, Partnership, str_enum


class Role(StrEnum):
    AGENCY_LEAD = "agency_lead"
    PANEL_MEMBER = "panel_member"
    PQA_ADMIN = "pqa_admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.AGENCY_LEAD: "Agency safeguarding lead",
    Role.PANEL_MEMBER: "Challenge panel member",
    Role.PQA_ADMIN: "PQA administrator",
}


class User(Timestamped, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    is_system_admin: Mapped[bool] = mapped_column(default=False)
    password_change_required: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None]
    failed_login_count: Mapped[int] = mapped_column(default=0)
    # Two-factor sign-in (TOTP). The secret is shared with the person's authenticator
    # app and the server must read it back to check codes, so it cannot be hashed: it is
    # stored as is, and no export or archive may include it. Set but not yet enabled
    # while the person is confirming it; `totp_last_step` refuses a code used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None


class Membership(Timestamped, Base):
    """A role a user holds in one partnership; agency leads hold it for one agency."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "partnership_id", "role", "agency_id"),
        CheckConstraint(
            "(role = 'agency_lead') = (agency_id IS NOT NULL)", name="agency_matches_role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))

    user: Mapped[User] = relationship(back_populates="memberships")
    partnership: Mapped[Partnership] = relationship()
    agency: Mapped[Agency | None] = relationship()


class LoginSession(Timestamped, Base):
    """Server-side record of a signed-in browser, so logout and deactivation end it.

    The cookie carries a random token; only its SHA-256 is stored.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    ended_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class ThrottleScope(StrEnum):
    ACCOUNT = "account"  # keyed by the email address typed, whether or not it has an account
    ADDRESS = "address"  # keyed by the client's network address


class LoginThrottle(Base):
    """Failed sign-ins counted in the database, so every gunicorn worker sees them.

    One row per account (the normalised email address, so an unknown address is locked
    exactly like a real one and the lock reveals nothing) and one per client address.
    A row's count restarts when its window has passed or its lock has run out.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[ThrottleScope] = mapped_column(str_enum(ThrottleScope))
    key: Mapped[str] = mapped_column(String(254))
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
