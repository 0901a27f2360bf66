"""Gap flags: where a challenge panel should press. Every rule is here, as a small pure
function over plain data, so each can be read and tested on its own."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"high": 0, "medium": 1, "low": 2}[self.value]


class FlagKind(StrEnum):
    LOWEST_RATING = "lowest_rating"
    ACTION_MISSING = "action_missing"
    UNEVIDENCED_CLAIM = "unevidenced_claim"
    EVIDENCE_EXPIRED = "evidence_expired"
    EVIDENCE_EXPIRING = "evidence_expiring"
    ESSENTIAL_NOT_MET = "essential_not_met"
    DECLINE = "decline"
    RETURN_OVERDUE = "return_overdue"
    RETURN_NOT_STARTED = "return_not_started"
    CARRIED_NOT_REVIEWED = "carried_not_reviewed"
    ACTION_OVERDUE = "action_overdue"

    @property
    def label(self) -> str:
        return FLAG_LABELS[self]


FLAG_LABELS = {
    FlagKind.LOWEST_RATING: "Lowest rating",
    FlagKind.ACTION_MISSING: "No action where one is needed",
    FlagKind.UNEVIDENCED_CLAIM: "Unevidenced claim",
    FlagKind.EVIDENCE_EXPIRED: "Evidence out of date",
    FlagKind.EVIDENCE_EXPIRING: "Evidence due for review before the panel",
    FlagKind.ESSENTIAL_NOT_MET: "Essential criterion not fully met",
    FlagKind.DECLINE: "Lower than last cycle",
    FlagKind.RETURN_OVERDUE: "Return overdue",
    FlagKind.RETURN_NOT_STARTED: "Return not started",
    FlagKind.CARRIED_NOT_REVIEWED: "Carried forward, not checked",
    FlagKind.ACTION_OVERDUE: "Action overdue",
}


@dataclass(frozen=True)
class Flag:
    kind: FlagKind
    severity: Severity
    agency_id: int
    reason: str
    standard_key: str | None = None
    criterion_key: str | None = None


@dataclass(frozen=True)
class LevelFacts:
    key: str
    label: str
    is_lowest: bool
    is_top: bool
    needs_action: bool
    needs_evidence: bool
    score: float


@dataclass(frozen=True)
class AnswerFacts:
    """What the rules need to know about one answer."""

    agency_id: int
    standard_key: str
    criterion_key: str
    criterion_code: str
    essential: bool
    level: LevelFacts | None  # the effective level (moderated where present)
    not_applicable: bool = False
    has_evidence: bool = False  # narrative or at least one current evidence item
    has_action: bool = False  # what, who and when all given
    action_due: date | None = None
    review_needed: bool = False
    evidence_review_dates: tuple[date, ...] = ()
    previous_score: float | None = None


@dataclass(frozen=True)
class OpenAction:
    """An action in the tracker that is not closed yet."""

    description: str
    due_on: date
    source: str
    criterion_key: str | None = None


@dataclass(frozen=True)
class ReturnFacts:
    agency_id: int
    status: str  # AssessmentStatus value
    due_on: date
    panel_on: date | None
    open_actions: tuple[OpenAction, ...] = ()


@dataclass(frozen=True)
class Context:
    today: date


def _answer_flag(a: AnswerFacts, kind: FlagKind, severity: Severity, reason: str) -> Flag:
    return Flag(
        kind,
        severity,
        a.agency_id,
        f"{a.criterion_code}: {reason}",
        a.standard_key,
        a.criterion_key,
    )


def lowest_rating(a: AnswerFacts, _c: Context) -> Flag | None:
    if a.level and a.level.is_lowest:
        return _answer_flag(
            a, FlagKind.LOWEST_RATING, Severity.HIGH, f"rated {a.level.label}, the lowest rating"
        )
    return None


def action_missing(a: AnswerFacts, _c: Context) -> Flag | None:
    if a.level and a.level.needs_action and not a.has_action:
        return _answer_flag(
            a,
            FlagKind.ACTION_MISSING,
            Severity.HIGH,
            f"rated {a.level.label} but has no complete improvement action",
        )
    return None


def unevidenced_claim(a: AnswerFacts, _c: Context) -> Flag | None:
    if a.level and a.level.is_top and not a.has_evidence:
        return _answer_flag(
            a,
            FlagKind.UNEVIDENCED_CLAIM,
            Severity.MEDIUM,
            f"rated {a.level.label}, the top rating, with no evidence given",
        )
    return None


def evidence_out_of_date(a: AnswerFacts, c: Context) -> Flag | None:
    expired = sorted(d for d in a.evidence_review_dates if d < c.today)
    if expired:
        return _answer_flag(
            a,
            FlagKind.EVIDENCE_EXPIRED,
            Severity.MEDIUM,
            f"evidence was due for review on {expired[0]:%-d %B %Y}",
        )
    return None


def essential_not_met(a: AnswerFacts, _c: Context) -> Flag | None:
    if a.essential and a.level and a.level.needs_action:
        return _answer_flag(
            a,
            FlagKind.ESSENTIAL_NOT_MET,
            Severity.HIGH,
            f"an essential criterion rated {a.level.label}",
        )
    return None


def decline(a: AnswerFacts, _c: Context) -> Flag | None:
    if a.level and a.previous_score is not None and a.level.score < a.previous_score:
        return _answer_flag(
            a,
            FlagKind.DECLINE,
            Severity.MEDIUM,
            f"scored {a.level.score:.0f}, down from {a.previous_score:.0f} last cycle",
        )
    return None


def carried_not_reviewed(a: AnswerFacts, _c: Context) -> Flag | None:
    if a.review_needed:
        return _answer_flag(
            a,
            FlagKind.CARRIED_NOT_REVIEWED,
            Severity.MEDIUM,
            "carried forward from the last return and not yet checked",
        )
    return None


def actions_overdue(r: ReturnFacts, c: Context) -> list[Flag]:
    """Every tracked action past its due date and not closed, whatever it came from (the
    agency's own return or a challenge panel)."""
    return [
        Flag(
            FlagKind.ACTION_OVERDUE,
            Severity.MEDIUM,
            r.agency_id,
            f"{action.source} action due on {action.due_on:%-d %B %Y} is not done: "
            f"{action.description[:120]}",
            criterion_key=action.criterion_key,
        )
        for action in sorted(r.open_actions, key=lambda a: a.due_on)
        if action.due_on < c.today
    ]


def evidence_expiring_before_panel(
    a: AnswerFacts, c: Context, panel_on: date | None
) -> Flag | None:
    if panel_on is None:
        return None
    expiring = sorted(d for d in a.evidence_review_dates if c.today <= d < panel_on)
    if expiring:
        return _answer_flag(
            a,
            FlagKind.EVIDENCE_EXPIRING,
            Severity.LOW,
            f"evidence is due for review on {expiring[0]:%-d %B %Y}, before the panel",
        )
    return None


def return_late(r: ReturnFacts, c: Context) -> Flag | None:
    if r.status == "submitted":
        return None
    if r.due_on < c.today:
        return Flag(
            FlagKind.RETURN_OVERDUE,
            Severity.HIGH,
            r.agency_id,
            f"return was due on {r.due_on:%-d %B %Y} and has not been submitted",
        )
    if r.status == "not_started":
        return Flag(
            FlagKind.RETURN_NOT_STARTED,
            Severity.LOW,
            r.agency_id,
            f"return not started; it is due on {r.due_on:%-d %B %Y}",
        )
    return None


ANSWER_RULES: tuple[Callable[[AnswerFacts, Context], Flag | None], ...] = (
    lowest_rating,
    action_missing,
    unevidenced_claim,
    evidence_out_of_date,
    essential_not_met,
    decline,
    carried_not_reviewed,
)


def flags_for(
    answers: Iterable[AnswerFacts], returns: Iterable[ReturnFacts], *, today: date
) -> list[Flag]:
    """Every flag for a cycle, most severe first, then by agency and criterion."""
    context = Context(today=today)
    panel_dates = {}
    found: list[Flag] = []
    for facts in returns:
        panel_dates[facts.agency_id] = facts.panel_on
        flag = return_late(facts, context)
        if flag:
            found.append(flag)
        found.extend(actions_overdue(facts, context))
    for answer in answers:
        if answer.not_applicable:
            continue
        for rule in ANSWER_RULES:
            flag = rule(answer, context)
            if flag:
                found.append(flag)
        flag = evidence_expiring_before_panel(answer, context, panel_dates.get(answer.agency_id))
        if flag:
            found.append(flag)
    return sorted(
        found,
        key=lambda f: (f.severity.rank, f.agency_id, f.criterion_key or "", f.kind.value),
    )
