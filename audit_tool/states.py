"""The allowed moves of every status in the app, in one place.

A move not listed is refused with a message fit to show the user.
"""

from __future__ import annotations

from .models import Assessment, AssessmentStatus, AuditCycle, CycleStatus
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


def return_is_editable(assessment: Assessment) -> bool:
    """Agencies can change a return while its cycle is open and it is not submitted."""
    return assessment.cycle.status is CycleStatus.OPEN and assessment.status in (
        AssessmentStatus.NOT_STARTED,
        AssessmentStatus.IN_PROGRESS,
        AssessmentStatus.REOPENED,
    )
