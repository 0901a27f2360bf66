"""Themed multi-agency case-file audits.

A *template* (versioned like a framework) sets the sections and questions for a theme.
A *round* samples a few children's cases on that theme; each involved agency audits its
own work on each case (a `CaseReturn`); the multi-agency meeting then records one
consolidated judgement per section and overall, learning, actions and any immediate
safeguarding concern.

Cases are pseudonymous by design: a case has a reference the partnership generates, an
age band and the plan it was on when selected. There is no column for a name, a date of
birth, an address or an NHS number, and free text is checked for them before it is
saved (see `identifiers.py`). The link from reference to child stays in the agencies'
own systems.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped
from .framework import FrameworkStatus
from .partnership import Agency, Partnership, str_enum
from .user import User


class QuestionKind(StrEnum):
    GRADED = "graded"  # the four-point judgement scale in case_grading.py
    YES_PARTLY_NO = "yes_partly_no"
    FREE_TEXT = "free_text"

    @property
    def label(self) -> str:
        return {
            "graded": "Graded",
            "yes_partly_no": "Yes, partly or no",
            "free_text": "Free text",
        }[self.value]


class CaseTemplate(Timestamped, Base):
    """A theme's audit template across versions. Built-in templates have no partnership."""

    __tablename__ = "case_template"
    __table_args__ = (
        UniqueConstraint("partnership_id", "key"),
        Index(
            "uq_case_template_builtin_key",
            "key",
            unique=True,
            sqlite_where=text("partnership_id IS NULL"),
            postgresql_where=text("partnership_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(String(200))
    # The prefix of case references on this theme, e.g. "DA" in DA-2026-03.
    reference_prefix: Mapped[str] = mapped_column(String(8))
    partnership_id: Mapped[int | None] = mapped_column(ForeignKey("partnership.id"))

    partnership: Mapped[Partnership | None] = relationship()
    versions: Mapped[list[CaseTemplateVersion]] = relationship(
        back_populates="template", order_by="CaseTemplateVersion.number"
    )


class CaseTemplateVersion(Timestamped, Base):
    __tablename__ = "case_template_version"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("case_template.id"), index=True)
    number: Mapped[int]
    status: Mapped[FrameworkStatus] = mapped_column(str_enum(FrameworkStatus))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None]

    template: Mapped[CaseTemplate] = relationship(back_populates="versions")
    sections: Mapped[list[CaseSection]] = relationship(
        back_populates="version", order_by="CaseSection.position", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        return f"{self.name}, version {self.number}"

    @property
    def frozen(self) -> bool:
        return self.status is FrameworkStatus.PUBLISHED


class CaseSection(Timestamped, Base):
    __tablename__ = "case_section"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("case_template_version.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int]

    version: Mapped[CaseTemplateVersion] = relationship(back_populates="sections")
    questions: Mapped[list[CaseQuestion]] = relationship(
        back_populates="section", order_by="CaseQuestion.position", cascade="all, delete-orphan"
    )


class CaseQuestion(Timestamped, Base):
    __tablename__ = "case_question"
    __table_args__ = (UniqueConstraint("section_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("case_section.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind))
    wording: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int]

    section: Mapped[CaseSection] = relationship(back_populates="questions")


class RoundStatus(StrEnum):
    DRAFT = "draft"  # PQA is choosing the cases; agencies see nothing yet
    OPEN = "open"  # agencies are auditing their work; moderation may begin
    CLOSED = "closed"  # moderated and reported; read-only until reopened

    @property
    def label(self) -> str:
        return self.value.capitalize()


class AgeBand(StrEnum):
    UNDER_1 = "under_1"
    AGE_1_4 = "1_4"
    AGE_5_9 = "5_9"
    AGE_10_15 = "10_15"
    AGE_16_17 = "16_17"

    @property
    def label(self) -> str:
        return {
            "under_1": "Under 1",
            "1_4": "1 to 4",
            "5_9": "5 to 9",
            "10_15": "10 to 15",
            "16_17": "16 to 17",
        }[self.value]


class PlanType(StrEnum):
    EARLY_HELP = "early_help"
    CHILD_IN_NEED = "child_in_need"
    CHILD_PROTECTION = "child_protection"
    LOOKED_AFTER = "looked_after"

    @property
    def label(self) -> str:
        return {
            "early_help": "Early help",
            "child_in_need": "Child in need",
            "child_protection": "Child protection",
            "looked_after": "Looked after",
        }[self.value]


class CaseAuditRound(Timestamped, Base):
    """One themed audit: a sample of cases, a look-back period, a deadline and a
    moderation meeting."""

    __tablename__ = "case_audit_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id"), index=True)
    template_version_id: Mapped[int] = mapped_column(ForeignKey("case_template_version.id"))
    name: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(String(200))
    lookback_from: Mapped[date]
    lookback_to: Mapped[date]
    due_on: Mapped[date]
    moderation_on: Mapped[date | None]
    status: Mapped[RoundStatus] = mapped_column(str_enum(RoundStatus))
    closed_at: Mapped[datetime | None]
    reopened_reason: Mapped[str | None] = mapped_column(Text)

    partnership: Mapped[Partnership] = relationship()
    template_version: Mapped[CaseTemplateVersion] = relationship()
    cases: Mapped[list[AuditCase]] = relationship(
        back_populates="round", order_by="AuditCase.sequence"
    )


class AuditCase(Timestamped, Base):
    """One child's case in a round, known only by its pseudonymous reference.

    The consolidated judgement lives here: the meeting's overall grade, with a section
    judgement per section in `CaseJudgement`."""

    __tablename__ = "audit_case"
    __table_args__ = (
        UniqueConstraint("partnership_id", "reference"),
        UniqueConstraint("round_id", "sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("case_audit_round.id"), index=True)
    sequence: Mapped[int]
    reference: Mapped[str] = mapped_column(String(32))
    age_band: Mapped[AgeBand] = mapped_column(str_enum(AgeBand))
    plan_type: Mapped[PlanType] = mapped_column(str_enum(PlanType))
    # Why the case was chosen, in words that cannot identify the child.
    selection_reason: Mapped[str] = mapped_column(Text, default="")
    overall_grade: Mapped[str | None] = mapped_column(String(32))
    overall_rationale: Mapped[str] = mapped_column(Text, default="")
    moderated_at: Mapped[datetime | None]
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    round: Mapped[CaseAuditRound] = relationship(back_populates="cases")
    moderated_by: Mapped[User | None] = relationship()
    returns: Mapped[list[CaseReturn]] = relationship(
        back_populates="case", order_by="CaseReturn.id"
    )
    judgements: Mapped[list[CaseJudgement]] = relationship(
        back_populates="case", order_by="CaseJudgement.id"
    )
    learning: Mapped[list[LearningPoint]] = relationship(
        back_populates="case", order_by="LearningPoint.id"
    )
    concerns: Mapped[list[SafeguardingConcern]] = relationship(
        back_populates="case", order_by="SafeguardingConcern.id"
    )


class CaseReturnStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    REOPENED = "reopened"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class CaseReturn(Timestamped, Base):
    """One agency's audit of its own work on one case. Its existence is what assigns the
    case to the agency."""

    __tablename__ = "case_return"
    __table_args__ = (UniqueConstraint("case_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("audit_case.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    status: Mapped[CaseReturnStatus] = mapped_column(str_enum(CaseReturnStatus))
    last_activity_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reopened_reason: Mapped[str | None] = mapped_column(Text)

    case: Mapped[AuditCase] = relationship(back_populates="returns")
    agency: Mapped[Agency] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    sections: Mapped[list[SectionReturn]] = relationship(
        back_populates="case_return", order_by="SectionReturn.id"
    )


class SectionReturn(Timestamped, Base):
    """An agency's answers to one section of the template, saved as one page.

    `version` counts saves, as on Section 11 answers: the page carries the version its
    user saw and an older one is a conflict, never a silent overwrite."""

    __tablename__ = "case_section_return"
    __table_args__ = (UniqueConstraint("case_return_id", "section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_return_id: Mapped[int] = mapped_column(ForeignKey("case_return.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("case_section.id"))
    good_practice: Mapped[str] = mapped_column(Text, default="")
    development: Mapped[str] = mapped_column(Text, default="")
    recommendations: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    case_return: Mapped[CaseReturn] = relationship(back_populates="sections")
    section: Mapped[CaseSection] = relationship()
    answers: Mapped[list[CaseAnswer]] = relationship(
        back_populates="section_return", order_by="CaseAnswer.id", cascade="all, delete-orphan"
    )


class CaseAnswer(Timestamped, Base):
    """One question's answer: a grade or yes/partly/no key (see case_grading.py), and
    any comment. Free-text questions keep only the comment."""

    __tablename__ = "case_answer"
    __table_args__ = (UniqueConstraint("section_return_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    section_return_id: Mapped[int] = mapped_column(ForeignKey("case_section_return.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("case_question.id"))
    answer: Mapped[str | None] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text, default="")

    section_return: Mapped[SectionReturn] = relationship(back_populates="answers")
    question: Mapped[CaseQuestion] = relationship()


class CaseJudgement(Timestamped, Base):
    """The meeting's consolidated grade for one section of one case."""

    __tablename__ = "case_judgement"
    __table_args__ = (UniqueConstraint("case_id", "section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("audit_case.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("case_section.id"))
    grade: Mapped[str] = mapped_column(String(32))
    rationale: Mapped[str] = mapped_column(Text, default="")
    set_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    case: Mapped[AuditCase] = relationship(back_populates="judgements")
    section: Mapped[CaseSection] = relationship()
    set_by: Mapped[User] = relationship()


class LearningTheme(StrEnum):
    """Fixed themes, so that learning recurring across cases and rounds can be counted."""

    INFORMATION_SHARING = "information_sharing"
    VOICE_OF_CHILD = "voice_of_child"
    PROFESSIONAL_CURIOSITY = "professional_curiosity"
    RISK_ASSESSMENT = "risk_assessment"
    ESCALATION = "escalation"
    MANAGEMENT_OVERSIGHT = "management_oversight"
    RECORDING = "recording"
    FATHERS_AND_MALE_CARERS = "fathers_and_male_carers"
    TRANSITIONS = "transitions"
    THRESHOLDS = "thresholds"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "information_sharing": "Information sharing",
            "voice_of_child": "Voice and lived experience of the child",
            "professional_curiosity": "Professional curiosity",
            "risk_assessment": "Assessment of risk",
            "escalation": "Challenge and escalation",
            "management_oversight": "Management oversight and supervision",
            "recording": "Recording",
            "fathers_and_male_carers": "Fathers and male carers",
            "transitions": "Transitions between services",
            "thresholds": "Thresholds and the front door",
            "other": "Other",
        }[self.value]


class LearningPoint(Timestamped, Base):
    __tablename__ = "case_learning"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("audit_case.id"), index=True)
    theme: Mapped[LearningTheme] = mapped_column(str_enum(LearningTheme))
    text: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    case: Mapped[AuditCase] = relationship(back_populates="learning")
    by: Mapped[User] = relationship()


class SafeguardingConcern(Timestamped, Base):
    """A worry about a child's safety now, found during the audit. It names who follows
    it up and by when, and stays on PQA's overview until someone closes it."""

    __tablename__ = "safeguarding_concern"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("audit_case.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    follow_up_by: Mapped[str] = mapped_column(String(200))
    follow_up_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    due_on: Mapped[date]
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closing_note: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[AuditCase] = relationship(back_populates="concerns")
    follow_up_agency: Mapped[Agency | None] = relationship()
    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
