from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped


def str_enum(enum_class: type[StrEnum], length: int = 32) -> Enum:
    """Store a StrEnum by value as plain text on both engines (no native enum types)."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Sector(StrEnum):
    LOCAL_AUTHORITY = "local_authority"
    HEALTH = "health"
    POLICE = "police"
    EDUCATION = "education"
    PROBATION = "probation"
    YOUTH_JUSTICE = "youth_justice"
    VOLUNTARY = "voluntary"
    OTHER = "other"

    @property
    def label(self) -> str:
        return SECTOR_LABELS[self]


SECTOR_LABELS = {
    Sector.LOCAL_AUTHORITY: "Local authority",
    Sector.HEALTH: "Health",
    Sector.POLICE: "Police",
    Sector.EDUCATION: "Education",
    Sector.PROBATION: "Probation",
    Sector.YOUTH_JUSTICE: "Youth justice",
    Sector.VOLUNTARY: "Voluntary and community",
    Sector.OTHER: "Other",
}


class Partnership(Timestamped, Base):
    """A local safeguarding children partnership: the tenant everything belongs to."""

    __tablename__ = "partnership"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    contact_email: Mapped[str | None] = mapped_column(String(254))

    agency_links: Mapped[list[PartnershipAgency]] = relationship(back_populates="partnership")


class Agency(Timestamped, Base):
    """A partner agency. Police forces and NHS trusts often sit in several partnerships."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[Sector] = mapped_column(str_enum(Sector))

    partnership_links: Mapped[list[PartnershipAgency]] = relationship(back_populates="agency")


class PartnershipAgency(Timestamped, Base):
    """An agency's place in one partnership. Archiving is per partnership, never a delete."""

    __tablename__ = "partnership_agency"
    __table_args__ = (UniqueConstraint("partnership_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    archived_at: Mapped[datetime | None]

    partnership: Mapped[Partnership] = relationship(back_populates="agency_links")
    agency: Mapped[Agency] = relationship(back_populates="partnership_links")

    @property
    def archived(self) -> bool:
        return self.archived_at is not None
