"""`export-partnership` and `import-partnership`: a partnership leaves with all its history,
and arrives in another instance with it."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import db
from ..services import NotFound
from ..services.partnerships import get_partnership_by_slug
from .archive_format import ArchiveError
from .container import OpenArchive
from .export import atomic_output, export_partnership
from .import_ import files_removed_on_error, import_partnership, plan_import
from .schema import FORMAT_ID


@click.command("export-partnership")
@with_appcontext
@click.option("--partnership", "slug", required=True, help="Short name (slug) of the partnership.")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to write (a zip file; replaced if it exists).",
)
def export_partnership_command(slug: str, out: Path) -> None:
    """Write everything a partnership holds to a portable archive."""
    upload_folder = current_app.config["UPLOAD_FOLDER"]
    try:
        with atomic_output(out) as handle, db.transaction() as session:
            partnership = get_partnership_by_slug(session, slug)
            summary = export_partnership(
                session,
                partnership=partnership,
                handle=handle,
                upload_folder=upload_folder,
                by=None,
            )
    except NotFound as error:
        raise click.ClickException(f"No partnership has the short name {slug!r}") from error
    except ArchiveError as error:
        raise click.ClickException(f"Nothing was exported. {error.message}") from error
    except OSError as error:
        raise click.ClickException(f"Could not write {out}: {error.strerror or error}") from error
    records = sum(summary.counts.values())
    click.echo(f"Exported {partnership.name} ({slug}) to {out} as {FORMAT_ID}:")
    click.echo(f"  {records} records and {summary.files} evidence files.")


@click.command("import-partnership")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--slug", help="Import under this short name instead of the archive's.")
def import_partnership_command(file: Path, slug: str | None) -> None:
    """Load a partnership archive into this instance as a new partnership."""
    upload_folder = current_app.config["UPLOAD_FOLDER"]
    try:
        with (
            OpenArchive(file) as archive,
            files_removed_on_error() as written,
            db.transaction() as session,
        ):
            plan = plan_import(session, archive.index, slug=slug)
            summary = import_partnership(
                session, archive=archive, plan=plan, upload_folder=upload_folder, written=written
            )
    except ArchiveError as error:
        raise click.ClickException(f"Nothing was imported. {error.message}") from error
    except OSError as error:
        raise click.ClickException(
            f"Nothing was imported: could not write an evidence file ({error})"
        ) from error
    click.echo(f"Imported {summary.name} as {summary.slug}:")
    click.echo(f"  {sum(summary.counts.values())} records and {summary.files} evidence files.")
    for key in summary.matched_versions:
        click.echo(f"  Used the built-in {key} already in this instance.")
    for email, roles in sorted(summary.existing_accounts.items()):
        gained = ", ".join(roles) if roles else "no roles (named in the partnership's records)"
        click.echo(f"  Existing account {email} kept its password and gains: {gained}.")
    if summary.new_accounts:
        click.echo(
            f"  {len(summary.new_accounts)} new accounts have no password yet. A PQA "
            "administrator can issue each a temporary one with 'Reset password'; see "
            "docs/portability.md."
        )


PORTABILITY_COMMANDS = (export_partnership_command, import_partnership_command)
