"""An agency's Section 11 return: starting it, answering criteria, evidence, submitting,
reopening. Views call these; they add and flush, and the request commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..audit_trail import AuditEventType, record_event
from ..db import lock_for_update
from ..models import (
    Assessment,
    AssessmentStatus,
    AuditCycle,
    Criterion,
    CriterionResponse,
    CycleStatus,
    EvidenceItem,
    Framework,
    FrameworkVersion,
    Partnership,
    ScaleLevel,
    Standard,
    User,
    utcnow,
)
from ..return_rules import Answer, Level, Problem, submission_problems
from ..states import move_assessment, return_is_editable
from . import DomainError, NotFound
from .actions import sync_return_actions

# ---------------------------------------------------------------------------------------
# Loading


def record_return_event(
    session, event: AuditEventType, assessment: Assessment, *, by, subject, **data
):
    """Every change to a return names its partnership and agency in the audit trail."""
    record_event(
        session,
        event,
        by=by,
        partnership=assessment.cycle.partnership,
        subject=subject,
        agency=assessment.agency.name,
        **data,
    )


def get_assessment(session: Session, partnership: Partnership, assessment_id: int) -> Assessment:
    """A return in this partnership (404 otherwise), with its cycle and agency."""
    assessment = session.scalar(
        select(Assessment)
        .join(Assessment.cycle)
        .options(
            joinedload(Assessment.cycle).joinedload(AuditCycle.framework_version),
            joinedload(Assessment.agency),
        )
        .where(Assessment.id == assessment_id, AuditCycle.partnership_id == partnership.id)
    )
    if assessment is None:
        raise NotFound("Return not found")
    return assessment


def get_agency_assessment(
    session: Session, partnership: Partnership, assessment_id: int, agency_ids: set[int]
) -> Assessment:
    """A return of one of these agencies, in a cycle they can see (not a draft): 404 for
    anything else, so another agency's return is indistinguishable from none."""
    assessment = get_assessment(session, partnership, assessment_id)
    if assessment.agency_id not in agency_ids or assessment.cycle.status is CycleStatus.DRAFT:
        raise NotFound("Return not found")
    return assessment


def agency_returns(
    session: Session, partnership: Partnership, agency_ids: set[int]
) -> list[Assessment]:
    return list(
        session.scalars(
            select(Assessment)
            .join(Assessment.cycle)
            .options(joinedload(Assessment.cycle), joinedload(Assessment.agency))
            .where(
                AuditCycle.partnership_id == partnership.id,
                AuditCycle.status != CycleStatus.DRAFT,
                Assessment.agency_id.in_(agency_ids),
            )
            .order_by(AuditCycle.opens_on.desc())
        )
    )


@dataclass
class CriterionEntry:
    criterion: Criterion
    response: CriterionResponse | None
    answer: Answer


@dataclass
class StandardEntry:
    standard: Standard
    entries: list[CriterionEntry] = field(default_factory=list)


@dataclass
class ReturnContents:
    """A return's applicable criteria, grouped by standard, with their answers."""

    assessment: Assessment
    levels: list[ScaleLevel]
    standards: list[StandardEntry]

    @property
    def answers(self) -> list[Answer]:
        return [e.answer for s in self.standards for e in s.entries]

    def entry(self, criterion_id: int) -> CriterionEntry:
        for standard in self.standards:
            for entry in standard.entries:
                if entry.criterion.id == criterion_id:
                    return entry
        raise NotFound("Criterion not found")

    def following(self, criterion_id: int) -> CriterionEntry | None:
        flat = [e for s in self.standards for e in s.entries]
        ids = [e.criterion.id for e in flat]
        position = ids.index(criterion_id)
        return flat[position + 1] if position + 1 < len(flat) else None


def version_contents(session: Session, version: FrameworkVersion) -> list[Standard]:
    return list(
        session.scalars(
            select(Standard)
            .options(selectinload(Standard.criteria))
            .where(Standard.version_id == version.id)
            .order_by(Standard.position)
        )
    )


def to_level(level: ScaleLevel | None) -> Level | None:
    if level is None:
        return None
    return Level(level.key, level.label, level.needs_action, level.needs_evidence)


def to_answer(criterion: Criterion, response: CriterionResponse | None) -> Answer:
    if response is None:
        return Answer(criterion.id, criterion.code, criterion.title)
    return Answer(
        criterion_id=criterion.id,
        code=criterion.code,
        title=criterion.title,
        level=to_level(response.level),
        not_applicable=response.not_applicable,
        evidence=response.evidence,
        evidence_items=sum(1 for item in response.evidence_items if item.removed_at is None),
        impact=response.impact,
        improvement=response.improvement,
        action=response.action,
        action_owner=response.action_owner,
        action_due=response.action_due,
        review_needed=response.review_needed,
    )


def load_return(session: Session, assessment: Assessment) -> ReturnContents:
    version = assessment.cycle.framework_version
    standards = version_contents(session, version)
    responses = {
        r.criterion_id: r
        for r in session.scalars(
            select(CriterionResponse)
            .options(
                joinedload(CriterionResponse.level),
                selectinload(CriterionResponse.evidence_items),
            )
            .where(CriterionResponse.assessment_id == assessment.id)
        )
    }
    sector = assessment.agency.sector.value
    grouped = []
    for standard in standards:
        entry = StandardEntry(standard)
        for criterion in standard.criteria:
            if criterion.applies_to(sector):
                response = responses.get(criterion.id)
                entry.entries.append(
                    CriterionEntry(criterion, response, to_answer(criterion, response))
                )
        if entry.entries:
            grouped.append(entry)
    return ReturnContents(assessment, list(version.levels), grouped)


# ---------------------------------------------------------------------------------------
# Starting and carrying forward


def previous_return(session: Session, assessment: Assessment) -> Assessment | None:
    """The agency's most recent submitted return from an earlier cycle of the same
    framework (any version) in this partnership: the one it can start from."""
    cycle = assessment.cycle
    framework_id = cycle.framework_version.framework_id
    framework_key = session.scalar(select(Framework.key).where(Framework.id == framework_id))
    return session.scalar(
        select(Assessment)
        .join(Assessment.cycle)
        .join(AuditCycle.framework_version)
        .join(FrameworkVersion.framework)
        .where(
            Assessment.agency_id == assessment.agency_id,
            Assessment.status == AssessmentStatus.SUBMITTED,
            AuditCycle.partnership_id == cycle.partnership_id,
            AuditCycle.id != cycle.id,
            AuditCycle.opens_on <= cycle.opens_on,
            Framework.key == framework_key,
        )
        .order_by(AuditCycle.opens_on.desc(), Assessment.id.desc())
        .limit(1)
    )


def start_return(
    session: Session,
    *,
    assessment: Assessment,
    carry_from: Assessment | None,
    by: User,
    copy_file=None,
) -> int:
    """Begin a return, blank or from a previous one. Returns how many answers carried.

    Carried answers are marked "review needed" until the agency confirms or changes
    them. Only criteria whose stable key is in this version carry, and a rating carries
    only if this version's scale has a level with the same key. `copy_file` copies a
    stored evidence file and returns the copy's name (files are never shared between
    returns, so removing one never removes the other's).
    """
    require_editable(assessment)
    if assessment.status is not AssessmentStatus.NOT_STARTED:
        raise DomainError("This return has already been started")
    carried = 0
    if carry_from is not None:
        carried = _carry_answers(session, carry_from, assessment, by, copy_file)
    move_assessment(assessment, AssessmentStatus.IN_PROGRESS)
    assessment.carried_from_id = carry_from.id if carry_from else None
    assessment.last_activity_at = utcnow()
    record_return_event(
        session,
        AuditEventType.RETURN_STARTED,
        assessment,
        by=by,
        subject=assessment,
        cycle=assessment.cycle.name,
        carried_from=carry_from.cycle.name if carry_from else None,
    )
    return carried


def _carry_answers(session, source: Assessment, target: Assessment, by, copy_file) -> int:
    contents = load_return(session, target)
    by_key = {e.criterion.key: e.criterion for s in contents.standards for e in s.entries}
    levels = {level.key: level for level in contents.levels}
    carried = 0
    old_responses = session.scalars(
        select(CriterionResponse)
        .options(
            joinedload(CriterionResponse.criterion),
            joinedload(CriterionResponse.level),
            selectinload(CriterionResponse.evidence_items),
        )
        .where(CriterionResponse.assessment_id == source.id)
    )
    for old in old_responses:
        criterion = by_key.get(old.criterion.key)
        if criterion is None:
            continue
        new = CriterionResponse(
            assessment=target,
            criterion=criterion,
            level=levels.get(old.level.key) if old.level else None,
            not_applicable=old.not_applicable and criterion.allow_na,
            evidence=old.evidence,
            impact=old.impact,
            improvement=old.improvement,
            action=old.action,
            action_owner=old.action_owner,
            action_due=old.action_due,
            review_needed=True,
            updated_by=by,
        )
        session.add(new)
        for item in old.evidence_items:
            if item.removed_at is not None:
                continue
            stored = copy_file(item.stored_name) if (item.stored_name and copy_file) else None
            session.add(
                EvidenceItem(
                    response=new,
                    title=item.title,
                    reference=item.reference,
                    stored_name=stored,
                    original_filename=item.original_filename if stored else None,
                    content_type=item.content_type if stored else None,
                    size_bytes=item.size_bytes if stored else None,
                    effective_on=item.effective_on,
                    review_on=item.review_on,
                )
            )
        carried += 1
    session.flush()
    return carried


# ---------------------------------------------------------------------------------------
# Answering


@dataclass(frozen=True)
class AnswerInput:
    """What the criterion form sends. `level_key` None is unrated; "na" is not applicable."""

    level_key: str | None
    evidence: str = ""
    impact: str = ""
    improvement: str = ""
    action: str = ""
    action_owner: str = ""
    action_due: date | None = None


NOT_APPLICABLE = "na"


class EditConflict(DomainError):
    """Someone saved this answer after the user loaded it."""

    def __init__(self, current: CriterionResponse) -> None:
        super().__init__("Someone else saved this answer while you were editing it")
        self.current = current


def _snapshot(response: CriterionResponse | None) -> dict:
    if response is None:
        return {}
    return {
        "rating": NOT_APPLICABLE
        if response.not_applicable
        else (response.level.key if response.level else None),
        "evidence": response.evidence,
        "impact": response.impact,
        "improvement": response.improvement,
        "action": response.action,
        "action_owner": response.action_owner,
        "action_due": response.action_due.isoformat() if response.action_due else None,
    }


def save_answer(
    session: Session,
    *,
    assessment: Assessment,
    criterion: Criterion,
    seen_version: int,
    answer: AnswerInput,
    by: User,
) -> CriterionResponse:
    """Save a draft answer. `seen_version` is the version the user's form was loaded at
    (0: there was no answer yet); if someone has saved since, raise EditConflict and
    change nothing. Drafts are saved whatever their completeness: the checks that
    matter apply at submission."""
    # Lock the return row: colleagues' saves to one return queue for the few
    # milliseconds a save takes, so the version comparison below cannot race.
    lock_for_update(session, Assessment, assessment.id)
    require_editable(assessment)
    response = session.scalar(
        select(CriterionResponse)
        .options(joinedload(CriterionResponse.level))
        .where(
            CriterionResponse.assessment_id == assessment.id,
            CriterionResponse.criterion_id == criterion.id,
        )
        .execution_options(populate_existing=True)
    )
    current_version = response.version if response is not None else 0
    if current_version != seen_version:
        raise EditConflict(response)
    level = _level_for(assessment, criterion, answer.level_key)
    before = _snapshot(response)
    if response is None:
        response = CriterionResponse(assessment=assessment, criterion=criterion)
        session.add(response)
    response.level = level
    response.not_applicable = answer.level_key == NOT_APPLICABLE
    response.evidence = answer.evidence
    response.impact = answer.impact
    response.improvement = answer.improvement
    response.action = answer.action
    response.action_owner = answer.action_owner
    response.action_due = answer.action_due
    # Saving the page is how an agency confirms a carried-forward answer.
    response.review_needed = False
    response.updated_by = by
    touch(assessment)
    session.flush()
    after = _snapshot(response)
    if before != after:
        record_return_event(
            session,
            AuditEventType.RESPONSE_SAVED,
            assessment,
            by=by,
            subject=response,
            criterion=criterion.code,
            before=before,
            after=after,
        )
    return response


def _level_for(assessment: Assessment, criterion: Criterion, key: str | None):
    if key is None:
        return None
    if key == NOT_APPLICABLE:
        if not criterion.allow_na:
            raise DomainError("This criterion cannot be marked not applicable", field="rating")
        return None
    for level in assessment.cycle.framework_version.levels:
        if level.key == key:
            return level
    raise DomainError("Select a rating from the list", field="rating")


def touch(assessment: Assessment) -> None:
    assessment.last_activity_at = utcnow()
    if assessment.status is AssessmentStatus.NOT_STARTED:
        move_assessment(assessment, AssessmentStatus.IN_PROGRESS)


def require_editable(assessment: Assessment) -> None:
    if not return_is_editable(assessment):
        if assessment.cycle.status is not CycleStatus.OPEN:
            raise DomainError("This audit cycle is not open, so the return cannot be changed")
        raise DomainError("This return has been submitted and cannot be changed")


# ---------------------------------------------------------------------------------------
# Submitting and reopening


class ReturnIncomplete(DomainError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("The return is not complete")
        self.problems = problems


def submit_return(
    session: Session,
    *,
    assessment: Assessment,
    declaration_name: str,
    declaration_role: str,
    by: User,
    today: date,
) -> None:
    lock_for_update(session, Assessment, assessment.id)
    require_editable(assessment)
    problems = submission_problems(load_return(session, assessment).answers, today=today)
    if problems:
        raise ReturnIncomplete(problems)
    move_assessment(assessment, AssessmentStatus.SUBMITTED)
    assessment.submitted_at = utcnow()
    assessment.submitted_by = by
    assessment.declaration_name = declaration_name
    assessment.declaration_role = declaration_role
    assessment.last_activity_at = assessment.submitted_at
    record_return_event(
        session,
        AuditEventType.RETURN_SUBMITTED,
        assessment,
        by=by,
        subject=assessment,
        cycle=assessment.cycle.name,
        declaration={"name": declaration_name, "role": declaration_role},
    )
    sync_return_actions(session, assessment=assessment, by=by)


def reopen_return(session: Session, *, assessment: Assessment, reason: str, by: User) -> None:
    lock_for_update(session, Assessment, assessment.id)
    if assessment.cycle.status is not CycleStatus.OPEN:
        raise DomainError("Open the cycle again before reopening a return in it")
    move_assessment(assessment, AssessmentStatus.REOPENED)
    assessment.reopened_reason = reason
    record_return_event(
        session,
        AuditEventType.RETURN_REOPENED,
        assessment,
        by=by,
        subject=assessment,
        cycle=assessment.cycle.name,
        reason=reason,
    )
