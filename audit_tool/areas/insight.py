"""Dashboard pages shared by the PQA sub-group and the challenge panel: the heat map,
the flags list and the criteria breakdown. Each area's views are thin wrappers that
decide access; these functions build and render the pages."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, render_template, request

from ..db import db
from ..flags import FlagKind, Severity
from ..models import AuditCycle, Partnership
from ..services import dashboard
from ..web import query_params
from ..web.query_params import BadParameter

SORTS = ("agency", "sector", "score")


def essential_weight() -> float:
    return float(current_app.config["ESSENTIAL_CRITERION_WEIGHT"])


def cycle_or_404(partnership: Partnership, cycle_id: int) -> AuditCycle:
    try:
        return dashboard.get_visible_cycle(db.session, partnership, cycle_id)
    except dashboard.NotFound:
        abort(404)


def bad_parameter(error: BadParameter):
    return render_template("errors/400.html", parameter=error.parameter, detail=error.message), 400


def render_dashboard(partnership: Partnership, cycle: AuditCycle, *, area: str, sort: str | None):
    sort = sort or "agency"
    if sort not in SORTS:
        return bad_parameter(BadParameter("sort", f"sort must be one of {', '.join(SORTS)}"))
    data = dashboard.load_cycle_data(db.session, cycle, essential_weight=essential_weight())
    scores = dashboard.score_table(data)
    assessments = list(data.assessments)
    if sort == "sector":
        assessments.sort(key=lambda a: (a.agency.sector.label, a.agency.name))
    elif sort == "score":
        assessments.sort(
            key=lambda a: (
                scores.agency.get(a.agency_id) is None,
                scores.agency.get(a.agency_id) or 0,
            )
        )
    flags = dashboard.cycle_flags(data, today=date.today())
    flag_counts: dict[int, int] = {}
    for flag in flags:
        flag_counts[flag.agency_id] = flag_counts.get(flag.agency_id, 0) + 1
    return render_template(
        "insight/dashboard.html",
        partnership=partnership,
        cycle=cycle,
        area=area,
        sort=sort,
        data=data,
        assessments=assessments,
        scores=scores,
        self_scores=dashboard.self_score_table(data),
        flag_counts=flag_counts,
        level_for=lambda score: dashboard.nearest_level(score, data.levels),
        trend=dashboard.trend(db.session, data, essential_weight=essential_weight()),
    )


def render_flags(partnership: Partnership, cycle: AuditCycle, *, area: str, args):
    data = dashboard.load_cycle_data(db.session, cycle, essential_weight=essential_weight())
    try:
        chosen = query_params.flag_filter(
            query_params.without_blanks(args),
            agency_ids={a.agency_id for a in data.assessments},
            standard_keys={s.key for s in data.standards},
        )
    except BadParameter as error:
        return bad_parameter(error)
    flags = [f for f in dashboard.cycle_flags(data, today=date.today()) if chosen.keeps(f)]
    return render_template(
        "insight/flags.html",
        partnership=partnership,
        cycle=cycle,
        area=area,
        data=data,
        flags=flags,
        chosen=chosen,
        agencies={a.agency_id: a.agency for a in data.assessments},
        standards={s.key: s for s in data.standards},
        criteria=data.criteria,
        FlagKind=FlagKind,
        Severity=Severity,
    )


def render_criteria(partnership: Partnership, cycle: AuditCycle, *, area: str):
    data = dashboard.load_cycle_data(db.session, cycle, essential_weight=essential_weight())
    return render_template(
        "insight/criteria.html",
        partnership=partnership,
        cycle=cycle,
        area=area,
        data=data,
        scores=dashboard.score_table(data),
    )


def add_cycle_views(bp, guard, *, area: str) -> None:
    """Register the heat map, flags and criteria pages on an area's blueprint, behind
    that area's access guard (PQA and panel members see the same pages)."""

    def dashboard(partnership, cycle_id):
        cycle = cycle_or_404(partnership, cycle_id)
        return render_dashboard(partnership, cycle, area=area, sort=request.args.get("sort"))

    def flags(partnership, cycle_id):
        cycle = cycle_or_404(partnership, cycle_id)
        return render_flags(partnership, cycle, area=area, args=request.args)

    def criteria(partnership, cycle_id):
        cycle = cycle_or_404(partnership, cycle_id)
        return render_criteria(partnership, cycle, area=area)

    for name, view in (("dashboard", dashboard), ("flags", flags), ("criteria", criteria)):
        view.__name__ = name
        bp.add_url_rule(f"/cycles/<int:cycle_id>/{name}", endpoint=name, view_func=guard(view))
