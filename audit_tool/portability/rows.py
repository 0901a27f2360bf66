"""Between database rows and archive records: values, and the nested framework and
template trees, which the exporter writes and the importer both writes and compares.

Rows are read and written with SQLAlchemy Core on the model tables, so the importer can
carry values the ORM would overwrite: `created_at` and `updated_at` as they were, and the
save counters kept in `version` columns (the ORM's version_id_col always starts at 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from ..models import Base
from .archive_format import canonical, format_datetime, format_decimal, parse_datetime, tree_key
from .schema import BY_NAME, Field, Kind, RecordType

VERSION_TYPES = ("framework_versions", "case_template_versions")


def table_of(record_type: RecordType) -> Table:
    return Base.metadata.tables[record_type.table]


def to_archive(f: Field, value: Any) -> Any:
    """A column's value as the archive writes it (references are the caller's job)."""
    if value is None:
        return None
    match f.kind:
        case Kind.DATETIME:
            return format_datetime(value)
        case Kind.DATE:
            return value.isoformat()
        case Kind.DECIMAL:
            return format_decimal(value)
        case Kind.CHOICE:
            return value.value if isinstance(value, Enum) else str(value)
        case Kind.CHOICES:
            return [str(item) for item in value]
        case Kind.JSON:
            return canonical(value)
        case Kind.BOOLEAN:
            return bool(value)
        case Kind.INTEGER:
            return int(value)
    return str(value)


def to_database(f: Field, value: Any) -> Any:
    """An archive value as the column stores it (references are the caller's job)."""
    if value is None:
        return None
    match f.kind:
        case Kind.DATETIME:
            return parse_datetime(value)
        case Kind.DATE:
            return date.fromisoformat(value)
        case Kind.DECIMAL:
            return Decimal(value)
        case Kind.CHOICES:
            return list(value)
    return value


class Keys:
    """Database id -> archive key, per record type and per model (for audit subjects)."""

    def __init__(self) -> None:
        self.by_type: dict[str, dict[int, str]] = {name: {} for name in BY_NAME}
        self.by_model: dict[str, dict[int, str]] = {rt.model: {} for rt in BY_NAME.values()}

    def add(self, record_type: RecordType, ident: int, key: str) -> None:
        self.by_type[record_type.name][ident] = key
        self.by_model[record_type.model][ident] = key


# Framework and template trees ------------------------------------------------------------


def export_tree(
    session: Session,
    record_type: RecordType,
    rows: Iterable[Mapping[str, Any]],
    *,
    parent_key: str | None,
    keys: Keys,
    versions: set[int] | None = None,
) -> list[dict[str, Any]]:
    """Records for framework or template rows and everything under them, siblings in
    their order. `versions`, if given, limits which versions of these rows are included."""
    records = []
    for row in rows:
        record: dict[str, Any] = {"key": ""}
        for f in record_type.fields:
            if f.name == "builtin":
                record[f.name] = row["partnership_id"] is None
            elif f.kind is not Kind.RECORDS:
                record[f.name] = to_archive(f, row[f.column])
        record["key"] = tree_key(record_type.name, record, parent_key)
        keys.add(record_type, row["id"], record["key"])
        for f in record_type.children:
            child_type = BY_NAME[f.target or ""]
            child_rows = children_of(session, child_type, row["id"])
            if versions is not None and child_type.name in VERSION_TYPES:
                child_rows = [r for r in child_rows if r["id"] in versions]
            record[f.name] = export_tree(
                session, child_type, child_rows, parent_key=record["key"], keys=keys
            )
        records.append(record)
    return records


def children_of(session: Session, record_type: RecordType, parent_id: int) -> list:
    table = table_of(record_type)
    order = table.c[record_type.order_column or "id"]
    stmt = (
        select(table)
        .where(table.c[record_type.parent_column or ""] == parent_id)
        .order_by(order, table.c.id)
    )
    return list(session.execute(stmt).mappings())


def insert_tree(
    session: Session,
    record_type: RecordType,
    records: Iterable[Mapping[str, Any]],
    *,
    parent_id: int | None,
    new_ids: dict[str, int],
    partnership_id: int | None = None,
) -> None:
    """Insert framework or template records and everything under them; positions follow
    the order of the records. Fills `new_ids` (archive key -> new database id)."""
    table = table_of(record_type)
    for position, record in enumerate(records):
        values = {
            f.column: to_database(f, record[f.name])
            for f in record_type.fields
            if f.stored and f.kind is not Kind.RECORDS
        }
        if record_type.parent_column:
            values[record_type.parent_column] = parent_id
        else:
            values["partnership_id"] = partnership_id
        if record_type.positioned:
            values["position"] = position
        new_id = session.execute(insert(table).values(values)).inserted_primary_key[0]
        new_ids[record["key"]] = new_id
        for f in record_type.children:
            insert_tree(
                session,
                BY_NAME[f.target or ""],
                record[f.name],
                parent_id=new_id,
                new_ids=new_ids,
            )


def first_difference(archived: Any, present: Any, path: str = "") -> str | None:
    """Where two records first differ ("standards[2].criteria[0].wording"), or None."""
    if isinstance(archived, dict) and isinstance(present, dict):
        for name in [*archived, *(k for k in present if k not in archived)]:
            found = first_difference(
                archived.get(name), present.get(name), f"{path}.{name}" if path else name
            )
            if found:
                return found
        return None
    if isinstance(archived, list) and isinstance(present, list):
        if len(archived) != len(present):
            return f"{path} (the number of entries)"
        for i, (a, b) in enumerate(zip(archived, present, strict=True)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if archived == present else path or "(the record)"
