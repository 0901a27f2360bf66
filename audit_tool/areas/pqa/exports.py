"""PQA's downloads: the Section 11 cycle workbook, and CSV copies of the action tracker
and a cycle's returns tracker. The downloads PQA shares with the panel (heat map, flags,
case-audit rounds) are registered here from `downloads`."""

from __future__ import annotations

from flask import abort, g, request

from ... import clock
from ...db import commits, db
from ...exports.action_rows import action_tracker_table
from ...exports.download import download_name, send_workbook
from ...exports.s11_workbook import KIND, build_cycle_workbook
from ...exports.tracker_rows import returns_tracker_table
from ...models import ActionStatus, utcnow
from ...services import NotFound
from ...services import cycles as cycle_service
from ...services import exports as export_service
from ...services.actions import DueFilter
from ...services.agencies import list_partnership_agencies
from ...services.exports import record_export
from ...web import query_params
from ...web.query_params import BadParameter
from .. import downloads, insight
from .views import bp, pqa_only

ACTION_TRACKER_CSV = "action_tracker_csv"
RETURNS_TRACKER_CSV = "returns_tracker_csv"


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
                today=clock.today(),
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


@bp.route("/actions.csv")
@pqa_only
@commits
def actions_csv(partnership):
    """The action tracker, narrowed by the same filters as the page."""
    agencies = [link.agency for link in list_partnership_agencies(db.session, partnership)]
    args = query_params.without_blanks(request.args)
    try:
        agency_id = query_params.agency(args, {agency.id for agency in agencies})
        status = query_params.choice(args, "status", ActionStatus)
        due = query_params.choice(args, "due", DueFilter)
    except BadParameter as error:
        return insight.bad_parameter(error)
    actions = export_service.tracker_actions(
        db.session,
        partnership=partnership,
        agency_ids={agency_id} if agency_id is not None else None,
        status=status,
        due=due,
        today=clock.today(),
    )
    filters = {
        "agency": next((a.name for a in agencies if a.id == agency_id), None),
        "status": status.label if status else None,
        "due": due.label if due else None,
    }
    return downloads.send_table(
        action_tracker_table(actions),
        name=(partnership.slug, "actions"),
        kind=ACTION_TRACKER_CSV,
        partnership=partnership,
        subject=None,
        filters={name: value for name, value in filters.items() if value is not None},
    )


@bp.route("/cycles/<int:cycle_id>/returns.csv")
@pqa_only
@commits
def cycle_returns_csv(partnership, cycle_id):
    """The cycle page's returns tracker."""
    try:
        cycle = cycle_service.get_cycle(db.session, partnership, cycle_id)
    except NotFound:
        abort(404)
    rows = export_service.returns_tracker(db.session, cycle, today=clock.today())
    return downloads.send_table(
        returns_tracker_table(rows),
        name=(partnership.slug, cycle.name, "returns"),
        kind=RETURNS_TRACKER_CSV,
        partnership=partnership,
        subject=cycle,
        filters={},
        cycle=cycle.name,
    )


downloads.add_download_views(bp, pqa_only, area="pqa")
