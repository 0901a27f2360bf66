"""Downloads the PQA sub-group and the challenge panel share: a cycle's heat map and
flags as CSV, and a case-file audit round's workbook and analysis tables. Each area
registers them behind its own access guard, as `insight.add_cycle_views` and
`case_reports.add_case_report_views` register the pages they copy, and each loads its
object with that page's rule (so the panel never sees a draft round).

Every download is recorded in the audit trail, with its rows and filters: the one write
these GET requests make (hence `commits`).
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, request

from .. import clock
from ..case_analysis import CaseFlagKind, analyse
from ..db import commits, db
from ..exports import case_workbook, s11_workbook
from ..exports.case_analysis_rows import ANALYSIS_TABLES, analysis_table
from ..exports.csv_tables import table_csv
from ..exports.download import download_name, send_csv, send_workbook
from ..exports.rows import Table
from ..models import Partnership, utcnow
from ..services import case_analysis as case_analysis_service
from ..services import exports as export_service
from ..services import heat_map
from ..web import query_params
from ..web.query_params import BadParameter, FlagFilter
from . import case_reports, insight

HEAT_MAP_CSV = "heat_map_csv"
FLAGS_CSV = "flags_csv"
CASE_ANALYSIS_CSV = "case_round_analysis_csv"


def send_table(
    table: Table,
    *,
    name: tuple[str, ...],
    kind: str,
    partnership: Partnership,
    subject: Any,
    filters: dict[str, Any],
    **extra: Any,
) -> Response:
    """A table as a CSV download, recorded in the audit trail with its row count."""
    csv_file = table_csv(table)
    export_service.record_export(
        db.session,
        kind=kind,
        by=g.user,
        partnership=partnership,
        subject=subject,
        rows={table.sheet: csv_file.rows},
        filters=filters,
        **extra,
    )
    return send_csv(csv_file, filename=download_name(*name, extension="csv"))


def _cycle_export(cycle):
    return export_service.load_cycle_export(
        db.session,
        cycle=cycle,
        by=g.user,
        essential_weight=insight.essential_weight(),
        today=clock.today(),
        now=utcnow(),
    )


def describe_flag_filter(chosen: FlagFilter, export: export_service.CycleExport) -> dict:
    """The flags page's filters, in words, for the audit trail."""
    found: dict[str, str] = {}
    if chosen.agency is not None:
        found["agency"] = next(a.name for a in export.agencies if a.agency_id == chosen.agency)
    if chosen.standard is not None:
        standard = next(s for s in export.standards if s.key == chosen.standard)
        found["standard"] = f"{standard.code}. {standard.title}"
    if chosen.kind is not None:
        found["kind"] = chosen.kind.label
    if chosen.severity is not None:
        found["severity"] = chosen.severity.value.capitalize()
    return found


def add_download_views(bp, guard, *, area: str) -> None:
    """Register the shared downloads on an area's blueprint, behind its access guard."""

    def dashboard_csv(partnership, cycle_id):
        """The heat map: every agency's score on each standard, in the page's order."""
        cycle = insight.cycle_or_404(partnership, cycle_id)
        try:
            order = query_params.choice(
                query_params.without_blanks(request.args), "sort", heat_map.Order
            )
        except BadParameter as error:
            return insight.bad_parameter(error)
        export = _cycle_export(cycle)
        return send_table(
            s11_workbook.heat_map_table(export, order=order or heat_map.Order.AGENCY),
            name=(partnership.slug, cycle.name, "heat map"),
            kind=HEAT_MAP_CSV,
            partnership=partnership,
            subject=cycle,
            filters={"sort": order.value} if order else {},
            cycle=cycle.name,
        )

    def flags_csv(partnership, cycle_id):
        """The flags, narrowed by the same filters as the flags page."""
        cycle = insight.cycle_or_404(partnership, cycle_id)
        export = _cycle_export(cycle)
        try:
            chosen = query_params.flag_filter(
                query_params.without_blanks(request.args),
                agency_ids={a.agency_id for a in export.agencies},
                standard_keys={s.key for s in export.standards},
            )
        except BadParameter as error:
            return insight.bad_parameter(error)
        return send_table(
            s11_workbook.flag_table(export, [f for f in export.flags if chosen.keeps(f)]),
            name=(partnership.slug, cycle.name, "flags"),
            kind=FLAGS_CSV,
            partnership=partnership,
            subject=cycle,
            filters=describe_flag_filter(chosen, export),
            cycle=cycle.name,
        )

    def case_round_workbook(partnership, round_id):
        """Every case, every agency's return and the meeting's judgements, as one
        workbook."""
        audit_round = case_reports.round_or_404(partnership, round_id, area=area)
        rows: dict[str, int] = {}

        def write(stream):
            rows.update(
                case_workbook.build_case_round_workbook(
                    db.session,
                    audit_round=audit_round,
                    by=g.user,
                    target=stream,
                    today=clock.today(),
                    now=utcnow(),
                )
            )

        response = send_workbook(write, filename=download_name(partnership.slug, audit_round.name))
        export_service.record_export(
            db.session,
            kind=case_workbook.KIND,
            by=g.user,
            partnership=partnership,
            subject=audit_round,
            rows=rows,
            filters={},
            round=audit_round.name,
        )
        return response

    def case_round_analysis_csv(partnership, round_id):
        """One of the analysis page's tables, named by `table`; the flags narrowed by
        `kind` as on the page."""
        audit_round = case_reports.round_or_404(partnership, round_id, area=area)
        args = query_params.without_blanks(request.args)
        try:
            name = query_params.key(args, "table", ANALYSIS_TABLES)
            if name is None:
                raise BadParameter("table", f"table must be one of {', '.join(ANALYSIS_TABLES)}")
            kind = query_params.choice(args, "kind", CaseFlagKind)
            if kind is not None and name != "flags":
                raise BadParameter("kind", "kind narrows the flags table only")
        except BadParameter as error:
            return insight.bad_parameter(error)
        data = case_analysis_service.load_round(db.session, audit_round)
        labels = case_analysis_service.THEME_LABELS
        analysis = analyse(data.facts, today=clock.today(), theme_labels=labels)
        return send_table(
            analysis_table(name, data.facts, analysis, theme_labels=labels, flag_kind=kind),
            name=(partnership.slug, audit_round.name, name),
            kind=CASE_ANALYSIS_CSV,
            partnership=partnership,
            subject=audit_round,
            filters={"table": name, **({"kind": kind.label} if kind else {})},
            round=audit_round.name,
        )

    for rule, view in (
        ("/cycles/<int:cycle_id>/heat-map.csv", dashboard_csv),
        ("/cycles/<int:cycle_id>/flags.csv", flags_csv),
        ("/case-rounds/<int:round_id>/workbook.xlsx", case_round_workbook),
        ("/case-rounds/<int:round_id>/analysis.csv", case_round_analysis_csv),
    ):
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=guard(commits(view)))
