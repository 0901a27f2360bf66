"""Test databases: SQLite files by default, PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from audit_tool.config import normalise_database_url

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


def engine_name() -> str:
    return "postgresql" if POSTGRES_URL else "sqlite"


@contextmanager
def fresh_database_url():
    """An empty database of the engine under test, dropped afterwards."""
    if POSTGRES_URL is None:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / 'test.sqlite3'}"
        return
    base = make_url(normalise_database_url(POSTGRES_URL))
    name = f"audit_tool_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
