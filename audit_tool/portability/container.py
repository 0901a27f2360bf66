"""The archive file itself: a zip holding the manifest, one JSON member per record type,
a README and the evidence files, each file under the SHA-256 of its content.

Writing is deterministic (fixed member order, dates and permissions), so the same records
always make the same bytes. Reading checks, in this order and before anything is
imported: that the file is a zip; the manifest's format and version; that every member the
manifest lists is present, nothing else is, and each matches its SHA-256; that every JSON
member parses; every record (`archive_format.validate_records`); and the manifest's counts.
"""

from __future__ import annotations

import hashlib
import tomllib
import zipfile
import zlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from .. import PROJECT_ROOT
from .archive_format import (
    SHA256,
    ArchiveError,
    Index,
    dump_json,
    format_datetime,
    load_json,
    parse_datetime,
    validate_records,
)
from .schema import BY_NAME, FILES_DIR, FORMAT, JSON_MEMBERS, MANIFEST, README, VERSION

APPLICATION = "audit-tool"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
_MANIFEST_FIELDS = ("format", "version", "exported_at", "source", "counts", "members")
# Zip entries carry a local time; a fixed one keeps equal archives byte-identical.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_UNIX = 3

README_TEXT = f"""\
This is a whole-partnership archive from the safeguarding partnership audit tool,
format {FORMAT}, version {VERSION}.

manifest.json   what the archive holds: format, version, when it was made, by which
                version of the tool, how many records of each type, and the SHA-256
                of every other member
*.json          one member per record type; records refer to each other by their
                archive key ("assessment/3"), never by database id
files/          evidence files, each named by the SHA-256 of its content

The format is described field by field in docs/portability.md in the tool's source.
Load it into another instance with: flask --app wsgi import-partnership FILE
"""


def application_version() -> str:
    try:
        with (PROJECT_ROOT / "pyproject.toml").open("rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_manifest(
    *, exported_at: datetime, counts: Mapping[str, int], members: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": format_datetime(exported_at),
        "source": {"application": APPLICATION, "version": application_version()},
        "counts": dict(counts),
        "members": dict(members),
    }


# Writing ---------------------------------------------------------------------------------


def write_archive(
    handle: BinaryIO,
    *,
    manifest: Mapping[str, Any],
    documents: Mapping[str, bytes],
    files: Mapping[str, Path],
) -> None:
    """Write the zip: manifest, README, JSON members in schema order, then the files in
    order of their SHA-256. `files` maps SHA-256 to the path of the file to copy."""
    with zipfile.ZipFile(handle, "w") as archive:
        _write_bytes(archive, MANIFEST, dump_json(manifest))
        _write_bytes(archive, README, README_TEXT.encode("utf-8"))
        for name in JSON_MEMBERS:
            _write_bytes(archive, name, documents[name])
        for sha in sorted(files):
            path = files[sha]
            info = _entry(f"{FILES_DIR}{sha}")
            info.file_size = path.stat().st_size
            with path.open("rb") as source, archive.open(info, "w") as target:
                while chunk := source.read(CHUNK_BYTES):
                    target.write(chunk)


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = _UNIX
    info.external_attr = 0o100644 << 16
    return info


def _write_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    archive.writestr(_entry(name), data)


# Reading ---------------------------------------------------------------------------------

# What a damaged member raises while being decompressed or checked.
_CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


class OpenArchive:
    """An archive that has passed every check; `copy_file` streams an evidence file out."""

    def __init__(self, path: Path) -> None:
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise ArchiveError(f"{path.name} is not a zip archive") from error
        try:
            self.manifest = self._read_manifest()
            members: dict[str, str] = self.manifest["members"]
            self._check_members(members)
            self.files = {name.removeprefix(FILES_DIR) for name in members if _is_file(name)}
            documents = {name: load_json(self._read(name), name) for name in JSON_MEMBERS}
            self.index: Index = validate_records(documents, files=self.files)
            self._check_counts()
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> OpenArchive:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    @property
    def exported_at(self) -> datetime:
        return parse_datetime(self.manifest["exported_at"])

    def copy_file(self, sha: str, target: BinaryIO) -> int:
        """Copy the file member `files/<sha>` to `target`, checking its SHA-256 again."""
        name = f"{FILES_DIR}{sha}"
        digest = hashlib.sha256()
        size = 0
        try:
            with self._zip.open(name) as source:
                while chunk := source.read(CHUNK_BYTES):
                    digest.update(chunk)
                    size += len(chunk)
                    target.write(chunk)
        except _CORRUPT as error:
            raise ArchiveError(f'the member "{name}" is corrupt ({error})') from error
        if digest.hexdigest() != sha:
            raise ArchiveError(f'the member "{name}" changed while it was being read')
        return size

    def _read(self, name: str) -> bytes:
        try:
            with self._zip.open(name) as member:
                return member.read()
        except _CORRUPT as error:
            raise ArchiveError(f'the member "{name}" is corrupt ({error})') from error

    def _read_manifest(self) -> dict[str, Any]:
        try:
            info = self._zip.getinfo(MANIFEST)
        except KeyError as error:
            raise ArchiveError(
                f"the archive has no {MANIFEST}: it is not a partnership archive"
            ) from error
        if info.file_size > MAX_MANIFEST_BYTES:
            raise ArchiveError(f"{MANIFEST} is too large to be a manifest")
        manifest = load_json(self._read(MANIFEST), MANIFEST)
        check_manifest(manifest)
        return manifest

    def _check_members(self, members: Mapping[str, str]) -> None:
        names = [info.filename for info in self._zip.infolist()]
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise ArchiveError(f'the member "{name}" appears twice in the archive')
            seen.add(name)
        for name in members:
            if name not in seen:
                raise ArchiveError(f'the member "{name}" listed in {MANIFEST} is missing')
        for name in names:
            if name != MANIFEST and name not in members:
                raise ArchiveError(f'the member "{name}" is not listed in {MANIFEST}')
        for name, expected in members.items():
            digest = hashlib.sha256()
            try:
                with self._zip.open(name) as member:
                    while chunk := member.read(CHUNK_BYTES):
                        digest.update(chunk)
            except _CORRUPT as error:
                raise ArchiveError(f'the member "{name}" is corrupt ({error})') from error
            if digest.hexdigest() != expected:
                raise ArchiveError(
                    f'the member "{name}" is corrupt: its SHA-256 does not match {MANIFEST}'
                )

    def _check_counts(self) -> None:
        actual = self.index.counts()
        for name, expected in self.manifest["counts"].items():
            if actual[name] != expected:
                raise ArchiveError(
                    f'{MANIFEST}: "counts" gives {expected} {name} but the archive holds '
                    f"{actual[name]}"
                )


def _is_file(name: str) -> bool:
    return name.startswith(FILES_DIR) and bool(SHA256.fullmatch(name.removeprefix(FILES_DIR)))


def check_manifest(manifest: Any) -> None:
    """The manifest's format and version first (so an archive from another tool or a
    later version is named as such), then the rest of its fields."""
    where = MANIFEST
    if not isinstance(manifest, dict):
        raise ArchiveError(f"{where} must hold a JSON object")
    if manifest.get("format") != FORMAT:
        raise ArchiveError(
            f'{where}: the field "format" is {json_text(manifest.get("format"))}, not '
            f'"{FORMAT}": this is not a partnership archive'
        )
    if manifest.get("version") != VERSION:
        raise ArchiveError(
            f'{where}: the field "version" is {json_text(manifest.get("version"))}; this '
            f"tool reads version {VERSION} of the {FORMAT} format"
        )
    for name in _MANIFEST_FIELDS:
        if name not in manifest:
            raise ArchiveError(f'{where}: the field "{name}" is missing')
    for name in manifest:
        if name not in _MANIFEST_FIELDS:
            raise ArchiveError(f'{where}: the field "{name}" is not part of this format')
    try:
        parse_datetime(manifest["exported_at"])
    except (TypeError, ValueError) as error:
        raise ArchiveError(f'{where}: the field "exported_at" is not a UTC time') from error
    source = manifest["source"]
    if not (
        isinstance(source, dict)
        and set(source) == {"application", "version"}
        and all(isinstance(value, str) for value in source.values())
    ):
        raise ArchiveError(f'{where}: the field "source" must name the application and version')
    counts = manifest["counts"]
    if not isinstance(counts, dict) or set(counts) != set(BY_NAME):
        raise ArchiveError(f'{where}: the field "counts" must give a count for every record type')
    if any(not isinstance(value, int) or isinstance(value, bool) for value in counts.values()):
        raise ArchiveError(f'{where}: the field "counts" must hold whole numbers')
    _check_member_list(manifest["members"])


def _check_member_list(members: Any) -> None:
    where = f'{MANIFEST}: the field "members"'
    if not isinstance(members, dict):
        raise ArchiveError(f"{where} must map each member's name to its SHA-256")
    for name in (README, *JSON_MEMBERS):
        if name not in members:
            raise ArchiveError(f'{where} does not list "{name}"')
    for name, sha in members.items():
        if not (isinstance(sha, str) and SHA256.fullmatch(sha)):
            raise ArchiveError(f'{where}: "{name}" must have a SHA-256 of 64 hex digits')
        if name in (README, *JSON_MEMBERS):
            continue
        if not _is_file(name):
            raise ArchiveError(f'{where}: "{name}" is not a member this format has')
        if name.removeprefix(FILES_DIR) != sha:
            raise ArchiveError(f'{where}: the file member "{name}" must be named by its SHA-256')


def json_text(value: Any) -> str:
    return "missing" if value is None else dump_json(value).decode("utf-8").strip()
