"""Case-audit template commands: load-case-templates, export-case-template,
import-case-template and publish-case-template."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from ..db import db
from ..frameworks.cli import _partnership, _write_whole
from ..models import CaseTemplate, CaseTemplateVersion, Partnership
from ..services import DomainError
from . import library
from .format import CaseTemplateFormatError, data_to_json, parse_template

_PARTNERSHIP_HELP = (
    "Short name (slug) of the partnership that owns the template. Leave out for built-in templates."
)


@click.command("load-case-templates")
@with_appcontext
def load_case_templates() -> None:
    """Add the built-in case-audit templates where they are missing. Safe to run again."""
    with db.transaction() as session:
        loaded = [(v.template.key, v.label) for v in library.load_builtin(session)]
    click.echo("Built-in case-audit templates:")
    for key, label in loaded:
        click.echo(f"  {key:<24} {label}")


@click.command("export-case-template")
@with_appcontext
@click.option("--key", required=True, help="The template's key.")
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
def export_case_template(key: str, partnership_slug: str | None, number: int | None, out: Path):
    """Write one version of a case-audit template to a file (format
    audit-tool-case-template/1)."""
    with db.transaction() as session:
        partnership = _partnership(session, partnership_slug)
        template = _template(session, partnership, key)
        if number is None:
            version = library.latest_published(template)
            if version is None:
                raise click.ClickException(
                    f"{template.name} has no published version. Choose one with --version."
                )
        else:
            version = _numbered(template, number)
        text = data_to_json(library.export_template(version))
        label = version.label
    # Everything that can be refused has been by now: the file is written whole or not
    # at all.
    _write_whole(out, text)
    click.echo(f"Exported {label} to {out}")


@click.command("import-case-template")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partnership", "partnership_slug", help=_PARTNERSHIP_HELP)
@click.option(
    "--publish",
    is_flag=True,
    help="Publish the imported version at once. Built-in templates need this (or "
    "publish-case-template): no partnership can publish them.",
)
def import_case_template(file: Path, partnership_slug: str | None, publish: bool) -> None:
    """Add a case-audit template from a file: a new template, or the next version of the
    template with the same key."""
    try:
        spec = parse_template(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: the file is not UTF-8 text") from None
    except CaseTemplateFormatError as error:
        raise click.ClickException(f"{file}: {error.message}") from None
    with db.transaction() as session:
        partnership = _partnership(session, partnership_slug)
        try:
            version = library.import_template(
                session,
                spec,
                partnership=partnership,
                publish=publish,
                by=None,
                source=file.name,
            )
        except DomainError as error:
            raise click.ClickException(error.message) from None
        label = version.label
    click.echo(f"Imported {label}, {'published' if publish else 'as a draft'}.")


@click.command("publish-case-template")
@with_appcontext
@click.option("--key", required=True, help="The template's key.")
@click.option("--partnership", "partnership_slug", help=_PARTNERSHIP_HELP)
@click.option(
    "--version", "number", required=True, type=click.IntRange(min=1), help="Version number."
)
def publish_case_template(key: str, partnership_slug: str | None, number: int) -> None:
    """Publish a draft version of a case-audit template. Published versions cannot be
    changed."""
    with db.transaction() as session:
        partnership = _partnership(session, partnership_slug)
        version = _numbered(_template(session, partnership, key), number)
        try:
            library.publish_version(session, version=version, partnership=partnership, by=None)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        label = version.label
    click.echo(f"Published {label}.")


def _template(session: Session, partnership: Partnership | None, key: str) -> CaseTemplate:
    template = library.find_template(session, partnership=partnership, key=key)
    if template is None:
        owner = f"in {partnership.name}" if partnership else "among the built-in templates"
        raise click.ClickException(f"No case-audit template with the key {key!r} {owner}")
    return template


def _numbered(template: CaseTemplate, number: int) -> CaseTemplateVersion:
    version = library.numbered(template, number)
    if version is None:
        known = ", ".join(str(v.number) for v in template.versions)
        raise click.ClickException(
            f"{template.name} has no version {number}. Its versions are: {known}"
        )
    return version


CASE_TEMPLATE_COMMANDS = (
    load_case_templates,
    export_case_template,
    import_case_template,
    publish_case_template,
)
