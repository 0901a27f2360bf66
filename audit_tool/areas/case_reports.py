"""A case-file audit round's analysis page and its printable report, shared by the PQA
sub-group and the challenge panel. Each area registers them behind its own access guard
(as `insight.add_cycle_views` does for the Section 11 dashboards); these functions load
and render."""

from __future__ import annotations

from flask import abort, render_template, request

from .. import clock
from ..case_analysis import CaseFlagKind, RoundAnalysis, analyse, submitted_pairs
from ..case_grading import Grade
from ..db import db
from ..models import CaseAuditRound, Partnership
from ..services import NotFound
from ..services import case_analysis as service
from ..web import query_params
from ..web.query_params import BadParameter
from .insight import bad_parameter


def round_or_404(partnership: Partnership, round_id: int, *, area: str) -> CaseAuditRound:
    try:
        # A draft round is PQA's working copy until it opens.
        return service.get_round(db.session, partnership, round_id, include_draft=area == "pqa")
    except NotFound:
        abort(404)


def _common(partnership: Partnership, audit_round: CaseAuditRound, area: str) -> dict:
    return {
        "partnership": partnership,
        "audit_round": audit_round,
        "area": area,
        "grades": list(Grade),  # best first, as inspection reports read
        "theme_labels": service.THEME_LABELS,
    }


def _tables(data: service.RoundData, analysis: RoundAnalysis) -> dict:
    """Rows and look-ups for the page's tables, in the template's order."""
    facts = data.facts
    agencies = sorted(facts.agencies, key=lambda a: (a.name.casefold(), a.agency_id))
    return {
        "by_section": [(s.title, analysis.by_section.get(s.key, {})) for s in facts.sections],
        "by_agency": [(a.name, analysis.by_agency.get(a.agency_id, {})) for a in agencies],
        "judgements": [
            *((s.title, analysis.judgements.get(s.key, {})) for s in facts.sections),
            ("Overall", analysis.overall),
        ],
        "section_titles": {s.key: s.title for s in facts.sections},
        "question_wording": {(q.section_key, q.key): q.wording for q in facts.questions},
        "round_names": {r.round_id: r.name for r in facts.rounds},
        "submitted": len(submitted_pairs(facts)),
    }


def render_analysis(partnership: Partnership, audit_round: CaseAuditRound, *, area: str, args):
    try:
        kind = query_params.choice(query_params.without_blanks(args), "kind", CaseFlagKind)
    except BadParameter as error:
        return bad_parameter(error)
    data = service.load_round(db.session, audit_round)
    analysis = analyse(data.facts, today=clock.today(), theme_labels=service.THEME_LABELS)
    return render_template(
        "case_reports/analysis.html",
        data=data,
        analysis=analysis,
        kind=kind,
        flags=[f for f in analysis.flags if kind is None or f.kind is kind],
        CaseFlagKind=CaseFlagKind,
        tables=_tables(data, analysis),
        **_common(partnership, audit_round, area),
    )


def render_report(partnership: Partnership, audit_round: CaseAuditRound, *, area: str):
    report = service.load_report(db.session, audit_round)
    analysis = analyse(report.data.facts, today=clock.today(), theme_labels=service.THEME_LABELS)
    return render_template(
        "case_reports/report.html",
        report=report,
        data=report.data,
        analysis=analysis,
        tables=_tables(report.data, analysis),
        **_common(partnership, audit_round, area),
    )


def add_case_report_views(bp, guard, *, area: str) -> None:
    """Register the round analysis and round report pages on an area's blueprint."""

    def case_round_analysis(partnership, round_id):
        audit_round = round_or_404(partnership, round_id, area=area)
        return render_analysis(partnership, audit_round, area=area, args=request.args)

    def case_round_report(partnership, round_id):
        audit_round = round_or_404(partnership, round_id, area=area)
        return render_report(partnership, audit_round, area=area)

    for path, view in (
        ("analysis", case_round_analysis),
        ("report", case_round_report),
    ):
        bp.add_url_rule(
            f"/case-rounds/<int:round_id>/{path}", endpoint=view.__name__, view_func=guard(view)
        )
