"""What the Section 11 workbooks hold, loaded as plain data, and the audit record of
each export.

Scores and flags come from `dashboard` (`load_cycle_data`, `score_table`,
`self_score_table`, `cycle_flags`): the same calls the heat map, flags page and agency
scorecard make, so a workbook always shows the numbers the web pages show. This module
only adds what those pages do not load: the text agencies typed, evidence items, panels
and actions. Text is loaded a batch of agencies at a time, so a 400-agency cycle never
sits in memory all at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..audit_trail import AuditEventType, record_event
from ..exports.action_rows import ActionInfo
from ..exports.s11_rows import (
    AgencyInfo,
    AnswerText,
    AttendanceInfo,
    ChallengeInfo,
    CriterionInfo,
    EvidenceInfo,
    LevelInfo,
    PanelRating,
    StandardInfo,
)
from ..exports.tracker_rows import TrackedReturn
from ..flags import Flag
from ..models import (
    Action,
    ActionStatus,
    ActionUpdate,
    Agency,
    Assessment,
    AuditCycle,
    Challenge,
    Criterion,
    CriterionResponse,
    EvidenceItem,
    ModeratedRating,
    Panel,
    PanelAgency,
    PanelStatus,
    Partnership,
    ScaleLevel,
    User,
)
from ..scoring import Scored, Summary
from .actions import DueFilter, is_overdue, list_actions
from .cycles import tracker as cycle_tracker
from .dashboard import CycleData, cycle_flags, load_cycle_data, score_table, self_score_table

BATCH = 50  # agencies whose answers are loaded at once


class Audience(StrEnum):
    """Who a workbook is for: the PQA sub-group sees everything in the partnership; an
    agency sees its own return and what its panels have released to it."""

    PQA = "pqa"
    AGENCY = "agency"


@dataclass
class CycleExport:
    """One cycle, scored and flagged, with everything the workbook lays out."""

    partnership: Partnership
    cycle: AuditCycle
    data: CycleData
    scores: Summary
    self_scores: Summary | None
    flags: list[Flag]
    levels: list[LevelInfo]
    standards: list[StandardInfo]
    criteria: list[CriterionInfo]
    agencies: list[AgencyInfo]
    generated_by: str
    generated_at: datetime
    today: date
    essential_weight: float
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def criteria_by_key(self) -> dict[str, CriterionInfo]:
        return {c.key: c for c in self.criteria}

    @property
    def levels_by_key(self) -> dict[str, LevelInfo]:
        return {level.key: level for level in self.levels}

    def answers_by_agency(self) -> dict[int, list[Scored]]:
        """Each agency's answers in framework order (as `load_cycle_data` built them)."""
        found: dict[int, list[Scored]] = {}
        for answer in self.data.answers:
            found.setdefault(answer.agency_id, []).append(answer)
        return found

    def flags_by_answer(self) -> dict[int, dict[str, list[Flag]]]:
        """Flags about answers, by agency id then criterion key."""
        found: dict[int, dict[str, list[Flag]]] = {}
        for flag in self.flags:
            if flag.criterion_key:
                found.setdefault(flag.agency_id, {}).setdefault(flag.criterion_key, []).append(flag)
        return found


def describe_user(user: User | None, *, command: str = "export-workbook") -> str:
    if user is None:
        return f"Command line (flask {command})"
    return f"{user.name} ({user.email})"


def load_cycle_export(
    session: Session,
    *,
    cycle: AuditCycle,
    by: User | None,
    essential_weight: float,
    today: date,
    now: datetime,
) -> CycleExport:
    """The whole cycle, every agency, scored and flagged as the heat map does it."""
    data = load_cycle_data(session, cycle, essential_weight=essential_weight)
    return CycleExport(
        partnership=cycle.partnership,
        cycle=cycle,
        data=data,
        scores=score_table(data),
        self_scores=self_score_table(data),
        flags=cycle_flags(data, today=today),
        levels=[
            LevelInfo(
                key=level.key,
                label=level.label,
                score=float(level.score),
                colour=level.colour,
                position=level.position,
                description=level.description,
                needs_action=level.needs_action,
                needs_evidence=level.needs_evidence,
            )
            for level in data.levels
        ],
        standards=[StandardInfo(s.key, s.code, s.title) for s in data.standards],
        criteria=[
            CriterionInfo(
                id=c.id,
                key=c.key,
                code=c.code,
                title=c.title,
                standard_key=s.key,
                standard_code=s.code,
                essential=c.essential,
            )
            for s in data.standards
            for c in s.criteria
        ],
        agencies=[
            AgencyInfo(
                agency_id=a.agency_id,
                assessment_id=a.id,
                name=a.agency.name,
                sector=a.agency.sector.label,
                status=a.status.label,
                submitted_at=a.submitted_at,
                declaration=(
                    f"{a.declaration_name} ({a.declaration_role})" if a.declaration_name else ""
                ),
            )
            for a in data.assessments
        ],
        generated_by=describe_user(by),
        generated_at=now,
        today=today,
        essential_weight=essential_weight,
    )


def only_agency(export: CycleExport, agency_id: int) -> CycleExport:
    """The same export narrowed to one agency's answers, flags and return. The scores
    stay those of the whole cycle: the partnership average needs every agency."""
    return replace(
        export,
        agencies=[a for a in export.agencies if a.agency_id == agency_id],
        flags=[f for f in export.flags if f.agency_id == agency_id],
    )


# ---------------------------------------------------------------------------------------
# What agencies typed, a batch of agencies at a time


def answer_texts(
    session: Session, assessment_ids: Sequence[int]
) -> dict[int, dict[int, AnswerText]]:
    """Answer text by assessment id, then criterion id."""
    rows = session.execute(
        select(
            CriterionResponse.assessment_id,
            CriterionResponse.criterion_id,
            CriterionResponse.evidence,
            CriterionResponse.impact,
            CriterionResponse.improvement,
            CriterionResponse.action,
            CriterionResponse.action_owner,
            CriterionResponse.action_due,
            CriterionResponse.review_needed,
            CriterionResponse.updated_at,
            User.name,
        )
        .outerjoin(User, User.id == CriterionResponse.updated_by_id)
        .where(CriterionResponse.assessment_id.in_(assessment_ids))
    )
    found: dict[int, dict[int, AnswerText]] = {}
    for (
        assessment_id,
        criterion_id,
        evidence,
        impact,
        improvement,
        action,
        owner,
        due,
        review,
        updated_at,
        updated_by,
    ) in rows:
        found.setdefault(assessment_id, {})[criterion_id] = AnswerText(
            evidence=evidence or "",
            impact=impact or "",
            improvement=improvement or "",
            action=action or "",
            action_owner=owner or "",
            action_due=due,
            review_needed=bool(review),
            updated_at=updated_at,
            updated_by=updated_by or "",
        )
    return found


def evidence_items(
    session: Session, assessment_ids: Sequence[int]
) -> dict[int, dict[int, list[EvidenceInfo]]]:
    """Current (not removed) evidence items by assessment id, then criterion id, in the
    order they were added."""
    rows = session.execute(
        select(
            CriterionResponse.assessment_id,
            CriterionResponse.criterion_id,
            EvidenceItem.title,
            EvidenceItem.reference,
            EvidenceItem.original_filename,
            EvidenceItem.effective_on,
            EvidenceItem.review_on,
            EvidenceItem.created_at,
        )
        .join(CriterionResponse, CriterionResponse.id == EvidenceItem.response_id)
        .where(
            CriterionResponse.assessment_id.in_(assessment_ids),
            EvidenceItem.removed_at.is_(None),
        )
        .order_by(EvidenceItem.id)
    )
    found: dict[int, dict[int, list[EvidenceInfo]]] = {}
    for assessment_id, criterion_id, title, reference, filename, effective, review, added in rows:
        found.setdefault(assessment_id, {}).setdefault(criterion_id, []).append(
            EvidenceInfo(
                title=title,
                reference=reference or "",
                filename=filename,
                effective_on=effective,
                review_on=review,
                added_at=added,
            )
        )
    return found


def answer_batches(
    session: Session, agencies: Sequence[AgencyInfo]
) -> Iterator[tuple[AgencyInfo, dict[int, AnswerText], dict[int, list[EvidenceInfo]]]]:
    """Each agency with its answer text and evidence items (by criterion id), loaded
    `BATCH` agencies at a time: two queries per batch, and never the whole cycle's text
    in memory at once."""
    for batch in _batches(agencies):
        ids = [a.assessment_id for a in batch]
        texts = answer_texts(session, ids)
        items = evidence_items(session, ids)
        for agency in batch:
            yield agency, texts.get(agency.assessment_id, {}), items.get(agency.assessment_id, {})


def evidence_batches(
    session: Session, agencies: Sequence[AgencyInfo]
) -> Iterator[tuple[AgencyInfo, dict[int, list[EvidenceInfo]]]]:
    """Each agency with its evidence items (by criterion id), a batch at a time."""
    for batch in _batches(agencies):
        items = evidence_items(session, [a.assessment_id for a in batch])
        for agency in batch:
            yield agency, items.get(agency.assessment_id, {})


def _batches(agencies: Sequence[AgencyInfo]) -> Iterator[Sequence[AgencyInfo]]:
    for start in range(0, len(agencies), BATCH):
        yield agencies[start : start + BATCH]


# ---------------------------------------------------------------------------------------
# Panels


def panel_ratings(
    session: Session, cycle: AuditCycle, *, audience: Audience, agency_ids: set[int] | None = None
) -> dict[int, dict[int, PanelRating]]:
    """The panels' ratings by agency id, then criterion id. Where an agency was seen by
    more than one panel, the latest panel's rating counts (`panels.moderated_for_cycle`,
    which scoring uses). An agency sees only the ratings of panels signed off."""
    stmt = (
        select(
            Assessment.agency_id,
            ModeratedRating.criterion_id,
            ScaleLevel.key,
            ModeratedRating.rationale,
            Panel.held_on,
        )
        .join(PanelAgency, PanelAgency.id == ModeratedRating.panel_agency_id)
        .join(Panel, Panel.id == PanelAgency.panel_id)
        .join(Assessment, Assessment.id == PanelAgency.assessment_id)
        .join(ScaleLevel, ScaleLevel.id == ModeratedRating.level_id)
        .where(Panel.cycle_id == cycle.id)
        .order_by(Panel.held_on, Panel.id)
    )
    if agency_ids is not None:
        stmt = stmt.where(Assessment.agency_id.in_(agency_ids))
    if audience is Audience.AGENCY:
        stmt = stmt.where(Panel.status == PanelStatus.SIGNED_OFF)
    found: dict[int, dict[int, PanelRating]] = {}
    for agency_id, criterion_id, level_key, rationale, held_on in session.execute(stmt):
        found.setdefault(agency_id, {})[criterion_id] = PanelRating(level_key, rationale, held_on)
    return found


def _about(challenge: Challenge) -> str:
    if challenge.criterion is not None:
        return f"{challenge.criterion.code} {challenge.criterion.title}"
    if challenge.standard is not None:
        return f"Standard {challenge.standard.code}. {challenge.standard.title}"
    return "The return as a whole"


def attendances(
    session: Session,
    cycle: AuditCycle,
    *,
    audience: Audience,
    assessment_id: int | None = None,
) -> list[AttendanceInfo]:
    """Every agency's slot at the cycle's panels, with its challenges and answers.
    Never the panel's private notes. An agency sees the challenges put to it and its own
    answers at once (it has to answer them), and the outcome, the panel's verdict on each
    challenge and how many ratings were moderated only once the chair signs off."""
    stmt = (
        select(PanelAgency)
        .join(PanelAgency.panel)
        .options(
            joinedload(PanelAgency.panel).joinedload(Panel.chair),
            joinedload(PanelAgency.assessment).joinedload(Assessment.agency),
            selectinload(PanelAgency.challenges).joinedload(Challenge.criterion),
            selectinload(PanelAgency.challenges).joinedload(Challenge.standard),
            selectinload(PanelAgency.moderated_ratings),
        )
        .where(Panel.cycle_id == cycle.id)
        .order_by(Panel.held_on, Panel.id, PanelAgency.slot)
    )
    if assessment_id is not None:
        stmt = stmt.where(PanelAgency.assessment_id == assessment_id)
    found = []
    for seen in session.scalars(stmt).unique():
        panel = seen.panel
        released = audience is Audience.PQA or panel.status is PanelStatus.SIGNED_OFF
        agency = seen.assessment.agency
        found.append(
            AttendanceInfo(
                held_on=panel.held_on,
                slot=seen.slot,
                place=panel.place,
                status=panel.status.label,
                chair=panel.chair.name,
                agency=agency.name,
                sector=agency.sector.label,
                outcome=seen.outcome.label if released and seen.outcome else None,
                outcome_summary=seen.outcome_summary if released else "",
                signed_off_on=panel.signed_off_at.date() if panel.signed_off_at else None,
                moderated=len(seen.moderated_ratings) if released else 0,
                challenges=[
                    ChallengeInfo(
                        about=_about(challenge),
                        question=challenge.question,
                        raised_at=challenge.created_at,
                        response=challenge.response,
                        responded_at=challenge.responded_at,
                        satisfied=challenge.satisfied if released else None,
                    )
                    for challenge in seen.challenges
                ],
            )
        )
    return found


# ---------------------------------------------------------------------------------------
# Actions


def cycle_actions(
    session: Session,
    cycle: AuditCycle,
    *,
    today: date,
    assessment_id: int | None = None,
) -> list[ActionInfo]:
    """The tracker's actions that came from this cycle: from the agencies' returns and
    from its challenge panels. Soonest due first, as on the tracker.

    Plain columns, not ORM objects: a 400-agency cycle can have 12,000 actions, and
    building an object (with its agency, criterion and updates) for each took longer
    than writing them out."""
    in_cycle = select(Assessment.id).where(Assessment.cycle_id == cycle.id)
    where = [Action.partnership_id == cycle.partnership_id, Action.assessment_id.in_(in_cycle)]
    if assessment_id is not None:
        where.append(Action.assessment_id == assessment_id)
    rows = session.execute(
        select(
            Action.id,
            Agency.name.label("agency"),
            Agency.sector,
            Action.source,
            Criterion.code.label("criterion_code"),
            Action.description,
            Action.owner,
            Action.due_on,
            Action.status,
            Action.created_at,
            Action.closed_at,
        )
        .join(Agency, Agency.id == Action.agency_id)
        .outerjoin(Criterion, Criterion.id == Action.criterion_id)
        .where(*where)
        .order_by(Action.due_on, Action.id)
    ).all()
    updates: dict[int, list[tuple[str, datetime]]] = {}
    for action_id, note, at in session.execute(
        select(ActionUpdate.action_id, ActionUpdate.note, ActionUpdate.created_at)
        .join(Action, Action.id == ActionUpdate.action_id)
        .where(*where)
        .order_by(ActionUpdate.action_id, ActionUpdate.id)
    ):
        updates.setdefault(action_id, []).append((note, at))
    found = []
    for row in rows:
        progress = updates.get(row.id, [])
        latest_note, latest_at = progress[-1] if progress else ("", None)
        found.append(
            ActionInfo(
                agency=row.agency,
                sector=row.sector.label,
                source=row.source.label,
                criterion_code=row.criterion_code,
                description=row.description,
                owner=row.owner,
                due_on=row.due_on,
                status=row.status.label,
                # The row carries `status` and `due_on`, all the tracker's rule reads.
                overdue_days=(today - row.due_on).days if is_overdue(row, today) else None,
                raised_at=row.created_at,
                closed_at=row.closed_at,
                updates=len(progress),
                latest_note=latest_note,
                latest_at=latest_at,
            )
        )
    return found


def action_info(action: Action, today: date) -> ActionInfo:
    """An action with its agency, criterion or case and updates loaded, as plain data."""
    latest = action.updates[-1] if action.updates else None
    return ActionInfo(
        agency=action.agency.name,
        sector=action.agency.sector.label,
        source=action.source.label,
        criterion_code=action.criterion.code if action.criterion else None,
        description=action.description,
        owner=action.owner,
        due_on=action.due_on,
        status=action.status.label,
        overdue_days=(today - action.due_on).days if is_overdue(action, today) else None,
        raised_at=action.created_at,
        closed_at=action.closed_at,
        updates=len(action.updates),
        latest_note=latest.note if latest else "",
        latest_at=latest.created_at if latest else None,
        case_reference=action.case.reference if action.case_id else None,
    )


def tracker_actions(
    session: Session,
    *,
    partnership: Partnership,
    agency_ids: set[int] | None,
    status: ActionStatus | None,
    due: DueFilter | None,
    today: date,
) -> list[ActionInfo]:
    """The action tracker's rows, with the tracker's filters (`actions.list_actions`)."""
    found = list_actions(
        session, partnership=partnership, agency_ids=agency_ids, status=status, due=due, today=today
    )
    return [action_info(action, today) for action in found]


# ---------------------------------------------------------------------------------------
# The returns tracker


def returns_tracker(session: Session, cycle: AuditCycle, *, today: date) -> list[TrackedReturn]:
    """The cycle page's returns tracker (`cycles.tracker`) as plain rows."""
    return [
        TrackedReturn(
            agency=row.assessment.agency.name,
            sector=row.assessment.agency.sector.label,
            status=row.assessment.status.label,
            overdue=row.overdue,
            percent_complete=row.percent_complete,
            last_activity_at=row.assessment.last_activity_at,
            submitted_at=row.assessment.submitted_at,
        )
        for row in cycle_tracker(session, cycle, today=today)
    ]


# ---------------------------------------------------------------------------------------
# The audit trail


def record_export(
    session: Session,
    *,
    kind: str,
    by: User | None,
    partnership: Partnership,
    subject: Any,
    rows: dict[str, int],
    filters: dict[str, Any],
    **extra: Any,
) -> None:
    """Write the export to the audit trail: who (`by`), when (the event's time), what
    (`kind` and subject) and how much (data rows of each sheet), with any filters."""
    record_event(
        session,
        AuditEventType.EXPORT_CREATED,
        by=by,
        partnership=partnership,
        subject=subject,
        kind=kind,
        rows=dict(rows),
        filters=dict(filters),
        **extra,
    )
    session.flush()
