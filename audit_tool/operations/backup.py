"""Backing up and restoring the whole database, consistently, while the app runs.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database in one
step inside a read transaction, so the copy is one consistent moment even while other
processes write (in WAL mode writers do not wait for it). Copying the file with `cp`
is not safe: a live WAL database is spread over three files. The copy is written to a
temporary file beside the target, checked with `PRAGMA integrity_check`, then renamed
into place, so a half-written backup never has the name of a good one.

PostgreSQL: `pg_dump -Fc` (consistent by design) and `pg_restore --clean --if-exists`
in one transaction. The row counts printed for a PostgreSQL backup are taken in the
very snapshot the dump uses (`pg_export_snapshot` + `pg_dump --snapshot`), so they
describe the file exactly.

A restore replaces everything, so it first checks that the file is a backup of this
service (it has Alembic's version table) from this version or an older one (a schema
this code has never seen could not be migrated or run).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from glob import glob
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import URL

from .. import migrate


class OperationError(RuntimeError):
    """A backup or restore that could not be done; the message says why."""


@dataclass(frozen=True)
class Outcome:
    path: Path
    revision: str  # the Alembic revision of the schema in the backup
    row_counts: dict[str, int]


@dataclass(frozen=True)
class SchemaVersions:
    """The Alembic revisions this code knows, and the newest."""

    known: frozenset[str]
    head: str

    @classmethod
    def of(cls, engine: Engine) -> SchemaVersions:
        script = ScriptDirectory.from_config(migrate.alembic_config(engine))
        return cls(
            known=frozenset(r.revision for r in script.walk_revisions()),
            head=script.get_current_head(),
        )

    def check_restorable(self, revision: str | None, backup: Path) -> str:
        if revision is None:
            raise OperationError(f"{backup} is not a backup of this service's database")
        if revision not in self.known:
            raise OperationError(
                f"{backup} was made by a newer version of this service (schema revision "
                f"{revision}, which this version does not know). Restore it with that version."
            )
        return revision


# SQLite ---------------------------------------------------------------------------------


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise OperationError("An in-memory SQLite database cannot be backed up or restored")
    return Path(url.database).resolve()


def sqlite_row_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    counts = {}
    for name in names:
        # The names come from sqlite_master, not from anyone's input. (A plain nosec:
        # bandit warns of "B608" named here as a test that did not fail, yet fails it.)
        query = f'SELECT count(*) FROM "{name}"'  # noqa: S608  # nosec
        counts[name] = connection.execute(query).fetchone()[0]
    return counts


def check_sqlite_integrity(connection: sqlite3.Connection, what: str) -> None:
    try:
        result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        raise OperationError(f"{what} is not a readable SQLite database: {error}") from error
    if result != ["ok"]:
        raise OperationError(f"{what} failed its integrity check: {'; '.join(result[:5])}")


def sqlite_revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:  # no such table: not this service's database
        return None
    return row[0] if row else None


def _open_read_only(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise OperationError(f"{path} does not exist")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _refuse_live_files(database: Path, out: Path) -> None:
    # Replacing the live database (or its WAL or shared-memory file) with a copy of
    # itself would throw away every write made since, and corrupt it if the service runs.
    live = {database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))}
    if out in live:
        raise OperationError(f"{out} is the live database: choose another file for the backup")


def backup_sqlite(database: Path, out: Path) -> Outcome:
    out = out.resolve()
    _refuse_live_files(database, out)
    with _temporary_beside(out) as temporary:
        try:
            with closing(_open_read_only(database)) as source:
                source.execute("PRAGMA busy_timeout = 30000")
                with closing(sqlite3.connect(temporary)) as copy:
                    # pages=-1 (the default): the whole database in one step, inside one
                    # read transaction, so the copy is a single consistent moment.
                    source.backup(copy)
                    # One self-contained file: no -wal beside it when it is moved or copied.
                    copy.execute("PRAGMA journal_mode = DELETE")
                    check_sqlite_integrity(copy, "The new backup")
                    counts = sqlite_row_counts(copy)
                    revision = sqlite_revision(copy)
        except sqlite3.Error as error:
            # A full disk surfaces here as "database or disk is full" or an I/O error.
            raise OperationError(f"The backup could not be written: {error}") from error
        finally:
            # A write that failed part way leaves the copy's rollback journal beside it.
            for suffix in ("-journal", "-wal", "-shm"):
                Path(temporary + suffix).unlink(missing_ok=True)
        if revision is None:
            raise OperationError(f"{database} is not this service's database (no schema version)")
    return Outcome(path=out, revision=revision, row_counts=counts)


def restore_sqlite(backup: Path, database: Path, versions: SchemaVersions) -> Outcome:
    try:
        with closing(_open_read_only(backup)) as source:
            check_sqlite_integrity(source, str(backup))
            revision = versions.check_restorable(sqlite_revision(source), backup)
            database.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(database, timeout=30)) as live:
                # The backup API replaces every page of the live database in one write
                # transaction: if it fails part way, the database is as it was.
                source.backup(live)
                check_sqlite_integrity(live, "The restored database")
                counts = sqlite_row_counts(live)
    except sqlite3.Error as error:
        raise OperationError(f"The restore failed and changed nothing: {error}") from error
    return Outcome(path=database, revision=revision, row_counts=counts)


# PostgreSQL ----------------------------------------------------------------------------


def find_postgres_tool(name: str) -> str:
    """`pg_dump` or `pg_restore`: on PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: [int(part) for part in Path(p).parts[-3].split(".") if part.isdigit()],
    )
    if not candidates:
        raise OperationError(
            f"{name} was not found on PATH or under /usr/lib/postgresql/*/bin. "
            "Install the PostgreSQL client tools (Debian: apt-get install postgresql-client)."
        )
    return candidates[-1]


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """The database as a libpq connection URI for --dbname, and the environment to run
    the tool in. The password goes in PGPASSWORD, never on the command line, where
    other users of the machine could read it in the process list."""
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def pg_dump_command(tool: str, dbname: str, out: str, snapshot: str | None) -> list[str]:
    command = [tool, "--format=custom", "--no-password", f"--file={out}", f"--dbname={dbname}"]
    if snapshot:
        command.append(f"--snapshot={snapshot}")
    return command


def pg_restore_command(tool: str, dbname: str, backup: str) -> list[str]:
    # Owners and grants are left out: the database may be restored under another role
    # (a new server, a drill database), and the service's role then owns everything.
    return [
        tool,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        f"--dbname={dbname}",
        backup,
    ]


def postgres_row_counts(connection: Connection) -> dict[str, int]:
    names = sorted(inspect(connection).get_table_names())
    preparer = connection.dialect.identifier_preparer
    return {
        name: connection.execute(text(f"SELECT count(*) FROM {preparer.quote(name)}")).scalar_one()  # noqa: S608 (quoted table names)  # nosec B608
        for name in names
    }


def _run(command: list[str], environment: dict[str, str], what: str) -> str:
    # The tool is pg_dump or pg_restore and every argument is built here; no shell.
    result = subprocess.run(command, env=environment, capture_output=True, text=True)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        raise OperationError(f"{what} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


# "215; 1259 16390 TABLE public action audit": one line of `pg_restore --list`.
_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?P<schema>\S+) (?P<name>\S+) ", re.MULTILINE)


@dataclass(frozen=True)
class PostgresArchive:
    """What `pg_restore` can read of a custom-format dump without restoring it."""

    tables: frozenset[tuple[str, str]]  # (schema, table)
    revision: str | None

    @classmethod
    def read(cls, backup: Path, environment: dict[str, str]) -> PostgresArchive:
        tool = find_postgres_tool("pg_restore")
        listing = _run([tool, "--list", str(backup)], environment, f"Reading {backup}")
        tables = frozenset((m["schema"], m["name"]) for m in _TOC_TABLE.finditer(listing))
        if not any(name == "alembic_version" for _schema, name in tables):
            return cls(tables=tables, revision=None)
        script = _run(
            [tool, "--data-only", "--table=alembic_version", "--file=-", str(backup)],
            environment,
            f"Reading {backup}",
        )
        return cls(tables=tables, revision=_first_copied_row(script))


def _first_copied_row(script: str) -> str | None:
    """The first row of the one table in a data-only SQL script from pg_restore: the
    line after its `COPY ... FROM stdin;`, unless that is the `\\.` that ends the data."""
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY "):
            row = next(lines, "\\.")
            return None if row == "\\." else row
    return None


def backup_postgres(engine: Engine, out: Path) -> Outcome:
    tool = find_postgres_tool("pg_dump")
    dbname, environment = libpq_target(engine.url)
    out = out.resolve()
    with _temporary_beside(out) as temporary:
        with _exported_snapshot(engine) as (connection, snapshot):
            counts = postgres_row_counts(connection)
            if "alembic_version" not in counts:
                raise OperationError("The database has no schema version: run init-db first")
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            _run(pg_dump_command(tool, dbname, temporary, snapshot), environment, "pg_dump")
        # A dump pg_restore cannot list is not kept under the backup's name.
        PostgresArchive.read(Path(temporary), environment)
    return Outcome(path=out, revision=revision, row_counts=counts)


def restore_postgres(engine: Engine, backup: Path, versions: SchemaVersions) -> Outcome:
    if not backup.is_file():
        raise OperationError(f"{backup} does not exist")
    dbname, environment = libpq_target(engine.url)
    archive = PostgresArchive.read(backup, environment)
    revision = versions.check_restorable(archive.revision, backup)
    inspector = inspect(engine)
    schema = inspector.default_schema_name
    extra = sorted(set(inspector.get_table_names()) - {n for s, n in archive.tables if s == schema})
    if extra:
        # --clean drops only what the dump holds: these tables would survive the
        # restore beside it and break the next migration.
        raise OperationError(
            f"The database has tables the backup does not ({', '.join(extra)}), so it is "
            "newer than the backup. Restore into an empty database (createdb) and point "
            "DATABASE_URL at it."
        )
    engine.dispose()  # the pool's idle connections would hold locks the restore needs
    _run(
        pg_restore_command(find_postgres_tool("pg_restore"), dbname, str(backup)),
        environment,
        "pg_restore (nothing was changed)",
    )
    with engine.connect() as connection:
        counts = postgres_row_counts(connection)
    return Outcome(path=backup, revision=revision, row_counts=counts)


@contextmanager
def _exported_snapshot(engine: Engine) -> Iterator[tuple[Connection, str]]:
    """A REPEATABLE READ transaction whose snapshot pg_dump shares, held open until the
    dump has finished. Its first statement exports the snapshot, so everything it reads
    afterwards sees exactly what pg_dump sees."""
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            yield connection, snapshot


# Either engine -------------------------------------------------------------------------


@contextmanager
def _temporary_beside(out: Path) -> Iterator[str]:
    """A temporary file in `out`'s folder (created readable by its owner only: a backup
    holds personal data) that replaces `out` only if the block succeeds, after being
    flushed to disk; on any error it is deleted and `out` is left as it was."""
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(descriptor)
    try:
        yield temporary
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    # The rename itself made durable, so a crash now cannot bring back the old file.
    folder = os.open(out.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def backup(engine: Engine, out: Path) -> Outcome:
    backend = engine.url.get_backend_name()
    try:
        if backend == "sqlite":
            return backup_sqlite(sqlite_path(engine.url), out)
        if backend == "postgresql":
            return backup_postgres(engine, out)
    except OSError as error:
        raise OperationError(f"The backup could not be written: {error}") from error
    raise OperationError(f"Backups of {backend} databases are not supported")


def restore(engine: Engine, backup_file: Path) -> Outcome:
    backend = engine.url.get_backend_name()
    versions = SchemaVersions.of(engine)
    try:
        if backend == "sqlite":
            engine.dispose()  # drop pooled connections: they cached the old pages
            return restore_sqlite(backup_file, sqlite_path(engine.url), versions)
        if backend == "postgresql":
            return restore_postgres(engine, backup_file, versions)
    except OSError as error:
        raise OperationError(f"The restore could not be done: {error}") from error
    raise OperationError(f"Restoring {backend} databases is not supported")
