from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from audit_tool.models import Base
from audit_tool.models.base import UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_, obj, _autogen_context):
    # Migrations stand alone: UTCDateTime is stored as a plain DateTime column.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from audit_tool.config import normalise_database_url
    from audit_tool.db import build_engine

    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from audit_tool import create_app

        url = create_app().config["SQLALCHEMY_DATABASE_URL"]
    engine = build_engine(normalise_database_url(url))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")
run_migrations_online()
