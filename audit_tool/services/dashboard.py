"""Everything the dashboards, flags and API need about one cycle, loaded in a fixed
number of queries whatever the number of agencies, then worked out by the pure
`scoring` and `flags` modules (so the page, the API and the exports agree)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..flags import AnswerFacts, Flag, LevelFacts, OpenAction, ReturnFacts, flags_for
from ..models import (
    Action,
    ActionStatus,
    Agency,
    Assessment,
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
)
from ..scoring import Scored, Summary, summarise
from . import NotFound
from .panels import moderated_for_cycle


@dataclass
class CycleData:
    cycle: AuditCycle
    standards: list[Standard]
    levels: list[ScaleLevel]
    assessments: list[Assessment]  # with their agencies, by agency name
    answers: list[Scored]
    facts: list[AnswerFacts]
    returns: list[ReturnFacts]
    criteria: dict[str, Criterion] = field(default_factory=dict)

    @property
    def agencies(self) -> list[Agency]:
        return [a.agency for a in self.assessments]


def visible_cycles(session: Session, partnership: Partnership) -> list[AuditCycle]:
    """Cycles with returns to look at: open or closed, newest first."""
    return list(
        session.scalars(
            select(AuditCycle)
            .options(joinedload(AuditCycle.framework_version))
            .where(
                AuditCycle.partnership_id == partnership.id,
                AuditCycle.status != CycleStatus.DRAFT,
            )
            .order_by(AuditCycle.opens_on.desc(), AuditCycle.id.desc())
        )
    )


def get_visible_cycle(session: Session, partnership: Partnership, cycle_id: int) -> AuditCycle:
    for cycle in visible_cycles(session, partnership):
        if cycle.id == cycle_id:
            return cycle
    raise NotFound("Cycle not found")


def load_framework(session: Session, version_id: int) -> tuple[list[Standard], list[ScaleLevel]]:
    """A framework version's standards (with their criteria) and scale, in order."""
    standards = list(
        session.scalars(
            select(Standard)
            .options(selectinload(Standard.criteria))
            .where(Standard.version_id == version_id)
            .order_by(Standard.position)
        )
    )
    levels = list(
        session.scalars(
            select(ScaleLevel)
            .where(ScaleLevel.version_id == version_id)
            .order_by(ScaleLevel.position)
        )
    )
    return standards, levels


def load_assessments(
    session: Session, cycle: AuditCycle, agency_ids: set[int] | None = None
) -> list[Assessment]:
    """The cycle's returns with their agencies, by agency name."""
    stmt = (
        select(Assessment)
        .join(Assessment.agency)
        .options(joinedload(Assessment.agency))
        .where(Assessment.cycle_id == cycle.id)
        .order_by(Agency.name, Assessment.id)
    )
    if agency_ids is not None:
        stmt = stmt.where(Assessment.agency_id.in_(agency_ids))
    return list(session.scalars(stmt))


def load_cycle_data(
    session: Session,
    cycle: AuditCycle,
    *,
    essential_weight: float = 1.0,
    agency_ids: set[int] | None = None,
) -> CycleData:
    """One cycle's answers as plain data. `agency_ids` narrows to some agencies (an
    agency's own scorecard still needs everyone for the partnership average, so it
    passes None)."""
    standards, levels = load_framework(session, cycle.framework_version_id)
    assessments = load_assessments(session, cycle, agency_ids)
    answers, facts = answer_facts(
        session,
        cycle,
        standards=standards,
        levels=levels,
        assessments=assessments,
        moderated=moderated_for_cycle(session, cycle),
        essential_weight=essential_weight,
        narrowed=agency_ids is not None,
    )
    open_actions = _open_actions(session, cycle, {a.agency_id for a in assessments})
    returns = [
        ReturnFacts(
            agency_id=assessment.agency_id,
            status=assessment.status.value,
            due_on=cycle.due_on,
            panel_on=cycle.panel_from,
            open_actions=tuple(open_actions.get(assessment.agency_id, ())),
        )
        for assessment in assessments
    ]
    return CycleData(
        cycle=cycle,
        standards=standards,
        levels=levels,
        assessments=assessments,
        answers=answers,
        facts=facts,
        returns=returns,
        criteria={c.key: c for s in standards for c in s.criteria},
    )


def answer_facts(
    session: Session,
    cycle: AuditCycle,
    *,
    standards: list[Standard],
    levels: list[ScaleLevel],
    assessments: list[Assessment],
    moderated: dict[tuple[int, int], int],
    essential_weight: float,
    narrowed: bool = False,
    cells: set[tuple[int, str]] | None = None,
    with_facts: bool = True,
) -> tuple[list[Scored], list[AnswerFacts]]:
    """What scoring and the flag rules need to know about each answer of these returns:
    one `Scored` for every criterion that applies to the agency (answered or not) and one
    `AnswerFacts` for every answer given. `narrowed` says the returns are only some of the
    cycle's, so the queries fetch only theirs; `cells` narrows further to some (agency
    id, standard key) pairs; without `with_facts` there are no facts (scores only)."""
    if cells is not None:
        standards = [s for s in standards if s.key in {key for _, key in cells}]
    wanted = {a.id for a in assessments}
    agency_ids = {a.agency_id for a in assessments} if narrowed else None
    criterion_ids = [c.id for s in standards for c in s.criteria] if cells is not None else None
    previous = _previous_scores(session, cycle, agency_ids) if with_facts else {}
    # Plain rows, not ORM objects: at 400 agencies a cycle has ~20,000 answers, and
    # building objects for them costs far more than the query.
    stmt = (
        select(
            CriterionResponse.id,
            CriterionResponse.assessment_id,
            CriterionResponse.criterion_id,
            CriterionResponse.level_id,
            CriterionResponse.not_applicable,
            func.length(func.trim(CriterionResponse.evidence)) > 0,
            func.length(CriterionResponse.action) > 0,
            func.length(CriterionResponse.action_owner) > 0,
            CriterionResponse.action_due,
            CriterionResponse.review_needed,
        )
        .join(Assessment, Assessment.id == CriterionResponse.assessment_id)
        .where(Assessment.cycle_id == cycle.id)
    )
    items = (
        select(EvidenceItem.response_id, EvidenceItem.review_on)
        .join(CriterionResponse, CriterionResponse.id == EvidenceItem.response_id)
        .join(Assessment, Assessment.id == CriterionResponse.assessment_id)
        .where(Assessment.cycle_id == cycle.id, EvidenceItem.removed_at.is_(None))
    )
    if agency_ids is not None:
        stmt = stmt.where(Assessment.agency_id.in_(agency_ids))
        items = items.where(Assessment.agency_id.in_(agency_ids))
    if criterion_ids is not None:
        stmt = stmt.where(CriterionResponse.criterion_id.in_(criterion_ids))
        items = items.where(CriterionResponse.criterion_id.in_(criterion_ids))
    response_rows = session.execute(stmt).all()
    review_dates: dict[int, list[date]] = {}
    for response_id, review_on in session.execute(items) if with_facts else ():
        review_dates.setdefault(response_id, []).append(review_on)

    top = max(levels, key=lambda level: level.position)
    lowest = min(levels, key=lambda level: level.position)
    level_facts = {
        level.id: LevelFacts(
            key=level.key,
            label=level.label,
            is_lowest=level.id == lowest.id,
            is_top=level.id == top.id,
            needs_action=level.needs_action,
            needs_evidence=level.needs_evidence,
            score=float(level.score),
        )
        for level in levels
    }
    # Plain tuples for the inner loop: ORM attribute access, 20,000 times over, is
    # most of the cost otherwise.
    plan = [
        (c.id, c.key, s.key, c.code, c.essential, frozenset(c.sectors or ()))
        for s in standards
        for c in s.criteria
    ]
    responses: dict[tuple[int, int], tuple] = {
        (row[1], row[2]): row for row in response_rows if row[1] in wanted
    }
    scores = {level.id: (level.key, float(level.score)) for level in levels}
    answers: list[Scored] = []
    facts: list[AnswerFacts] = []
    for assessment in assessments:
        agency_id = assessment.agency_id
        sector = assessment.agency.sector.value
        for criterion_id, key, standard_key, code, essential, sectors in plan:
            if sectors and sector not in sectors:
                continue
            if cells is not None and (agency_id, standard_key) not in cells:
                continue
            row = responses.get((assessment.id, criterion_id))
            level_key, level_score = scores.get(row[3], (None, None)) if row else (None, None)
            panel_level_id = moderated.get((agency_id, criterion_id))
            panel_key, panel_score = scores.get(panel_level_id, (None, None))
            not_applicable = bool(row and row[4])
            answers.append(
                Scored(
                    agency_id=agency_id,
                    criterion_key=key,
                    standard_key=standard_key,
                    self_level=level_key,
                    self_score=level_score,
                    moderated_level=panel_key,
                    moderated_score=panel_score,
                    not_applicable=not_applicable,
                    weight=essential_weight if essential else 1.0,
                )
            )
            if row is None or not with_facts:
                continue
            (response_id, _, _, level_id, _, has_text, has_action, has_owner, due, review) = row
            dates = review_dates.get(response_id, [])
            facts.append(
                AnswerFacts(
                    agency_id=agency_id,
                    standard_key=standard_key,
                    criterion_key=key,
                    criterion_code=code,
                    essential=essential,
                    # Flags look at the rating that counts: the panel's, where there is one.
                    level=level_facts.get(panel_level_id or level_id),
                    not_applicable=not_applicable,
                    has_evidence=bool(has_text) or bool(dates),
                    has_action=bool(has_action and has_owner and due),
                    action_due=due,
                    review_needed=review,
                    evidence_review_dates=tuple(d for d in dates if d),
                    previous_score=previous.get((agency_id, key)),
                )
            )
    return answers, facts


def _open_actions(
    session: Session, cycle: AuditCycle, agency_ids: set[int]
) -> dict[int, list[OpenAction]]:
    """The agencies' tracked actions not yet closed, in one query of plain rows."""
    rows = session.execute(
        select(Action.agency_id, Action.description, Action.due_on, Action.source, Criterion.key)
        .outerjoin(Criterion, Criterion.id == Action.criterion_id)
        .where(
            Action.partnership_id == cycle.partnership_id,
            Action.agency_id.in_(agency_ids),
            Action.status != ActionStatus.CLOSED,
        )
    )
    found: dict[int, list[OpenAction]] = {}
    for agency_id, description, due_on, source, criterion_key in rows:
        found.setdefault(agency_id, []).append(
            OpenAction(description, due_on, source.label, criterion_key)
        )
    return found


def previous_cycle(session: Session, cycle: AuditCycle) -> AuditCycle | None:
    """The partnership's latest earlier cycle of the same framework (any version)."""
    framework_key = (
        select(Framework.key)
        .join(FrameworkVersion)
        .where(FrameworkVersion.id == cycle.framework_version_id)
    )
    return session.scalar(
        select(AuditCycle)
        .join(AuditCycle.framework_version)
        .join(FrameworkVersion.framework)
        .where(
            AuditCycle.partnership_id == cycle.partnership_id,
            AuditCycle.id != cycle.id,
            AuditCycle.opens_on < cycle.opens_on,
            AuditCycle.status != CycleStatus.DRAFT,
            Framework.key == framework_key.scalar_subquery(),
        )
        .order_by(AuditCycle.opens_on.desc())
        .limit(1)
    )


def _previous_scores(
    session: Session, cycle: AuditCycle, agency_ids: set[int] | None
) -> dict[tuple[int, str], float]:
    """Last cycle's scores by (agency, criterion key), in one query of plain rows."""
    earlier = previous_cycle(session, cycle)
    if earlier is None:
        return {}
    stmt = (
        select(Assessment.agency_id, Criterion.key, ScaleLevel.score)
        .join(CriterionResponse, CriterionResponse.assessment_id == Assessment.id)
        .join(Criterion, Criterion.id == CriterionResponse.criterion_id)
        .join(ScaleLevel, ScaleLevel.id == CriterionResponse.level_id)
        .where(Assessment.cycle_id == earlier.id, CriterionResponse.not_applicable.is_(False))
    )
    if agency_ids is not None:
        stmt = stmt.where(Assessment.agency_id.in_(agency_ids))
    return {(agency_id, key): float(score) for agency_id, key, score in session.execute(stmt)}


def score_table(data: CycleData) -> Summary:
    return summarise(data.answers)


def self_score_table(data: CycleData) -> Summary | None:
    """The scores as the agencies rated themselves, ignoring the panels, so pages can
    show both; None when no panel has moderated anything in the cycle."""
    if not any(a.moderated_level for a in data.answers):
        return None
    return summarise(replace(a, moderated_level=None, moderated_score=None) for a in data.answers)


def cycle_flags(data: CycleData, *, today: date) -> list[Flag]:
    return flags_for(data.facts, data.returns, today=today)


def nearest_level(score: float | None, levels: list[ScaleLevel]) -> ScaleLevel | None:
    """The scale level nearest a score, for colouring a heat-map cell (ties go to the
    lower level, so a cell never looks better than it is)."""
    if score is None or not levels:
        return None
    return min(levels, key=lambda level: (abs(float(level.score) - score), level.position))
