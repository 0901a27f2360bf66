"""Panel reports: the pack on each agency, the feedback and letter the agency sees after
sign-off, and the PQA sub-group's moderation analytics. The panel and PQA areas' views
decide access and call these; these build and render the pages."""

from __future__ import annotations

from flask import abort, render_template

from .. import clock
from ..db import db
from ..models import AuditCycle, PanelAgency, Partnership
from ..services import NotFound, dashboard, panel_reports
from .insight import essential_weight


def render_pack(partnership: Partnership, attendance: PanelAgency, *, area: str):
    """`area` is the calling blueprint ("panel" or "pqa"), for links back into it."""
    context = panel_reports.pack_context(
        db.session, attendance=attendance, today=clock.today(), essential_weight=essential_weight()
    )
    return render_template(
        "panel_reports/pack.html",
        partnership=partnership,
        area=area,
        level_for=lambda score: dashboard.nearest_level(score, context["levels"]),
        **context,
    )


def _feedback_or_404(attendance: PanelAgency) -> dict:
    # The caller checks sign-off too; this second check means a route that forgets
    # still cannot show the agency an unfinished panel's view.
    try:
        return panel_reports.feedback_context(db.session, attendance=attendance)
    except NotFound:
        abort(404)


def render_feedback(partnership: Partnership, attendance: PanelAgency):
    return render_template(
        "panel_reports/feedback.html",
        partnership=partnership,
        feedback_attendance_id=attendance.id,
        **_feedback_or_404(attendance),
    )


def render_feedback_letter(partnership: Partnership, attendance: PanelAgency):
    return render_template(
        "panel_reports/letter.html", partnership=partnership, **_feedback_or_404(attendance)
    )


def render_moderation(partnership: Partnership, cycle: AuditCycle):
    rows = panel_reports.moderation_gaps(db.session, cycle=cycle)
    return render_template(
        "panel_reports/moderation.html",
        partnership=partnership,
        cycle=cycle,
        agencies=panel_reports.gaps_by_agency(rows),
        standards=panel_reports.gaps_by_standard(rows),
    )
