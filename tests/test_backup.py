"""`flask --app wsgi backup` and `restore`, run as an operator runs them.

The backup is taken while another process keeps signing people in (each sign-in writes
a session row and its audit event in one transaction), so a backup that was not one
consistent moment shows up as counts that disagree. Files are checked with the
database's own tools (sqlite3, pg_restore), not with the code under test.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, func, inspect, make_url, select, table, text
from sqlalchemy.orm import Session, sessionmaker

from audit_tool import PROJECT_ROOT, migrate
from audit_tool.config import normalise_database_url
from audit_tool.db import build_engine
from audit_tool.demo import load_demo
from audit_tool.models import User
from audit_tool.operations.backup import find_postgres_tool
from audit_tool.services.authentication import start_login_session

from .databases import engine_name, fresh_database_url

pytestmark = pytest.mark.slow

SIGN_INS_BEFORE_BACKUP = 150
SIGN_INS_AT_LEAST = 300
SQLITE_ONLY = pytest.mark.skipif(
    engine_name() != "sqlite", reason="SQLite only: checks the backup file itself"
)
POSTGRES_ONLY = pytest.mark.skipif(
    engine_name() != "postgresql",
    reason="PostgreSQL only: a SQLite restore replaces the whole file, so no table outlives it",
)


# Helpers ---------------------------------------------------------------------------------


def run_flask(url: str, *args: str, limit_file_bytes: int | None = None):
    """Run `flask --app wsgi ARGS` against `url` in a process of its own."""

    def limit_file_size():
        # Writes past this size fail (EFBIG) as on a full disk; the signal that would
        # otherwise kill the process is ignored, as it is inherited by pg_dump.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_bytes, limit_file_bytes))

    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "AUDIT_TOOL_ENV": "testing",
        "SECRET_KEY": "test-secret-key",
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit_file_size if limit_file_bytes else None,
    )


def printed_counts(output: str) -> dict[str, int]:
    """The table counts `backup` and `restore` print, one "  name  1,234" line each."""
    counts = {}
    for line in output.splitlines():
        name, _, count = line.strip().rpartition(" ")
        if line.startswith("  ") and count.replace(",", "").isdigit() and name:
            counts[name.strip()] = int(count.replace(",", ""))
    counts.pop("total", None)
    return counts


def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(normalise_database_url(url))
    with engine.connect() as connection:
        counts = {
            name: connection.scalar(select(func.count()).select_from(table(name)))
            for name in inspect(connection).get_table_names()
        }
    engine.dispose()
    return counts


def backup_file_counts(path: Path) -> dict[str, int]:
    """Row counts in a backup file, read by the database's own tools: SQLite opens the
    file (after its integrity check); pg_restore loads a dump into an empty database."""
    if engine_name() == "sqlite":
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return table_counts(f"sqlite:///{path}")
    with fresh_database_url() as scratch:
        subprocess.run(
            [
                find_postgres_tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                f"--dbname={make_url(scratch).set(drivername='postgresql')}",
                str(path),
            ],
            check=True,
            capture_output=True,
        )
        return table_counts(scratch)


def demo_database(url: str) -> None:
    engine = build_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        load_demo(session, password="demo-password-1")
        session.commit()
    engine.dispose()


def keep_signing_in(url: str, email: str, committed, stop) -> None:
    """Runs in another process: sign `email` in again and again, counting each commit in
    `committed`, until told to stop (and at least SIGN_INS_AT_LEAST times)."""
    engine = build_engine(url)
    if engine.dialect.name == "sqlite":
        # Recent commits stay in the WAL file, as they do between checkpoints: a backup
        # that copied only the database file would miss them.
        event.listen(
            engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA wal_autocheckpoint=0")
        )
    factory = sessionmaker(engine)
    while committed.value < SIGN_INS_AT_LEAST or not stop.is_set():
        with factory.begin() as session:
            user = session.scalars(select(User).where(User.email == email)).one()
            start_login_session(session, user=user)
        with committed.get_lock():
            committed.value += 1
    engine.dispose()


def copy_database(source: str, target: str) -> None:
    """Make the empty database `target` a copy of `source` (no connections open to it)."""
    if engine_name() == "sqlite":
        shutil.copyfile(make_url(source).database, make_url(target).database)
        return
    admin = create_engine(
        make_url(normalise_database_url(source)).set(database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{make_url(target).database}"'))
        connection.execute(
            text(
                f'CREATE DATABASE "{make_url(target).database}" '
                f'TEMPLATE "{make_url(source).database}"'
            )
        )
    admin.dispose()


@pytest.fixture(scope="module")
def demo_template():
    with fresh_database_url() as url:
        demo_database(url)
        yield url


@pytest.fixture
def demo_url(demo_template):
    """A database holding the demo partnership, for one test."""
    with fresh_database_url() as url:
        copy_database(demo_template, url)
        yield url


# Backup under load, and restore ----------------------------------------------------------


def test_a_backup_taken_while_another_process_writes_is_one_consistent_moment(demo_url, tmp_path):
    before = table_counts(demo_url)
    context = multiprocessing.get_context("spawn")
    committed, stop = context.Value("i", 0), context.Event()
    writer = context.Process(
        target=keep_signing_in, args=(demo_url, "lead.police@example.org", committed, stop)
    )
    writer.start()
    try:
        while committed.value < SIGN_INS_BEFORE_BACKUP and writer.is_alive():
            time.sleep(0.05)
        committed_before = committed.value
        result = run_flask(demo_url, "backup", "--out", str(tmp_path / "backups" / "audit.backup"))
    finally:
        stop.set()
        writer.join(120)
    assert writer.exitcode == 0
    assert result.returncode == 0, result.stderr
    signed_in = committed.value

    in_file = backup_file_counts(tmp_path / "backups" / "audit.backup")
    assert printed_counts(result.stdout) == in_file
    sessions = in_file["login_session"]
    # Taken mid-stream: every sign-in committed before it started is in it, and some
    # came after it.
    assert SIGN_INS_BEFORE_BACKUP <= committed_before <= sessions < signed_in
    # One moment: every sign-in in the backup has its audit event, and no event is
    # there without its sign-in.
    assert in_file["audit_event"] - before["audit_event"] == sessions
    assert table_counts(demo_url)["login_session"] == signed_in
    assert [p.name for p in (tmp_path / "backups").iterdir()] == ["audit.backup"]


def test_restore_into_an_empty_database_and_over_a_live_one(demo_url, tmp_path):
    backup = tmp_path / "audit.backup"
    assert run_flask(demo_url, "backup", "--out", str(backup)).returncode == 0
    at_backup = table_counts(demo_url)
    assert at_backup["criterion_response"] > 0 and at_backup["audit_event"] > 0

    with fresh_database_url() as empty:
        result = run_flask(empty, "restore", str(backup), "--yes")
        assert result.returncode == 0, result.stderr
        assert table_counts(empty) == at_backup
        assert printed_counts(result.stdout) == at_backup
        assert "init-db" not in result.stdout  # same schema revision: nothing to migrate

    # The live database moves on, then is put back as it was at the backup.
    engine = build_engine(demo_url)
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.email == "lead.health@example.org")).one()
        start_login_session(session, user=user)
        session.commit()
    assert table_counts(demo_url) != at_backup
    result = run_flask(demo_url, "restore", str(backup), "--yes")
    assert result.returncode == 0, result.stderr
    assert table_counts(demo_url) == at_backup
    # New rows still get fresh ids (PostgreSQL sequences came back with the data).
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.email == "lead.health@example.org")).one()
        start_login_session(session, user=user)
        session.commit()
    engine.dispose()
    assert table_counts(demo_url)["login_session"] == at_backup["login_session"] + 1


# Refusals ----------------------------------------------------------------------------------


def not_this_services_backup(tmp_path: Path) -> Path:
    """A genuine backup in the engine's format, of a database that is not this service's."""
    with fresh_database_url() as url:
        engine = create_engine(normalise_database_url(url))
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE notes (body TEXT)"))
            connection.execute(text("INSERT INTO notes VALUES ('not an audit')"))
        engine.dispose()
        if engine_name() == "sqlite":
            path = tmp_path / "other.sqlite3"
            path.write_bytes(Path(make_url(url).database).read_bytes())
            return path
        path = tmp_path / "other.dump"
        subprocess.run(
            [
                find_postgres_tool("pg_dump"),
                "--format=custom",
                f"--file={path}",
                f"--dbname={make_url(url).set(drivername='postgresql')}",
            ],
            check=True,
        )
        return path


def newer_versions_backup(tmp_path: Path) -> Path:
    """A backup whose schema revision this code has never heard of."""
    with fresh_database_url() as url:
        engine = build_engine(url)
        migrate.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
        engine.dispose()
        path = tmp_path / "future.backup"
        assert run_flask(url, "backup", "--out", str(path)).returncode == 0
        return path


def test_restore_refuses_without_confirmation_or_a_backup_of_this_service(demo_url, tmp_path):
    backup = tmp_path / "audit.backup"
    assert run_flask(demo_url, "backup", "--out", str(backup)).returncode == 0
    junk = tmp_path / "junk.backup"
    junk.write_text("SQLite format 3 -- or so it says\n")
    refusals = [
        ([str(backup)], "--yes"),
        ([str(junk), "--yes"], str(junk)),
        ([str(tmp_path / "missing.backup"), "--yes"], "does not exist"),
        ([str(not_this_services_backup(tmp_path)), "--yes"], "not a backup of this service"),
        ([str(newer_versions_backup(tmp_path)), "--yes"], "newer version"),
    ]
    engine = build_engine(demo_url)
    with Session(engine) as session:  # so the database differs from the backup
        user = session.scalars(select(User).where(User.email == "lead.health@example.org")).one()
        start_login_session(session, user=user)
        session.commit()
    engine.dispose()
    live = table_counts(demo_url)

    for args, message in refusals:
        result = run_flask(demo_url, "restore", *args)
        assert result.returncode != 0, args
        assert message in result.stderr, result.stderr
        assert table_counts(demo_url) == live, f"changed by restore {args}"


@POSTGRES_ONLY
def test_restore_refuses_a_database_with_tables_the_backup_does_not_have(demo_url, tmp_path):
    backup = tmp_path / "audit.backup"
    assert run_flask(demo_url, "backup", "--out", str(backup)).returncode == 0
    engine = create_engine(normalise_database_url(demo_url))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE added_by_a_later_version (id integer)"))
    engine.dispose()
    live = table_counts(demo_url)
    result = run_flask(demo_url, "restore", str(backup), "--yes")
    assert result.returncode == 1
    assert "added_by_a_later_version" in result.stderr
    assert table_counts(demo_url) == live


# Write errors ------------------------------------------------------------------------------


def test_a_write_error_mid_backup_leaves_no_file_and_keeps_the_last_good_one(demo_url, tmp_path):
    # The demo's backup is a few hundred kilobytes (compressed) to a few megabytes;
    # writes stop at 32 KiB, part way through.
    limit = 32 * 1024
    target = tmp_path / "backups" / "audit.backup"
    result = run_flask(demo_url, "backup", "--out", str(target), limit_file_bytes=limit)
    assert result.returncode == 1
    assert "No backup was written" in result.stderr
    assert list(target.parent.iterdir()) == []

    assert run_flask(demo_url, "backup", "--out", str(target)).returncode == 0
    good = target.read_bytes()
    assert len(good) > limit
    result = run_flask(demo_url, "backup", "--out", str(target), limit_file_bytes=limit)
    assert result.returncode == 1
    assert [p.name for p in target.parent.iterdir()] == ["audit.backup"]
    assert target.read_bytes() == good


@SQLITE_ONLY
def test_a_sqlite_backup_never_replaces_the_live_database(demo_url):
    live = Path(make_url(demo_url).database)
    before = table_counts(demo_url)
    for target in (live, live.with_name(live.name + "-wal")):
        result = run_flask(demo_url, "backup", "--out", str(target))
        assert result.returncode == 1
        assert "is the live database" in result.stderr
    assert table_counts(demo_url) == before
