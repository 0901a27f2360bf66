"""The database is owned here: one engine, one session per request, one commit per request.

SQLite is set up so that concurrent read-then-write cannot lose updates: pysqlite's own
transaction handling is switched off and every write transaction starts with
`BEGIN IMMEDIATE`, which takes the write lock before the first read (with the default
deferred BEGIN, SQLite skips the busy handler when waiting could deadlock and answers
"database is locked"). Read-only requests begin deferred so readers never queue behind
writers. On PostgreSQL, services lock the rows a write depends on with
`SELECT ... FOR UPDATE` (see `lock_for_update`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_TIMEOUT_MS = 30_000


class WriteOnReadRequest(RuntimeError):
    """A GET (or HEAD) request tried to write. Reads must never change data."""


def build_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


class _Sessions:
    """One app's engine and session factories."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.bind(engine)

    def bind(self, bind) -> None:
        options: dict = {"expire_on_commit": False}
        if isinstance(bind, Engine):
            # Reads begin deferred so readers never queue behind the write lock.
            read_bind = bind.execution_options(sqlite_begin="DEFERRED")
        else:
            # Tests hold one connection in a transaction; requests nest in savepoints.
            # (Connection.execution_options() would change that connection in place.)
            options["join_transaction_mode"] = "create_savepoint"
            read_bind = bind
        self.write = sessionmaker(bind=bind, **options)
        self.read = sessionmaker(bind=read_bind, **options)
        for factory in (self.write, self.read):
            event.listen(factory, "before_flush", _refuse_writes_on_read_requests)


class Database:
    """Sessions for the current app. Views reach the request's session as `db.session`."""

    def init_app(self, app: Flask) -> None:
        app.extensions["database"] = _Sessions(build_engine(app.config["SQLALCHEMY_DATABASE_URL"]))
        # Per request (an app context can outlive several requests when one is already
        # pushed, as in tests) and per app context (CLI work outside requests).
        app.teardown_request(self._remove_session)
        app.teardown_appcontext(self._remove_session)

    @staticmethod
    def _state() -> _Sessions:
        return current_app.extensions["database"]

    @property
    def engine(self) -> Engine:
        return self._state().engine

    def bind(self, bind) -> None:
        """Point the current app's sessions at an engine or a connection (tests)."""
        self._state().bind(bind)

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            state = self._state()
            read_only = has_request_context() and request.method in READ_ONLY_METHODS
            g.db_session = (state.read if read_only else state.write)()
        return g.db_session

    def new_session(self) -> Session:
        """A session outside the request's unit of work (CLI commands, scripts)."""
        return self._state().write()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Run a unit of work outside a request: commit on success, roll back on error."""
        session = self.new_session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @staticmethod
    def _remove_session(_exc) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            # Anything not committed by `commits` is discarded here.
            session.rollback()
            session.close()


def _refuse_writes_on_read_requests(session, _flush_context, _instances) -> None:
    """Reading a page never changes data. The one thing a read may add is its own entry
    in the append-only audit trail (who downloaded a file or an export)."""
    if not (has_request_context() and request.method in READ_ONLY_METHODS):
        return
    from .models import AuditEvent

    changes = [*session.dirty, *session.deleted]
    additions = [obj for obj in session.new if not isinstance(obj, AuditEvent)]
    if changes or additions:
        raise WriteOnReadRequest(f"{request.method} {request.path} tried to write")


db = Database()


def commits(view: Callable[..., T]) -> Callable[..., T]:
    """Commit the request's unit of work once, after the view succeeds.

    Services add and flush; only this decorator commits. A view that raises (or a
    domain error turned into a 4xx) leaves nothing behind: teardown rolls back.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        response = view(*args, **kwargs)
        status = getattr(response, "status_code", 200)
        if status < 400:
            db.session.commit()
        return response

    return wrapper


def lock_for_update(session: Session, model: type[T], ident) -> T | None:
    """Load one row for a read-then-write.

    PostgreSQL takes a row lock (READ COMMITTED alone loses updates); SQLite already
    holds the database write lock from `BEGIN IMMEDIATE`, and ignores FOR UPDATE.
    """
    stmt = select(model).where(model.id == ident).with_for_update()
    return session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()
