"""Running Alembic from the app: `init-db`, tests, and anything else that migrates."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from . import PROJECT_ROOT


def alembic_config(engine: Engine) -> Config:
    config = Config(str(PROJECT_ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def _with_connection(engine: Engine, action) -> None:
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        action(config)


def upgrade(engine: Engine, revision: str = "head") -> None:
    _with_connection(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _with_connection(engine, lambda config: command.downgrade(config, revision))
