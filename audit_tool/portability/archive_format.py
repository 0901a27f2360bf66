"""Checking the records of an "audit-tool-partnership/1" archive, and writing its values.

Pure: no database, no Flask, no files. `validate_records` checks every record of every
type against `schema`, then every reference, then the uniqueness rules, then the rules
that tie records together (`consistency`), and answers an `Index` of the records by key.
Every problem raises `ArchiveError` naming the member and the record at fault, so an
archive is refused as a whole before anything is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from .schema import ANY, BY_NAME, TOP_LEVEL, Field, Kind, RecordType

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
MAX_KEY_LENGTH = 400
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Scores are Numeric(5, 1) in the database.
_DECIMAL = re.compile(r"-?\d{1,4}\.\d")
SHA256 = re.compile(r"[0-9a-f]{64}")


class ArchiveError(ValueError):
    """An archive that cannot be imported (or a partnership that cannot be exported).
    The message names the member and the record at fault."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Values ----------------------------------------------------------------------------------


def format_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime(DATETIME_FORMAT)


def parse_datetime(value: str) -> datetime:
    return datetime.strptime(value, DATETIME_FORMAT).replace(tzinfo=UTC)


def format_decimal(value: Decimal) -> str:
    return f"{Decimal(value):.1f}"


def canonical(value: Any) -> Any:
    """JSON data with every object's keys sorted, so equal data is written identically."""
    if isinstance(value, dict):
        return {str(k): canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def dump_json(document: Any) -> bytes:
    """The bytes of one JSON member: UTF-8, two-space indent, a final newline."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def load_json(data: bytes, member: str) -> Any:
    """Parse a member strictly: UTF-8, no NaN or Infinity, no repeated object keys."""

    def no_constants(name: str) -> Any:
        raise ArchiveError(f"{member}: {name} is not allowed in JSON")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                raise ArchiveError(f'{member}: the field "{key}" appears twice in one object')
            result[key] = value
        return result

    try:
        return json.loads(
            data.decode("utf-8"), parse_constant=no_constants, object_pairs_hook=pairs
        )
    except UnicodeDecodeError as error:
        raise ArchiveError(f"{member} is not UTF-8 text") from error
    except json.JSONDecodeError as error:
        raise ArchiveError(
            f"{member} is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from error


def tree_key(type_name: str, record: dict, parent_key: str | None) -> str:
    """The archive key of a framework or template record: its parent's path and its own
    natural key ("criterion/builtin/s11-nine-standards/1/S1/1.1")."""
    record_type = BY_NAME[type_name]
    value = record[record_type.path_field or ""]
    if parent_key is None:
        path = f"{'builtin' if record['builtin'] else 'partnership'}/{value}"
    else:
        path = f"{parent_key.split('/', 1)[1]}/{value}"
    return f"{record_type.prefix}/{path}"


# The index -------------------------------------------------------------------------------


@dataclass
class Entry:
    type: RecordType
    record: dict[str, Any]
    member: str
    parent: str | None  # the key of the record a nested record sits in
    order: int  # position across the whole archive, in import order

    @property
    def key(self) -> str:
        return self.record["key"]

    @property
    def where(self) -> str:
        return f"{self.member}: {self.key}"


@dataclass
class Index:
    entries: dict[str, Entry] = field(default_factory=dict)
    by_type: dict[str, list[Entry]] = field(default_factory=dict)

    def add(self, entry: Entry) -> None:
        if entry.key in self.entries:
            raise ArchiveError(f'{entry.member}: the key "{entry.key}" is used twice')
        self.entries[entry.key] = entry
        self.by_type.setdefault(entry.type.name, []).append(entry)

    def of(self, type_name: str) -> list[Entry]:
        return self.by_type.get(type_name, [])

    def get(self, key: str | None) -> Entry | None:
        return None if key is None else self.entries.get(key)

    def counts(self) -> dict[str, int]:
        return {name: len(self.of(name)) for name in BY_NAME}

    def references(self) -> Iterator[tuple[Entry, Field, str]]:
        for entry in self.entries.values():
            for f in entry.type.fields:
                value = entry.record[f.name]
                if f.kind is Kind.REFERENCE and value is not None:
                    yield entry, f, value


def validate_records(documents: Mapping[str, Any], *, files: set[str]) -> Index:
    """Check every record, reference and rule; `documents` maps member name to parsed JSON
    and `files` holds the SHA-256 of every file member. Returns the records by key."""
    from .consistency import check_consistency

    index = Index()
    for record_type in TOP_LEVEL:
        member = record_type.member
        assert member is not None  # noqa: S101 (top-level types always have a member)  # nosec B101
        document = documents.get(member)
        if not isinstance(document, list):
            raise ArchiveError(f"{member} must hold a list of records")
        for position, record in enumerate(document):
            _record(index, record_type, record, member, f"{member}[{position}]", parent=None)
    partnerships = index.of("partnership")
    if len(partnerships) != 1:
        count = len(partnerships)
        raise ArchiveError(f"partnership.json must hold exactly one record, not {count}")
    _check_references(index)
    _check_unique(index)
    _check_files(index, files)
    check_consistency(index)
    return index


def _record(
    index: Index, record_type: RecordType, record: Any, member: str, path: str, parent: str | None
) -> None:
    if not isinstance(record, dict):
        raise ArchiveError(f"{path} must be an object")
    key = record.get("key")
    if not isinstance(key, str) or not key.startswith(f"{record_type.prefix}/"):
        raise ArchiveError(f'{path}: "key" must be a string starting "{record_type.prefix}/"')
    if len(key) > MAX_KEY_LENGTH:
        raise ArchiveError(f"{path}: the key is longer than {MAX_KEY_LENGTH} characters")
    where = f"{member}: {key}"
    expected = {"key", *(f.name for f in record_type.fields)}
    missing = sorted(expected - record.keys())
    if missing:
        raise ArchiveError(f'{where}: the field "{missing[0]}" is missing')
    unknown = sorted(record.keys() - expected)
    if unknown:
        raise ArchiveError(f'{where}: the field "{unknown[0]}" is not part of this format')
    index.add(Entry(record_type, record, member, parent, len(index.entries)))
    for f in record_type.fields:
        value = record[f.name]
        if value is None:
            if not f.nullable:
                raise ArchiveError(f'{where}: the field "{f.name}" must not be null')
            continue
        if f.kind is Kind.RECORDS:
            if not isinstance(value, list):
                raise ArchiveError(f'{where}: the field "{f.name}" must be a list of records')
            child_type = BY_NAME[f.target or ""]
            for position, child in enumerate(value):
                child_path = f"{where}: {f.name}[{position}]"
                _record(index, child_type, child, member, child_path, parent=key)
            continue
        problem = _value_problem(f, value)
        if problem:
            raise ArchiveError(f'{where}: the field "{f.name}" {problem}')


def _value_problem(f: Field, value: Any) -> str | None:
    match f.kind:
        case Kind.STRING | Kind.TEXT | Kind.REFERENCE:
            if not isinstance(value, str):
                return "must be a string"
            if f.max_length is not None and len(value) > f.max_length:
                return f"must be {f.max_length} characters or fewer"
        case Kind.INTEGER:
            if not isinstance(value, int) or isinstance(value, bool):
                return "must be a whole number"
        case Kind.BOOLEAN:
            if not isinstance(value, bool):
                return "must be true or false"
        case Kind.DATE:
            if not (isinstance(value, str) and _DATE.fullmatch(value) and _parses(date, value)):
                return 'must be a date written "YYYY-MM-DD"'
        case Kind.DATETIME:
            if not (isinstance(value, str) and _DATETIME.fullmatch(value) and _parses(None, value)):
                return 'must be a UTC time written "YYYY-MM-DDTHH:MM:SS.ffffffZ"'
        case Kind.DECIMAL:
            if not (isinstance(value, str) and _DECIMAL.fullmatch(value)):
                return 'must be a number with one decimal place, as a string ("2.5")'
        case Kind.CHOICE:
            if value not in f.choices:
                return f"must be one of {', '.join(f.choices)}"
        case Kind.CHOICES:
            if not isinstance(value, list) or any(item not in f.choices for item in value):
                return f"must be a list of {', '.join(f.choices)}"
            if len(set(value)) != len(value):
                return "must not name the same value twice"
        case Kind.JSON:
            if not isinstance(value, dict):
                return "must be a JSON object"
        case Kind.SHA256:
            if not (isinstance(value, str) and SHA256.fullmatch(value)):
                return "must be 64 lower-case hexadecimal digits"
    return None


def _parses(kind: type[date] | None, value: str) -> bool:
    try:
        date.fromisoformat(value) if kind is date else parse_datetime(value)
    except ValueError:
        return False
    return True


def _check_references(index: Index) -> None:
    for entry, f, value in index.references():
        target = index.get(value)
        if target is None:
            raise ArchiveError(
                f'{entry.where}: the field "{f.name}" refers to "{value}", '
                "which is not in the archive"
            )
        if f.target != ANY and target.type.name != f.target:
            raise ArchiveError(
                f'{entry.where}: the field "{f.name}" refers to "{value}", '
                f"which is not one of the {f.target}"
            )
        if target.order >= entry.order:
            raise ArchiveError(
                f'{entry.where}: the field "{f.name}" refers to "{value}", '
                "which must come before it in the archive"
            )


def _check_unique(index: Index) -> None:
    for record_type in TOP_LEVEL:
        for rule in record_type.unique:
            seen: dict[tuple, str] = {}
            for entry in index.of(record_type.name):
                if rule.only_if and entry.record[rule.only_if[0]] != rule.only_if[1]:
                    continue
                values = tuple(entry.record[name] for name in rule.fields)
                if values in seen:
                    names = " and ".join(f'"{name}"' for name in rule.fields)
                    raise ArchiveError(
                        f"{entry.where}: the same {names} as {seen[values]}; they must be different"
                    )
                seen[values] = entry.key


def _check_files(index: Index, files: set[str]) -> None:
    used = set()
    for entry in index.of("evidence_items"):
        sha = entry.record["file_sha256"]
        if sha is None:
            continue
        if sha not in files:
            raise ArchiveError(
                f'{entry.where}: the field "file_sha256" names the file member "files/{sha}", '
                "which is not in the archive"
            )
        used.add(sha)
    for sha in sorted(files - used):
        raise ArchiveError(f'the member "files/{sha}" is not the file of any evidence item')
