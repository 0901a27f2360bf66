"""What the database and the upload folder hold, in a form two moments can be compared
by. Tests use it to prove that a refused request changed nothing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sqlalchemy import MetaData, select


class Fingerprinter:
    """Every table's row count and a hash of its rows, in primary-key order.

    The tables are read from the database itself, not from the models, so a table the
    models do not map is covered too. Reflection runs once; each fingerprint is then one
    SELECT per table on the test's connection, which sees the requests' uncommitted
    savepoints. (One UNION of every row cast to text was measured slower on PostgreSQL.)
    """

    def __init__(self, connection) -> None:
        self.connection = connection
        metadata = MetaData()
        metadata.reflect(bind=connection)
        self.statements = [
            (table.name, select(table).order_by(*(table.primary_key.columns or table.columns)))
            for table in metadata.sorted_tables
        ]

    def __call__(self) -> dict[str, tuple[int, str]]:
        fingerprint = {}
        for name, statement in self.statements:
            rows = self.connection.execute(statement).all()
            digest = hashlib.blake2b(repr(rows).encode(), digest_size=16).hexdigest()
            fingerprint[name] = (len(rows), digest)
        return fingerprint


def changed_tables(before: dict, after: dict) -> list[str]:
    names = before.keys() | after.keys()
    return sorted(name for name in names if before.get(name) != after.get(name))


def folder_listing(folder: str | Path) -> frozenset[tuple[str, int]]:
    """The files in a folder with their sizes (uploads are never rewritten in place)."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return frozenset()
    return frozenset((entry.name, entry.stat().st_size) for entry in entries)
