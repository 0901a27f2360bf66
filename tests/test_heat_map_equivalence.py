"""The heat map's figures, added up by the database (`services.heat_map`), equal the pure
modules' (`scoring.summarise` and `flags.flags_for` over `dashboard.load_cycle_data`):
on random cycles from bench-seed, on the cases it does not make, and on the demo."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, event, literal, null, select, true, update

from audit_tool import clock, flags
from audit_tool.bench_seed import Scale, seed
from audit_tool.demo import load_demo
from audit_tool.frameworks.library import draft_new_version, publish
from audit_tool.models import (
    Agency,
    Assessment,
    AuditCycle,
    CriterionResponse,
    CycleStatus,
    EvidenceItem,
    ModeratedRating,
    PanelAgency,
    Partnership,
    Sector,
    utcnow,
)
from audit_tool.scoring import (
    Scores,
    Summary,
    effective_score,
    partnership_standard_scores,
    scores_from_totals,
    summarise,
    totals,
)
from audit_tool.services import cycles, heat_map
from audit_tool.services.dashboard import load_cycle_data

from .test_scoring import batches

TODAY = clock.today()


def _close(found: float | None, expected: float | None) -> bool:
    # The database adds in its own order, so the last bits may differ; nothing more.
    if found is None or expected is None:
        return found is expected
    return math.isclose(found, expected, rel_tol=1e-12, abs_tol=1e-9)


def _same_scores(found: Scores, expected) -> None:
    # "Answered, nothing scored" (None) and "not answered" (no key) both show as "Not
    # scored"; the pure modules give every applicable criterion a key, the database only
    # answers, so a missing key counts as None.
    for field in ("agency_standard", "agency", "partnership_standard"):
        mine, theirs = getattr(found, field), getattr(expected, field)
        for key in mine.keys() | theirs.keys():
            assert _close(mine.get(key), theirs.get(key)), (field, key)
    assert _close(found.partnership, expected.partnership)


def _same_self_scores(found: heat_map.SelfScores, own: Summary, scores: Scores) -> None:
    # Own scores are given for the agencies a panel moderated; everywhere else they must
    # be the scores shown, or an agency's "(self …)" would be missing.
    agencies = {agency_id for agency_id, _ in found.agency_standard}
    assert set(found.agency) == agencies
    for key in found.agency_standard.keys() | {k for k in own.agency_standard if k[0] in agencies}:
        assert _close(found.agency_standard.get(key), own.agency_standard.get(key)), key
    for agency_id, score in own.agency.items():
        shown = found.agency if agency_id in agencies else scores.agency
        assert _close(shown.get(agency_id), score), agency_id
    for (agency_id, key), score in own.agency_standard.items():
        if agency_id not in agencies:
            assert _close(scores.agency_standard.get((agency_id, key)), score), key


def _pages(session, cycle, *, order, per_page, **kwargs) -> list[heat_map.HeatMap]:
    found = []
    while not found or len(found) * per_page < found[0].agencies:
        found.append(
            heat_map.load_heat_map(
                session, cycle, order=order, page=len(found) + 1, per_page=per_page, **kwargs
            )
        )
    return found


def assert_equivalent(session, cycle: AuditCycle, *, essential_weight=1.0, today=TODAY):
    """Page by page (a few agencies a page, so that there are several) in each order."""
    data = load_cycle_data(session, cycle, essential_weight=essential_weight)
    expected_scores = summarise(data.answers)
    moderated = any(a.moderated_level is not None for a in data.answers)
    own = [replace(a, moderated_level=None, moderated_score=None) for a in data.answers]
    expected = Counter(f.agency_id for f in flags.flags_for(data.facts, data.returns, today=today))
    for order in heat_map.Order:
        pages = _pages(
            session, cycle, order=order, per_page=5, essential_weight=essential_weight, today=today
        )
        flag_counts: dict[int, int] = {}
        for number, found in enumerate(pages):
            assert found.agencies == len(data.assessments)
            assert len(found.returns) == min(5, found.agencies - 5 * number)
            _same_scores(found.scores, expected_scores)
            if moderated:
                _same_self_scores(found.self_scores, summarise(own), found.scores)
            else:
                assert found.self_scores is None
            assert set(found.flag_counts) <= {row.agency_id for row in found.returns}
            flag_counts.update(found.flag_counts)
        assert flag_counts == dict(expected)
        shown = [row for found in pages for row in found.returns]
        assert sorted(row.id for row in shown) == sorted(a.id for a in data.assessments)
        assert {row.id: (row.agency_name, row.sector, row.status) for row in shown} == {
            a.id: (a.agency.name, a.agency.sector, a.status) for a in data.assessments
        }
        if order is heat_map.Order.AGENCY:
            assert [row.id for row in shown] == [a.id for a in data.assessments]
        elif order is heat_map.Order.SECTOR:
            labels = [row.sector.label for row in shown]
            assert labels == sorted(labels)
        else:
            agency_scores = [expected_scores.agency.get(row.agency_id) for row in shown]
            scored = [score for score in agency_scores if score is not None]
            assert agency_scores == scored + [None] * (len(shown) - len(scored))
            assert scored == sorted(scored)
    found = pages[0]
    points = heat_map.trend(session, found, essential_weight=essential_weight)
    assert points[-1][0] == cycle
    for earlier, by_standard in points[:-1]:
        answers = load_cycle_data(session, earlier, essential_weight=essential_weight).answers
        theirs = partnership_standard_scores(answers)
        for key in by_standard.keys() | theirs.keys():
            assert _close(by_standard.get(key), theirs.get(key)), (earlier.name, key)
    return found, expected


def test_a_page_past_the_last_holds_no_agencies(session, make, world):
    cycle = make.cycle(world.partnership)
    found = heat_map.load_heat_map(
        session, cycle, essential_weight=1.0, today=TODAY, page=2, per_page=len(cycle.assessments)
    )
    assert found.agencies == len(cycle.assessments) and found.returns == []
    assert found.flag_counts == {}


@given(batches, st.randoms(use_true_random=False))
def test_scores_from_each_groups_totals_are_summarises(batch, random):
    """The pure half of the database path: totals per (agency, standard), added up in any
    order (as a database adds), give `summarise`'s scores, with the same keys."""
    groups = defaultdict(list)
    for answer in batch:
        groups[(answer.agency_id, answer.standard_key)].append(answer)
    cells = []
    for (agency_id, standard_key), answers in groups.items():
        random.shuffle(answers)
        group = totals(answers)
        if group is not None:
            # Plain left-to-right addition, not fsum: the order a database might use.
            scored = [(effective_score(a), a.weight) for a in answers]
            scored = [(s, w) for s, w in scored if s is not None]
            group = (sum(s * w for s, w in scored), sum(w for _, w in scored), *group[2:])
        cells.append((agency_id, standard_key, group))
    random.shuffle(cells)
    found, expected = scores_from_totals(cells), summarise(batch)
    for field in ("agency_standard", "agency", "partnership_standard"):
        assert getattr(found, field).keys() == getattr(expected, field).keys()
    _same_scores(found, expected)


def test_a_group_given_twice_is_refused():
    with pytest.raises(ValueError, match="more than one total"):
        scores_from_totals([(1, "ST01", (80.0, 1.0, 80.0, 80.0)), (1, "ST01", None)])


def _seeded(session, seed_number: int, agencies: int = 12) -> list[AuditCycle]:
    seed(
        session,
        scale=Scale(partnerships=1, agencies=agencies, large_agencies=0, seed=seed_number),
        password="bench-password-1",
        today=TODAY,
    )
    return list(
        session.scalars(
            select(AuditCycle)
            .join(Partnership)
            .where(Partnership.slug == "bench-01")
            .order_by(AuditCycle.opens_on)
        )
    )


def test_every_answer_rule_has_its_term_in_the_query(session, make, world):
    cycle = make.cycle(world.partnership)
    framework = heat_map.Framework.load(session, cycle.framework_version_id)
    terms = heat_map.answer_flag_terms(
        framework, has_item=true(), dated=literal(0), previous_score=null()
    )
    covered = [rule for rules in terms for rule in rules]
    assert sorted(covered, key=lambda r: r.__name__) == sorted(
        [*flags.ANSWER_RULES, flags.evidence_expiring_before_panel], key=lambda r: r.__name__
    )


@pytest.mark.parametrize(
    "seed_number, essential_weight", [(1, 1.0), (2, 2.0), (3, 1.5), (4, 0.7), (5, 3.0)]
)
def test_random_cycles_agree(session, seed_number, essential_weight):
    closed, current = _seeded(session, seed_number)
    for cycle in (closed, current):
        found, expected = assert_equivalent(session, cycle, essential_weight=essential_weight)
    assert found.self_scores is not None  # the panels moderated in the open cycle
    assert sum(expected.values()) > 0


def test_the_cases_bench_seed_does_not_make_agree(session):
    """A panel rating an answer the agency never gave; an agency whose sector changed
    after it answered; blank-looking evidence; answers saved without a rating; a removed
    evidence item; evidence due for review before a panel still to come; and last cycle
    on another framework version."""
    _, current = _seeded(session, 7, agencies=16)
    current.panel_from = TODAY + timedelta(days=40)
    responses = session.scalars(
        select(CriterionResponse)
        .join(Assessment)
        .where(Assessment.cycle_id == current.id, CriterionResponse.level_id.is_not(None))
        .order_by(CriterionResponse.id)
    ).all()
    moderated = session.scalars(
        select(ModeratedRating)
        .join(PanelAgency)
        .join(Assessment)
        .where(Assessment.cycle_id == current.id)
        .order_by(ModeratedRating.id)
        .limit(1)
    ).one()
    unanswered = (
        select(CriterionResponse.id)
        .where(
            CriterionResponse.assessment_id == moderated.panel_agency.assessment_id,
            CriterionResponse.criterion_id == moderated.criterion_id,
        )
        .scalar_subquery()
    )
    session.execute(delete(EvidenceItem).where(EvidenceItem.response_id == unanswered))
    session.execute(delete(CriterionResponse).where(CriterionResponse.id == unanswered))
    top = max(current.framework_version.levels, key=lambda level: level.position)
    for response in responses[:12]:
        response.level_id = top.id
        response.evidence = "   "
    for response in responses[20:26]:
        # Saved without a rating, evidence or action: no rule has anything to flag.
        response.level_id = None
        response.evidence = response.action = response.action_owner = ""
        response.action_due = None
    for response in responses[12:20]:
        session.add(
            EvidenceItem(
                response=response,
                title="Audit",
                review_on=TODAY + timedelta(days=10),
                removed_at=utcnow() if response.id % 2 else None,
            )
        )
    health_only = next(
        c for s in current.framework_version.standards for c in s.criteria if c.sectors
    )
    answered = session.scalar(
        select(Assessment.agency_id)
        .join(CriterionResponse)
        .where(Assessment.cycle_id == current.id, CriterionResponse.criterion_id == health_only.id)
        .limit(1)
    )
    session.execute(update(Agency).where(Agency.id == answered).values(sector=Sector.POLICE))
    session.flush()
    session.expire_all()
    assert_equivalent(session, current, essential_weight=2.0)

    # This cycle moved to a newer version of the framework; last cycle's answers pair up
    # with this cycle's by criterion key.
    partnership = session.scalar(select(Partnership).where(Partnership.slug == "bench-01"))
    older = current.framework_version
    newer = draft_new_version(session, framework=older.framework, partnership=partnership, by=None)
    publish(session, version=newer, partnership=partnership, by=None)
    criteria = {c.key: c.id for s in newer.standards for c in s.criteria}
    levels = {level.key: level.id for level in newer.levels}
    criterion_ids = {c.id: criteria[c.key] for s in older.standards for c in s.criteria}
    level_ids = {level.id: levels[level.key] for level in older.levels}
    in_cycle = select(Assessment.id).where(Assessment.cycle_id == current.id)
    for response in session.scalars(
        select(CriterionResponse).where(CriterionResponse.assessment_id.in_(in_cycle))
    ):
        response.criterion_id = criterion_ids[response.criterion_id]
        response.level_id = level_ids.get(response.level_id)
    for rating in session.scalars(select(ModeratedRating)):
        if rating.panel_agency.assessment.cycle_id == current.id:
            rating.criterion_id = criterion_ids[rating.criterion_id]
            rating.level_id = level_ids[rating.level_id]
    current.framework_version = newer
    session.flush()
    session.expire_all()
    found, _ = assert_equivalent(session, current)
    assert any(v is not None for v in found.scores.agency_standard.values())


def test_the_demo_agrees(session):
    load_demo(session, password="demo-password-1", today=TODAY)
    cycles = session.scalars(
        select(AuditCycle)
        .join(Partnership)
        .where(Partnership.slug == "demo", AuditCycle.status != CycleStatus.DRAFT)
    ).all()
    assert len(cycles) == 2
    for cycle in cycles:
        assert_equivalent(session, cycle)
        assert_equivalent(session, cycle, essential_weight=2.0)


def test_a_closed_cycles_scores_are_kept_until_something_they_depend_on_changes(session):
    """The trend works a closed cycle's scores out once; a panel's rating, an agency's
    sector, or the cycle reopened and closed again makes it work them out again."""
    closed, current = _seeded(session, 11, agencies=16)
    assert closed.status is CycleStatus.CLOSED

    def trend_point() -> tuple[dict, int]:
        session.flush()
        session.expire_all()
        found = heat_map.load_heat_map(session, current, essential_weight=1.0, today=TODAY)
        seen = []
        connection = session.connection()

        def listener(*_args):
            seen.append(1)

        event.listen(connection, "before_cursor_execute", listener)
        try:
            (earlier, by_standard), _ = heat_map.trend(session, found, essential_weight=1.0)
        finally:
            event.remove(connection, "before_cursor_execute", listener)
        assert earlier == closed
        expected = partnership_standard_scores(load_cycle_data(session, closed).answers)
        for key in by_standard.keys() | expected.keys():
            assert _close(by_standard.get(key), expected.get(key)), key
        return by_standard, len(seen)

    first, worked_out = trend_point()
    again, looked_up = trend_point()
    assert again == first and looked_up < worked_out

    # A panel, still at work after the cycle closed, rates an answer differently.
    rating = session.scalars(
        select(ModeratedRating)
        .join(PanelAgency)
        .join(Assessment)
        .where(Assessment.cycle_id == closed.id)
        .order_by(ModeratedRating.id)
    ).first()
    levels = sorted(closed.framework_version.levels, key=lambda level: level.position)
    rating.level_id = next(level.id for level in levels if level.id != rating.level_id)
    moderated, _ = trend_point()
    assert moderated != first

    # An agency moves sector, so a criterion for its old sector no longer applies.
    health_only = next(
        c for s in closed.framework_version.standards for c in s.criteria if c.sectors
    )
    answered = session.scalars(
        select(Assessment.agency_id)
        .join(CriterionResponse)
        .where(
            Assessment.cycle_id == closed.id,
            CriterionResponse.criterion_id == health_only.id,
            CriterionResponse.level_id.is_not(None),
        )
    ).all()
    session.execute(update(Agency).where(Agency.id.in_(answered)).values(sector=Sector.POLICE))
    moved, _ = trend_point()
    assert moved != moderated

    # The cycle is reopened, an answer changed, and the cycle closed again.
    cycles.open_cycle(session, cycle=closed, by=None)
    response = session.scalars(
        select(CriterionResponse)
        .join(Assessment)
        .where(Assessment.cycle_id == closed.id, CriterionResponse.level_id.is_not(None))
        .order_by(CriterionResponse.id)
    ).first()
    response.level_id = next(level.id for level in levels if level.id != response.level_id)
    session.flush()
    cycles.close_cycle(session, cycle=closed, by=None)
    reopened, _ = trend_point()
    assert reopened != moved
