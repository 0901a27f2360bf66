"""Helpers for the tests of the framework and case-audit template libraries: changes to
a valid file, and running their commands against a fresh database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from .conftest import make_app
from .databases import fresh_database_url


def set_at(path: str, value):
    """A change to a valid file: `path` like "standards.0.criteria.0.code"."""

    def change(data):
        parent, last = _parent(data, path)
        parent[int(last) if last.isdigit() else last] = value
        return data

    return change


def drop_at(path: str):
    def change(data):
        parent, last = _parent(data, path)
        del parent[last]
        return data

    return change


def _parent(data, path: str):
    *parents, last = path.split(".")
    target = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    return target, last


@contextmanager
def cli_app_with_database() -> Iterator:
    """An app on a fresh database with the schema in place, for running commands."""
    with fresh_database_url() as url:
        app = make_app(url)
        try:
            ok(app, "init-db")
            yield app
        finally:
            app.extensions["database"].engine.dispose()


def run(app, *args):
    return app.test_cli_runner().invoke(args=[str(arg) for arg in args])


def ok(app, *args):
    result = run(app, *args)
    assert result.exit_code == 0, result.output
    return result


def stored_versions(app, item_model, version_model) -> list[tuple]:
    """(key, partnership id, number, status) of every version, by item and number."""
    with app.extensions["database"].write() as session:
        rows = session.execute(
            select(
                item_model.key,
                item_model.partnership_id,
                version_model.number,
                version_model.status,
            )
            .select_from(version_model)
            .join(item_model)
            .order_by(item_model.id, version_model.number)
        )
        return [tuple(row) for row in rows]
