"""The demo partnership's current cycle raises the flags a PQA officer would expect."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from audit_tool.demo import load_demo
from audit_tool.flags import FlagKind
from audit_tool.models import AuditCycle
from audit_tool.services import dashboard, heat_map


def test_demo_current_cycle_flags(session):
    load_demo(session, password="demo-password-1", today=date(2026, 11, 25))
    session.flush()
    current = session.scalar(
        select(AuditCycle).where(AuditCycle.name == "Section 11 audit 2026 to 2028")
    )
    data = dashboard.load_cycle_data(session, current)
    flags = dashboard.cycle_flags(data, today=date(2026, 11, 25))
    names = {a.agency_id: a.agency.name for a in data.assessments}

    def agencies_with(kind):
        return {names[f.agency_id] for f in flags if f.kind is kind}

    # The three returns the demo leaves untouched, and nobody overdue yet.
    assert agencies_with(FlagKind.RETURN_NOT_STARTED) == {
        "Shire Constabulary",
        "Demo County Council Housing",
        "Demo Young People's Sports Trust",
    }
    assert agencies_with(FlagKind.RETURN_OVERDUE) == set()
    # The ICB started from its previous return and has checked nothing yet.
    icb = next(a for a in data.assessments if a.agency.name == "Demo Integrated Care Board")
    carried = [f for f in flags if f.kind is FlagKind.CARRIED_NOT_REVIEWED]
    assert {names[f.agency_id] for f in carried} == {"Demo Integrated Care Board"}
    assert len(carried) == len(icb.responses) > 40
    # Demo answers always give evidence and complete actions where needed.
    assert agencies_with(FlagKind.UNEVIDENCED_CLAIM) == set()
    assert agencies_with(FlagKind.ACTION_MISSING) == set()
    # Red ratings are flagged wherever they were given, and the heat map has a trend.
    reds = {(f.agency_id, f.criterion_key) for f in flags if f.kind is FlagKind.LOWEST_RATING}
    red_answers = {(a.agency_id, a.criterion_key) for a in data.answers if a.self_level == "red"}
    assert reds == red_answers and reds
    found = heat_map.load_heat_map(session, current, essential_weight=1.0, today=date(2026, 11, 25))
    assert len(heat_map.trend(session, found, essential_weight=1.0)) == 2
