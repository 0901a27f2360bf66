"""A read-only JSON API for BI tools (Power BI, Excel Power Query): a partnership's
cycles, their scores and their gap flags. GET only, so CSRF protection never applies
and a request can never change anything. docs/api.md describes it for its users."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, jsonify, request

from ... import clock
from ...access import api_reader, public
from ...db import db
from ...models import AuditCycle, Partnership
from ...services import NotFound, dashboard
from ...services.dashboard import CycleData
from ...web import query_params
from .. import insight
from . import payloads
from .errors import register_error_handlers

bp = Blueprint("api", __name__, url_prefix="/api/v1")
register_error_handlers(bp)

OPENAPI_DOCUMENT = Path(__file__).with_name("openapi.json")


@bp.route("/openapi.json")
@public
def openapi():
    # Read per request (it is small) so the served description is always the file's.
    return Response(OPENAPI_DOCUMENT.read_bytes(), mimetype="application/json")


@bp.route("/cycles")
@api_reader
def cycles(partnerships: list[Partnership]):
    found = [
        cycle
        for partnership in partnerships
        for cycle in dashboard.visible_cycles(db.session, partnership)
    ]
    return jsonify(cycles=[payloads.cycle_summary(cycle) for cycle in found])


@bp.route("/cycles/<int:cycle_id>/scores")
@api_reader
def scores(partnerships: list[Partnership], cycle_id: int):
    cycle = _cycle_or_404(partnerships, cycle_id)
    data = _cycle_data(cycle)
    agency_id = query_params.agency(request.args, {agency.id for agency in data.agencies})
    return jsonify(payloads.scores(data, dashboard.score_table(data), agency_id=agency_id))


@bp.route("/cycles/<int:cycle_id>/flags")
@api_reader
def flags(partnerships: list[Partnership], cycle_id: int):
    cycle = _cycle_or_404(partnerships, cycle_id)
    data = _cycle_data(cycle)
    chosen = query_params.flag_filter(
        request.args,
        agency_ids={agency.id for agency in data.agencies},
        standard_keys={standard.key for standard in data.standards},
    )
    found = [
        flag for flag in dashboard.cycle_flags(data, today=clock.today()) if chosen.keeps(flag)
    ]
    return jsonify(cycle=payloads.cycle_summary(cycle), flags=payloads.flags(data, found))


def _cycle_or_404(partnerships: list[Partnership], cycle_id: int) -> AuditCycle:
    """A cycle the caller may read. Another partnership's cycle is "not found", exactly
    like one that does not exist, so ids cannot be probed."""
    for partnership in partnerships:
        try:
            return dashboard.get_visible_cycle(db.session, partnership, cycle_id)
        except NotFound:
            continue
    abort(404, "There is no cycle with this id that you can read")


def _cycle_data(cycle: AuditCycle) -> CycleData:
    return dashboard.load_cycle_data(
        db.session,
        cycle,
        essential_weight=insight.essential_weight(),
    )
