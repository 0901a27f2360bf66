"""An agency's case-file audit: its lead answers the round's template about the agency's
own work on one case, section by section, checks the answers and submits.

Views call these; they add and flush, and the request commits. An agency lead reaches a
case only through a `CaseReturn` of an agency they lead (its existence is what assigns
the case), so another agency's case, or its answers, cannot even be seen to exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..audit_trail import AuditEventType, record_event
from ..case_grading import Grade, YesPartlyNo
from ..db import lock_for_update
from ..models import (
    AuditCase,
    CaseAnswer,
    CaseAuditRound,
    CaseQuestion,
    CaseReturn,
    CaseReturnStatus,
    CaseSection,
    Partnership,
    QuestionKind,
    RoundStatus,
    SectionReturn,
    User,
    utcnow,
)
from ..return_rules import Progress
from ..states import case_return_is_editable, move_case_return
from . import DomainError, NotFound, refuse_identifiers
from .assessments import EditConflict

# ---------------------------------------------------------------------------------------
# Field names and labels, shared by the section form, the service's own checks and the
# links from "check your answers" to the field at fault.

REFLECTIONS = {
    "good_practice": "What worked well (good practice)",
    "development": "Areas for development",
    "recommendations": "Recommendations",
}


def answer_field(question_id: int) -> str:
    return f"q{question_id}_answer"


def comment_field(question_id: int) -> str:
    return f"q{question_id}_comment"


def comment_label(question: QuestionEntry | CaseQuestion, number: int) -> str:
    if question.kind is QuestionKind.FREE_TEXT:
        return f"{number}. {question.wording}"
    return f"Comments on question {number}"


def answer_label(kind: QuestionKind, answer: str | None) -> str | None:
    """What a stored answer key says, or None for no answer."""
    if not answer:
        return None
    try:
        if kind is QuestionKind.GRADED:
            return Grade(answer).label
        if kind is QuestionKind.YES_PARTLY_NO:
            return YesPartlyNo(answer).label
    except ValueError:
        return None
    return None


# ---------------------------------------------------------------------------------------
# The lead's list of cases


@dataclass(frozen=True)
class AssignedCase:
    """One case on the lead's list: their agency's return and how far it has got."""

    case_return: CaseReturn
    answered: int  # graded and yes/partly/no questions answered
    required: int  # graded and yes/partly/no questions in the template

    @property
    def case(self) -> AuditCase:
        return self.case_return.case

    @property
    def audit_round(self) -> CaseAuditRound:
        return self.case_return.case.round

    @property
    def editable(self) -> bool:
        return case_return_is_editable(self.case_return)

    def overdue(self, today: date) -> bool:
        return self.editable and self.audit_round.due_on < today


def _visible_returns(partnership: Partnership, agency_ids: set[int]):
    """The returns of these agencies in rounds agencies can see (open or closed)."""
    return (
        select(CaseReturn)
        .join(CaseReturn.case)
        .join(AuditCase.round)
        .where(
            AuditCase.partnership_id == partnership.id,
            CaseAuditRound.partnership_id == partnership.id,
            CaseAuditRound.status != RoundStatus.DRAFT,
            CaseReturn.agency_id.in_(agency_ids),
        )
    )


def _one_per_case(returns: list[CaseReturn]) -> list[CaseReturn]:
    """A lead of two agencies on one case works on the return assigned first (lowest id):
    the pages address a case, not a return, so one rule picks the same return on every
    page. The other agency's return is its other lead's to complete."""
    chosen: dict[int, CaseReturn] = {}
    for case_return in sorted(returns, key=lambda r: r.id):
        chosen.setdefault(case_return.case_id, case_return)
    return list(chosen.values())


def agency_case_returns(
    session: Session, partnership: Partnership, agency_ids: set[int]
) -> list[AssignedCase]:
    """The cases assigned to these agencies in open rounds (and closed ones, read-only),
    open rounds first, then by due date and case order."""
    if not agency_ids:
        return []
    returns = _one_per_case(
        list(
            session.scalars(
                _visible_returns(partnership, agency_ids).options(
                    joinedload(CaseReturn.agency),
                    joinedload(CaseReturn.case).joinedload(AuditCase.round),
                )
            )
        )
    )
    if not returns:
        return []
    required_kinds = (QuestionKind.GRADED, QuestionKind.YES_PARTLY_NO)
    answered = dict(
        session.execute(
            select(SectionReturn.case_return_id, func.count(CaseAnswer.id))
            .join(CaseAnswer.section_return)
            .join(CaseAnswer.question)
            .where(
                SectionReturn.case_return_id.in_([r.id for r in returns]),
                CaseQuestion.kind.in_(required_kinds),
                CaseAnswer.answer.is_not(None),
            )
            .group_by(SectionReturn.case_return_id)
        ).all()
    )
    version_ids = {r.case.round.template_version_id for r in returns}
    required = dict(
        session.execute(
            select(CaseSection.version_id, func.count(CaseQuestion.id))
            .join(CaseQuestion.section)
            .where(CaseSection.version_id.in_(version_ids), CaseQuestion.kind.in_(required_kinds))
            .group_by(CaseSection.version_id)
        ).all()
    )
    rows = [
        AssignedCase(
            case_return=r,
            answered=answered.get(r.id, 0),
            required=required.get(r.case.round.template_version_id, 0),
        )
        for r in returns
    ]
    rows.sort(
        key=lambda row: (
            row.audit_round.status is not RoundStatus.OPEN,
            row.audit_round.due_on,
            row.audit_round.id,
            row.case.sequence,
        )
    )
    return rows


def load_case_return(
    session: Session, *, partnership: Partnership, case_id: int, agency_ids: set[int]
) -> CaseReturn:
    """The lead's agency's return on this case. NotFound when the case is not in the
    partnership, its round is still a draft, or none of these agencies is on it."""
    if not agency_ids:
        raise NotFound("Case not found")
    returns = _one_per_case(
        list(
            session.scalars(
                _visible_returns(partnership, agency_ids)
                .where(CaseReturn.case_id == case_id)
                .options(
                    joinedload(CaseReturn.agency),
                    joinedload(CaseReturn.case)
                    .joinedload(AuditCase.round)
                    .joinedload(CaseAuditRound.template_version),
                )
            )
        )
    )
    if not returns:
        raise NotFound("Case not found")
    return returns[0]


# ---------------------------------------------------------------------------------------
# A return's contents, as plain data for the pages


@dataclass(frozen=True)
class QuestionEntry:
    id: int
    key: str
    kind: QuestionKind
    wording: str
    guidance: str
    number: int  # 1, 2, ... within its section
    answer: str | None = None
    comment: str = ""

    @property
    def required(self) -> bool:
        """Graded and yes/partly/no questions must be answered to submit; free text and
        comments are optional."""
        return self.kind is not QuestionKind.FREE_TEXT

    @property
    def answered(self) -> bool:
        return self.answer is not None if self.required else bool(self.comment)

    @property
    def answer_label(self) -> str | None:
        return answer_label(self.kind, self.answer)

    @property
    def grade(self) -> Grade | None:
        return Grade(self.answer) if self.kind is QuestionKind.GRADED and self.answer else None

    @property
    def answer_field(self) -> str:
        return answer_field(self.id)

    @property
    def comment_field(self) -> str:
        return comment_field(self.id)

    @property
    def comment_label(self) -> str:
        return comment_label(self, self.number)


@dataclass(frozen=True)
class SectionEntry:
    section: CaseSection  # to pass back to `save_section`; pages use the fields below
    id: int
    title: str
    summary: str
    number: int
    questions: tuple[QuestionEntry, ...]
    version: int = 0  # 0: never saved
    good_practice: str = ""
    development: str = ""
    recommendations: str = ""
    updated_by: str | None = None
    updated_at: datetime | None = None

    @property
    def reflections(self) -> list[tuple[str, str, str]]:
        """(field name, label, text) for the three reflections, in page order."""
        return [(name, label, getattr(self, name)) for name, label in REFLECTIONS.items()]

    @property
    def progress(self) -> Progress:
        touched = any(q.answer or q.comment for q in self.questions) or any(
            text for _, _, text in self.reflections
        )
        if not touched:
            return Progress.NOT_STARTED
        if all(q.answered for q in self.questions if q.required):
            return Progress.COMPLETED
        return Progress.IN_PROGRESS


@dataclass(frozen=True)
class CaseReturnContents:
    case_return: CaseReturn
    sections: tuple[SectionEntry, ...]

    def entry(self, section_id: int) -> SectionEntry:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise NotFound("Section not found")

    def following(self, section_id: int) -> SectionEntry | None:
        ids = [s.id for s in self.sections]
        position = ids.index(section_id)
        return self.sections[position + 1] if position + 1 < len(ids) else None

    @property
    def questions(self) -> list[tuple[SectionEntry, QuestionEntry]]:
        return [(s, q) for s in self.sections for q in s.questions]


def load_contents(session: Session, case_return: CaseReturn) -> CaseReturnContents:
    """Every section of the round's template with this return's answers."""
    version_id = case_return.case.round.template_version_id
    sections = session.scalars(
        select(CaseSection)
        .options(selectinload(CaseSection.questions))
        .where(CaseSection.version_id == version_id)
        .order_by(CaseSection.position)
    ).all()
    saved = {
        sr.section_id: sr
        for sr in session.scalars(
            select(SectionReturn)
            .options(selectinload(SectionReturn.answers))
            .where(SectionReturn.case_return_id == case_return.id)
            .execution_options(populate_existing=True)
        )
    }
    editor_ids = {sr.updated_by_id for sr in saved.values() if sr.updated_by_id}
    editors = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(editor_ids))).all())
        if editor_ids
        else {}
    )
    entries = []
    for number, section in enumerate(sections, start=1):
        section_return = saved.get(section.id)
        answers = {a.question_id: a for a in section_return.answers} if section_return else {}
        questions = tuple(
            QuestionEntry(
                id=q.id,
                key=q.key,
                kind=q.kind,
                wording=q.wording,
                guidance=q.guidance,
                number=n,
                answer=answers[q.id].answer if q.id in answers else None,
                comment=answers[q.id].comment if q.id in answers else "",
            )
            for n, q in enumerate(section.questions, start=1)
        )
        saved_fields = {}
        if section_return is not None:
            saved_fields = {
                "version": section_return.version,
                **{name: getattr(section_return, name) for name in REFLECTIONS},
                "updated_by": editors.get(section_return.updated_by_id),
                "updated_at": section_return.updated_at,
            }
        entry = SectionEntry(
            section=section,
            id=section.id,
            title=section.title,
            summary=section.summary,
            number=number,
            questions=questions,
            **saved_fields,
        )
        entries.append(entry)
    return CaseReturnContents(case_return, tuple(entries))


# ---------------------------------------------------------------------------------------
# Saving a section


class SectionEditConflict(EditConflict):
    """Someone saved this section after the user loaded it. Like a Section 11 answer's
    conflict: nothing is saved, and the page shows both versions."""

    def __init__(self, current: SectionReturn) -> None:
        DomainError.__init__(self, "Someone else saved this section while you were editing it")
        self.current = current


def require_editable(case_return: CaseReturn) -> None:
    if not case_return_is_editable(case_return):
        if case_return.case.round.status is not RoundStatus.OPEN:
            raise DomainError("This audit round is not open, so the case audit cannot be changed")
        raise DomainError("This case audit has been submitted and cannot be changed")


_VALID_ANSWERS = {
    QuestionKind.GRADED: frozenset(g.value for g in Grade),
    QuestionKind.YES_PARTLY_NO: frozenset(a.value for a in YesPartlyNo),
}


def _snapshot(section_return: SectionReturn | None) -> dict:
    if section_return is None:
        return {}
    return {
        "answers": {
            a.question.key: {"answer": a.answer, "comment": a.comment}
            for a in section_return.answers
            if a.answer is not None or a.comment
        },
        **{name: getattr(section_return, name) for name in REFLECTIONS},
    }


def save_section(
    session: Session,
    *,
    case_return: CaseReturn,
    section: CaseSection,
    answers: Mapping[int, tuple[str | None, str]],
    good_practice: str,
    development: str,
    recommendations: str,
    seen_version: int,
    by: User,
) -> SectionReturn:
    """Save one section page as a draft, whatever its completeness (the checks that
    matter apply at submission). `answers` maps question id to (answer key, comment);
    questions left out are saved unanswered. `seen_version` is the section's version when
    the user's page was loaded (0: never saved); if someone has saved since, raise
    SectionEditConflict and change nothing."""
    # Lock the return: saves to one case audit queue for the few milliseconds a save
    # takes, so the version comparison below cannot race.
    lock_for_update(session, CaseReturn, case_return.id)
    require_editable(case_return)
    if section.version_id != case_return.case.round.template_version_id:
        raise NotFound("Section not found")
    questions = {q.id: (n, q) for n, q in enumerate(section.questions, start=1)}
    unknown = set(answers) - questions.keys()
    if unknown:
        raise DomainError("The page does not match this section. Reload it and try again")
    reflections = {
        "good_practice": good_practice,
        "development": development,
        "recommendations": recommendations,
    }
    for question_id, (number, question) in questions.items():
        answer, comment = answers.get(question_id, (None, ""))
        if question.kind is QuestionKind.FREE_TEXT:
            answer = None  # a free-text question keeps only its text
        if answer is not None and answer not in _VALID_ANSWERS[question.kind]:
            message = (
                "Select a grade from the list"
                if question.kind is QuestionKind.GRADED
                else "Select yes, partly or no"
            )
            raise DomainError(message, field=answer_field(question_id))
        refuse_identifiers(
            comment, field=comment_field(question_id), label=comment_label(question, number)
        )
    for name, text in reflections.items():
        refuse_identifiers(text, field=name, label=REFLECTIONS[name])

    section_return = session.scalar(
        select(SectionReturn)
        .options(selectinload(SectionReturn.answers).joinedload(CaseAnswer.question))
        .where(
            SectionReturn.case_return_id == case_return.id,
            SectionReturn.section_id == section.id,
        )
        .execution_options(populate_existing=True)
    )
    current_version = section_return.version if section_return is not None else 0
    if current_version != seen_version:
        raise SectionEditConflict(section_return)
    before = _snapshot(section_return)
    if section_return is None:
        section_return = SectionReturn(case_return=case_return, section=section)
        session.add(section_return)
    existing = {a.question_id: a for a in section_return.answers}
    for question_id, (_, question) in questions.items():
        answer, comment = answers.get(question_id, (None, ""))
        if question.kind is QuestionKind.FREE_TEXT:
            answer = None
        row = existing.get(question_id)
        if row is None:
            if answer is None and not comment:
                continue
            row = CaseAnswer(question=question)
            section_return.answers.append(row)
        row.answer = answer
        row.comment = comment
    for name, text in reflections.items():
        setattr(section_return, name, text)
    section_return.updated_by_id = by.id
    # Always an UPDATE of the section row, so its version counts every save (answers
    # are rows of their own, and changing only them would not bump it).
    section_return.updated_at = utcnow()
    _touch(case_return)
    session.flush()
    after = _snapshot(section_return)
    if before != after:
        record_event(
            session,
            AuditEventType.CASE_RETURN_SAVED,
            by=by,
            partnership=case_return.case.round.partnership,
            subject=section_return,
            reference=case_return.case.reference,
            agency=case_return.agency.name,
            section=section.title,
            before=before,
            after=after,
        )
    return section_return


def _touch(case_return: CaseReturn) -> None:
    case_return.last_activity_at = utcnow()
    if case_return.status is CaseReturnStatus.NOT_STARTED:
        move_case_return(case_return, CaseReturnStatus.IN_PROGRESS)


# ---------------------------------------------------------------------------------------
# Submitting


@dataclass(frozen=True)
class CaseProblem:
    """Something that stops a case audit being submitted; `field` is the field at fault
    on the section's page."""

    section_id: int
    field: str
    message: str


def submission_problems(contents: CaseReturnContents) -> list[CaseProblem]:
    """Every graded and yes/partly/no question left unanswered, in page order. Free-text
    questions, comments and the reflections are optional."""
    problems = []
    for section, question in contents.questions:
        if not question.required or question.answered:
            continue
        what = (
            "Select a grade for"
            if question.kind is QuestionKind.GRADED
            else "Select yes, partly or no for"
        )
        problems.append(
            CaseProblem(
                section.id,
                question.answer_field,
                f"{what} “{question.wording}” ({section.title}, question {question.number})",
            )
        )
    return problems


class CaseReturnIncomplete(DomainError):
    def __init__(self, problems: list[CaseProblem]) -> None:
        super().__init__("The case audit is not complete")
        self.problems = problems


def submit_case_return(session: Session, *, case_return: CaseReturn, by: User) -> None:
    lock_for_update(session, CaseReturn, case_return.id)
    require_editable(case_return)
    problems = submission_problems(load_contents(session, case_return))
    if problems:
        raise CaseReturnIncomplete(problems)
    move_case_return(case_return, CaseReturnStatus.SUBMITTED)
    case_return.submitted_at = utcnow()
    case_return.submitted_by = by
    case_return.last_activity_at = case_return.submitted_at
    record_event(
        session,
        AuditEventType.CASE_RETURN_SUBMITTED,
        by=by,
        partnership=case_return.case.round.partnership,
        subject=case_return,
        reference=case_return.case.reference,
        agency=case_return.agency.name,
    )
    session.flush()
