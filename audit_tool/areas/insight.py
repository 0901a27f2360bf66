"""Dashboard pages shared by the PQA sub-group and the challenge panel: the heat map,
the flags list and the criteria breakdown. Each area's views are thin wrappers that
decide access; these functions build and render the pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import NamedTuple

from flask import abort, current_app, render_template, request, url_for

from .. import clock
from ..db import db
from ..flags import FlagKind, Severity
from ..models import AuditCycle, Partnership, ScaleLevel
from ..services import dashboard, heat_map
from ..web import query_params
from ..web.paging import Page, page_number
from ..web.query_params import BadParameter


def essential_weight() -> float:
    return float(current_app.config["ESSENTIAL_CRITERION_WEIGHT"])


def cycle_or_404(partnership: Partnership, cycle_id: int) -> AuditCycle:
    try:
        return dashboard.get_visible_cycle(db.session, partnership, cycle_id)
    except dashboard.NotFound:
        abort(404)


def bad_parameter(error: BadParameter):
    return render_template("errors/400.html", parameter=error.parameter, detail=error.message), 400


class HeatCell(NamedTuple):
    text: str  # the score as shown, to the nearest whole number
    colour: str  # the nearest level's colour, for the tag's class
    label: str  # the nearest level's name, for screen readers
    own: str | None  # the agency's own score as shown, where it shows differently


def heat_cells(levels: list[ScaleLevel]) -> Callable[[float | None, float | None], HeatCell | None]:
    """What a heat-map cell shows for a score (and the agency's own), None for no score.
    Cached: a page of 50 agencies has 550 cells, and far fewer different scores."""

    @cache
    def cell(score: float | None, own: float | None = None) -> HeatCell | None:
        if score is None:
            return None
        level = dashboard.nearest_level(score, levels)
        text = f"{score:.0f}"
        own_text = None if own is None else f"{own:.0f}"
        return HeatCell(
            text,
            level.colour.replace("#", "").lower(),
            level.label,
            own_text if own_text != text else None,
        )

    return cell


def render_dashboard(partnership: Partnership, cycle: AuditCycle, *, area: str, args):
    args = query_params.without_blanks(args)
    try:
        order = query_params.choice(args, "sort", heat_map.Order) or heat_map.Order.AGENCY
        number = page_number(args)
    except BadParameter as error:
        return bad_parameter(error)
    data = heat_map.load_heat_map(
        db.session,
        cycle,
        essential_weight=essential_weight(),
        today=clock.today(),
        order=order,
        page=number,
        per_page=heat_map.PER_PAGE,
    )
    page = Page(number, heat_map.PER_PAGE, data.agencies)
    if not page.exists:
        abort(404)

    def page_url(to: int) -> str:
        return url_for(
            f"{area}.dashboard",
            partnership_slug=partnership.slug,
            cycle_id=cycle.id,
            sort=None if order is heat_map.Order.AGENCY else order.value,
            page=to,
        )

    return render_template(
        "insight/dashboard.html",
        partnership=partnership,
        cycle=cycle,
        area=area,
        sort=order.value,
        data=data,
        page=page,
        pagination=page.links(page_url, label="Pages of the heat map"),
        scores=data.scores,
        self_scores=data.self_scores,
        flag_counts=data.flag_counts,
        cell_for=heat_cells(data.levels),
        trend=heat_map.trend(db.session, data, essential_weight=essential_weight()),
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
    flags = [f for f in dashboard.cycle_flags(data, today=clock.today()) if chosen.keeps(f)]
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
        return render_dashboard(partnership, cycle, area=area, args=request.args)

    def flags(partnership, cycle_id):
        cycle = cycle_or_404(partnership, cycle_id)
        return render_flags(partnership, cycle, area=area, args=request.args)

    def criteria(partnership, cycle_id):
        cycle = cycle_or_404(partnership, cycle_id)
        return render_criteria(partnership, cycle, area=area)

    for name, view in (("dashboard", dashboard), ("flags", flags), ("criteria", criteria)):
        view.__name__ = name
        bp.add_url_rule(f"/cycles/<int:cycle_id>/{name}", endpoint=name, view_func=guard(view))
