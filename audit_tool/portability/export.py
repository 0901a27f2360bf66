"""Exporting a whole partnership as an "audit-tool-partnership/1" archive.

Everything the partnership holds goes in: its agencies and their links, the people who
are members (or who did something recorded in its data), the framework and template
versions it used or owns, cycles, returns, evidence and the evidence files, panels,
case-file audits, actions and its audit trail. Passwords, sessions and API tokens never
do. Records are keyed by their position in database-id order (people by email), so the
same data exported from two databases gives the same archive.

The archive is checked with the same rules the importer applies before it is written,
and is written to a temporary file that replaces the target only once it is complete.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..audit_trail import AuditEventType, record_event
from ..models import Partnership, User, utcnow
from ..services import NotFound
from ..services.evidence_files import stored_path
from .archive_format import ArchiveError, dump_json, validate_records
from .container import CHUNK_BYTES, README_TEXT, build_manifest, sha256_of, write_archive
from .rows import Keys, export_tree, table_of, to_archive
from .schema import (
    AGENCIES,
    BY_NAME,
    CASE_TEMPLATES,
    FILES_DIR,
    FORMAT_ID,
    FRAMEWORKS,
    PARTNERSHIP,
    README,
    TOP_LEVEL,
    USERS,
    Kind,
    RecordType,
)

EXPORT_KIND = "partnership archive"
# Exported by the code of their own, not row by row from a scope.
_SPECIAL = {"partnership", "agencies", "users", "frameworks", "case_templates"}
# Nested content: the top type, its versions, and the types a record may refer to in it.
_TREES = (
    (FRAMEWORKS, "framework_versions", "cycles", "framework_version"),
    (CASE_TEMPLATES, "case_template_versions", "case_audit_rounds", "template_version"),
)


@dataclass(frozen=True)
class ExportSummary:
    counts: dict[str, int]
    files: int


@dataclass
class Collected:
    records: dict[str, list[dict[str, Any]]]  # top-level type name -> its records
    files: dict[str, Path]  # SHA-256 -> the stored evidence file


@contextmanager
def atomic_output(target: Path) -> Iterator[BinaryIO]:
    """A temporary file beside `target` that replaces it when the block succeeds. On any
    error the temporary file is deleted and `target` is left as it was. The file is
    readable by its owner only (mkstemp's mode 0o600): it holds the partnership's data."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def export_partnership(
    session: Session,
    *,
    partnership: Partnership,
    handle: BinaryIO,
    upload_folder: str | Path,
    by: User | None,
    now: datetime | None = None,
) -> ExportSummary:
    """Write the partnership's archive to `handle` and record the export in its trail.
    Raises ArchiveError (nothing recorded) if its data would not make a valid archive."""
    collected = collect(session, partnership=partnership, upload_folder=upload_folder)
    documents = {rt.member: collected.records[rt.name] for rt in TOP_LEVEL if rt.member}
    index = validate_records(documents, files=set(collected.files))
    encoded = {name: dump_json(document) for name, document in documents.items()}
    members = {README: sha256_of(README_TEXT.encode("utf-8"))}
    members.update({name: sha256_of(data) for name, data in encoded.items()})
    members.update({f"{FILES_DIR}{sha}": sha for sha in sorted(collected.files)})
    counts = index.counts()
    manifest = build_manifest(exported_at=now or utcnow(), counts=counts, members=members)
    write_archive(handle, manifest=manifest, documents=encoded, files=collected.files)
    record_event(
        session,
        AuditEventType.EXPORT_CREATED,
        by=by,
        partnership=partnership,
        subject=partnership,
        kind=EXPORT_KIND,
        rows=counts,
        filters={},
        format=FORMAT_ID,
    )
    session.flush()
    return ExportSummary(counts=counts, files=len(collected.files))


def collect(session: Session, *, partnership: Partnership, upload_folder: str | Path) -> Collected:
    """Every record of the partnership, keyed and converted, and its evidence files."""
    rows: dict[str, list[Mapping[str, Any]]] = {}
    scopes: dict[str, Select] = {}
    for record_type in TOP_LEVEL:
        if record_type.name not in _SPECIAL:
            stmt = _scoped(record_type, partnership.id, scopes)
            rows[record_type.name] = list(session.execute(stmt).mappings())
    partnership_table = table_of(PARTNERSHIP)
    rows["partnership"] = list(
        session.execute(
            select(partnership_table).where(partnership_table.c.id == partnership.id)
        ).mappings()
    )
    keys = Keys()
    records: dict[str, list[dict[str, Any]]] = {}
    records["frameworks"], records["case_templates"] = _trees(session, partnership, rows, keys)
    rows["agencies"] = _agencies(session, rows)
    rows["users"] = _users(session, rows)
    for record_type in TOP_LEVEL:
        if record_type.name not in ("frameworks", "case_templates"):
            for number, row in enumerate(rows[record_type.name], start=1):
                keys.add(record_type, row["id"], f"{record_type.prefix}/{number}")
    files: dict[str, Path] = {}
    for record_type in TOP_LEVEL:
        if record_type.name in ("frameworks", "case_templates"):
            continue
        records[record_type.name] = [
            _record(record_type, row, keys, files, upload_folder) for row in rows[record_type.name]
        ]
    return Collected(records=records, files=files)


def _scoped(record_type: RecordType, partnership_id: int, scopes: dict[str, Select]) -> Select:
    """The type's rows in this partnership, by id; parents' scopes are subqueries."""
    table = table_of(record_type)
    if record_type.partnership_column:
        condition = table.c[record_type.partnership_column] == partnership_id
    else:
        parent = record_type.field(record_type.parent or "")
        condition = table.c[parent.column].in_(scopes[parent.target or ""])
    scopes[record_type.name] = select(table.c.id).where(condition)
    return select(table).where(condition).order_by(table.c.id)


def _referenced(rows: Mapping[str, list[Mapping[str, Any]]], target: str) -> set[int]:
    found = set()
    for name, type_rows in rows.items():
        for f in BY_NAME[name].fields:
            if f.kind is Kind.REFERENCE and f.target == target and f.stored:
                found.update(row[f.column] for row in type_rows if row[f.column] is not None)
    return found


def _agencies(session: Session, rows) -> list[Mapping[str, Any]]:
    """Linked agencies in the order they were linked, then any other agency the
    partnership's records name, by id."""
    linked = [row["agency_id"] for row in rows["agency_links"]]
    others = sorted(_referenced(rows, "agencies") - set(linked))
    table = table_of(AGENCIES)
    found = {
        row["id"]: row
        for row in session.execute(select(table).where(table.c.id.in_([*linked, *others])))
        .mappings()
        .all()
    }
    return [found[ident] for ident in [*linked, *others]]


def _users(session: Session, rows) -> list[Mapping[str, Any]]:
    """Members and anyone the partnership's records name, by email."""
    table = table_of(USERS)
    stmt = select(table).where(table.c.id.in_(sorted(_referenced(rows, "users"))))
    return sorted(session.execute(stmt).mappings().all(), key=lambda row: row["email"])


def _trees(session: Session, partnership: Partnership, rows, keys: Keys):
    """The frameworks and templates the partnership used or owns: its own with every
    version, built-in ones with only the versions its records refer to."""
    results = []
    for top_type, version_type, user_type, user_field in _TREES:
        versions = {row[f"{user_field}_id"] for row in rows[user_type]}
        versions |= _versions_of_referenced(session, rows, version_type)
        top = table_of(top_type)
        version_table = table_of(BY_NAME[version_type])
        owner_ids = select(version_table.c[BY_NAME[version_type].parent_column or ""]).where(
            version_table.c.id.in_(sorted(versions))
        )
        stmt = (
            select(top)
            .where((top.c.partnership_id == partnership.id) | top.c.id.in_(owner_ids))
            .order_by(top.c.partnership_id.is_not(None), top.c.key, top.c.id)
        )
        top_rows = list(session.execute(stmt).mappings())
        own_versions = select(version_table.c.id).where(
            version_table.c[BY_NAME[version_type].parent_column or ""].in_(
                select(top.c.id).where(top.c.partnership_id == partnership.id)
            )
        )
        versions |= set(session.scalars(own_versions))
        results.append(
            export_tree(session, top_type, top_rows, parent_key=None, keys=keys, versions=versions)
        )
    return results


def _versions_of_referenced(session: Session, rows, version_type: str) -> set[int]:
    """Versions holding any criterion, standard, level, section or question referred to."""
    found: set[int] = set()
    for record_type in BY_NAME.values():
        if record_type.member or record_type.name == version_type:
            continue
        ids = _referenced(rows, record_type.name)
        if not ids:
            continue
        # Climb from the referenced rows to their version through the parent columns.
        current_type, current_ids = record_type, ids
        while current_type.name != version_type and current_type.parent_column:
            table = table_of(current_type)
            current_ids = set(
                session.scalars(
                    select(table.c[current_type.parent_column]).where(
                        table.c.id.in_(sorted(current_ids))
                    )
                )
            )
            current_type = _parent_type(current_type)
        if current_type.name == version_type:
            found |= current_ids
    return found


def _parent_type(record_type: RecordType) -> RecordType:
    return next(rt for rt in BY_NAME.values() for f in rt.children if f.target == record_type.name)


def _record(
    record_type: RecordType,
    row: Mapping[str, Any],
    keys: Keys,
    files: dict[str, Path],
    upload_folder: str | Path,
) -> dict[str, Any]:
    key = keys.by_type[record_type.name][row["id"]]
    record: dict[str, Any] = {"key": key}
    for f in record_type.fields:
        if f.name == "subject":
            subject_keys = keys.by_model.get(row["subject_type"] or "", {})
            record[f.name] = subject_keys.get(row["subject_id"])
        elif f.name == "file_sha256":
            record[f.name] = _evidence_file(row, key, files, upload_folder)
        elif f.kind is Kind.REFERENCE:
            ident = row[f.column]
            if ident is None:
                record[f.name] = None
            elif ident in keys.by_type[f.target or ""]:
                record[f.name] = keys.by_type[f.target or ""][ident]
            else:
                raise ArchiveError(
                    f'{record_type.member}: {key}: the field "{f.name}" refers to one of the '
                    f"{f.target} that is not part of this partnership (database id {ident})"
                )
        else:
            record[f.name] = to_archive(f, row[f.column])
    return record


def _evidence_file(
    row: Mapping[str, Any], key: str, files: dict[str, Path], upload_folder: str | Path
) -> str | None:
    if row["stored_name"] is None:
        return None
    try:
        path = stored_path(stored_name=row["stored_name"], upload_folder=upload_folder)
    except NotFound as error:
        raise ArchiveError(
            f'evidence_items.json: {key}: the file "{row["original_filename"]}" is missing '
            f"from the upload folder (stored as {row['stored_name']})"
        ) from error
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    sha = digest.hexdigest()
    files[sha] = path
    return sha
