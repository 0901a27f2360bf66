"""Operations commands: `backup --out FILE`, `restore FILE --yes` and `prune`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import db
from .backup import OperationError, Outcome, SchemaVersions
from .backup import backup as backup_database
from .backup import restore as restore_database
from .retention import RetentionPolicy, prune_expired


def _echo_counts(outcome: Outcome) -> None:
    width = max((len(name) for name in outcome.row_counts), default=0)
    for name, count in outcome.row_counts.items():
        click.echo(f"  {name:<{width}}  {count:>9,}")
    click.echo(f"  {'total':<{width}}  {sum(outcome.row_counts.values()):>9,}")


@click.command("backup")
@with_appcontext
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write the backup to (replaced only once the new backup is checked).",
)
def backup(out: Path) -> None:
    """Back up the whole database while the service runs, then print its row counts."""
    try:
        outcome = backup_database(db.engine, out)
    except OperationError as error:
        raise click.ClickException(f"No backup was written. {error}") from error
    click.echo(f"Backup written to {outcome.path} and checked (schema {outcome.revision}).")
    click.echo("Rows in it:")
    _echo_counts(outcome)


@click.command("restore")
@with_appcontext
@click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm: replace everything in the database.")
def restore(backup_file: Path, yes: bool) -> None:
    """Replace the whole database with a backup. Stop the service first."""
    if not yes:
        raise click.UsageError(
            "Restoring replaces everything in the database with the backup, including "
            "anything saved since it was made. Stop the service, then run again with --yes."
        )
    try:
        outcome = restore_database(db.engine, backup_file)
    except OperationError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Database restored from {backup_file} and checked. Rows now:")
    _echo_counts(outcome)
    head = SchemaVersions.of(db.engine).head
    if outcome.revision != head:
        click.echo(
            f"The backup's schema is revision {outcome.revision}; this version needs {head}. "
            "Run `flask --app wsgi init-db` before starting the service."
        )


@click.command("prune")
@with_appcontext
def prune() -> None:
    """Delete sign-in records past their retention time and old evidence files nothing
    names (never the audit trail)."""
    policy = RetentionPolicy.from_config(current_app.config)
    with db.transaction() as session:
        pruned = prune_expired(
            session, policy=policy, upload_folder=current_app.config["UPLOAD_FOLDER"]
        )
    click.echo(
        f"Deleted {pruned.login_sessions} ended sign-in sessions (kept for "
        f"{policy.login_sessions.days} days after they end), {pruned.login_throttles} "
        f"spent failed sign-in counters and {pruned.unused_files} evidence files that no "
        f"evidence item names (kept for {_days(policy.unused_files)})."
    )


def _days(length) -> str:
    days = length.days
    return "1 day" if days == 1 else f"{days} days"


OPERATIONS_COMMANDS = (backup, restore, prune)
