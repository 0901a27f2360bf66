"""Migrations and models cannot drift, and every revision goes up and down, with the
demo partnership in the database, without losing a row."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, inspect, select
from sqlalchemy.orm import Session

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
        with engine.begin() as connection, Session(bind=connection) as session:
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


def _every_row(engine) -> dict[str, list[dict]]:
    """Every row of every table but Alembic's own, in primary-key order."""
    with engine.connect() as connection:
        rows = {}
        for name in inspect(connection).get_table_names():
            if name == "alembic_version":
                continue
            table = Table(name, MetaData(), autoload_with=connection)
            query = select(table).order_by(*table.primary_key.columns)
            rows[name] = [dict(row) for row in connection.execute(query).mappings()]
    return rows


def _kept(rows: dict[str, list[dict]], like: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """`rows` cut down to the tables and columns `like` has."""
    return {
        name: [{column: row[column] for column in (like[name] or [{}])[0]} for row in rows[name]]
        for name in like
    }


def test_every_revision_goes_down_and_up_on_the_demo_without_losing_a_row():
    """Step down from the newest revision one at a time; at each, go down and back up.

    Every table that exists below a revision keeps every row and every value through
    the round trip (a rebuilt SQLite table must copy them all; a dropped column must
    not take its neighbours). Only what the revision itself adds (its tables, its
    columns) is gone after going down, as a downgrade means."""
    with fresh_database_url() as url:
        engine = build_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as session:
            load_demo(session, password="migration-test")
            session.commit()
        at_head = _every_row(engine)
        assert sum(map(len, at_head.values())) > 1000
        assert all(at_head[name] for name in ("criterion_response", "audit_event", "action"))

        script = ScriptDirectory.from_config(migrate.alembic_config(engine))
        revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
        below = ["base", *revisions[:-1]]
        for revision, previous in reversed(list(zip(revisions, below, strict=True))):
            before = _every_row(engine)
            migrate.downgrade(engine, previous)
            down = _every_row(engine)
            assert down == _kept(before, down), f"rows lost going down from {revision}"
            migrate.upgrade(engine, revision)
            up = _every_row(engine)
            assert up.keys() == before.keys()
            assert _kept(up, down) == down, f"rows lost going back up to {revision}"
            migrate.downgrade(engine, previous)
        engine.dispose()
