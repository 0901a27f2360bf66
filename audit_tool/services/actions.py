"""The partnership's action tracker: actions from agencies' returns, challenge panels and
(later) case-file audits, their progress and closing. Views call these; they add and
flush, and the request commits."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload, selectinload, subqueryload

from ..audit_trail import AuditEventType, record_event
from ..db import lock_for_update
from ..models import (
    Action,
    ActionSource,
    ActionStatus,
    ActionUpdate,
    Agency,
    Assessment,
    AuditCase,
    Challenge,
    Criterion,
    CriterionResponse,
    PanelAgency,
    Partnership,
    User,
    utcnow,
)
from ..states import move_action
from . import DomainError, NotFound

# "Due soon" on the tracker: far enough ahead for a lead to act before it is overdue.
DUE_SOON_DAYS = 30

# Actions on a page of the tracker: a partnership of 400 agencies tracks thousands.
PER_PAGE = 50


class DueFilter(StrEnum):
    OVERDUE = "overdue"
    NEXT_30_DAYS = "next_30_days"

    @property
    def label(self) -> str:
        return {"overdue": "Overdue", "next_30_days": "Due in the next 30 days"}[self.value]


def is_overdue(action: Action, today: date) -> bool:
    return action.status is not ActionStatus.CLOSED and action.due_on < today


def _record(session: Session, event: AuditEventType, action: Action, *, by, **data) -> None:
    """Every change to an action names its partnership and agency in the audit trail."""
    record_event(
        session,
        event,
        by=by,
        partnership=action.partnership,
        subject=action,
        agency=action.agency.name,
        **data,
    )


def _add_action(session: Session, *, by: User | None, **fields) -> Action:
    action = Action(status=ActionStatus.OPEN, **fields)
    session.add(action)
    session.flush()
    _record(
        session,
        AuditEventType.ACTION_CREATED,
        action,
        by=by,
        source=action.source.value,
        description=action.description,
        owner=action.owner,
        due_on=action.due_on.isoformat(),
    )
    return action


# ---------------------------------------------------------------------------------------
# Creating


def create_action(
    session: Session,
    *,
    partnership: Partnership,
    agency: Agency,
    source: ActionSource,
    description: str,
    owner: str,
    due_on: date,
    today: date,
    by: User,
    assessment: Assessment | None = None,
    criterion: Criterion | None = None,
    panel_agency: PanelAgency | None = None,
    challenge: Challenge | None = None,
    case: AuditCase | None = None,
) -> Action:
    """Add an action to the tracker (a challenge panel's agreed action, or one a
    case-audit moderation meeting agreed about `case`, for example)."""
    if due_on <= today:
        raise DomainError("The due date must be in the future", field="due_on")
    return _add_action(
        session,
        by=by,
        partnership=partnership,
        agency=agency,
        source=source,
        assessment_id=assessment.id if assessment else None,
        criterion=criterion,
        panel_agency_id=panel_agency.id if panel_agency else None,
        challenge=challenge,
        case_id=case.id if case else None,
        description=description,
        owner=owner,
        due_on=due_on,
    )


def sync_return_actions(session: Session, *, assessment: Assessment, by: User) -> int:
    """Bring the tracker in line with a return being submitted: each answer with a
    complete action (what, who, when) has one RETURN action, created or updated.

    Returns how many were created or changed. Closed actions are left as they were
    closed, and actions whose answer no longer has one are kept: progress recorded
    against them is part of the record, and only PQA closes an action.
    """
    responses = session.scalars(
        select(CriterionResponse)
        .options(joinedload(CriterionResponse.criterion))
        .where(
            CriterionResponse.assessment_id == assessment.id,
            CriterionResponse.action != "",
            CriterionResponse.action_owner != "",
            CriterionResponse.action_due.is_not(None),
        )
        .order_by(CriterionResponse.id)
    ).all()
    # Locked: a lead may be adding progress to one of these while the return is submitted.
    existing = {
        action.criterion_id: action
        for action in session.scalars(
            select(Action)
            .where(Action.assessment_id == assessment.id, Action.source == ActionSource.RETURN)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    changed = 0
    for response in responses:
        action = existing.get(response.criterion_id)
        wanted = {
            "description": response.action,
            "owner": response.action_owner,
            "due_on": response.action_due,
        }
        if action is None:
            _add_action(
                session,
                by=by,
                partnership=assessment.cycle.partnership,
                agency=assessment.agency,
                source=ActionSource.RETURN,
                assessment_id=assessment.id,
                criterion=response.criterion,
                **wanted,
            )
            changed += 1
            continue
        if action.status is ActionStatus.CLOSED:
            continue
        before = {"description": action.description, "owner": action.owner, "due_on": action.due_on}
        if before == wanted:
            continue
        for name, value in wanted.items():
            setattr(action, name, value)
        _record(
            session,
            AuditEventType.ACTION_UPDATED,
            action,
            by=by,
            note="Changed in the resubmitted return",
            before=_printable(before),
            after=_printable(wanted),
        )
        changed += 1
    session.flush()
    return changed


def _printable(fields: dict) -> dict:
    return {name: v.isoformat() if isinstance(v, date) else v for name, v in fields.items()}


# ---------------------------------------------------------------------------------------
# Reading


def list_actions(
    session: Session,
    *,
    partnership: Partnership,
    agency_ids: set[int] | None = None,
    status: ActionStatus | None = None,
    due: DueFilter | str | None = None,
    today: date,
) -> list[Action]:
    """The partnership's actions with their progress updates, soonest due first, in two
    statements however many there are (the updates come in one, not in batches as
    `selectinload` loads them). `due` counts only actions not yet closed: a closed action
    is never late."""
    stmt = _filtered(
        partnership=partnership, agency_ids=agency_ids, status=status, due=due, today=today
    )
    return list(session.scalars(stmt.options(*_listed, subqueryload(Action.updates))))


def page_of_actions(
    session: Session,
    *,
    partnership: Partnership,
    agency_ids: set[int] | None = None,
    status: ActionStatus | None = None,
    due: DueFilter | str | None = None,
    today: date,
    page: int,
    per_page: int,
) -> tuple[list[Action], int]:
    """One page of `list_actions`, without the updates (the tracker page does not show
    them), and how many actions the whole list has: two statements."""
    stmt = _filtered(
        partnership=partnership, agency_ids=agency_ids, status=status, due=due, today=today
    )
    total = session.scalar(stmt.with_only_columns(func.count(Action.id)).order_by(None))
    shown = session.scalars(stmt.options(*_listed).offset((page - 1) * per_page).limit(per_page))
    return list(shown), total


# What every list of actions shows beside each: its agency, criterion and case.
_listed = (joinedload(Action.agency), joinedload(Action.criterion), joinedload(Action.case))


def _filtered(
    *,
    partnership: Partnership,
    agency_ids: set[int] | None,
    status: ActionStatus | None,
    due: DueFilter | str | None,
    today: date,
) -> Select:
    stmt = (
        select(Action)
        .where(Action.partnership_id == partnership.id)
        .order_by(Action.due_on, Action.id)
    )
    if agency_ids is not None:
        stmt = stmt.where(Action.agency_id.in_(agency_ids))
    if status is not None:
        stmt = stmt.where(Action.status == status)
    if due is not None:
        due = DueFilter(due)
        stmt = stmt.where(Action.status != ActionStatus.CLOSED)
        if due is DueFilter.OVERDUE:
            stmt = stmt.where(Action.due_on < today)
        else:
            stmt = stmt.where(
                Action.due_on >= today, Action.due_on <= today + timedelta(days=DUE_SOON_DAYS)
            )
    return stmt


def get_action(
    session: Session,
    *,
    partnership: Partnership,
    action_id: int,
    agency_ids: set[int] | None = None,
) -> Action:
    """One action with its history. NotFound outside the partnership or, when
    `agency_ids` is given, outside those agencies: another agency's action is
    indistinguishable from none."""
    stmt = (
        select(Action)
        .options(
            joinedload(Action.agency),
            joinedload(Action.criterion),
            joinedload(Action.case),
            joinedload(Action.closed_by),
            selectinload(Action.updates).joinedload(ActionUpdate.by),
        )
        .where(Action.id == action_id, Action.partnership_id == partnership.id)
    )
    if agency_ids is not None:
        stmt = stmt.where(Action.agency_id.in_(agency_ids))
    action = session.scalar(stmt)
    if action is None:
        raise NotFound("Action not found")
    return action


# ---------------------------------------------------------------------------------------
# Progress and closing


def add_update(
    session: Session, *, action: Action, note: str, evidence_reference: str, by: User
) -> ActionUpdate:
    """Record progress; the first update moves an open action to in progress."""
    # Forms check for a note too, but a note of only spaces passes InputRequired.
    if not note.strip():
        raise DomainError("Enter a progress note", field="note")
    lock_for_update(session, Action, action.id)
    if action.status is ActionStatus.CLOSED:
        raise DomainError("This action is closed, so progress cannot be added", field="note")
    if action.status is ActionStatus.OPEN:
        move_action(action, ActionStatus.IN_PROGRESS)
    update = ActionUpdate(action=action, note=note, evidence_reference=evidence_reference, by=by)
    session.add(update)
    session.flush()
    _record(
        session,
        AuditEventType.ACTION_UPDATED,
        action,
        by=by,
        note=note,
        evidence_reference=evidence_reference,
    )
    return update


def close_action(session: Session, *, action: Action, note: str, by: User) -> None:
    """Close an action. The closing note is its final update, so the history reads to
    the end."""
    if not note.strip():
        raise DomainError("Enter a closing note", field="note")
    lock_for_update(session, Action, action.id)
    if action.status is ActionStatus.CLOSED:
        raise DomainError("This action is already closed", field="note")
    move_action(action, ActionStatus.CLOSED)
    action.closed_at = utcnow()
    action.closed_by = by
    session.add(ActionUpdate(action=action, note=note, by=by))
    session.flush()
    _record(
        session,
        AuditEventType.ACTION_CLOSED,
        action,
        by=by,
        description=action.description,
        note=note,
    )
