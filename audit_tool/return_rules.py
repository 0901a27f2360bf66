"""What makes an answer, a standard and a return complete. Plain data in, plain data out:
no Flask and no database, so every rule is tested on its own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Progress(StrEnum):
    NOT_STARTED = "Not started"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"
    REVIEW_NEEDED = "Review needed"


@dataclass(frozen=True)
class Level:
    key: str
    label: str
    needs_action: bool
    needs_evidence: bool


@dataclass(frozen=True)
class Answer:
    """One criterion's answer as the rules see it. `level` None means not rated."""

    criterion_id: int
    code: str
    title: str
    level: Level | None = None
    not_applicable: bool = False
    evidence: str = ""
    evidence_items: int = 0
    impact: str = ""
    improvement: str = ""
    action: str = ""
    action_owner: str = ""
    action_due: date | None = None
    review_needed: bool = False

    @property
    def touched(self) -> bool:
        return bool(
            self.level
            or self.not_applicable
            or self.evidence
            or self.evidence_items
            or self.impact
            or self.improvement
            or self.action
            or self.action_owner
            or self.action_due
        )


@dataclass(frozen=True)
class Problem:
    """Something that stops a return being submitted; `field` is the form field at fault."""

    criterion_id: int
    field: str
    message: str


def answer_problems(answer: Answer, *, today: date) -> list[Problem]:
    name = f"{answer.code} {answer.title}"

    def problem(field: str, message: str) -> Problem:
        return Problem(answer.criterion_id, field, message)

    if answer.review_needed:
        return [problem("rating", f"Check the answer carried forward for {name}")]
    if answer.not_applicable:
        return []
    if answer.level is None:
        return [problem("rating", f"Select a rating for {name}")]
    problems = []
    if answer.level.needs_evidence and not (answer.evidence or answer.evidence_items):
        problems.append(
            problem(
                "evidence",
                f"Enter the evidence for {name}, or add an evidence item: "
                f"'{answer.level.label}' must be evidenced",
            )
        )
    if answer.level.needs_action:
        if not answer.action:
            problems.append(problem("action", f"Enter the action to improve {name}"))
        if not answer.action_owner:
            problems.append(problem("action_owner", f"Enter who owns the action for {name}"))
        if answer.action_due is None:
            problems.append(problem("action_due", f"Enter when the action for {name} is due"))
    if answer.action_due is not None and answer.action_due <= today:
        problems.append(
            problem("action_due", f"The action due date for {name} must be in the future")
        )
    return problems


def answer_progress(answer: Answer, *, today: date) -> Progress:
    if answer.review_needed:
        return Progress.REVIEW_NEEDED
    if not answer.touched:
        return Progress.NOT_STARTED
    if answer_problems(answer, today=today):
        return Progress.IN_PROGRESS
    return Progress.COMPLETED


def group_progress(progresses: Iterable[Progress]) -> Progress:
    """A standard's (or a whole return's) progress from its criteria's."""
    seen = list(progresses)
    if Progress.REVIEW_NEEDED in seen:
        return Progress.REVIEW_NEEDED
    if seen and all(p is Progress.COMPLETED for p in seen):
        return Progress.COMPLETED
    if all(p is Progress.NOT_STARTED for p in seen):
        return Progress.NOT_STARTED
    return Progress.IN_PROGRESS


def percent_complete(answers: Sequence[Answer], *, today: date) -> int:
    if not answers:
        return 0
    done = sum(answer_progress(a, today=today) is Progress.COMPLETED for a in answers)
    return round(100 * done / len(answers))


def submission_problems(answers: Sequence[Answer], *, today: date) -> list[Problem]:
    return [p for answer in answers for p in answer_problems(answer, today=today)]
