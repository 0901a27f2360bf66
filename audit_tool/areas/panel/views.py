"""The challenge panel's area: the partnership's cycles, where to press, and the returns.

Until panels are scheduled (a later part of the service), a panel member sees every
agency's return in the partnership's open and closed cycles, read-only.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template

from ...access import partnership_role
from ...db import commits, db
from ...models import Role
from ...services import NotFound, evidence_items
from ...services import assessments as returns_service
from ...services import dashboard as dashboard_service
from ...services import panels as panel_service
from ...web.evidence import send_evidence_file
from .. import case_meeting, case_reports, insight

bp = Blueprint("panel", __name__, url_prefix="/p/<partnership_slug>/panel")

panel_only = partnership_role(Role.PANEL_MEMBER)


@bp.route("/")
@panel_only
def home(partnership):
    return render_template(
        "panel/home.html",
        partnership=partnership,
        cycles=dashboard_service.visible_cycles(db.session, partnership),
        panels=panel_service.panels_for_member(db.session, partnership, g.user),
    )


insight.add_cycle_views(bp, panel_only, area="panel")
case_meeting.add_case_meeting_views(bp, panel_only, area="panel")
case_reports.add_case_report_views(bp, panel_only, area="panel")


def _return_or_404(partnership, cycle, assessment_id):
    try:
        assessment = returns_service.get_assessment(db.session, partnership, assessment_id)
    except NotFound:
        abort(404)
    if assessment.cycle_id != cycle.id:
        abort(404)
    return assessment


@bp.route("/cycles/<int:cycle_id>/returns/<int:assessment_id>")
@panel_only
def view_return(partnership, cycle_id, assessment_id):
    cycle = insight.cycle_or_404(partnership, cycle_id)
    assessment = _return_or_404(partnership, cycle, assessment_id)
    return render_template(
        "insight/return.html",
        area="panel",
        partnership=partnership,
        cycle=cycle,
        assessment=assessment,
        contents=returns_service.load_return(db.session, assessment),
    )


@bp.route("/cycles/<int:cycle_id>/returns/<int:assessment_id>/evidence/<int:item_id>")
@panel_only
@commits
def download_evidence(partnership, cycle_id, assessment_id, item_id):
    cycle = insight.cycle_or_404(partnership, cycle_id)
    assessment = _return_or_404(partnership, cycle, assessment_id)
    try:
        item = evidence_items.get_evidence_item(db.session, assessment, item_id)
    except NotFound:
        abort(404)
    return send_evidence_file(assessment, item)


from . import exports as _exports  # noqa: E402,F401  (registers the downloads)
from . import meeting as _meeting  # noqa: E402,F401  (registers the meeting pages)
