"""Framework commands: load-frameworks, export-framework, import-framework."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from ..db import db
from ..models import Partnership
from ..services import DomainError, NotFound
from ..services.partnerships import get_partnership_by_slug
from . import library
from .format import FrameworkFormatError, parse_framework, spec_to_json

_PARTNERSHIP_HELP = (
    "Short name (slug) of the partnership that owns the framework. Leave out for built-in "
    "frameworks."
)


@click.command("load-frameworks")
@with_appcontext
def load_frameworks() -> None:
    """Add the built-in frameworks where they are missing. Safe to run again."""
    with db.transaction() as session:
        loaded = [(v.framework.key, v.label) for v in library.load_builtin(session)]
    click.echo("Built-in frameworks:")
    for key, label in loaded:
        click.echo(f"  {key:<22} {label}")


@click.command("export-framework")
@with_appcontext
@click.option("--framework", "key", required=True, help="The framework's key.")
@click.option("--partnership", "partnership_slug", help=_PARTNERSHIP_HELP)
@click.option(
    "--version",
    "number",
    type=click.IntRange(min=1),
    help="Version number. Default: the latest published version.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write. An existing file is replaced.",
)
def export_framework(key: str, partnership_slug: str | None, number: int | None, out: Path):
    """Write one version of a framework to a file (format audit-tool-framework/1)."""
    with db.transaction() as session:
        partnership = _partnership(session, partnership_slug)
        framework = library.find_framework(session, partnership=partnership, key=key)
        if framework is None:
            owner = f"in {partnership.name}" if partnership else "among the built-in frameworks"
            raise click.ClickException(f"No framework with the key {key!r} {owner}")
        if number is None:
            version = library.latest_published(framework)
            if version is None:
                raise click.ClickException(
                    f"{framework.name} has no published version. Choose one with --version."
                )
        else:
            version = library.numbered(framework, number)
            if version is None:
                known = ", ".join(str(v.number) for v in framework.versions)
                raise click.ClickException(
                    f"{framework.name} has no version {number}. Its versions are: {known}"
                )
        text = spec_to_json(library.export_spec(version))
        label = version.label
    _write_whole(out, text)
    click.echo(f"Exported {label} to {out}")


@click.command("import-framework")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partnership", "partnership_slug", help=_PARTNERSHIP_HELP)
@click.option(
    "--publish",
    is_flag=True,
    help="Publish the imported version at once. Built-in frameworks need this: "
    "no partnership can publish them.",
)
def import_framework(file: Path, partnership_slug: str | None, publish: bool) -> None:
    """Add a framework from a file: a new framework, or a new draft version of the
    framework with the same key."""
    try:
        spec = parse_framework(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: the file is not UTF-8 text") from None
    except FrameworkFormatError as error:
        raise click.ClickException(f"{file}: {error.message}") from None
    with db.transaction() as session:
        partnership = _partnership(session, partnership_slug)
        try:
            version = library.import_framework(
                session, spec=spec, partnership=partnership, by=None, source=file.name
            )
            if publish:
                library.publish(session, version=version, partnership=partnership, by=None)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        label = version.label
    click.echo(f"Imported {label}, {'published' if publish else 'as a draft'}.")


def _partnership(session: Session, slug: str | None) -> Partnership | None:
    if slug is None:
        return None
    try:
        return get_partnership_by_slug(session, slug)
    except NotFound:
        raise click.ClickException(f"No partnership with the short name {slug!r}") from None


def _write_whole(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename it into place: a reader
    (or a crash) never meets a half-written file, and a failed write leaves any
    earlier file as it was."""
    try:
        descriptor, temp_name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise click.ClickException(f"Cannot write {path}: {error.strerror}") from None
    temp = Path(temp_name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # Temporary files are private (0600); give the export the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        temp.chmod(0o666 & ~umask)
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise click.ClickException(f"Cannot write {path}: {error.strerror}") from None


FRAMEWORK_COMMANDS = (load_frameworks, export_framework, import_framework)
