"""What the library commands share: loading the built-ins, exporting a version to a file
written whole, and importing a file. Each library's `cli.py` names its commands and
gives their help."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from ..db import db
from ..models import Partnership
from ..services import DomainError, NotFound
from ..services.partnerships import get_partnership_by_slug
from .file_format import FormatError
from .library import VersionedLibrary


@dataclass(frozen=True)
class LibraryCommands:
    """Builds a library's load, export and import commands: the same options, messages
    and exit codes for every library, under the library's own names and help."""

    library: VersionedLibrary
    # As in "among the built-in templates" and "owns the template".
    short_noun: str

    @property
    def partnership_option(self) -> Callable:
        return click.option(
            "--partnership",
            "partnership_slug",
            help=f"Short name (slug) of the partnership that owns the {self.short_noun}. "
            f"Leave out for built-in {self.short_noun}s.",
        )

    def load_command(
        self,
        name: str,
        *,
        description: str,
        load_builtin: Callable[[Session], list],
        heading: str,
        width: int,
    ) -> click.Command:
        @click.command(name, help=description)
        @with_appcontext
        def load() -> None:
            with db.transaction() as session:
                loaded = [(self.library.item_of(v).key, v.label) for v in load_builtin(session)]
            click.echo(heading)
            for key, label in loaded:
                click.echo(f"  {key:<{width}} {label}")

        return load

    def export_command(
        self, name: str, *, description: str, key_option: str, key_help: str
    ) -> click.Command:
        @click.command(name, help=description)
        @with_appcontext
        @click.option(key_option, "key", required=True, help=key_help)
        @self.partnership_option
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
        def export(key: str, partnership_slug: str | None, number: int | None, out: Path):
            with db.transaction() as session:
                partnership = partnership_named(session, partnership_slug)
                item = self.find(session, partnership, key)
                if number is None:
                    version = self.library.latest_published(item)
                    if version is None:
                        raise click.ClickException(
                            f"{item.name} has no published version. Choose one with --version."
                        )
                else:
                    version = self.numbered(item, number)
                text = self.library.to_json(self.library.export_spec(version))
                label = version.label
            # Everything that can be refused has been by now: the file is written whole
            # or not at all.
            write_whole(out, text)
            click.echo(f"Exported {label} to {out}")

        return export

    def import_command(self, name: str, *, description: str, publish_help: str) -> click.Command:
        @click.command(name, help=description)
        @with_appcontext
        @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
        @self.partnership_option
        @click.option("--publish", is_flag=True, help=publish_help)
        def import_(file: Path, partnership_slug: str | None, publish: bool) -> None:
            try:
                spec = self.library.parse(file.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                raise click.ClickException(f"{file}: the file is not UTF-8 text") from None
            except FormatError as error:
                raise click.ClickException(f"{file}: {error.message}") from None
            with db.transaction() as session:
                partnership = partnership_named(session, partnership_slug)
                try:
                    version = self.library.import_version(
                        session,
                        spec=spec,
                        partnership=partnership,
                        by=None,
                        source=file.name,
                        publish=publish,
                    )
                except DomainError as error:
                    raise click.ClickException(error.message) from None
                label = version.label
            click.echo(f"Imported {label}, {'published' if publish else 'as a draft'}.")

        return import_

    def find(self, session: Session, partnership: Partnership | None, key: str) -> Any:
        item = self.library.find(session, partnership=partnership, key=key)
        if item is None:
            owner = (
                f"in {partnership.name}"
                if partnership
                else f"among the built-in {self.short_noun}s"
            )
            raise click.ClickException(f"No {self.library.noun} with the key {key!r} {owner}")
        return item

    def numbered(self, item: Any, number: int) -> Any:
        version = self.library.numbered(item, number)
        if version is None:
            known = ", ".join(str(v.number) for v in item.versions)
            raise click.ClickException(
                f"{item.name} has no version {number}. Its versions are: {known}"
            )
        return version


def partnership_named(session: Session, slug: str | None) -> Partnership | None:
    if slug is None:
        return None
    try:
        return get_partnership_by_slug(session, slug)
    except NotFound:
        raise click.ClickException(f"No partnership with the short name {slug!r}") from None


def write_whole(path: Path, text: str) -> None:
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
