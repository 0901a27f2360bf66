"""A partnership's Section 11 work: a closed cycle and an open one in its panel season,
returns in every state, evidence items, the action tracker, and challenge panels with
moderated ratings, challenges and outcomes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ..models import (
    ActionSource,
    Assessment,
    AssessmentStatus,
    AuditCycle,
    Challenge,
    CriterionResponse,
    CycleStatus,
    EvidenceItem,
    FrameworkVersion,
    ModeratedRating,
    Outcome,
    Panel,
    PanelAgency,
    PanelMember,
    PanelStatus,
)
from ..services.panels import SLOT_MINUTES
from .rows import (
    ACTIONS,
    EVIDENCE,
    EVIDENCE_TITLES,
    IMPACT,
    IMPROVEMENTS,
    Counts,
    SeededAgency,
    SeededPartnership,
    action_row,
    add_actions,
    at,
    insert_all,
    insert_returning,
)

AGENCIES_PER_PANEL = 5
# The open cycle's returns, in the shares a partnership sees a month after the deadline.
CURRENT_STATES = [
    ("submitted", 0.74),
    ("in_progress", 0.08),
    ("carried", 0.05),
    ("reopened", 0.03),
    ("not_started", 0.10),
]
NOT_SUBMITTED_BEFORE = 0.04  # returns never submitted in the closed cycle
NOT_APPLICABLE = 0.06  # of criteria that allow it
WITH_EVIDENCE_ITEM = 0.12
EXPIRED_EVIDENCE = 0.15
ATTENDING_PANELS = 0.12


@dataclass(frozen=True)
class _Level:
    id: int
    position: int
    needs_action: bool
    needs_evidence: bool


@dataclass(frozen=True)
class _Criterion:
    id: int
    sectors: frozenset[str]
    allow_na: bool


@dataclass(frozen=True)
class _Cycle:
    id: int
    opens_on: date
    due_on: date
    panel_from: date
    closed: bool


class _Framework:
    def __init__(self, version: FrameworkVersion) -> None:
        self.levels = [
            _Level(level.id, level.position, level.needs_action, level.needs_evidence)
            for level in sorted(version.levels, key=lambda level: level.position)
        ]
        self.criteria = [
            _Criterion(c.id, frozenset(c.sectors or ()), c.allow_na)
            for s in version.standards
            for c in s.criteria
        ]

    def applicable(self, agency: SeededAgency) -> list[_Criterion]:
        return [c for c in self.criteria if not c.sectors or agency.sector.value in c.sectors]


def seed_section11(
    session: Session,
    rng: random.Random,
    partnership: SeededPartnership,
    *,
    version: FrameworkVersion,
    today: date,
) -> Counts:
    framework = _Framework(version)
    counts = Counts()
    opened = today - timedelta(days=730)
    previous = _cycle(
        session,
        partnership,
        version,
        name=f"Section 11 audit {opened.year} to {opened.year + 2}",
        opens_on=opened,
        status=CycleStatus.CLOSED,
    )
    opened = today - timedelta(days=120)
    current = _cycle(
        session,
        partnership,
        version,
        name=f"Section 11 audit {opened.year} to {opened.year + 2}",
        opens_on=opened,
        status=CycleStatus.OPEN,
    )
    states = _current_states(rng, partnership.agencies)
    before = {
        agency.id: "submitted"
        if states[agency.id] == "carried" or rng.random() > NOT_SUBMITTED_BEFORE
        else "not_started"
        for agency in partnership.agencies
    }
    earlier = _returns(session, rng, framework, partnership, previous, before, {}, counts)
    now = _returns(session, rng, framework, partnership, current, states, earlier, counts)
    for cycle, returns, held in ((previous, earlier, []), (current, now, [today - timedelta(2)])):
        _panels(session, rng, partnership, framework, cycle, returns, held, today, counts)
    return counts


def _cycle(session, partnership, version, *, name, opens_on, status) -> _Cycle:
    due_on = opens_on + timedelta(days=90)
    panel_from = due_on + timedelta(days=16)
    [cycle_id] = insert_returning(
        session,
        AuditCycle,
        [
            {
                "partnership_id": partnership.id,
                "framework_version_id": version.id,
                "name": name,
                "status": status,
                "opens_on": opens_on,
                "due_on": due_on,
                "panel_from": panel_from,
                "panel_to": panel_from + timedelta(days=74),
            }
        ],
    )
    return _Cycle(cycle_id, opens_on, due_on, panel_from, closed=status is CycleStatus.CLOSED)


def _current_states(rng: random.Random, agencies: Sequence[SeededAgency]) -> dict[int, str]:
    """Every state at least once (where there are agencies enough), then in the shares
    above."""
    names, shares = zip(*CURRENT_STATES, strict=True)
    states = list(names[: len(agencies)])
    states += rng.choices(names, shares, k=len(agencies) - len(states))
    rng.shuffle(states)
    return {agency.id: state for agency, state in zip(agencies, states, strict=True)}


@dataclass
class _Return:
    assessment_id: int
    agency: SeededAgency
    state: str
    answers: list[dict]  # criterion_response rows, with their ids once inserted


def _returns(
    session: Session,
    rng: random.Random,
    framework: _Framework,
    partnership: SeededPartnership,
    cycle: _Cycle,
    states: dict[int, str],
    earlier: dict[int, _Return],
    counts: Counts,
) -> dict[int, _Return]:
    """Each agency's return in the cycle, answered as its state says, by agency id."""
    rows = []
    plans = []
    for agency in partnership.agencies:
        state = states[agency.id]
        submitted_on = cycle.due_on - timedelta(days=rng.randint(-12, 40))
        carried_from = earlier.get(agency.id)
        if state == "carried" and (carried_from is None or not carried_from.answers):
            state = "in_progress"
        row = {
            "cycle_id": cycle.id,
            "agency_id": agency.id,
            "status": AssessmentStatus.NOT_STARTED,
            "carried_from_id": None,
            "last_activity_at": None,
            "submitted_at": None,
            "submitted_by_id": None,
            "declaration_name": None,
            "declaration_role": None,
            "reopened_reason": None,
        }
        if state == "not_started":
            answers = []
        elif state == "carried":
            row["carried_from_id"] = carried_from.assessment_id
            answers = [_carried(answer) for answer in carried_from.answers]
        else:
            complete = state in ("submitted", "reopened")
            answers = _answers(rng, framework, agency, on=submitted_on, complete=complete)
        if state != "not_started":
            row["status"] = AssessmentStatus.IN_PROGRESS
            row["last_activity_at"] = at(min(submitted_on, cycle.due_on + timedelta(days=20)))
        if state in ("submitted", "reopened"):
            row.update(
                status=AssessmentStatus(state),
                submitted_at=at(submitted_on, 16),
                submitted_by_id=agency.lead_id,
                declaration_name="Director of Safeguarding",
                declaration_role="Executive lead for safeguarding",
            )
        if state == "reopened":
            row["reopened_reason"] = "The panel asked for evidence of impact on standard 3."
        rows.append(row)
        plans.append((agency, state, answers))
    ids = insert_returning(session, Assessment, rows)
    returns = {}
    for assessment_id, (agency, state, answers) in zip(ids, plans, strict=True):
        for answer in answers:
            answer["assessment_id"] = assessment_id
            answer["updated_by_id"] = agency.lead_id
        returns[agency.id] = _Return(assessment_id, agency, state, answers)
    answers = [answer for r in returns.values() for answer in r.answers]
    for answer, response_id in zip(
        answers, insert_returning(session, CriterionResponse, answers), strict=True
    ):
        answer["id"] = response_id
    counts.answers += len(answers)
    _evidence_items(session, rng, answers, cycle, counts)
    _return_actions(session, rng, partnership, cycle, returns.values(), counts)
    return returns


def _answers(
    rng: random.Random, framework: _Framework, agency: SeededAgency, *, on: date, complete: bool
) -> list[dict]:
    """Answers to the criteria that apply to the agency: all of them, passing every check
    at submission, when `complete`; otherwise the first part, some with gaps."""
    criteria = framework.applicable(agency)
    if not complete:
        criteria = criteria[: rng.randint(1, len(criteria))]
    levels = framework.levels
    answers = []
    for criterion in criteria:
        row = {
            "criterion_id": criterion.id,
            "level_id": None,
            "not_applicable": False,
            "evidence": "",
            "impact": "",
            "improvement": "",
            "action": "",
            "action_owner": "",
            "action_due": None,
            "review_needed": False,
        }
        answers.append(row)
        if criterion.allow_na and rng.random() < NOT_APPLICABLE:
            row["not_applicable"] = True
            continue
        # Mostly good or better, with weaker answers where flags have work to do.
        level = levels[min(len(levels) - 1, int(rng.random() ** 0.45 * len(levels)))]
        row["level_id"] = level.id
        if complete or rng.random() > 0.25:
            row["evidence"] = rng.choice(EVIDENCE).format(
                n=rng.randint(3, 40), p=rng.randint(70, 99)
            )
        if level.needs_evidence:
            row["impact"] = rng.choice(IMPACT).format(p=rng.randint(40, 90))
        if level.needs_action and (complete or rng.random() > 0.4):
            row.update(
                improvement=rng.choice(IMPROVEMENTS),
                action=rng.choice(ACTIONS),
                action_owner="Head of Safeguarding",
                action_due=on + timedelta(days=rng.randint(60, 300)),
            )
    return answers


def _carried(answer: dict) -> dict:
    # As start_return carries an answer: all of it, marked to be checked.
    carried = {k: v for k, v in answer.items() if k not in ("id", "assessment_id")}
    carried["review_needed"] = True
    return carried


def _evidence_items(session, rng, answers: list[dict], cycle: _Cycle, counts: Counts) -> None:
    rows = []
    for answer in answers:
        if answer["level_id"] is None or rng.random() > WITH_EVIDENCE_ITEM:
            continue
        title, reference = rng.choice(EVIDENCE_TITLES)
        effective = cycle.opens_on - timedelta(days=rng.randint(30, 400))
        if rng.random() < EXPIRED_EVIDENCE:
            review = cycle.opens_on + timedelta(days=rng.randint(1, 60))
        else:
            review = cycle.opens_on + timedelta(days=rng.randint(400, 1100))
        rows.append(
            {
                "response_id": answer["id"],
                "title": title,
                "reference": reference.format(n=rng.randint(1, 30)),
                "effective_on": effective,
                "review_on": review,
            }
        )
    insert_all(session, EvidenceItem, rows)
    counts.evidence_items += len(rows)


def _return_actions(session, rng, partnership, cycle: _Cycle, returns, counts: Counts) -> None:
    """The tracker's actions from submitted returns (one per answer with an action, as
    submitting creates them), mostly closed for the old cycle and open for the new."""
    rows = []
    for r in returns:
        if r.state not in ("submitted", "reopened"):
            continue
        for answer in r.answers:
            if not (answer["action"] and answer["action_owner"] and answer["action_due"]):
                continue
            rows.append(
                action_row(
                    rng,
                    partnership,
                    r.agency,
                    source=ActionSource.RETURN,
                    description=answer["action"],
                    due_on=answer["action_due"],
                    closed_share=0.75 if cycle.closed else 0.05,
                    assessment_id=r.assessment_id,
                    criterion_id=answer["criterion_id"],
                )
            )
    add_actions(session, rows, counts)


def _panels(
    session: Session,
    rng: random.Random,
    partnership: SeededPartnership,
    framework: _Framework,
    cycle: _Cycle,
    returns: dict[int, _Return],
    in_progress_on: list[date],
    today: date,
    counts: Counts,
) -> None:
    """Panels for a share of the submitted returns, five agencies to a panel: the first
    held on the first day of the window and signed off; then one in progress for each of
    `in_progress_on`; the rest scheduled a week apart after today."""
    submitted = [r for r in returns.values() if r.state in ("submitted", "reopened")]
    attending = rng.sample(submitted, max(1, round(len(submitted) * ATTENDING_PANELS)))
    attending.sort(key=lambda r: r.agency.name)
    groups = [
        attending[n : n + AGENCIES_PER_PANEL] for n in range(0, len(attending), AGENCIES_PER_PANEL)
    ]
    chair, *members = partnership.panel_ids
    for number, group in enumerate(groups):
        if number == 0 or cycle.closed:
            status, held_on = PanelStatus.SIGNED_OFF, cycle.panel_from + timedelta(days=7 * number)
        elif number <= len(in_progress_on):
            status, held_on = PanelStatus.IN_PROGRESS, in_progress_on[number - 1]
        else:
            status, held_on = PanelStatus.SCHEDULED, today + timedelta(days=7 * number)
        [panel_id] = insert_returning(
            session,
            Panel,
            [
                {
                    "cycle_id": cycle.id,
                    "held_on": held_on,
                    "starts_at": "09:30",
                    "place": "Civic Centre, committee room 2",
                    "chair_id": chair,
                    "status": status,
                    "signed_off_at": at(held_on + timedelta(days=7), 17)
                    if status is PanelStatus.SIGNED_OFF
                    else None,
                }
            ],
        )
        insert_all(
            session,
            PanelMember,
            [{"panel_id": panel_id, "user_id": user_id} for user_id in [chair, *members]],
        )
        _attendances(session, rng, partnership, framework, panel_id, status, held_on, group, counts)


def _attendances(
    session, rng, partnership, framework, panel_id, status, held_on, group, counts
) -> None:
    signed_off = status is PanelStatus.SIGNED_OFF
    rows = []
    for slot, r in enumerate(group):
        minutes = 9 * 60 + 30 + SLOT_MINUTES * slot
        rows.append(
            {
                "panel_id": panel_id,
                "assessment_id": r.assessment_id,
                "slot": f"{minutes // 60:02d}:{minutes % 60:02d}",
                "outcome": rng.choice(list(Outcome)) if signed_off else None,
                "outcome_summary": "Strong leadership commitment. Evidence of impact on "
                "children needs strengthening."
                if signed_off
                else "",
                "private_notes": "",
            }
        )
    attendance_ids = insert_returning(session, PanelAgency, rows)
    if status is PanelStatus.SCHEDULED:
        return
    chair = partnership.panel_ids[0]
    levels = {level.id: level for level in framework.levels}
    moderated, challenges = [], []
    for attendance_id, r in zip(attendance_ids, group, strict=True):
        rated = [a for a in r.answers if a["level_id"] and levels[a["level_id"]].position > 0]
        chosen = rng.sample(rated, min(len(rated), rng.randint(2, 3)))
        for answer in chosen:
            lower = framework.levels[levels[answer["level_id"]].position - 1]
            moderated.append(
                {
                    "panel_agency_id": attendance_id,
                    "criterion_id": answer["criterion_id"],
                    "level_id": lower.id,
                    "rationale": "The evidence shows the arrangement exists, not that it "
                    "works in practice.",
                    "set_by_id": chair,
                }
            )
        challenges.append(
            {
                "panel_agency_id": attendance_id,
                "criterion_id": chosen[0]["criterion_id"] if chosen else None,
                "question": "How do you know staff use the escalation policy?",
                "raised_by_id": chair,
                "response": "Audit of 20 cases this year; findings in our QA report."
                if signed_off
                else "",
                "responded_by_id": r.agency.lead_id if signed_off else None,
                "responded_at": at(held_on) if signed_off else None,
                "satisfied": True if signed_off else None,
            }
        )
    insert_all(session, ModeratedRating, moderated)
    counts.moderated_ratings += len(moderated)
    challenge_ids = insert_returning(session, Challenge, challenges)
    if not signed_off:
        return
    actions = [
        action_row(
            rng,
            partnership,
            r.agency,
            source=ActionSource.PANEL,
            description="Audit use of the escalation policy and report back to the panel",
            due_on=held_on + timedelta(days=120),
            closed_share=0.5,
            assessment_id=r.assessment_id,
            panel_agency_id=attendance_id,
            challenge_id=challenge_id,
        )
        for attendance_id, challenge_id, r in zip(attendance_ids, challenge_ids, group, strict=True)
    ]
    add_actions(session, actions, counts)
