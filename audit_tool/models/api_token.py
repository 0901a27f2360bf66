from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped
from .partnership import Partnership
from .user import User


class ApiToken(Timestamped, Base):
    """A personal token for BI tools (Power BI, Excel Power Query) to read one
    partnership's figures. Only its SHA-256 is stored; it is shown once, at creation."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    partnership: Mapped[Partnership] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None
