"""An agency lead's own return as a workbook."""

from __future__ import annotations

from flask import abort, g

from ... import clock
from ...db import commits, db
from ...exports.agency_workbook import KIND, build_agency_workbook
from ...exports.download import download_name, send_workbook
from ...models import utcnow
from ...services import NotFound
from ...services import assessments as returns_service
from ...services.exports import record_export
from ...services.users import led_agency_ids
from .. import insight
from .views import bp, lead_only


@bp.route("/returns/<int:assessment_id>/workbook.xlsx")
@lead_only
@commits
def return_workbook(partnership, assessment_id):
    """The lead's own agency's return, panel feedback and actions. Another agency's
    return is a 404, exactly like one that does not exist."""
    try:
        assessment = returns_service.get_agency_assessment(
            db.session, partnership, assessment_id, led_agency_ids(g.user, partnership)
        )
    except NotFound:
        abort(404)
    rows: dict[str, int] = {}

    def write(stream):
        rows.update(
            build_agency_workbook(
                db.session,
                assessment=assessment,
                by=g.user,
                target=stream,
                essential_weight=insight.essential_weight(),
                today=clock.today(),
                now=utcnow(),
            )
        )

    filename = download_name(assessment.agency.name, assessment.cycle.name)
    response = send_workbook(write, filename=filename)
    record_export(
        db.session,
        kind=KIND,
        by=g.user,
        partnership=partnership,
        subject=assessment,
        rows=rows,
        filters={"agency": assessment.agency.name},
        cycle=assessment.cycle.name,
        agency=assessment.agency.name,
    )
    return response
