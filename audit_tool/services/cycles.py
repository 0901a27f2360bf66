"""Section 11 audit cycles and the PQA returns tracker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..audit_trail import AuditEventType, record_event
from ..models import (
    Agency,
    Assessment,
    AssessmentStatus,
    AuditCycle,
    CriterionResponse,
    CycleStatus,
    EvidenceItem,
    FrameworkStatus,
    FrameworkVersion,
    Partnership,
    PartnershipAgency,
    Sector,
    User,
)
from ..return_rules import Answer, percent_complete
from ..states import move_cycle
from . import DomainError, NotFound
from .assessments import to_level, version_contents


def list_cycles(session: Session, partnership: Partnership) -> list[AuditCycle]:
    return list(
        session.scalars(
            select(AuditCycle)
            .options(joinedload(AuditCycle.framework_version))
            .where(AuditCycle.partnership_id == partnership.id)
            .order_by(AuditCycle.opens_on.desc(), AuditCycle.id.desc())
        )
    )


def get_cycle(session: Session, partnership: Partnership, cycle_id: int) -> AuditCycle:
    cycle = session.scalar(
        select(AuditCycle)
        .options(joinedload(AuditCycle.framework_version))
        .where(AuditCycle.id == cycle_id, AuditCycle.partnership_id == partnership.id)
    )
    if cycle is None:
        raise NotFound("Cycle not found")
    return cycle


def create_cycle(
    session: Session,
    *,
    partnership: Partnership,
    name: str,
    framework_version: FrameworkVersion,
    opens_on: date,
    due_on: date,
    panel_from: date | None,
    panel_to: date | None,
    sectors: set[Sector] | None,
    by: User | None,
) -> AuditCycle:
    """A draft cycle with a return (not started) for each participating agency.

    `sectors` None means every current agency; otherwise the agencies of those sectors.
    """
    if framework_version.status is not FrameworkStatus.PUBLISHED:
        raise DomainError("Choose a published framework version", field="framework")
    if due_on <= opens_on:
        raise DomainError("The due date must be after the opening date", field="due_on")
    if panel_from and panel_to and panel_to < panel_from:
        raise DomainError(
            "The end of the panel window must be on or after its start", field="panel_to"
        )
    links = session.scalars(
        select(PartnershipAgency)
        .options(joinedload(PartnershipAgency.agency))
        .where(
            PartnershipAgency.partnership_id == partnership.id,
            PartnershipAgency.archived_at.is_(None),
        )
    ).all()
    agencies = [link.agency for link in links if sectors is None or link.agency.sector in sectors]
    if not agencies:
        raise DomainError("No current agencies are in the sectors you chose", field="sectors")
    cycle = AuditCycle(
        partnership=partnership,
        name=name,
        framework_version=framework_version,
        status=CycleStatus.DRAFT,
        opens_on=opens_on,
        due_on=due_on,
        panel_from=panel_from,
        panel_to=panel_to,
    )
    session.add(cycle)
    session.add_all(
        Assessment(cycle=cycle, agency=agency, status=AssessmentStatus.NOT_STARTED)
        for agency in agencies
    )
    session.flush()
    record_event(
        session,
        AuditEventType.CYCLE_CREATED,
        by=by,
        partnership=partnership,
        subject=cycle,
        name=name,
        framework=framework_version.label,
        agencies=len(agencies),
    )
    return cycle


def open_cycle(session: Session, *, cycle: AuditCycle, by: User | None) -> None:
    move_cycle(cycle, CycleStatus.OPEN)
    record_event(
        session,
        AuditEventType.CYCLE_OPENED,
        by=by,
        partnership=cycle.partnership,
        subject=cycle,
        name=cycle.name,
    )


def close_cycle(session: Session, *, cycle: AuditCycle, by: User | None) -> None:
    move_cycle(cycle, CycleStatus.CLOSED)
    record_event(
        session,
        AuditEventType.CYCLE_CLOSED,
        by=by,
        partnership=cycle.partnership,
        subject=cycle,
        name=cycle.name,
    )


@dataclass(frozen=True)
class TrackerRow:
    assessment: Assessment
    percent_complete: int
    overdue: bool


def tracker(session: Session, cycle: AuditCycle, *, today: date) -> list[TrackerRow]:
    """Every return in the cycle with its progress, in a fixed number of statements
    whatever the number of returns: the answers come as plain rows and their evidence
    items as counts, not as objects loaded in batches."""
    standards = version_contents(session, cycle.framework_version)
    criteria = [c for s in standards for c in s.criteria]
    levels = {level.id: to_level(level) for level in cycle.framework_version.levels}
    assessments = session.scalars(
        select(Assessment)
        .join(Assessment.agency)
        .options(joinedload(Assessment.agency))
        .where(Assessment.cycle_id == cycle.id)
        .order_by(Agency.name, Assessment.id)
    ).all()
    in_cycle = select(Assessment.id).where(Assessment.cycle_id == cycle.id)
    items = dict(
        session.execute(
            select(EvidenceItem.response_id, func.count())
            .join(CriterionResponse, CriterionResponse.id == EvidenceItem.response_id)
            .where(CriterionResponse.assessment_id.in_(in_cycle), EvidenceItem.removed_at.is_(None))
            .group_by(EvidenceItem.response_id)
        ).all()
    )
    responses: dict[int, dict[int, Answer]] = {}
    by_id = {c.id: c for c in criteria}
    for row in session.execute(
        select(
            CriterionResponse.assessment_id,
            CriterionResponse.id,
            CriterionResponse.criterion_id,
            CriterionResponse.level_id,
            CriterionResponse.not_applicable,
            CriterionResponse.evidence,
            CriterionResponse.impact,
            CriterionResponse.improvement,
            CriterionResponse.action,
            CriterionResponse.action_owner,
            CriterionResponse.action_due,
            CriterionResponse.review_needed,
        ).where(CriterionResponse.assessment_id.in_(in_cycle))
    ):
        criterion = by_id.get(row.criterion_id)
        if criterion is None:
            continue
        # As `assessments.to_answer` makes it from the answer and its items.
        responses.setdefault(row.assessment_id, {})[row.criterion_id] = Answer(
            criterion_id=criterion.id,
            code=criterion.code,
            title=criterion.title,
            level=levels.get(row.level_id),
            not_applicable=row.not_applicable,
            evidence=row.evidence,
            evidence_items=items.get(row.id, 0),
            impact=row.impact,
            improvement=row.improvement,
            action=row.action,
            action_owner=row.action_owner,
            action_due=row.action_due,
            review_needed=row.review_needed,
        )
    rows = []
    for assessment in assessments:
        given = responses.get(assessment.id, {})
        sector = assessment.agency.sector.value
        answers = [
            given.get(c.id) or Answer(c.id, c.code, c.title)
            for c in criteria
            if c.applies_to(sector)
        ]
        submitted = assessment.status is AssessmentStatus.SUBMITTED
        rows.append(
            TrackerRow(
                assessment=assessment,
                percent_complete=100 if submitted else percent_complete(answers, today=today),
                overdue=not submitted and cycle.due_on < today,
            )
        )
    return rows
