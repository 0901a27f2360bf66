"""Migrations and models cannot drift, and every revision goes up and down."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select

from audit_tool import migrate
from audit_tool.db import build_engine
from audit_tool.demo import load_demo
from audit_tool.models import Base, User
from audit_tool.models.base import UTCDateTime

from .databases import fresh_database_url


def _compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    if isinstance(metadata_type, UTCDateTime):
        return False  # stored as a plain DateTime; the decorator only converts zones
    return None


def test_models_match_the_migrations():
    with fresh_database_url() as url:
        engine = build_engine(url)
        migrate.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": _compare_type})
            assert compare_metadata(context, Base.metadata) == []
        engine.dispose()


def test_each_revision_upgrades_and_downgrades_with_data_in_place():
    with fresh_database_url() as url:
        engine = build_engine(url)
        script = ScriptDirectory.from_config(migrate.alembic_config(engine))
        revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
        for revision in revisions:
            migrate.upgrade(engine, revision)
        with engine.begin() as connection:
            from sqlalchemy.orm import Session

            with Session(bind=connection) as session:
                load_demo(session, password="migration-test")
                session.flush()
        # Step down one revision at a time to the start, then all the way back up.
        for revision in reversed(revisions):
            migrate.downgrade(engine, f"{revision}-1" if revision != revisions[0] else "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        with engine.connect() as connection:
            assert connection.execute(select(User)).all() == []
        engine.dispose()
