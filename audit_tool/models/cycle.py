"""Section 11 audit cycles, each agency's return (an Assessment) and its answers."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped
from .framework import Criterion, FrameworkVersion, ScaleLevel
from .partnership import Agency, Partnership, str_enum
from .user import User


class CycleStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class AssessmentStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    REOPENED = "reopened"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class AuditCycle(Timestamped, Base):
    """One round of Section 11 self-assessment across a partnership's agencies."""

    __tablename__ = "audit_cycle"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id"), index=True)
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("framework_version.id"))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[CycleStatus] = mapped_column(str_enum(CycleStatus))
    opens_on: Mapped[date]
    due_on: Mapped[date]
    panel_from: Mapped[date | None]
    panel_to: Mapped[date | None]

    partnership: Mapped[Partnership] = relationship()
    framework_version: Mapped[FrameworkVersion] = relationship()
    assessments: Mapped[list[Assessment]] = relationship(back_populates="cycle")


class Assessment(Timestamped, Base):
    """An agency's Section 11 return for one cycle."""

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("cycle_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("audit_cycle.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    status: Mapped[AssessmentStatus] = mapped_column(str_enum(AssessmentStatus))
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"))
    last_activity_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    declaration_name: Mapped[str | None] = mapped_column(String(200))
    declaration_role: Mapped[str | None] = mapped_column(String(200))
    reopened_reason: Mapped[str | None] = mapped_column(Text)

    cycle: Mapped[AuditCycle] = relationship(back_populates="assessments")
    agency: Mapped[Agency] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    responses: Mapped[list[CriterionResponse]] = relationship(back_populates="assessment")


class CriterionResponse(Timestamped, Base):
    """An agency's answer to one criterion.

    `version` counts saves. A form carries the version its user saw; a save against an
    older version is a conflict shown to the user, never a silent overwrite. The ORM
    also checks it at flush (version_id_col), which catches the race between that
    comparison and the write.
    """

    __tablename__ = "criterion_response"
    __table_args__ = (
        UniqueConstraint("assessment_id", "criterion_id"),
        # What scores read, so that adding up a cycle, or finding last cycle's answer to
        # a criterion, never reads the answers' text (services/heat_map.py). It serves
        # lookups by return too.
        Index(
            "ix_criterion_response_scores",
            "assessment_id",
            "criterion_id",
            "not_applicable",
            "level_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"), index=True)
    level_id: Mapped[int | None] = mapped_column(ForeignKey("scale_level.id"))
    not_applicable: Mapped[bool] = mapped_column(default=False)
    evidence: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")
    improvement: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(Text, default="")
    action_owner: Mapped[str] = mapped_column(String(200), default="")
    action_due: Mapped[date | None]
    review_needed: Mapped[bool] = mapped_column(default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    assessment: Mapped[Assessment] = relationship(back_populates="responses")
    criterion: Mapped[Criterion] = relationship()
    level: Mapped[ScaleLevel | None] = relationship()
    updated_by: Mapped[User | None] = relationship()
    evidence_items: Mapped[list[EvidenceItem]] = relationship(
        back_populates="response", order_by="EvidenceItem.id"
    )


class EvidenceItem(Timestamped, Base):
    """A document or reference backing an answer. Files live outside the web root under
    a random name; only metadata is here."""

    __tablename__ = "evidence_item"
    # The flag rules ask of an answer's items only whether they are current and when
    # they are due for review: answered from the index alone. It serves lookups by
    # answer too.
    __table_args__ = (Index("ix_evidence_item_review", "response_id", "removed_at", "review_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("criterion_response.id"))
    title: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(500), default="")
    stored_name: Mapped[str | None] = mapped_column(String(64))
    original_filename: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None]
    effective_on: Mapped[date | None]
    review_on: Mapped[date | None]
    removed_at: Mapped[datetime | None]

    response: Mapped[CriterionResponse] = relationship(back_populates="evidence_items")
