"""Runs in separate processes for test_concurrency: hammers one read-then-write path."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from audit_tool.db import build_engine
from audit_tool.services.authentication import record_failed_login


def count_failed_logins(url: str, user_id: int, attempts: int) -> dict:
    engine = build_engine(url)
    factory = sessionmaker(bind=engine)
    outcome = {"acknowledged": 0, "locked": 0, "errors": []}
    for _ in range(attempts):
        with factory() as session:
            try:
                record_failed_login(session, user_id=user_id)
                session.commit()
                outcome["acknowledged"] += 1
            except OperationalError as error:
                session.rollback()
                if "locked" in str(error):
                    outcome["locked"] += 1
                else:
                    outcome["errors"].append(str(error))
    engine.dispose()
    return outcome
