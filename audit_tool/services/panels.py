"""Challenge panels: scheduling, challenges, moderated ratings, outcomes and sign-off.

The agency's own answers are never changed here: a moderated rating sits beside the
self-rating, and scoring counts the moderated one where it exists.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..audit_trail import AuditEventType, record_event
from ..db import lock_for_update
from ..models import (
    Assessment,
    AuditCycle,
    Challenge,
    Criterion,
    CycleStatus,
    ModeratedRating,
    Outcome,
    Panel,
    PanelAgency,
    PanelMember,
    PanelStatus,
    Partnership,
    Role,
    Standard,
    User,
    utcnow,
)
from ..states import move_panel
from . import DomainError, NotFound
from .users import roles_in

SLOT_MINUTES = 45


# Loading ------------------------------------------------------------------------------


def _panel_query():
    return select(Panel).options(
        joinedload(Panel.cycle).joinedload(AuditCycle.framework_version),
        joinedload(Panel.chair),
        selectinload(Panel.members).joinedload(PanelMember.user),
        selectinload(Panel.attendances)
        .joinedload(PanelAgency.assessment)
        .joinedload(Assessment.agency),
    )


def list_panels(session: Session, partnership: Partnership) -> list[Panel]:
    return list(
        session.scalars(
            _panel_query()
            .join(Panel.cycle)
            .where(AuditCycle.partnership_id == partnership.id)
            .order_by(Panel.held_on.desc(), Panel.starts_at)
        ).unique()
    )


def get_panel(session: Session, partnership: Partnership, panel_id: int) -> Panel:
    panel = session.scalar(
        _panel_query()
        .join(Panel.cycle)
        .where(Panel.id == panel_id, AuditCycle.partnership_id == partnership.id)
    )
    if panel is None:
        raise NotFound("Panel not found")
    return panel


def sits_on(user: User, panel: Panel) -> bool:
    return panel.chair_id == user.id or any(m.user_id == user.id for m in panel.members)


def panels_for_member(session: Session, partnership: Partnership, user: User) -> list[Panel]:
    return [p for p in list_panels(session, partnership) if sits_on(user, p)]


def attendances_for_agencies(
    session: Session, partnership: Partnership, agency_ids: set[int]
) -> list[PanelAgency]:
    """The panels these agencies attend, with who sits on them (agencies see this)."""
    return list(
        session.scalars(
            select(PanelAgency)
            .join(PanelAgency.assessment)
            .join(Assessment.cycle)
            .options(
                joinedload(PanelAgency.panel).joinedload(Panel.chair),
                joinedload(PanelAgency.panel)
                .selectinload(Panel.members)
                .joinedload(PanelMember.user),
                joinedload(PanelAgency.assessment).joinedload(Assessment.agency),
                joinedload(PanelAgency.assessment).joinedload(Assessment.cycle),
            )
            .join(PanelAgency.panel)
            .where(
                AuditCycle.partnership_id == partnership.id,
                Assessment.agency_id.in_(agency_ids),
            )
            .order_by(Panel.held_on.desc(), PanelAgency.slot)
        ).unique()
    )


def get_attendance(session: Session, panel: Panel, attendance_id: int) -> PanelAgency:
    attendance = session.scalar(
        select(PanelAgency)
        .options(
            joinedload(PanelAgency.assessment).joinedload(Assessment.agency),
            selectinload(PanelAgency.challenges).joinedload(Challenge.raised_by),
            selectinload(PanelAgency.moderated_ratings).joinedload(ModeratedRating.level),
        )
        .where(PanelAgency.id == attendance_id, PanelAgency.panel_id == panel.id)
    )
    if attendance is None:
        raise NotFound("Agency not found on this panel")
    return attendance


# Scheduling ---------------------------------------------------------------------------


def schedule_panel(
    session: Session,
    *,
    cycle: AuditCycle,
    held_on: date,
    starts_at: str,
    place: str,
    chair: User,
    members: list[User],
    assessments: list[Assessment],
    by: User,
    today: date,
) -> Panel:
    """A panel with the agencies attending, each given a slot in order from the start."""
    if cycle.status is CycleStatus.DRAFT:
        raise DomainError("Open the cycle before scheduling its panels")
    if held_on < today:
        raise DomainError("The panel date must be today or in the future", field="held_on")
    partnership = cycle.partnership
    for person in [chair, *members]:
        if Role.PANEL_MEMBER not in roles_in(person, partnership):
            raise DomainError(f"{person.name} is not a challenge panel member", field="members")
    if not assessments:
        raise DomainError("Select the agencies attending", field="agencies")
    if any(a.cycle_id != cycle.id for a in assessments):
        raise DomainError("Select agencies taking part in this cycle", field="agencies")
    start = datetime.strptime(starts_at, "%H:%M")
    panel = Panel(
        cycle=cycle,
        held_on=held_on,
        starts_at=starts_at,
        place=place,
        chair=chair,
        status=PanelStatus.SCHEDULED,
    )
    session.add(panel)
    for person in {m.id: m for m in [chair, *members]}.values():
        panel.members.append(PanelMember(user=person))
    for position, assessment in enumerate(sorted(assessments, key=lambda a: a.agency.name)):
        slot = start + timedelta(minutes=SLOT_MINUTES * position)
        session.add(PanelAgency(panel=panel, assessment=assessment, slot=f"{slot:%H:%M}"))
    session.flush()
    record_event(
        session,
        AuditEventType.PANEL_SCHEDULED,
        by=by,
        partnership=partnership,
        subject=panel,
        cycle=cycle.name,
        held_on=held_on.isoformat(),
        agencies=[a.agency.name for a in assessments],
    )
    return panel


# Running the panel ------------------------------------------------------------------


def require_open(panel: Panel) -> None:
    if panel.status is PanelStatus.SIGNED_OFF:
        raise DomainError("This panel has been signed off. Reopen it to make changes.")


def _record(session, event, panel: Panel, subject, by, **data) -> None:
    record_event(
        session, event, by=by, partnership=panel.cycle.partnership, subject=subject, **data
    )


def raise_challenge(
    session: Session,
    *,
    attendance: PanelAgency,
    question: str,
    criterion: Criterion | None,
    standard: Standard | None,
    by: User,
) -> Challenge:
    panel = attendance.panel
    require_open(panel)
    challenge = Challenge(
        panel_agency=attendance,
        criterion=criterion,
        standard=standard,
        question=question,
        raised_by=by,
    )
    session.add(challenge)
    session.flush()
    _record(
        session,
        AuditEventType.CHALLENGE_RAISED,
        panel,
        challenge,
        by,
        agency=attendance.assessment.agency.name,
        question=question,
    )
    return challenge


def answer_challenge(session: Session, *, challenge: Challenge, response: str, by: User) -> None:
    panel = challenge.panel_agency.panel
    require_open(panel)
    lock_for_update(session, Challenge, challenge.id)
    before = challenge.response
    challenge.response = response
    challenge.responded_by = by
    challenge.responded_at = utcnow()
    _record(
        session,
        AuditEventType.CHALLENGE_ANSWERED,
        panel,
        challenge,
        by,
        agency=challenge.panel_agency.assessment.agency.name,
        before=before,
        after=response,
    )


def resolve_challenge(session: Session, *, challenge: Challenge, satisfied: bool, by: User) -> None:
    panel = challenge.panel_agency.panel
    require_open(panel)
    challenge.satisfied = satisfied
    _record(
        session,
        AuditEventType.CHALLENGE_RESOLVED,
        panel,
        challenge,
        by,
        agency=challenge.panel_agency.assessment.agency.name,
        satisfied=satisfied,
    )


def moderate(
    session: Session,
    *,
    attendance: PanelAgency,
    criterion: Criterion,
    level_key: str,
    rationale: str,
    by: User,
) -> ModeratedRating:
    """Set the panel's rating beside the agency's own. The level must be on the cycle's
    scale; the criterion must be in the framework and apply to the agency."""
    panel = attendance.panel
    require_open(panel)
    version = panel.cycle.framework_version
    level = next((lvl for lvl in version.levels if lvl.key == level_key), None)
    if level is None:
        raise DomainError("Select a rating from the framework's scale", field="rating")
    if criterion.standard.version_id != version.id or not criterion.applies_to(
        attendance.assessment.agency.sector.value
    ):
        raise NotFound("Criterion not found")
    existing = next(
        (m for m in attendance.moderated_ratings if m.criterion_id == criterion.id), None
    )
    before = {"rating": existing.level.key, "rationale": existing.rationale} if existing else {}
    if existing is None:
        existing = ModeratedRating(panel_agency=attendance, criterion=criterion, set_by=by)
        session.add(existing)
    existing.level = level
    existing.rationale = rationale
    existing.set_by = by
    session.flush()
    _record(
        session,
        AuditEventType.RATING_MODERATED,
        panel,
        existing,
        by,
        agency=attendance.assessment.agency.name,
        criterion=criterion.code,
        before=before,
        after={"rating": level.key, "rationale": rationale},
    )
    return existing


def record_outcome(
    session: Session,
    *,
    attendance: PanelAgency,
    outcome: Outcome,
    summary: str,
    private_notes: str,
    by: User,
) -> None:
    panel = attendance.panel
    require_open(panel)
    before = {"outcome": attendance.outcome.value if attendance.outcome else None}
    attendance.outcome = outcome
    attendance.outcome_summary = summary
    attendance.private_notes = private_notes
    _record(
        session,
        AuditEventType.OUTCOME_RECORDED,
        panel,
        attendance,
        by,
        agency=attendance.assessment.agency.name,
        before=before,
        after={"outcome": outcome.value},
    )


def start_panel(session: Session, *, panel: Panel, by: User) -> None:
    move_panel(panel, PanelStatus.IN_PROGRESS)
    _record(
        session,
        AuditEventType.PANEL_STARTED,
        panel,
        panel,
        by,
        cycle=panel.cycle.name,
        held_on=panel.held_on.isoformat(),
    )


def sign_off(session: Session, *, panel: Panel, by: User) -> None:
    """The chair signs the panel off once every agency has an outcome; the agencies then
    see their feedback."""
    if by.id != panel.chair_id and Role.PQA_ADMIN not in roles_in(by, panel.cycle.partnership):
        raise DomainError("Only the chair can sign the panel off")
    missing = [a.assessment.agency.name for a in panel.attendances if a.outcome is None]
    if missing:
        raise DomainError(f"Record an outcome for {', '.join(missing)} before signing off")
    move_panel(panel, PanelStatus.SIGNED_OFF)
    panel.signed_off_at = utcnow()
    _record(
        session,
        AuditEventType.PANEL_SIGNED_OFF,
        panel,
        panel,
        by,
        cycle=panel.cycle.name,
        held_on=panel.held_on.isoformat(),
    )


def reopen_panel(session: Session, *, panel: Panel, reason: str, by: User) -> None:
    if panel.status is not PanelStatus.SIGNED_OFF:
        raise DomainError("Only a signed-off panel can be reopened")
    move_panel(panel, PanelStatus.IN_PROGRESS)
    panel.reopened_reason = reason
    _record(
        session,
        AuditEventType.PANEL_REOPENED,
        panel,
        panel,
        by,
        cycle=panel.cycle.name,
        held_on=panel.held_on.isoformat(),
        reason=reason,
    )


def moderated_for_cycle(session: Session, cycle: AuditCycle) -> dict[tuple[int, int], int]:
    """The panels' ratings in a cycle: scale level id by (agency id, criterion id). Where
    an agency was seen by more than one panel, the latest panel's rating counts."""
    rows = session.execute(
        select(Assessment.agency_id, ModeratedRating.criterion_id, ModeratedRating.level_id)
        .join(PanelAgency, PanelAgency.id == ModeratedRating.panel_agency_id)
        .join(Panel, Panel.id == PanelAgency.panel_id)
        .join(Assessment, Assessment.id == PanelAgency.assessment_id)
        .where(Panel.cycle_id == cycle.id)
        .order_by(Panel.held_on, Panel.id)
    )
    return {(agency_id, criterion_id): level_id for agency_id, criterion_id, level_id in rows}
