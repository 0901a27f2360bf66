"""`flask --app wsgi export-workbook --cycle ID --out FILE`: a cycle's workbook from the
command line, for scheduled reports and for partnerships without a browser to hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from xlsxwriter.exceptions import FileCreateError

from ..db import db
from ..models import AuditCycle, utcnow
from ..services.exports import record_export
from .files import atomic_output
from .s11_workbook import KIND, build_cycle_workbook


@click.command("export-workbook")
@click.option("--cycle", "cycle_id", type=int, required=True, help="The cycle's id.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Where to write the .xlsx file (replaced if it exists).",
)
@with_appcontext
def export_workbook(cycle_id: int, out: Path) -> None:
    """Write a Section 11 cycle's workbook (every sheet, every agency)."""
    try:
        with db.transaction() as session:
            cycle = session.get(AuditCycle, cycle_id)
            if cycle is None:
                raise click.ClickException(
                    f"There is no Section 11 cycle with id {cycle_id}. Nothing was written."
                )
            with atomic_output(out) as stream:
                rows = build_cycle_workbook(
                    session,
                    cycle=cycle,
                    by=None,
                    target=stream,
                    essential_weight=float(current_app.config["ESSENTIAL_CRITERION_WEIGHT"]),
                    today=date.today(),
                    now=utcnow(),
                )
                # Recorded before the file takes its name, committed once it has: a
                # failure on the way leaves neither a file nor a record of one.
                record_export(
                    session,
                    kind=KIND,
                    by=None,
                    partnership=cycle.partnership,
                    subject=cycle,
                    rows=rows,
                    filters={},
                    cycle=cycle.name,
                    file=out.name,
                )
    except (OSError, FileCreateError) as error:
        reason = getattr(error, "strerror", None) or error
        raise click.ClickException(
            f"Could not write {out}: {reason}. Nothing was written."
        ) from error
    click.echo(f"Wrote {out}")
    for sheet, count in rows.items():
        click.echo(f"  {sheet}: {count} rows")


EXPORT_COMMANDS = (export_workbook,)
