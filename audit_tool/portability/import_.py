"""Importing an "audit-tool-partnership/1" archive into this instance as a new partnership.

The archive has already passed every check of its own (`container.OpenArchive`). Before
anything is written, `plan_import` checks it against this instance: the short name must be
free, and a built-in framework or template the instance already has must match the
archive's, version by version. Then the rows go in, in schema order, in the caller's
transaction: a failure anywhere leaves the database as it was, and `files_removed_on_error`
takes away any evidence file already written.

People are matched by email. Someone who already has an account keeps it (name, password
and all) and gains the archive's roles in the new partnership; anyone else gets a new
account with no usable password, to be issued one by a PQA administrator's "reset
password" or by `create-user` under a new address.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..audit_trail import AuditEventType, record_event
from ..models import Partnership, Role
from ..services.partnerships import SLUG_PATTERN
from ..services.users import normalise_email
from .archive_format import ArchiveError, Entry, Index
from .container import OpenArchive
from .rows import Keys, children_of, export_tree, first_difference, insert_tree, table_of
from .rows import to_database as db_value
from .schema import (
    BY_NAME,
    CASE_TEMPLATES,
    FORMAT_ID,
    FRAMEWORKS,
    TOP_LEVEL,
    USERS,
    Kind,
    RecordType,
)

_TREES = {"frameworks": FRAMEWORKS, "case_templates": CASE_TEMPLATES}
_DONE_FIRST = {"partnership", "users", *_TREES}


@dataclass
class ImportPlan:
    slug: str
    existing_users: dict[str, int] = field(default_factory=dict)  # archive key -> user id
    # Built-in frameworks and templates already here: archive key -> database id, for the
    # top record and every record under each matching version.
    matched: dict[str, int] = field(default_factory=dict)
    matched_versions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportSummary:
    partnership_id: int
    slug: str
    name: str
    counts: dict[str, int]
    new_accounts: list[str]
    existing_accounts: dict[str, list[str]]  # email -> role labels gained
    matched_versions: list[str]
    files: int


@contextmanager
def files_removed_on_error() -> Iterator[list[Path]]:
    """Collects the evidence files an import writes, and deletes them if the block
    (which should include the commit) fails."""
    written: list[Path] = []
    try:
        yield written
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def plan_import(session: Session, index: Index, *, slug: str | None) -> ImportPlan:
    """Everything about this instance that could refuse the archive, checked up front."""
    partnership = index.of("partnership")[0]
    slug = slug or partnership.record["slug"]
    if not SLUG_PATTERN.match(slug):
        raise ArchiveError(
            f'the short name "{slug}" must only include lower-case letters, numbers and hyphens'
        )
    taken = session.scalar(select(Partnership.id).where(Partnership.slug == slug))
    if taken is not None:
        raise ArchiveError(
            f'{partnership.where}: a partnership with the short name "{slug}" already exists '
            "in this instance; import it under another short name with --slug"
        )
    plan = ImportPlan(slug=slug)
    users = table_of(USERS)
    for entry in index.of("users"):
        email = normalise_email(entry.record["email"])
        existing = session.scalar(select(users.c.id).where(users.c.email == email))
        if existing is not None:
            plan.existing_users[entry.key] = existing
    for name, top_type in _TREES.items():
        for entry in index.of(name):
            if entry.record["builtin"]:
                _match_builtin(session, top_type, entry, plan)
    return plan


def _match_builtin(session: Session, top_type, entry: Entry, plan: ImportPlan) -> None:
    top = table_of(top_type)
    natural = top_type.field(top_type.path_field or "")
    row = (
        session.execute(
            select(top).where(
                top.c.partnership_id.is_(None), top.c[natural.column] == entry.record[natural.name]
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return
    plan.matched[entry.key] = row["id"]
    version_field = top_type.children[0]
    version_type = BY_NAME[version_field.target or ""]
    present = {r["number"]: r for r in children_of(session, version_type, row["id"])}
    for archived in entry.record[version_field.name]:
        version_row = present.get(archived["number"])
        if version_row is None:
            continue
        keys = Keys()
        [current] = export_tree(
            session, version_type, [version_row], parent_key=entry.key, keys=keys
        )
        ignore = {"published_at": None}
        difference = first_difference({**archived, **ignore}, {**current, **ignore})
        if difference:
            raise ArchiveError(
                f"{entry.member}: {archived['key']}: this instance already has version "
                f"{archived['number']} of the built-in {top_type.name.replace('_', ' ')[:-1]} "
                f'"{entry.record[natural.name]}" and it differs from the archive\'s '
                f"(at {difference}); the archive cannot be imported here"
            )
        for by_type in keys.by_type.values():
            plan.matched.update({key: ident for ident, key in by_type.items()})
        plan.matched_versions.append(archived["key"])


def import_partnership(
    session: Session,
    *,
    archive: OpenArchive,
    plan: ImportPlan,
    upload_folder: str | Path,
    written: list[Path],
) -> ImportSummary:
    """Insert everything in the archive as a new partnership. Adds and flushes only."""
    index = archive.index
    new_ids: dict[str, int] = dict(plan.matched)
    partnership_entry = index.of("partnership")[0]
    partnership_id = _insert_rows(
        session, partnership_entry.type, [partnership_entry], new_ids, None,
        fixed={"slug": plan.slug},
    )[0]  # fmt: skip
    new_accounts = _insert_users(session, index, plan, new_ids)
    for name, top_type in _TREES.items():
        for entry in index.of(name):
            _insert_tree_record(session, top_type, entry, new_ids, partnership_id)
    folder = Path(upload_folder)
    for record_type in TOP_LEVEL:
        if record_type.name in _DONE_FIRST:
            continue
        entries = index.of(record_type.name)
        if record_type.name == "evidence_items":
            extra = {
                e.key: {
                    "stored_name": e.record["file_sha256"]
                    and _store(archive, e.record["file_sha256"], folder, written)
                }
                for e in entries
            }
        elif record_type.name == "audit_events":
            extra = {e.key: {"subject_id": new_ids.get(e.record["subject"])} for e in entries}
        else:
            extra = {}
        _insert_rows(session, record_type, entries, new_ids, partnership_id, extra=extra)
    partnership = session.get(Partnership, partnership_id)
    existing = _existing_accounts(index, plan)
    record_event(
        session,
        AuditEventType.PARTNERSHIP_IMPORTED,
        by=None,
        partnership=partnership,
        subject=partnership,
        slug=plan.slug,
        format=FORMAT_ID,
        records=index.counts(),
        exported_at=archive.manifest["exported_at"],
        source=archive.manifest["source"],
        existing_accounts=sorted(existing),
    )
    session.flush()
    return ImportSummary(
        partnership_id=partnership_id,
        slug=plan.slug,
        name=partnership_entry.record["name"],
        counts=index.counts(),
        new_accounts=new_accounts,
        existing_accounts=existing,
        matched_versions=list(plan.matched_versions),
        files=len(written),
    )


def _insert_rows(
    session: Session,
    record_type: RecordType,
    entries: list[Entry],
    new_ids: dict[str, int],
    partnership_id: int | None,
    *,
    fixed: Mapping[str, Any] | None = None,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[int]:
    """Insert records of one flat type, in order, resolving references to new ids, with
    `fixed` columns for every row and `extra` ones per record key. A type that refers to
    itself (a return carried forward from another) goes in a row at a time."""
    table = table_of(record_type)

    def values(entry: Entry) -> dict[str, Any]:
        row = {}
        for f in record_type.fields:
            if not f.stored:
                continue
            value = entry.record[f.name]
            if f.kind is Kind.REFERENCE:
                row[f.column] = None if value is None else new_ids[value]
            else:
                row[f.column] = db_value(f, value)
        if record_type.partnership_column:
            row[record_type.partnership_column] = partnership_id
        row.update(fixed or {})
        row.update((extra or {}).get(entry.key, {}))
        return row

    if not entries:
        return []
    refers_to_itself = any(f.target == record_type.name for f in record_type.fields)
    if refers_to_itself:
        ids = []
        for entry in entries:
            ids.append(session.execute(insert(table).values(values(entry))).inserted_primary_key[0])
            new_ids[entry.key] = ids[-1]
        return ids
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = list(session.execute(stmt, [values(entry) for entry in entries]).scalars())
    new_ids.update({entry.key: ident for entry, ident in zip(entries, ids, strict=True)})
    return ids


def _insert_users(session, index: Index, plan: ImportPlan, new_ids) -> list[str]:
    """New accounts have no password (None never matches) and must change the one they
    are issued; nobody is made a system administrator by an import."""
    new = [entry for entry in index.of("users") if entry.key not in plan.existing_users]
    new_ids.update(plan.existing_users)
    extra = {"password_hash": None, "password_change_required": True, "is_system_admin": False}
    _insert_rows(session, USERS, new, new_ids, None, fixed=extra)
    return [entry.record["email"] for entry in new]


def _insert_tree_record(session, top_type, entry: Entry, new_ids, partnership_id) -> None:
    owner = None if entry.record["builtin"] else partnership_id
    if entry.key not in new_ids:
        insert_tree(session, top_type, [_without_children(entry.record)], parent_id=None,
                    new_ids=new_ids, partnership_id=owner)  # fmt: skip
    version_field = top_type.children[0]
    missing = [v for v in entry.record[version_field.name] if v["key"] not in new_ids]
    insert_tree(
        session,
        BY_NAME[version_field.target or ""],
        missing,
        parent_id=new_ids[entry.key],
        new_ids=new_ids,
    )


def _without_children(record: dict[str, Any]) -> dict[str, Any]:
    return {name: ([] if isinstance(value, list) and name == "versions" else value)
            for name, value in record.items()}  # fmt: skip


def _existing_accounts(index: Index, plan: ImportPlan) -> dict[str, list[str]]:
    gained: dict[str, list[str]] = {}
    emails = {e.key: e.record["email"] for e in index.of("users") if e.key in plan.existing_users}
    for membership in index.of("memberships"):
        email = emails.get(membership.record["user"])
        if email is not None:
            gained.setdefault(email, []).append(Role(membership.record["role"]).label)
    for email in emails.values():
        gained.setdefault(email, [])
    return gained


def _store(archive: OpenArchive, sha: str, folder: Path, written: list[Path]) -> str:
    """Write one evidence file under a new random name, as uploads are stored."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            archive.copy_file(sha, handle)
            handle.flush()
            os.fsync(handle.fileno())
        stored_name = secrets.token_hex(16)
        os.replace(temp, folder / stored_name)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    written.append(folder / stored_name)
    return stored_name
