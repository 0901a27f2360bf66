"""Challenge panels: sessions, the agencies attending, challenges, moderated ratings,
outcomes; and the partnership's action tracker."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped
from .case_audit import AuditCase
from .cycle import Assessment, AuditCycle
from .framework import Criterion, ScaleLevel, Standard
from .partnership import Agency, Partnership, str_enum
from .user import User


class PanelStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    SIGNED_OFF = "signed_off"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Outcome(StrEnum):
    ASSURED = "assured"
    PARTIALLY_ASSURED = "partially_assured"
    NOT_ASSURED = "not_assured"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Panel(Timestamped, Base):
    """A challenge panel meeting in a Section 11 cycle."""

    __tablename__ = "panel"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("audit_cycle.id"), index=True)
    held_on: Mapped[date]
    starts_at: Mapped[str] = mapped_column(String(5))  # "HH:MM", local time
    place: Mapped[str] = mapped_column(String(500))
    chair_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[PanelStatus] = mapped_column(str_enum(PanelStatus))
    signed_off_at: Mapped[datetime | None]
    reopened_reason: Mapped[str | None] = mapped_column(Text)

    cycle: Mapped[AuditCycle] = relationship()
    chair: Mapped[User] = relationship()
    members: Mapped[list[PanelMember]] = relationship(
        back_populates="panel", cascade="all, delete-orphan"
    )
    attendances: Mapped[list[PanelAgency]] = relationship(
        back_populates="panel", order_by="PanelAgency.slot"
    )


class PanelMember(Timestamped, Base):
    __tablename__ = "panel_member"
    __table_args__ = (UniqueConstraint("panel_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)

    panel: Mapped[Panel] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class PanelAgency(Timestamped, Base):
    """An agency's slot at a panel, and what the panel concluded about its return."""

    __tablename__ = "panel_agency"
    __table_args__ = (UniqueConstraint("panel_id", "assessment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    slot: Mapped[str] = mapped_column(String(5))  # "HH:MM"
    outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome))
    outcome_summary: Mapped[str] = mapped_column(Text, default="")
    private_notes: Mapped[str] = mapped_column(Text, default="")

    panel: Mapped[Panel] = relationship(back_populates="attendances")
    assessment: Mapped[Assessment] = relationship()
    challenges: Mapped[list[Challenge]] = relationship(
        back_populates="panel_agency", order_by="Challenge.id"
    )
    moderated_ratings: Mapped[list[ModeratedRating]] = relationship(back_populates="panel_agency")


class Challenge(Timestamped, Base):
    """A question the panel puts to an agency about a criterion or a standard, and the
    agency's answer."""

    __tablename__ = "challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_agency_id: Mapped[int] = mapped_column(ForeignKey("panel_agency.id"), index=True)
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("criterion.id"))
    standard_id: Mapped[int | None] = mapped_column(ForeignKey("standard.id"))
    question: Mapped[str] = mapped_column(Text)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    response: Mapped[str] = mapped_column(Text, default="")
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    responded_at: Mapped[datetime | None]
    satisfied: Mapped[bool | None]

    panel_agency: Mapped[PanelAgency] = relationship(back_populates="challenges")
    criterion: Mapped[Criterion | None] = relationship()
    standard: Mapped[Standard | None] = relationship()
    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id])
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])


class ModeratedRating(Timestamped, Base):
    """The panel's rating of a criterion, beside (never instead of) the agency's own."""

    __tablename__ = "moderated_rating"
    __table_args__ = (UniqueConstraint("panel_agency_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_agency_id: Mapped[int] = mapped_column(ForeignKey("panel_agency.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"))
    level_id: Mapped[int] = mapped_column(ForeignKey("scale_level.id"))
    rationale: Mapped[str] = mapped_column(Text)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    panel_agency: Mapped[PanelAgency] = relationship(back_populates="moderated_ratings")
    criterion: Mapped[Criterion] = relationship()
    level: Mapped[ScaleLevel] = relationship()
    set_by: Mapped[User] = relationship()


class ActionSource(StrEnum):
    RETURN = "return"
    PANEL = "panel"
    CASE_AUDIT = "case_audit"

    @property
    def label(self) -> str:
        return {
            "return": "Section 11 return",
            "panel": "Challenge panel",
            "case_audit": "Case-file audit",
        }[self.value]


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Action(Timestamped, Base):
    """An improvement an agency has committed to, wherever it came from: its own return,
    a challenge panel or a case-file audit's moderation meeting. One tracker for the partnership."""

    __tablename__ = "action"
    __table_args__ = (
        # One action per answer for actions taken from a return (they are refreshed on
        # resubmission); a panel may agree several about one criterion.
        Index(
            "uq_action_return_answer",
            "assessment_id",
            "criterion_id",
            unique=True,
            sqlite_where=text("source = 'return'"),
            postgresql_where=text("source = 'return'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    source: Mapped[ActionSource] = mapped_column(str_enum(ActionSource))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"))
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("criterion.id"))
    panel_agency_id: Mapped[int | None] = mapped_column(ForeignKey("panel_agency.id"))
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("challenge.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("audit_case.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(str_enum(ActionStatus))
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    partnership: Mapped[Partnership] = relationship()
    agency: Mapped[Agency] = relationship()
    criterion: Mapped[Criterion | None] = relationship()
    challenge: Mapped[Challenge | None] = relationship()
    case: Mapped[AuditCase | None] = relationship()
    closed_by: Mapped[User | None] = relationship()
    updates: Mapped[list[ActionUpdate]] = relationship(
        back_populates="action", order_by="ActionUpdate.id"
    )


class ActionUpdate(Timestamped, Base):
    """Progress on an action, in the agency's words, with evidence where there is some."""

    __tablename__ = "action_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    evidence_reference: Mapped[str] = mapped_column(String(500), default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    action: Mapped[Action] = relationship(back_populates="updates")
    by: Mapped[User] = relationship()
