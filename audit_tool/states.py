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
    CycleStatus,
    Panel,
    PanelStatus,
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
