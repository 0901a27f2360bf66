"""The heat map's figures, added up by the database, a page of agencies at a time.

The heat map shows, for each agency, its score on each standard (the panel-moderated
score beside the agency's own), its overall score and how many flags it has, and under
them the partnership's scores, the means of every agency's. Working those out answer by
answer, as the flags page, the API and the exports do through `dashboard.load_cycle_data`,
costs tens of microseconds an answer, and a London-sized partnership gives up to 24,000
answers a cycle. Here the database adds the answers up, and the pure modules still define
every figure:

- scores, of every agency (the partnership's row and the "lowest score first" order need
  them all): one query adds up, for each agency and standard, what `scoring.totals` adds
  (Σ w·s, Σ w, the lowest and highest score), and `scoring.scores_from_totals` divides;
- flags, of the agencies on the page only: a second query counts, answer by answer, what
  each answer rule in `flags` would flag (`answer_flag_terms`); the rules about whole
  returns run in Python on each return, and overdue actions are counted;
- moderated ratings: a panel moderates a few of an agency's answers, so the queries use
  the agency's own ratings throughout, and the (agency, standard) groups holding a
  moderated rating are worked out again, answer by answer, with the pure modules.

tests/test_heat_map_equivalence.py shows that the two ways agree, page by page, on random
cycles and on the demo.
"""

from __future__ import annotations

import operator
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property, reduce
from typing import TypeVar

from sqlalchemy import Float, Select, and_, case, cast, false, func, null, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from ..flags import (
    ANSWER_RULES,
    AnswerFacts,
    Context,
    ReturnFacts,
    action_missing,
    carried_not_reviewed,
    decline,
    essential_not_met,
    evidence_expiring_before_panel,
    evidence_out_of_date,
    lowest_rating,
    return_late,
    unevidenced_claim,
)
from ..models import (
    Action,
    ActionStatus,
    Agency,
    Assessment,
    AssessmentStatus,
    AuditCycle,
    Criterion,
    CriterionResponse,
    CycleStatus,
    EvidenceItem,
    ModeratedRating,
    Panel,
    PanelAgency,
    ScaleLevel,
    Sector,
    Standard,
)
from ..scoring import Scores, Totals, scores_from_totals, totals
from .dashboard import answer_facts, load_assessments, load_framework, previous_cycle
from .panels import moderated_for_cycle

Cell = tuple[int, str]  # (agency id, standard key)

PER_PAGE = 50
Row = TypeVar("Row")


class Order(StrEnum):
    AGENCY = "agency"
    SECTOR = "sector"
    SCORE = "score"  # lowest first; agencies without a score last


@dataclass(frozen=True)
class SelfScores:
    """The agencies' own scores, ignoring the panels, for the agencies a panel moderated
    (everywhere else they are the scores shown)."""

    agency_standard: dict[Cell, float | None]
    agency: dict[int, float | None]


@dataclass(frozen=True)
class ReturnRow:
    """An agency's return, as a row of the heat map names it."""

    id: int  # the assessment's
    agency_id: int
    agency_name: str
    sector: Sector
    status: AssessmentStatus


@dataclass(frozen=True)
class HeatMap:
    cycle: AuditCycle
    standards: list[Standard]
    levels: list[ScaleLevel]
    returns: list[ReturnRow]  # the page's, in order
    agencies: int  # how many agencies the cycle has, on every page
    scores: Scores  # every agency's
    self_scores: SelfScores | None  # None if no panel moderated a rating that counts
    flag_counts: dict[int, int]  # the page's agencies with flags, by agency id


class Framework:
    """A framework version's standards and scale, and the plain values queries need."""

    def __init__(self, standards: list[Standard], levels: list[ScaleLevel]) -> None:
        self.standards = standards
        self.levels = levels

    @classmethod
    def load(cls, session: Session, version_id: int) -> Framework:
        return cls(*load_framework(session, version_id))

    @cached_property
    def standard_keys(self) -> dict[int, str]:
        return {s.id: s.key for s in self.standards}

    @cached_property
    def criterion_standards(self) -> dict[int, str]:
        return {c.id: s.key for s in self.standards for c in s.criteria}

    @cached_property
    def lowest(self) -> ScaleLevel:
        return min(self.levels, key=lambda level: level.position)

    @cached_property
    def top(self) -> ScaleLevel:
        return max(self.levels, key=lambda level: level.position)

    def score_of(self, level_id: ColumnElement) -> ColumnElement:
        """A level's score, looked up without a join: a scale has a handful of levels."""
        return case({level.id: float(level.score) for level in self.levels}, value=level_id)

    def level_is(self, level_id: ColumnElement, wanted: Callable[[ScaleLevel], bool]):
        ids = [level.id for level in self.levels if wanted(level)]
        return level_id.in_(ids) if ids else false()


def load_heat_map(
    session: Session,
    cycle: AuditCycle,
    *,
    essential_weight: float,
    today: date,
    order: Order = Order.AGENCY,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> HeatMap:
    """Every agency's scores (moderated, and their own where a panel moderated), and one
    page of agencies in `order` with their flag counts, in a fixed number of queries
    whatever the number of agencies. A page past the last holds no agencies."""
    framework = Framework.load(session, cycle.framework_version_id)
    returns = [
        ReturnRow(*row)
        for row in session.execute(
            select(
                Assessment.id, Assessment.agency_id, Agency.name, Agency.sector, Assessment.status
            )
            .join(Agency, Agency.id == Assessment.agency_id)
            .where(Assessment.cycle_id == cycle.id)
            .order_by(Agency.name, Assessment.id)
        )
    ]
    query = _totals_query(cycle, framework, essential_weight)
    own = {(agency_id, key): group for agency_id, key, group in _groups(session, query, framework)}
    moderated = _Moderated.load(
        session, cycle, framework, essential_weight=essential_weight, today=today
    )
    scores = scores_from_totals(_cells({**own, **moderated.groups}))
    returns = in_order(
        returns,
        order,
        sector=lambda row: row.sector.label,
        score=lambda row: scores.agency.get(row.agency_id),
    )
    shown = returns[(page - 1) * per_page : page * per_page]
    return HeatMap(
        cycle=cycle,
        standards=framework.standards,
        levels=framework.levels,
        returns=shown,
        agencies=len(returns),
        scores=scores,
        self_scores=_self_scores(own, moderated) if moderated.any else None,
        flag_counts=_flag_counts(session, cycle, framework, shown, moderated, today),
    )


def in_order(
    rows: list[Row],
    order: Order,
    *,
    sector: Callable[[Row], str],
    score: Callable[[Row], float | None],
) -> list[Row]:
    """Agencies' rows, given in agency name order, in the heat map's `order`: the page
    and its CSV download list agencies the same way."""
    if order is Order.SECTOR:
        return sorted(rows, key=sector)  # stable: by name within a sector
    if order is Order.SCORE:
        return sorted(rows, key=lambda row: _lowest_first(score(row)))
    return list(rows)


def _lowest_first(score: float | None) -> tuple[bool, float]:
    return (score is None, score or 0.0)


def _self_scores(own: dict[Cell, Totals | None], moderated: _Moderated) -> SelfScores:
    agencies = {agency_id for agency_id, _ in moderated.groups}
    found = scores_from_totals(
        _cells({cell: group for cell, group in own.items() if cell[0] in agencies})
    )
    return SelfScores(agency_standard=found.agency_standard, agency=found.agency)


def _flag_counts(
    session: Session,
    cycle: AuditCycle,
    framework: Framework,
    shown: list[ReturnRow],
    moderated: _Moderated,
    today: date,
) -> dict[int, int]:
    """How many flags `flags.flags_for` raises for each of these agencies' returns."""
    if not shown:
        return {}
    agency_ids = {row.agency_id for row in shown}
    keys = framework.standard_keys
    query = _flags_query(session, cycle, framework, agency_ids=agency_ids, today=today)
    by_cell = {
        (agency_id, keys[standard_id]): flagged
        for agency_id, standard_id, flagged in session.execute(query)
    }
    by_cell.update(
        (cell, flagged) for cell, flagged in moderated.flags.items() if cell[0] in agency_ids
    )
    counts: Counter[int] = Counter()
    for (agency_id, _key), flagged in by_cell.items():
        counts[agency_id] += flagged
    context = Context(today=today)
    for row in shown:
        facts = ReturnFacts(row.agency_id, row.status.value, cycle.due_on, cycle.panel_from)
        if return_late(facts, context):
            counts[row.agency_id] += 1
    for agency_id, overdue in _overdue_actions(session, cycle, agency_ids, today):
        counts[agency_id] += overdue
    return {agency_id: n for agency_id, n in counts.items() if n}


def trend(
    session: Session, heat_map: HeatMap, *, essential_weight: float, limit: int = 5
) -> list[tuple[AuditCycle, dict[str, float | None]]]:
    """Partnership score per standard key for this cycle and the earlier cycles of the
    same framework, oldest first. A closed cycle's scores are worked out once in this
    process (`_CLOSED_SCORES`), so that the heat map does not score every earlier cycle
    again on every visit."""
    points = [(heat_map.cycle, heat_map.scores.partnership_standard)]
    cycle = heat_map.cycle
    while len(points) < limit:
        cycle = previous_cycle(session, cycle)
        if cycle is None:
            break
        points.append((cycle, _partnership_standard(session, cycle, heat_map, essential_weight)))
    return list(reversed(points))


def _partnership_standard(
    session: Session, cycle: AuditCycle, heat_map: HeatMap, essential_weight: float
) -> dict[str, float | None]:
    key = None
    if cycle.status is CycleStatus.CLOSED:
        key = (cycle.id, cycle.updated_at, essential_weight, *_closed_inputs(session, cycle))
        found = _CLOSED_SCORES.get(key)
        if found is not None:
            return dict(found)
    if cycle.framework_version_id == heat_map.cycle.framework_version_id:
        framework = Framework(heat_map.standards, heat_map.levels)
    else:
        framework = Framework.load(session, cycle.framework_version_id)
    query = _totals_query(cycle, framework, essential_weight)
    groups = {
        (agency_id, standard_key): group
        for agency_id, standard_key, group in _groups(session, query, framework)
    }
    groups.update(
        _Moderated.load(session, cycle, framework, essential_weight=essential_weight).groups
    )
    found = scores_from_totals(_cells(groups)).partnership_standard
    if key is not None:
        _CLOSED_SCORES.put(key, found)
    return dict(found)


def _closed_inputs(session: Session, cycle: AuditCycle) -> tuple:
    """What can still change a closed cycle's scores, in one statement.

    Its answers cannot change: only an open cycle's returns can be edited
    (`states.return_is_editable`), and reopening or closing a cycle moves its
    `updated_at`, which is part of the key. Two things outside the cycle can: a panel
    keeps moderating after its cycle closes (ratings are added, changed and removed, and
    a panel's date decides whose rating counts), and an agency's sector decides which
    criteria apply to it. Any such change moves a count or a latest `updated_at` here."""
    ratings = (
        select(ModeratedRating.id, ModeratedRating.updated_at)
        .join(PanelAgency, PanelAgency.id == ModeratedRating.panel_agency_id)
        .join(Panel, Panel.id == PanelAgency.panel_id)
        .where(Panel.cycle_id == cycle.id)
        .subquery()
    )
    return tuple(
        session.execute(
            select(
                select(func.max(Agency.updated_at))
                .join(Assessment, Assessment.agency_id == Agency.id)
                .where(Assessment.cycle_id == cycle.id)
                .scalar_subquery(),
                select(func.max(Panel.updated_at))
                .where(Panel.cycle_id == cycle.id)
                .scalar_subquery(),
                select(func.count(ratings.c.id)).scalar_subquery(),
                select(func.max(ratings.c.updated_at)).scalar_subquery(),
            )
        ).one()
    )


class _LeastRecentlyUsed:
    """A small cache shared by a worker's threads; the least recently used goes first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._found: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
            return found

    def put(self, key, value) -> None:
        with self._lock:
            self._found[key] = value
            self._found.move_to_end(key)
            while len(self._found) > self._size:
                self._found.popitem(last=False)


# Closed cycles' partnership scores by standard, keyed by everything they depend on
# (`_closed_inputs`): a few floats a cycle, so hundreds fit in little memory.
_CLOSED_SCORES = _LeastRecentlyUsed(512)


def _cells(groups: dict[Cell, Totals | None]) -> Iterator[tuple[int, str, Totals | None]]:
    return ((agency_id, key, group) for (agency_id, key), group in groups.items())


def _groups(session: Session, query: Select, framework: Framework) -> Iterator[tuple]:
    """The totals query's rows as (agency id, standard key, totals)."""
    keys = framework.standard_keys
    for agency_id, standard_id, weighted, weight, low, high in session.execute(query):
        yield agency_id, keys[standard_id], (weighted, weight, low, high)


def _answers(cycle: AuditCycle, framework: Framework, *columns) -> Select:
    """The cycle's answers `dashboard.answer_facts` looks at: to criteria of the cycle's
    framework version that apply to the agency's sector, not marked not applicable (N/A
    answers are never scored or flagged), grouped by agency and standard."""
    response = CriterionResponse
    stmt = (
        select(Assessment.agency_id, Criterion.standard_id, *columns)
        .select_from(Assessment)
        .join(response, response.assessment_id == Assessment.id)
        .join(Criterion, Criterion.id == response.criterion_id)
        .where(
            Assessment.cycle_id == cycle.id,
            response.not_applicable.is_(False),
            Criterion.standard_id.in_([s.id for s in framework.standards]),
        )
        .group_by(Assessment.agency_id, Criterion.standard_id)
    )
    restricted = [(c.id, c.sectors) for s in framework.standards for c in s.criteria if c.sectors]
    if restricted:
        stmt = stmt.join(Agency, Agency.id == Assessment.agency_id).where(
            or_(
                response.criterion_id.not_in([criterion_id for criterion_id, _ in restricted]),
                *(
                    and_(response.criterion_id == criterion_id, Agency.sector.in_(sectors))
                    for criterion_id, sectors in restricted
                ),
            )
        )
    return stmt


def _totals_query(cycle: AuditCycle, framework: Framework, essential_weight: float) -> Select:
    """For each agency and standard with a rated answer, the totals of the agency's own
    ratings. Groups with nothing rated are left out: "not answered" and "nothing scored"
    both show as not scored."""
    score = ScaleLevel.score
    weight = case((Criterion.essential, float(essential_weight)), else_=1.0)
    # Floats, as `scoring` adds them: PostgreSQL would answer a NUMERIC score in Decimals.
    return _answers(
        cycle,
        framework,
        cast(func.sum(weight * score), Float),
        cast(func.sum(weight), Float),
        cast(func.min(score), Float),
        cast(func.max(score), Float),
    ).join(ScaleLevel, ScaleLevel.id == CriterionResponse.level_id)


def _flags_query(
    session: Session, cycle: AuditCycle, framework: Framework, *, agency_ids: set[int], today: date
) -> Select:
    """For each of these agencies and each standard, the flags its answers raise by the
    agency's own ratings."""
    response = CriterionResponse
    panel_on = cycle.panel_from
    # Only an item due for review before today, or before the panel, breaks a date rule.
    limit = max(today, panel_on) if panel_on is not None else today
    expiring = (
        and_(EvidenceItem.review_on >= today, EvidenceItem.review_on < panel_on)
        if panel_on is not None
        else false()
    )
    current = and_(EvidenceItem.response_id == response.id, EvidenceItem.removed_at.is_(None))
    dated = (
        select(func.max(_one_if(EvidenceItem.review_on < today)) + func.max(_one_if(expiring)))
        .where(current, EvidenceItem.review_on < limit)
        .scalar_subquery()
    )
    stmt = _answers(cycle, framework).where(Assessment.agency_id.in_(agency_ids))
    previous_score = null()
    earlier = previous_cycle(session, cycle)
    if earlier is not None:
        # As `dashboard._previous_scores`: the agency's own rating of the criterion with
        # the same key, so answers pair up across framework versions.
        old, old_answer, old_level = _OLD_RETURN, _OLD_ANSWER, _OLD_LEVEL
        stmt = (
            stmt.outerjoin(
                old, and_(old.cycle_id == earlier.id, old.agency_id == Assessment.agency_id)
            )
            .outerjoin(
                old_answer,
                and_(
                    old_answer.assessment_id == old.id,
                    old_answer.criterion_id == _same_criterion(session, framework, earlier),
                    old_answer.not_applicable.is_(False),
                ),
            )
            .outerjoin(old_level, old_level.id == old_answer.level_id)
        )
        previous_score = old_level.score
    terms = answer_flag_terms(
        framework,
        has_item=select(EvidenceItem.response_id).where(current).exists(),
        dated=func.coalesce(dated, 0),
        previous_score=previous_score,
    )
    return stmt.add_columns(func.sum(reduce(operator.add, terms.values())))


# Last cycle's side of the flags query. Made once: an alias of a wide table costs a few
# milliseconds to set up, more than the rest of building the query.
_OLD_RETURN = aliased(Assessment, name="old_return")
_OLD_ANSWER = aliased(CriterionResponse, name="old_answer")
_OLD_LEVEL = aliased(ScaleLevel, name="old_level")


def _same_criterion(session: Session, framework: Framework, earlier: AuditCycle):
    """The id, in the earlier cycle's framework version, of the criterion with the same
    key as the answer's; NULL for a criterion new in this version."""
    if earlier.framework_version_id == framework.standards[0].version_id:
        return CriterionResponse.criterion_id
    old_ids = dict(
        session.execute(
            select(Criterion.key, Criterion.id)
            .join(Standard, Standard.id == Criterion.standard_id)
            .where(Standard.version_id == earlier.framework_version_id)
        ).all()
    )
    same = {
        c.id: old_ids[c.key] for s in framework.standards for c in s.criteria if c.key in old_ids
    }
    return case(same, value=CriterionResponse.criterion_id) if same else null()


def answer_flag_terms(
    framework: Framework,
    *,
    has_item: ColumnElement,
    dated: ColumnElement,
    previous_score: ColumnElement,
) -> dict[tuple[Callable, ...], ColumnElement]:
    """For each answer rule in `flags` (the two on evidence dates together), how many
    times it flags an answer, as an expression over one row of the flags query.
    `has_item`: the answer has a current evidence item; `dated`: how many of the two
    evidence date rules its items break; `previous_score`: its score last cycle, NULL
    for none. Each CASE reads the answer's text only once its rating says the rule
    could apply: reading text is the dearest thing the query does."""
    response = CriterionResponse
    level = response.level_id
    needs_action = framework.level_is(level, lambda lvl: lvl.needs_action)
    no_action = case(
        (response.action_due.is_(None), 1),
        (response.action == "", 1),
        (response.action_owner == "", 1),
        else_=0,
    )
    no_evidence = case((func.length(func.trim(response.evidence)) > 0, 0), (has_item, 0), else_=1)
    return {
        (lowest_rating,): _one_if(level == framework.lowest.id),
        (action_missing,): case((needs_action, no_action), else_=0),
        (unevidenced_claim,): case((level == framework.top.id, no_evidence), else_=0),
        (evidence_out_of_date, evidence_expiring_before_panel): dated,
        (essential_not_met,): _one_if(and_(Criterion.essential, needs_action)),
        (decline,): _one_if(previous_score > framework.score_of(level)),
        (carried_not_reviewed,): _one_if(response.review_needed),
    }


def _one_if(condition: ColumnElement) -> ColumnElement:
    return case((condition, 1), else_=0)


def _overdue_actions(session: Session, cycle: AuditCycle, agency_ids: set[int], today: date):
    """These agencies' tracked actions past their due date and not closed, as
    `flags.actions_overdue` counts them."""
    return session.execute(
        select(Action.agency_id, func.count())
        .where(
            Action.partnership_id == cycle.partnership_id,
            Action.agency_id.in_(agency_ids),
            Action.status != ActionStatus.CLOSED,
            Action.due_on < today,
        )
        .group_by(Action.agency_id)
    ).all()


@dataclass(frozen=True)
class _Moderated:
    """The (agency, standard) groups holding a moderated rating, worked out answer by
    answer with the pure modules: their effective totals and their answers' flags."""

    groups: dict[Cell, Totals | None]
    flags: dict[Cell, int]
    any: bool  # some moderated rating counts (its criterion applies to the agency)

    @classmethod
    def load(
        cls,
        session: Session,
        cycle: AuditCycle,
        framework: Framework,
        *,
        essential_weight: float,
        today: date | None = None,
    ) -> _Moderated:
        """`today` None leaves the flags out (earlier cycles in the trend)."""
        moderated = moderated_for_cycle(session, cycle)
        standards = framework.criterion_standards
        cells = {
            (agency_id, standards[criterion_id])
            for agency_id, criterion_id in moderated
            if criterion_id in standards
        }
        if not cells:
            return cls({}, {}, any=False)
        agencies = {agency_id for agency_id, _ in cells}
        answers, facts = answer_facts(
            session,
            cycle,
            standards=framework.standards,
            levels=framework.levels,
            assessments=load_assessments(session, cycle, agencies),
            moderated=moderated,
            essential_weight=essential_weight,
            narrowed=True,
            cells=cells,
            with_facts=today is not None,
        )
        by_cell = defaultdict(list)
        for answer in answers:
            by_cell[(answer.agency_id, answer.standard_key)].append(answer)
        flags: Counter[Cell] = Counter()
        if today is not None:
            for fact in facts:
                flags[(fact.agency_id, fact.standard_key)] += _flag_count(fact, cycle, today)
        return cls(
            groups={cell: totals(by_cell[cell]) for cell in cells},
            flags={cell: flags[cell] for cell in cells},
            any=any(answer.moderated_level is not None for answer in answers),
        )


def _flag_count(fact: AnswerFacts, cycle: AuditCycle, today: date) -> int:
    """How many flags `flags.flags_for` raises on this answer."""
    if fact.not_applicable:
        return 0
    context = Context(today=today)
    raised = sum(1 for rule in ANSWER_RULES if rule(fact, context))
    return raised + bool(evidence_expiring_before_panel(fact, context, cycle.panel_from))
