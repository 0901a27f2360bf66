"""The allowed moves of every status in the app, in one place.

A move not listed is refused with a message fit to show the user.
"""

from __future__ import annotations

from .models import (
    Action,
    ActionStatus,
    Assessment,
    AssessmentStatus,
    AuditCycle,
    CaseAuditRound,
    CaseReturn,
    CaseReturnStatus,
    CycleStatus,
    Panel,
    PanelStatus,
    RoundStatus,
)
from .services import DomainError


class TransitionRefused(DomainError):
    pass


def move_cycle(cycle: AuditCycle, to: CycleStatus) -> None:
    match (cycle.status, to):
        case (CycleStatus.DRAFT, CycleStatus.OPEN) | (CycleStatus.OPEN, CycleStatus.CLOSED):
            cycle.status = to
        case (CycleStatus.CLOSED, CycleStatus.OPEN):
            # Reopening a closed cycle lets late returns in; submitted ones stay submitted.
            cycle.status = to
        case _:
            raise TransitionRefused(f"A {cycle.status} cycle cannot be made {to}")


def move_assessment(assessment: Assessment, to: AssessmentStatus) -> None:
    match (assessment.status, to):
        case (AssessmentStatus.NOT_STARTED, AssessmentStatus.IN_PROGRESS):
            assessment.status = to
        case (AssessmentStatus.IN_PROGRESS | AssessmentStatus.REOPENED, AssessmentStatus.SUBMITTED):
            assessment.status = to
        case (AssessmentStatus.SUBMITTED, AssessmentStatus.REOPENED):
            assessment.status = to
        case _:
            raise TransitionRefused(
                f"A return that is {assessment.status.label.lower()} cannot be {to.label.lower()}"
            )


def move_action(action: Action, to: ActionStatus) -> None:
    match (action.status, to):
        case (ActionStatus.OPEN, ActionStatus.IN_PROGRESS):
            action.status = to
        case (ActionStatus.OPEN | ActionStatus.IN_PROGRESS, ActionStatus.CLOSED):
            action.status = to
        case (ActionStatus.CLOSED, _):
            raise TransitionRefused("This action is closed, so it cannot be changed")
        case _:
            raise TransitionRefused(
                f"An action that is {action.status.label.lower()} cannot be {to.label.lower()}"
            )


def return_is_editable(assessment: Assessment) -> bool:
    """Agencies can change a return while its cycle is open and it is not submitted."""
    return assessment.cycle.status is CycleStatus.OPEN and assessment.status in (
        AssessmentStatus.NOT_STARTED,
        AssessmentStatus.IN_PROGRESS,
        AssessmentStatus.REOPENED,
    )


def move_panel(panel: Panel, to: PanelStatus) -> None:
    match (panel.status, to):
        case (PanelStatus.SCHEDULED, PanelStatus.IN_PROGRESS) | (
            PanelStatus.IN_PROGRESS,
            PanelStatus.SIGNED_OFF,
        ):
            panel.status = to
        case (PanelStatus.SIGNED_OFF, PanelStatus.IN_PROGRESS):
            panel.status = to
        case _:
            raise TransitionRefused(
                f"A panel that is {panel.status.label.lower()} cannot be {to.label.lower()}"
            )


def move_round(audit_round: CaseAuditRound, to: RoundStatus) -> None:
    match (audit_round.status, to):
        case (RoundStatus.DRAFT, RoundStatus.OPEN) | (RoundStatus.OPEN, RoundStatus.CLOSED):
            audit_round.status = to
        case (RoundStatus.CLOSED, RoundStatus.OPEN):
            # Reopening lets the meeting correct its judgements; returns stay as they are.
            audit_round.status = to
        case _:
            raise TransitionRefused(
                f"A {audit_round.status.label.lower()} round cannot be made {to.label.lower()}"
            )


def move_case_return(case_return: CaseReturn, to: CaseReturnStatus) -> None:
    match (case_return.status, to):
        case (CaseReturnStatus.NOT_STARTED, CaseReturnStatus.IN_PROGRESS):
            case_return.status = to
        case (
            CaseReturnStatus.IN_PROGRESS | CaseReturnStatus.REOPENED,
            CaseReturnStatus.SUBMITTED,
        ):
            case_return.status = to
        case (CaseReturnStatus.SUBMITTED, CaseReturnStatus.REOPENED):
            case_return.status = to
        case _:
            raise TransitionRefused(
                f"A case audit that is {case_return.status.label.lower()} "
                f"cannot be {to.label.lower()}"
            )


def case_return_is_editable(case_return: CaseReturn) -> bool:
    """An agency can change its case audit while the round is open and it is not
    submitted."""
    return case_return.case.round.status is RoundStatus.OPEN and case_return.status in (
        CaseReturnStatus.NOT_STARTED,
        CaseReturnStatus.IN_PROGRESS,
        CaseReturnStatus.REOPENED,
    )
