"""Assessment frameworks: standards, criteria and a rating scale, in versions.

A published version is frozen; changing a framework means a new draft version. Each
version owns a copy of its scale levels, so a scale can never change under answers
already given. Criteria keep a stable `key` across versions, so answers can be carried
forward and compared between versions.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped
from .partnership import Partnership, str_enum


class FrameworkStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Framework(Timestamped, Base):
    """A framework's identity across versions. Built-in frameworks have no partnership."""

    __tablename__ = "framework"
    __table_args__ = (
        UniqueConstraint("partnership_id", "key"),
        # NULLs are never equal in a unique constraint, so built-in frameworks (no
        # partnership) need their own partial index to keep one per key.
        Index(
            "uq_framework_builtin_key",
            "key",
            unique=True,
            sqlite_where=text("partnership_id IS NULL"),
            postgresql_where=text("partnership_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    partnership_id: Mapped[int | None] = mapped_column(ForeignKey("partnership.id"))

    partnership: Mapped[Partnership | None] = relationship()
    versions: Mapped[list[FrameworkVersion]] = relationship(
        back_populates="framework", order_by="FrameworkVersion.number"
    )


class FrameworkVersion(Timestamped, Base):
    __tablename__ = "framework_version"
    __table_args__ = (UniqueConstraint("framework_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id"), index=True)
    number: Mapped[int]
    status: Mapped[FrameworkStatus] = mapped_column(str_enum(FrameworkStatus))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    scale_key: Mapped[str] = mapped_column(String(64))
    scale_name: Mapped[str] = mapped_column(String(200))
    scale_description: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None]

    framework: Mapped[Framework] = relationship(back_populates="versions")
    levels: Mapped[list[ScaleLevel]] = relationship(
        back_populates="version", order_by="ScaleLevel.position", cascade="all, delete-orphan"
    )
    standards: Mapped[list[Standard]] = relationship(
        back_populates="version", order_by="Standard.position", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        return f"{self.name}, version {self.number}"

    @property
    def frozen(self) -> bool:
        return self.status is FrameworkStatus.PUBLISHED


class ScaleLevel(Timestamped, Base):
    """One rating on a version's scale, lowest first (`position` 0)."""

    __tablename__ = "scale_level"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("framework_version.id"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[str] = mapped_column(String(7))
    score: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    position: Mapped[int]
    needs_action: Mapped[bool] = mapped_column(default=False)
    needs_evidence: Mapped[bool] = mapped_column(default=False)

    version: Mapped[FrameworkVersion] = relationship(back_populates="levels")


class Standard(Timestamped, Base):
    __tablename__ = "standard"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("framework_version.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int]

    version: Mapped[FrameworkVersion] = relationship(back_populates="standards")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="standard", order_by="Criterion.position", cascade="all, delete-orphan"
    )


class Criterion(Timestamped, Base):
    __tablename__ = "criterion"
    __table_args__ = (UniqueConstraint("standard_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standard.id"), index=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    code: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    wording: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text, default="")
    essential: Mapped[bool] = mapped_column(default=False)
    # Empty: applies to every agency. Otherwise the Sector values it applies to.
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    allow_na: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int]

    standard: Mapped[Standard] = relationship(back_populates="criteria")

    def applies_to(self, sector: str) -> bool:
        return not self.sectors or sector in self.sectors
