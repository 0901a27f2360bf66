"""Workbooks from the command line, for scheduled reports and for partnerships without a
browser to hand:

    flask --app wsgi export-workbook --cycle ID --out FILE     a Section 11 cycle
    flask --app wsgi export-case-round --round ID --out FILE   a case-file audit round
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from xlsxwriter.exceptions import FileCreateError

from .. import clock
from ..db import db
from ..models import AuditCycle, CaseAuditRound, utcnow
from ..services.exports import record_export
from . import case_workbook, s11_workbook
from .files import atomic_output

out_option = click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Where to write the .xlsx file (replaced if it exists).",
)


@click.command("export-workbook")
@click.option("--cycle", "cycle_id", type=int, required=True, help="The cycle's id.")
@out_option
@with_appcontext
def export_workbook(cycle_id: int, out: Path) -> None:
    """Write a Section 11 cycle's workbook (every sheet, every agency)."""
    _export(
        out,
        model=AuditCycle,
        subject_id=cycle_id,
        missing=f"There is no Section 11 cycle with id {cycle_id}.",
        kind=s11_workbook.KIND,
        build=lambda session, cycle, stream: s11_workbook.build_cycle_workbook(
            session,
            cycle=cycle,
            by=None,
            target=stream,
            essential_weight=float(current_app.config["ESSENTIAL_CRITERION_WEIGHT"]),
            today=clock.today(),
            now=utcnow(),
        ),
        details=lambda cycle: {"cycle": cycle.name},
    )


@click.command("export-case-round")
@click.option("--round", "round_id", type=int, required=True, help="The round's id.")
@out_option
@with_appcontext
def export_case_round(round_id: int, out: Path) -> None:
    """Write a case-file audit round's workbook (every case, every agency)."""
    _export(
        out,
        model=CaseAuditRound,
        subject_id=round_id,
        missing=f"There is no case-file audit round with id {round_id}.",
        kind=case_workbook.KIND,
        build=lambda session, audit_round, stream: case_workbook.build_case_round_workbook(
            session,
            audit_round=audit_round,
            by=None,
            target=stream,
            today=clock.today(),
            now=utcnow(),
        ),
        details=lambda audit_round: {"round": audit_round.name},
    )


def _export(
    out: Path,
    *,
    model: type,
    subject_id: int,
    missing: str,
    kind: str,
    build: Callable[..., dict[str, int]],
    details: Callable[[Any], dict[str, str]],
) -> None:
    try:
        with db.transaction() as session:
            subject = session.get(model, subject_id)
            if subject is None:
                raise click.ClickException(f"{missing} Nothing was written.")
            with atomic_output(out) as stream:
                rows = build(session, subject, stream)
                # Recorded before the file takes its name, committed once it has: a
                # failure on the way leaves neither a file nor a record of one.
                record_export(
                    session,
                    kind=kind,
                    by=None,
                    partnership=subject.partnership,
                    subject=subject,
                    rows=rows,
                    filters={},
                    file=out.name,
                    **details(subject),
                )
    except (OSError, FileCreateError) as error:
        raise _not_written(out, error) from error
    _report(out, rows)


def _not_written(out: Path, error: Exception) -> click.ClickException:
    reason = getattr(error, "strerror", None) or error
    return click.ClickException(f"Could not write {out}: {reason}. Nothing was written.")


def _report(out: Path, rows: dict[str, int]) -> None:
    click.echo(f"Wrote {out}")
    for sheet, count in rows.items():
        click.echo(f"  {sheet}: {count} rows")


EXPORT_COMMANDS = (export_workbook, export_case_round)
