"""Several processes doing read-then-write on one row at once: nothing is lost.

With SQLAlchemy's default SQLite setup, or plain READ COMMITTED on PostgreSQL, most of
these increments are lost; with BEGIN IMMEDIATE (SQLite) and SELECT ... FOR UPDATE
(PostgreSQL) every acknowledged write is in the database.
"""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit_tool import migrate
from audit_tool.db import build_engine
from audit_tool.models import User
from audit_tool.services.users import create_user

from .concurrency_worker import count_failed_logins
from .databases import fresh_database_url

PROCESSES = 4
ATTEMPTS = 25


@pytest.mark.slow
def test_concurrent_read_then_write_loses_nothing():
    with fresh_database_url() as url:
        engine = build_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as session:
            user, _ = create_user(
                session, email="target@example.org", name="Target", by=None, password="x" * 12
            )
            session.commit()
            user_id = user.id

        context = multiprocessing.get_context("spawn")
        with context.Pool(PROCESSES) as pool:
            outcomes = pool.starmap(count_failed_logins, [(url, user_id, ATTEMPTS)] * PROCESSES)

        acknowledged = sum(o["acknowledged"] for o in outcomes)
        assert [o["errors"] for o in outcomes] == [[]] * PROCESSES
        assert sum(o["locked"] for o in outcomes) == 0, "database is locked"
        assert acknowledged == PROCESSES * ATTEMPTS
        with Session(engine) as session:
            count = session.scalar(select(User.failed_login_count).where(User.id == user_id))
        assert count == acknowledged, f"{acknowledged - count} updates lost"
        engine.dispose()
