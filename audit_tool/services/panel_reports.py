"""What a challenge panel reads and what it sends back: the pack on each agency before the
meeting, the feedback and letter the agency sees once the chair signs the panel off, and
how far the panels' ratings differ from the agencies' own across a cycle.

Everything here reads; nothing writes. Scores and flags come from `dashboard`, so a pack
shows the same numbers as the heat map.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from ..flags import Flag
from ..models import (
    Action,
    Agency,
    Assessment,
    AuditCycle,
    Challenge,
    Criterion,
    CriterionResponse,
    Membership,
    ModeratedRating,
    Outcome,
    Panel,
    PanelAgency,
    PanelStatus,
    Role,
    ScaleLevel,
    Standard,
    User,
)
from ..scoring import Change, agency_scores, standard_changes
from . import NotFound
from .assessments import CriterionEntry, load_return
from .dashboard import cycle_flags, load_cycle_data, previous_cycle, score_table

# ---------------------------------------------------------------------------------------
# The panel pack


@dataclass(frozen=True)
class StandardScore:
    """One row of the pack's scorecard."""

    standard: Standard
    agency: float | None
    partnership: float | None
    change: Change  # the agency's own score, last cycle against this one


@dataclass(frozen=True)
class FlaggedAnswer:
    entry: CriterionEntry
    flags: list[Flag]


def _challenges(session: Session, attendance: PanelAgency) -> list[Challenge]:
    return list(
        session.scalars(
            select(Challenge)
            .options(joinedload(Challenge.criterion), joinedload(Challenge.standard))
            .where(Challenge.panel_agency_id == attendance.id)
            .order_by(Challenge.id)
        )
    )


def pack_context(
    session: Session, *, attendance: PanelAgency, today: date, essential_weight: float = 1.0
) -> dict:
    """The panel's brief on one agency: its scores against the partnership average and
    last cycle, its flags (most severe first), its answers to the flagged criteria and
    the challenges already raised."""
    assessment = attendance.assessment
    cycle = assessment.cycle
    agency_id = assessment.agency_id
    # Every agency is loaded, not just this one: the partnership average needs them all.
    data = load_cycle_data(session, cycle, essential_weight=essential_weight)
    mine = [a for a in data.answers if a.agency_id == agency_id]
    earlier = previous_cycle(session, cycle)
    before = (
        load_cycle_data(session, earlier, essential_weight=essential_weight, agency_ids={agency_id})
        if earlier is not None
        else None
    )
    changes = standard_changes(mine, before.answers if before else [])
    scores = score_table(data)
    no_change = Change(previous=None, current=None)
    standards = [
        StandardScore(
            standard=standard,
            agency=scores.agency_standard.get((agency_id, standard.key)),
            partnership=scores.partnership_standard.get(standard.key),
            change=changes.get((agency_id, standard.key), no_change),
        )
        for standard in data.standards
    ]
    overall = Change(
        previous=agency_scores(before.answers).get(agency_id) if before else None,
        current=scores.agency.get(agency_id),
    )
    # cycle_flags sorts most severe first; filtering keeps that order.
    flags = [f for f in cycle_flags(data, today=today) if f.agency_id == agency_id]
    by_criterion: dict[str, list[Flag]] = {}
    for flag in flags:
        if flag.criterion_key:
            by_criterion.setdefault(flag.criterion_key, []).append(flag)
    flagged = [
        FlaggedAnswer(entry, by_criterion[entry.criterion.key])
        for group in load_return(session, assessment).standards
        for entry in group.entries
        if entry.criterion.key in by_criterion
    ]
    return {
        "attendance": attendance,
        "panel": attendance.panel,
        "cycle": cycle,
        "assessment": assessment,
        "agency": assessment.agency,
        "previous_cycle": earlier,
        "standards": standards,
        "overall": overall,
        "partnership_score": scores.partnership,
        "levels": data.levels,
        "flags": flags,
        "flagged_answers": flagged,
        "criteria": data.criteria,
        "challenges": _challenges(session, attendance),
        # Flags read the panel's rating where it set one, so the pack shows it beside the
        # agency's own; otherwise a flag's "rated Amber" would contradict a green answer.
        "moderated": {m.criterion_id: m for m in _moderated(session, attendance)},
    }


def _moderated(session: Session, attendance: PanelAgency) -> list[ModeratedRating]:
    return list(
        session.scalars(
            select(ModeratedRating)
            .options(joinedload(ModeratedRating.level))
            .where(ModeratedRating.panel_agency_id == attendance.id)
        )
    )


# ---------------------------------------------------------------------------------------
# Feedback to the agency


@dataclass(frozen=True)
class ModeratedLine:
    criterion: Criterion
    own: ScaleLevel | None
    own_not_applicable: bool
    panel: ScaleLevel
    rationale: str

    @property
    def direction(self) -> str:
        """How the panel's rating compares with the agency's own, in words."""
        if self.own is None:
            return "Rated by the panel only"
        if self.panel.score < self.own.score:
            return "Lower than your rating"
        if self.panel.score > self.own.score:
            return "Higher than your rating"
        return "Same as your rating"


@dataclass(frozen=True)
class Feedback:
    """What the agency may see about its panel. Deliberately not the PanelAgency row:
    that carries the panel's private notes, and a template that is never given them
    cannot show them."""

    agency: Agency
    cycle: AuditCycle
    held_on: date
    signed_off_on: date
    chair_name: str
    outcome: Outcome | None
    outcome_summary: str
    moderated: list[ModeratedLine]
    challenges: list[Challenge]
    actions: list[Action]
    leads: list[User]


def _moderated_lines(session: Session, attendance: PanelAgency) -> list[ModeratedLine]:
    own_level = aliased(ScaleLevel)
    rows = session.execute(
        select(ModeratedRating, CriterionResponse.not_applicable, own_level)
        .join(ModeratedRating.criterion)
        .join(Criterion.standard)
        .outerjoin(
            CriterionResponse,
            and_(
                CriterionResponse.criterion_id == ModeratedRating.criterion_id,
                CriterionResponse.assessment_id == attendance.assessment_id,
            ),
        )
        .outerjoin(own_level, own_level.id == CriterionResponse.level_id)
        .options(joinedload(ModeratedRating.criterion), joinedload(ModeratedRating.level))
        .where(ModeratedRating.panel_agency_id == attendance.id)
        .order_by(Standard.position, Criterion.position)
    )
    return [
        ModeratedLine(
            criterion=rating.criterion,
            own=None if not_applicable else own,
            own_not_applicable=bool(not_applicable),
            panel=rating.level,
            rationale=rating.rationale,
        )
        for rating, not_applicable, own in rows
    ]


def agency_leads(session: Session, attendance: PanelAgency) -> list[User]:
    """The agency's active safeguarding leads in the panel's partnership: the letter is
    addressed to them."""
    panel = attendance.panel
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.partnership_id == panel.cycle.partnership_id,
                Membership.role == Role.AGENCY_LEAD,
                Membership.agency_id == attendance.assessment.agency_id,
                User.active.is_(True),
            )
            .order_by(User.name)
        ).unique()
    )


def feedback_context(session: Session, *, attendance: PanelAgency) -> dict:
    """The panel's feedback to one agency: outcome and summary, moderated ratings beside
    the agency's own, challenges with the agency's answers and the agreed actions. Never
    the panel's private notes. NotFound until the chair has signed the panel off, so an
    unfinished view never reaches the agency."""
    panel = session.scalar(
        select(Panel).options(joinedload(Panel.chair)).where(Panel.id == attendance.panel_id)
    )
    if panel is None or panel.status is not PanelStatus.SIGNED_OFF or not panel.signed_off_at:
        raise NotFound("Feedback not found")
    assessment = attendance.assessment
    actions = list(
        session.scalars(
            select(Action)
            .options(joinedload(Action.criterion), selectinload(Action.updates))
            .where(Action.panel_agency_id == attendance.id)
            .order_by(Action.due_on, Action.id)
        )
    )
    feedback = Feedback(
        agency=assessment.agency,
        cycle=assessment.cycle,
        held_on=panel.held_on,
        signed_off_on=panel.signed_off_at.date(),
        chair_name=panel.chair.name,
        outcome=attendance.outcome,
        outcome_summary=attendance.outcome_summary,
        moderated=_moderated_lines(session, attendance),
        challenges=_challenges(session, attendance),
        actions=actions,
        leads=agency_leads(session, attendance),
    )
    return {"feedback": feedback}


# ---------------------------------------------------------------------------------------
# Moderation analytics


@dataclass(frozen=True)
class GapRow:
    """One agency's moderated criteria on one standard. `gap_total` sums (self score -
    moderated score) over the `compared` criteria that the agency had rated itself (not
    N/A, not blank); keeping the sum, not the mean, lets rows be combined exactly."""

    agency_id: int
    agency_name: str
    standard_key: str
    standard_code: str
    standard_title: str
    standard_position: int
    moderated: int
    compared: int
    gap_total: float

    @property
    def mean_gap(self) -> float | None:
        """Positive: the agency rated itself higher than the panel did."""
        return self.gap_total / self.compared if self.compared else None


@dataclass(frozen=True)
class GapSummary:
    """Gap rows combined over standards (for an agency) or agencies (for a standard)."""

    key: int | str
    name: str
    moderated: int
    compared: int
    gap_total: float

    @property
    def mean_gap(self) -> float | None:
        return self.gap_total / self.compared if self.compared else None

    @property
    def rated_higher(self) -> bool:
        return self.mean_gap is not None and self.mean_gap > 0


def moderation_gaps(session: Session, *, cycle: AuditCycle) -> list[GapRow]:
    """Per agency and standard, how many criteria the panels moderated in this cycle and
    how far the agency's own scores sat above (positive) or below the panels'. One query
    of plain rows, whatever the number of agencies."""
    own_level = aliased(ScaleLevel)
    panel_level = aliased(ScaleLevel)
    rows = session.execute(
        select(
            Assessment.agency_id,
            Agency.name,
            Standard.key,
            Standard.code,
            Standard.title,
            Standard.position,
            ModeratedRating.criterion_id,
            own_level.score,
            panel_level.score,
        )
        .join(PanelAgency, PanelAgency.id == ModeratedRating.panel_agency_id)
        .join(Panel, Panel.id == PanelAgency.panel_id)
        .join(Assessment, Assessment.id == PanelAgency.assessment_id)
        .join(Agency, Agency.id == Assessment.agency_id)
        .join(Criterion, Criterion.id == ModeratedRating.criterion_id)
        .join(Standard, Standard.id == Criterion.standard_id)
        .join(panel_level, panel_level.id == ModeratedRating.level_id)
        .outerjoin(
            CriterionResponse,
            and_(
                CriterionResponse.assessment_id == Assessment.id,
                CriterionResponse.criterion_id == ModeratedRating.criterion_id,
                CriterionResponse.not_applicable.is_(False),
            ),
        )
        .outerjoin(own_level, own_level.id == CriterionResponse.level_id)
        .where(Panel.cycle_id == cycle.id)
        # Same rule as scoring (moderated_for_cycle): where an agency went to more than
        # one panel, the latest panel's rating counts, so later rows overwrite earlier.
        .order_by(Panel.held_on, Panel.id)
    ).all()
    latest = {(row[0], row[6]): row for row in rows}
    groups: dict[tuple[int, str], list] = {}
    for agency_id, name, key, code, title, position, _, own, moderated in latest.values():
        group = groups.setdefault((agency_id, key), [name, code, title, position, 0, []])
        group[4] += 1
        if own is not None:
            group[5].append(float(own) - float(moderated))
    return sorted(
        (
            GapRow(
                agency_id=agency_id,
                agency_name=name,
                standard_key=key,
                standard_code=code,
                standard_title=title,
                standard_position=position,
                moderated=count,
                compared=len(gaps),
                gap_total=math.fsum(gaps),
            )
            for (agency_id, key), (name, code, title, position, count, gaps) in groups.items()
        ),
        key=lambda row: (row.agency_name, row.agency_id, row.standard_position),
    )


def _combine(rows: Iterable[GapRow], key, name) -> list[GapSummary]:
    # Sums, not means of means: an agency with one moderated criterion must not weigh as
    # much as one with twenty.
    totals: dict = {}
    for row in rows:
        entry = totals.setdefault(key(row), [name(row), 0, 0, []])
        entry[1] += row.moderated
        entry[2] += row.compared
        entry[3].append(row.gap_total)
    return [
        GapSummary(key=k, name=n, moderated=m, compared=c, gap_total=math.fsum(g))
        for k, (n, m, c, g) in totals.items()
    ]


def gaps_by_agency(rows: Iterable[GapRow]) -> list[GapSummary]:
    """Agencies with the largest mean gap first, so consistent over-rating stands out;
    agencies with nothing to compare come last."""
    summaries = _combine(rows, lambda r: r.agency_id, lambda r: r.agency_name)
    return sorted(
        summaries,
        key=lambda s: (s.mean_gap is None, -(s.mean_gap or 0.0), s.name),
    )


def gaps_by_standard(rows: list[GapRow]) -> list[GapSummary]:
    """Standards in framework order."""
    positions = {row.standard_key: row.standard_position for row in rows}
    summaries = _combine(
        rows, lambda r: r.standard_key, lambda r: f"{r.standard_code}. {r.standard_title}"
    )
    return sorted(summaries, key=lambda s: positions[s.key])
