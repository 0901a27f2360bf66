"""PQA: the Section 11 cycle workbook, downloaded from the cycle page."""

from __future__ import annotations

from datetime import date

from flask import g

from ...db import commits, db
from ...exports.download import download_name, send_workbook
from ...exports.s11_workbook import KIND, build_cycle_workbook
from ...models import utcnow
from ...services.exports import record_export
from .. import insight
from .views import bp, pqa_only


@bp.route("/cycles/<int:cycle_id>/workbook.xlsx")
@pqa_only
@commits
def cycle_workbook(partnership, cycle_id):
    """Every agency's return in the cycle as one workbook. The download is recorded in
    the audit trail: the one write this GET makes (hence `commits`)."""
    cycle = insight.cycle_or_404(partnership, cycle_id)
    rows: dict[str, int] = {}

    def write(stream):
        rows.update(
            build_cycle_workbook(
                db.session,
                cycle=cycle,
                by=g.user,
                target=stream,
                essential_weight=insight.essential_weight(),
                today=date.today(),
                now=utcnow(),
            )
        )

    response = send_workbook(write, filename=download_name(partnership.slug, cycle.name))
    record_export(
        db.session,
        kind=KIND,
        by=g.user,
        partnership=partnership,
        subject=cycle,
        rows=rows,
        filters={},
        cycle=cycle.name,
    )
    return response
