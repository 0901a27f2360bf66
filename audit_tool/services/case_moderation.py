"""The multi-agency moderation meeting for one case: every agency's return side by
side, the consolidated judgement per section and overall, learning points, actions and
immediate safeguarding concerns.

What counts: only *submitted* returns count toward the lowest / most common / spread
summaries. A return still being written (in progress, or reopened for changes) is
shown to the meeting marked as a draft, because the meeting often sits while the last
agencies finish, but its grades are not counted: they may still change. A return not
started is shown as missing ("Not submitted yet"), never as a grade.

The meeting may sit before every return is in; it may not change anything once the
round is closed (reopen the round first). Closing a safeguarding concern is the
exception: it is follow-up work, and must be possible whatever the round's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..audit_trail import AuditEventType, record_event
from ..case_grading import Grade, GradeSummary, YesPartlyNo, parse_grade, summarise_grades
from ..db import lock_for_update
from ..models import (
    Action,
    ActionSource,
    Agency,
    AuditCase,
    CaseAnswer,
    CaseJudgement,
    CaseQuestion,
    CaseReturn,
    CaseReturnStatus,
    CaseSection,
    CaseTemplateVersion,
    LearningPoint,
    LearningTheme,
    Partnership,
    QuestionKind,
    RoundStatus,
    SafeguardingConcern,
    SectionReturn,
    User,
    utcnow,
)
from . import DomainError, NotFound, refuse_identifiers
from .actions import create_action


def require_changeable(case: AuditCase) -> None:
    """Moderation changes need an open round."""
    status = case.round.status
    if status is RoundStatus.CLOSED:
        raise DomainError(
            "This round is closed, so its moderation cannot be changed. Reopen it first."
        )
    if status is RoundStatus.DRAFT:
        raise DomainError(
            "This round is still a draft. Open it before recording the meeting's view."
        )


# The side-by-side view ---------------------------------------------------------------


class ReturnState:
    SUBMITTED = "submitted"
    DRAFT = "draft"
    MISSING = "missing"


@dataclass(frozen=True)
class Column:
    """One agency's return, as a column of the side-by-side tables."""

    case_return: CaseReturn
    state: str  # a ReturnState

    @property
    def agency(self) -> Agency:
        return self.case_return.agency

    @property
    def counted(self) -> bool:
        return self.state == ReturnState.SUBMITTED


@dataclass(frozen=True)
class Cell:
    column: Column
    answer: CaseAnswer | None  # None: no return, or this question not answered

    @property
    def grade(self) -> Grade | None:
        return parse_grade(self.answer.answer) if self.answer else None

    @property
    def yes_partly_no(self) -> YesPartlyNo | None:
        key = self.answer.answer if self.answer else None
        return YesPartlyNo(key) if key in {v.value for v in YesPartlyNo} else None

    @property
    def comment(self) -> str:
        return self.answer.comment if self.answer else ""


@dataclass(frozen=True)
class QuestionRow:
    question: CaseQuestion
    cells: list[Cell]
    summary: GradeSummary | None  # graded questions only; submitted returns only


@dataclass(frozen=True)
class Reflection:
    column: Column
    section_return: SectionReturn | None


@dataclass(frozen=True)
class SectionView:
    section: CaseSection
    rows: list[QuestionRow]
    reflections: list[Reflection]
    # Every counted grade in the section. Its spread runs across different questions,
    # so it is not a divergence: only `divergent_questions` are.
    summary: GradeSummary
    judgement: CaseJudgement | None

    @property
    def divergent_questions(self) -> int:
        """Questions on which the agencies' grades are two or more levels apart."""
        return sum(1 for row in self.rows if row.summary is not None and row.summary.divergent)


@dataclass(frozen=True)
class CaseView:
    case: AuditCase
    columns: list[Column]
    sections: list[SectionView]
    summary: GradeSummary  # every counted grade in the case, for the overall judgement
    actions: list[Action]

    @property
    def counted(self) -> int:
        return sum(1 for column in self.columns if column.counted)

    @property
    def divergent_questions(self) -> int:
        return sum(section.divergent_questions for section in self.sections)

    def section(self, section_id: int) -> SectionView:
        found = next((s for s in self.sections if s.section.id == section_id), None)
        if found is None:
            raise NotFound("Section not found")
        return found


def _state(case_return: CaseReturn) -> str:
    match case_return.status:
        case CaseReturnStatus.SUBMITTED:
            return ReturnState.SUBMITTED
        case CaseReturnStatus.IN_PROGRESS | CaseReturnStatus.REOPENED:
            return ReturnState.DRAFT
        case _:
            return ReturnState.MISSING


def load_case_view(session: Session, case: AuditCase) -> CaseView:
    """Everything the meeting sees for a case, in a fixed number of queries."""
    version = session.scalar(
        select(CaseTemplateVersion)
        .options(selectinload(CaseTemplateVersion.sections).selectinload(CaseSection.questions))
        .where(CaseTemplateVersion.id == case.round.template_version_id)
    )
    returns = session.scalars(
        select(CaseReturn)
        .options(
            joinedload(CaseReturn.agency),
            selectinload(CaseReturn.sections).selectinload(SectionReturn.answers),
        )
        .where(CaseReturn.case_id == case.id)
    ).all()
    columns = [
        Column(case_return=r, state=_state(r))
        for r in sorted(returns, key=lambda r: r.agency.name.lower())
    ]
    judgements = {
        j.section_id: j
        for j in session.scalars(
            select(CaseJudgement)
            .options(joinedload(CaseJudgement.set_by))
            .where(CaseJudgement.case_id == case.id)
        )
    }
    # Only what an agency has started is shown: a missing return has no answers to show.
    pages = {
        (column.case_return.id, page.section_id): page
        for column in columns
        if column.state != ReturnState.MISSING
        for page in column.case_return.sections
    }
    all_counted: list[Grade | None] = []
    sections = []
    for section in version.sections:
        rows = []
        section_counted: list[Grade | None] = []
        for question in section.questions:
            cells = []
            for column in columns:
                page = pages.get((column.case_return.id, section.id))
                answer = (
                    next((a for a in page.answers if a.question_id == question.id), None)
                    if page
                    else None
                )
                cells.append(Cell(column=column, answer=answer))
            summary = None
            if question.kind is QuestionKind.GRADED:
                counted = [cell.grade for cell in cells if cell.column.counted]
                summary = summarise_grades(counted)
                section_counted.extend(counted)
            rows.append(QuestionRow(question=question, cells=cells, summary=summary))
        reflections = [
            Reflection(column=column, section_return=pages.get((column.case_return.id, section.id)))
            for column in columns
        ]
        all_counted.extend(section_counted)
        sections.append(
            SectionView(
                section=section,
                rows=rows,
                reflections=reflections,
                summary=summarise_grades(section_counted),
                judgement=judgements.get(section.id),
            )
        )
    return CaseView(
        case=case,
        columns=columns,
        sections=sections,
        summary=summarise_grades(all_counted),
        actions=case_actions(session, case),
    )


def case_actions(session: Session, case: AuditCase) -> list[Action]:
    return list(
        session.scalars(
            select(Action)
            .options(joinedload(Action.agency))
            .where(Action.case_id == case.id)
            .order_by(Action.due_on, Action.id)
        )
    )


# Judgements ----------------------------------------------------------------------------


RATIONALE = "Why the meeting reached this judgement"


def _judgement_snapshot(grade: str | None, rationale: str) -> dict:
    return {"grade": grade, "rationale": rationale} if grade else {}


def record_judgement(
    session: Session,
    *,
    case: AuditCase,
    section: CaseSection,
    grade: Grade,
    rationale: str,
    by: User,
) -> CaseJudgement:
    """The meeting's consolidated grade for one section of the case."""
    refuse_identifiers(rationale, field="rationale", label=RATIONALE)
    lock_for_update(session, AuditCase, case.id)
    require_changeable(case)
    if section.version_id != case.round.template_version_id:
        raise NotFound("Section not found")
    existing = session.scalar(
        select(CaseJudgement).where(
            CaseJudgement.case_id == case.id, CaseJudgement.section_id == section.id
        )
    )
    before = _judgement_snapshot(existing.grade, existing.rationale) if existing else {}
    if existing is None:
        existing = CaseJudgement(case=case, section=section, set_by=by, grade=grade.value)
        session.add(existing)
    existing.grade = grade.value
    existing.rationale = rationale
    existing.set_by = by
    session.flush()
    record_event(
        session,
        AuditEventType.CASE_JUDGEMENT_RECORDED,
        by=by,
        partnership=case.round.partnership,
        subject=existing,
        reference=case.reference,
        section=section.title,
        before=before,
        after=_judgement_snapshot(grade.value, rationale),
    )
    return existing


def record_overall(
    session: Session, *, case: AuditCase, grade: Grade, rationale: str, by: User
) -> None:
    """The meeting's overall judgement of the case; marks the case as moderated."""
    refuse_identifiers(rationale, field="rationale", label=RATIONALE)
    lock_for_update(session, AuditCase, case.id)
    require_changeable(case)
    before = _judgement_snapshot(case.overall_grade, case.overall_rationale)
    case.overall_grade = grade.value
    case.overall_rationale = rationale
    case.moderated_at = utcnow()
    case.moderated_by = by
    session.flush()
    record_event(
        session,
        AuditEventType.CASE_JUDGEMENT_RECORDED,
        by=by,
        partnership=case.round.partnership,
        subject=case,
        reference=case.reference,
        section=None,
        before=before,
        after=_judgement_snapshot(grade.value, rationale),
    )


# Learning ------------------------------------------------------------------------------


def add_learning(
    session: Session, *, case: AuditCase, theme: LearningTheme, text: str, by: User
) -> LearningPoint:
    require_changeable(case)
    if not text.strip():
        raise DomainError("Enter the learning", field="text")
    refuse_identifiers(text, field="text", label="Learning")
    point = LearningPoint(case=case, theme=theme, text=text, by=by)
    session.add(point)
    session.flush()
    record_event(
        session,
        AuditEventType.LEARNING_RECORDED,
        by=by,
        partnership=case.round.partnership,
        subject=point,
        reference=case.reference,
        theme=theme.value,
        text=text,
    )
    return point


def get_learning(session: Session, case: AuditCase, learning_id: int) -> LearningPoint:
    point = session.scalar(
        select(LearningPoint).where(
            LearningPoint.id == learning_id, LearningPoint.case_id == case.id
        )
    )
    if point is None:
        raise NotFound("Learning point not found")
    return point


def remove_learning(session: Session, *, point: LearningPoint, by: User) -> None:
    case = point.case
    require_changeable(case)
    record_event(
        session,
        AuditEventType.LEARNING_REMOVED,
        by=by,
        partnership=case.round.partnership,
        subject=point,
        reference=case.reference,
        theme=point.theme.value,
        text=point.text,
    )
    case.learning.remove(point)
    session.delete(point)
    session.flush()


# Actions -------------------------------------------------------------------------------


def add_case_action(
    session: Session,
    *,
    case: AuditCase,
    agency: Agency,
    description: str,
    owner: str,
    due_on: date,
    today: date,
    by: User,
) -> Action:
    """An action the meeting agreed with one of the case's agencies, into the
    partnership's action tracker."""
    refuse_identifiers(description, field="description", label="Action")
    refuse_identifiers(owner, field="owner", label="Who owns it")
    require_changeable(case)
    if agency.id not in {r.agency_id for r in case.returns}:
        raise DomainError("Select one of the agencies involved in this case", field="agency")
    return create_action(
        session,
        partnership=case.round.partnership,
        agency=agency,
        source=ActionSource.CASE_AUDIT,
        description=description,
        owner=owner,
        due_on=due_on,
        today=today,
        by=by,
        case=case,
    )


# Immediate safeguarding concerns -------------------------------------------------------


def raise_concern(
    session: Session,
    *,
    case: AuditCase,
    description: str,
    follow_up_by: str,
    follow_up_agency: Agency | None,
    due_on: date,
    today: date,
    by: User,
) -> SafeguardingConcern:
    """A worry about a child's safety now. It must say who follows it up and by when,
    and stays on PQA's overview until someone closes it."""
    require_changeable(case)
    if not follow_up_by.strip():
        raise DomainError("Enter who will follow up the concern", field="follow_up_by")
    refuse_identifiers(description, field="description", label="What is the concern?")
    refuse_identifiers(follow_up_by, field="follow_up_by", label="Who will follow it up")
    if due_on < today:
        raise DomainError("The follow-up date must be today or in the future", field="due_on")
    concern = SafeguardingConcern(
        partnership_id=case.partnership_id,
        case=case,
        description=description,
        follow_up_by=follow_up_by,
        follow_up_agency=follow_up_agency,
        due_on=due_on,
        raised_by=by,
    )
    session.add(concern)
    session.flush()
    record_event(
        session,
        AuditEventType.CONCERN_RAISED,
        by=by,
        partnership=case.round.partnership,
        subject=concern,
        reference=case.reference,
        follow_up_by=follow_up_by,
        follow_up_agency=follow_up_agency.name if follow_up_agency else None,
        due_on=due_on.isoformat(),
    )
    return concern


def get_concern(session: Session, partnership: Partnership, concern_id: int) -> SafeguardingConcern:
    concern = session.scalar(
        select(SafeguardingConcern)
        .options(
            joinedload(SafeguardingConcern.case).joinedload(AuditCase.round),
            joinedload(SafeguardingConcern.follow_up_agency),
        )
        .where(
            SafeguardingConcern.id == concern_id,
            SafeguardingConcern.partnership_id == partnership.id,
        )
    )
    if concern is None:
        raise NotFound("Concern not found")
    return concern


def close_concern(session: Session, *, concern: SafeguardingConcern, note: str, by: User) -> None:
    if not note.strip():
        raise DomainError("Enter a closing note", field="note")
    refuse_identifiers(note, field="note", label="Closing note")
    lock_for_update(session, SafeguardingConcern, concern.id)
    if concern.closed_at is not None:
        raise DomainError("This concern is already closed", field="note")
    concern.closed_at = utcnow()
    concern.closed_by = by
    concern.closing_note = note
    session.flush()
    record_event(
        session,
        AuditEventType.CONCERN_CLOSED,
        by=by,
        partnership=concern.case.round.partnership,
        subject=concern,
        reference=concern.case.reference,
        note=note,
    )


def open_concerns(session: Session, partnership: Partnership) -> list[SafeguardingConcern]:
    """Concerns not yet closed, soonest due first: PQA's overview lists them."""
    return list(
        session.scalars(
            select(SafeguardingConcern)
            .options(
                joinedload(SafeguardingConcern.case),
                joinedload(SafeguardingConcern.follow_up_agency),
            )
            .where(
                SafeguardingConcern.partnership_id == partnership.id,
                SafeguardingConcern.closed_at.is_(None),
            )
            .order_by(SafeguardingConcern.due_on, SafeguardingConcern.id)
        )
    )


def is_concern_overdue(concern: SafeguardingConcern, today: date) -> bool:
    return concern.closed_at is None and concern.due_on < today
