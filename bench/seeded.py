"""A throwaway database filled by bench-seed, for the benchmarks that read at scale
(`bench.dashboard`, `bench.statements`), on SQLite or on a PostgreSQL server of its own."""

from __future__ import annotations

import contextlib
import platform
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from audit_tool import create_app, migrate
from audit_tool.bench_seed import Scale, seed
from audit_tool.models import AuditCycle, CycleStatus, Partnership

from . import servers

ENGINES = ("sqlite", "postgresql")
PASSWORD = "bench-password-1"

# The London scale, and the large partnership alone (quicker, same heat map).
SCALES = {
    "london": Scale(),
    "large": Scale(partnerships=0),
}


@dataclass
class Seeded:
    app: Flask
    engine_name: str
    seconds: float  # seeding time

    def cycle_id(self, slug: str, status: CycleStatus = CycleStatus.OPEN) -> int:
        with Session(self.app.extensions["database"].engine) as session:
            return session.scalar(
                select(AuditCycle.id)
                .join(Partnership)
                .where(Partnership.slug == slug, AuditCycle.status == status)
            )

    def versions(self) -> dict[str, str]:
        with self.app.extensions["database"].engine.connect() as connection:
            if self.engine_name == "sqlite":
                version = connection.execute(text("select sqlite_version()")).scalar()
            else:
                version = connection.execute(text("show server_version")).scalar()
        return {"database": f"{self.engine_name} {version}", "python": platform.python_version()}


@contextlib.contextmanager
def seeded(engine_name: str, scale: Scale) -> Iterator[Seeded]:
    """A new database of `engine_name` seeded at `scale`; raises servers.Unavailable if
    no PostgreSQL server can be started."""
    with _database(engine_name) as url:
        app = create_app({"ENVIRONMENT": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url})
        engine = app.extensions["database"].engine
        migrate.upgrade(engine)
        started = time.perf_counter()
        with Session(engine) as session:
            seed(
                session,
                scale=scale,
                password=PASSWORD,
                today=date.today(),
                seeded=lambda _partnership, _counts: session.commit(),
            )
        if engine_name == "postgresql":
            # What autovacuum would have done by the time anyone looked at the pages: the
            # statistics, and the visibility map (it vacuums a table after many inserts too),
            # without which an index-only scan still visits the table for every row.
            with engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE")
                )
        try:
            yield Seeded(app, engine_name, time.perf_counter() - started)
        finally:
            engine.dispose()


@contextlib.contextmanager
def _database(engine_name: str) -> Iterator[str]:
    if engine_name == "postgresql":
        with servers.throwaway_postgres() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{Path(directory) / 'bench.sqlite3'}"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"
