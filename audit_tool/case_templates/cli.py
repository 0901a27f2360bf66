"""Case-audit template commands: load-case-templates, export-case-template,
import-case-template and publish-case-template."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..db import db
from ..services import DomainError
from ..versioned_library.cli import LibraryCommands, partnership_named
from . import library

_COMMANDS = LibraryCommands(library.LIBRARY, short_noun="template")

load_case_templates = _COMMANDS.load_command(
    "load-case-templates",
    description="Add the built-in case-audit templates where they are missing. Safe to run again.",
    load_builtin=library.load_builtin,
    heading="Built-in case-audit templates:",
    width=24,
)

export_case_template = _COMMANDS.export_command(
    "export-case-template",
    description="Write one version of a case-audit template to a file (format "
    "audit-tool-case-template/1).",
    key_option="--key",
    key_help="The template's key.",
)

import_case_template = _COMMANDS.import_command(
    "import-case-template",
    description="Add a case-audit template from a file: a new template, or the next "
    "version of the template with the same key.",
    publish_help="Publish the imported version at once. Built-in templates need this (or "
    "publish-case-template): no partnership can publish them.",
)


@click.command("publish-case-template")
@with_appcontext
@click.option("--key", required=True, help="The template's key.")
@_COMMANDS.partnership_option
@click.option(
    "--version", "number", required=True, type=click.IntRange(min=1), help="Version number."
)
def publish_case_template(key: str, partnership_slug: str | None, number: int) -> None:
    """Publish a draft version of a case-audit template. Published versions cannot be
    changed."""
    with db.transaction() as session:
        partnership = partnership_named(session, partnership_slug)
        version = _COMMANDS.numbered(_COMMANDS.find(session, partnership, key), number)
        try:
            library.publish_version(session, version=version, partnership=partnership, by=None)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        label = version.label
    click.echo(f"Published {label}.")


CASE_TEMPLATE_COMMANDS = (
    load_case_templates,
    export_case_template,
    import_case_template,
    publish_case_template,
)
