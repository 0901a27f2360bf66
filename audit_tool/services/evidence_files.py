"""Evidence files attached to Section 11 answers: checked, stored and served safely.

Files are stored under random names in one folder and never under anything the user
typed. Their type is decided by what they contain, from a short allowlist, and the
filename's extension has to agree, so a download is always the kind of file it claims
to be. Nothing here knows about Flask: views pass a werkzeug `FileStorage` (or any
binary file) and the configured folder and limit.
"""

from __future__ import annotations

import codecs
import math
import os
import re
import secrets
import shutil
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable
from urllib.parse import quote
from xml.parsers import expat

from . import DomainError, NotFound

SELECT_A_FILE = "Select a file"
FILE_IS_EMPTY = "The selected file is empty"
WRONG_TYPE = (
    "The selected file must be a PDF, Word, Excel, PowerPoint, OpenDocument, "
    "image (PNG or JPEG), text or CSV file"
)
LEGACY_OFFICE = (
    "The selected file must be a PDF or a current Office format (.docx, .xlsx or .pptx), "
    "not an older .doc, .xls or .ppt file"
)
# Spreadsheet programs still save "CSV" in Windows-1252 by default; naming the fix
# helps more than the general list of types would.
NOT_UTF8 = "The selected text or CSV file must be saved with UTF-8 encoding"

MAX_FILENAME_LENGTH = 255
_CHUNK_BYTES = 64 * 1024
_STORED_NAME = re.compile(r"[0-9a-f]{32}")
_INCOMING_PREFIX = ".incoming-"
# Control, format (including bidirectional overrides that disguise "fdp.exe" as
# "exe.pdf"), surrogate and line/paragraph separator characters.
_UNSAFE_FILENAME_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Extensions are short; an "extension" longer than this is just part of the name.
_MAX_EXTENSION_LENGTH = 10

_PDF_MAGIC = b"%PDF-"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEAD_BYTES = max(
    len(magic) for magic in (_PDF_MAGIC, _PNG_MAGIC, _JPEG_MAGIC, _ZIP_MAGIC, _OLE_MAGIC)
)

# Each detected kind of content maps the extensions it may carry to the Content-Type
# it is served with.
_PDF = {".pdf": "application/pdf"}
_PNG = {".png": "image/png"}
_JPEG = {".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_TEXT = {".txt": "text/plain; charset=utf-8", ".csv": "text/csv; charset=utf-8"}

_CONTENT_TYPES_MEMBER = "[Content_Types].xml"
_CONTENT_TYPES_NAMESPACE = "http://schemas.openxmlformats.org/package/2006/content-types"
# Generous for a workbook or deck with thousands of parts, yet small enough to read
# into memory; anything bigger is refused rather than decompressed.
_MAX_CONTENT_TYPES_BYTES = 1024 * 1024
# Office Open XML packages: main part -> (the content type [Content_Types].xml must
# declare for it, what the file is served as). Requiring the exact main content type
# refuses macro-enabled .docm/.xlsm/.pptm files renamed to .docx/.xlsx/.pptx.
_OOXML = {
    "word/document.xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        {".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    ),
    "xl/workbook.xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    ),
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        {".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    ),
}
_ODF_MIMETYPE_MEMBER = "mimetype"
_ODF = {
    b"application/vnd.oasis.opendocument.text": {".odt": "application/vnd.oasis.opendocument.text"},
    b"application/vnd.oasis.opendocument.spreadsheet": {
        ".ods": "application/vnd.oasis.opendocument.spreadsheet"
    },
}
_MAX_ODF_MIMETYPE_BYTES = 100


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@runtime_checkable
class HasStream(Protocol):
    """werkzeug's FileStorage: the uploaded file is its `stream`."""

    @property
    def stream(self) -> Readable: ...


class Downloadable(Protocol):
    """A StoredFile, or a database row that keeps the same fields."""

    @property
    def original_filename(self) -> str: ...

    @property
    def content_type(self) -> str: ...


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    original_filename: str
    content_type: str
    size_bytes: int


def store_upload(
    *,
    stream: Readable | HasStream,
    filename: str | None,
    upload_folder: str | Path,
    max_bytes: int,
) -> StoredFile:
    """Check an uploaded evidence file and store it under a new random name.

    Raises DomainError(field="file") with the message to show when the file is
    missing, empty, too big or not an allowed type; nothing is left on disk then.
    """
    # Browsers send an empty filename (and an empty body) when no file was chosen.
    if not filename:
        raise DomainError(SELECT_A_FILE, field="file")
    original_filename = sanitise_filename(filename)
    source = stream.stream if isinstance(stream, HasStream) else stream
    folder = Path(upload_folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    with _incoming_file(folder) as (handle, temp_path):
        received = _receive(source, handle, max_bytes)
        if received.size == 0:
            raise DomainError(FILE_IS_EMPTY, field="file")
        # zipfile reads the file through a descriptor of its own.
        handle.flush()
        content_type = _detect(temp_path, received, _extension(original_filename))
        stored_name = _publish(handle, temp_path)
    return StoredFile(
        stored_name=stored_name,
        original_filename=original_filename,
        content_type=content_type,
        size_bytes=received.size,
    )


def stored_path(*, stored_name: str, upload_folder: str | Path) -> Path:
    """The path of a stored file; NotFound unless the name is one this module made."""
    # Only our own 32-hex-digit names pass, which rules out "..", separators,
    # absolute paths and the dot-prefixed temporary files of uploads in progress.
    if not _STORED_NAME.fullmatch(stored_name):
        raise NotFound("File not found")
    path = Path(upload_folder) / stored_name
    if not path.is_file():
        raise NotFound("File not found")
    return path


def files_older_than(upload_folder: str | Path, cutoff: datetime) -> Iterator[tuple[str, Path]]:
    """Files this module made in the folder, last written before `cutoff`: stored files
    by their stored name, and the temporary files of uploads that never finished (a
    worker killed mid-upload) by their path's name. Anything else is left alone."""
    folder = Path(upload_folder)
    if not folder.is_dir():
        return
    for entry in os.scandir(folder):
        ours = _STORED_NAME.fullmatch(entry.name) or entry.name.startswith(_INCOMING_PREFIX)
        if not ours or not entry.is_file(follow_symlinks=False):
            continue
        if datetime.fromtimestamp(entry.stat(follow_symlinks=False).st_mtime, UTC) < cutoff:
            yield entry.name, Path(entry.path)


def copy_stored(*, stored_name: str, upload_folder: str | Path) -> str:
    """Copy a stored file to a new random name and return that name.

    A return carried forward gets files of its own, so deleting evidence from one
    year's return never takes it from another's.
    """
    source_path = stored_path(stored_name=stored_name, upload_folder=upload_folder)
    with _incoming_file(source_path.parent) as (handle, temp_path):
        with source_path.open("rb") as source:
            shutil.copyfileobj(source, handle, _CHUNK_BYTES)
        return _publish(handle, temp_path)


def download_headers(stored: Downloadable) -> dict[str, str]:
    """Headers that make the browser save the file under its original name.

    `filename*` carries the real name (RFC 6266 / RFC 8187); older clients fall back
    to an ASCII `filename` with anything that could end the quoted string replaced.
    """
    filename = sanitise_filename(stored.original_filename) or "download"
    return {
        "Content-Type": stored.content_type,
        "Content-Disposition": (
            f'attachment; filename="{_ascii_filename(filename)}"; '
            f"filename*=UTF-8''{quote(filename, safe='')}"
        ),
        "X-Content-Type-Options": "nosniff",
    }


def sanitise_filename(filename: str) -> str:
    """The name to show for an upload: its base name without control characters.

    Only ever displayed or sent in a header, never used in a path.
    """
    # Some browsers and crafted requests send a whole Windows or POSIX path.
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", filename))[-1]
    name = "".join(
        ch for ch in name if unicodedata.category(ch) not in _UNSAFE_FILENAME_CATEGORIES
    ).strip()
    if len(name) > MAX_FILENAME_LENGTH:
        # Keep the extension: the type check needs it and people recognise files by it.
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= _MAX_EXTENSION_LENGTH:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH]
    return name.strip()


@dataclass
class _Received:
    size: int = 0
    head: bytes = b""
    # Valid UTF-8 with no NUL bytes so far.
    is_text: bool = True


def _receive(source: Readable, handle: BinaryIO, max_bytes: int) -> _Received:
    """Copy the upload to `handle` in chunks, noting what type detection needs.

    Stops at the first chunk that takes the total past `max_bytes`, so a huge or
    endless upload costs at most one chunk more than the limit.
    """
    received = _Received()
    decoder = codecs.getincrementaldecoder("utf-8")()
    while chunk := source.read(_CHUNK_BYTES):
        received.size += len(chunk)
        if received.size > max_bytes:
            raise DomainError(
                f"The selected file must be smaller than {_size_text(max_bytes)}", field="file"
            )
        if len(received.head) < _HEAD_BYTES:
            received.head = (received.head + chunk)[:_HEAD_BYTES]
        if received.is_text:
            received.is_text = b"\0" not in chunk and _decodes(decoder, chunk)
        handle.write(chunk)
    # A multi-byte character cut off at the very end is invalid too.
    received.is_text = received.is_text and _decodes(decoder, b"", final=True)
    return received


def _decodes(decoder: codecs.IncrementalDecoder, chunk: bytes, *, final: bool = False) -> bool:
    # The incremental decoder carries a character split between chunks over to the next.
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError:
        return False
    return True


def _detect(path: Path, received: _Received, extension: str) -> str:
    """The Content-Type to serve the file with, decided by its content."""
    head = received.head
    if head.startswith(_OLE_MAGIC):
        raise DomainError(LEGACY_OFFICE, field="file")
    if head.startswith(_PDF_MAGIC):
        allowed = _PDF
    elif head.startswith(_PNG_MAGIC):
        allowed = _PNG
    elif head.startswith(_JPEG_MAGIC):
        allowed = _JPEG
    elif head.startswith(_ZIP_MAGIC):
        allowed = _detect_zip(path)
    elif received.is_text:
        allowed = _TEXT
    elif extension in _TEXT:
        raise DomainError(NOT_UTF8, field="file")
    else:
        allowed = {}
    if extension not in allowed:
        raise DomainError(WRONG_TYPE, field="file")
    return allowed[extension]


def _detect_zip(path: Path) -> Mapping[str, str]:
    """Recognise Office Open XML and OpenDocument files without extracting them.

    zipfile reads only the central directory on opening, and the one member looked
    at is read only if it is small, so a zip bomb costs no more than that cap.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if _CONTENT_TYPES_MEMBER in names:
                overrides = _content_type_overrides(
                    _read_member(archive, _CONTENT_TYPES_MEMBER, _MAX_CONTENT_TYPES_BYTES)
                )
                for main_part, (main_content_type, allowed) in _OOXML.items():
                    if main_part in names and overrides.get(f"/{main_part}") == main_content_type:
                        return allowed
            elif _ODF_MIMETYPE_MEMBER in names:
                mimetype = _read_member(archive, _ODF_MIMETYPE_MEMBER, _MAX_ODF_MIMETYPE_BYTES)
                return _ODF.get(mimetype, {})
    # What a damaged or hostile archive raises, found by fuzzing zipfile. OSError is
    # a seek to an offset the archive made up: the file itself was just written.
    # Unsupported compression methods are refused before decompressing (_read_member).
    except (
        zipfile.BadZipFile,
        EOFError,
        NotImplementedError,
        OSError,
        RuntimeError,
        ValueError,
        expat.ExpatError,
        zlib.error,
    ):
        pass
    return {}


def _read_member(archive: zipfile.ZipFile, name: str, max_bytes: int) -> bytes:
    info = archive.getinfo(name)
    # Office and LibreOffice only store or deflate; refusing other methods keeps the
    # bz2 and lzma decoders, and their own errors, out of reach.
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise DomainError(WRONG_TYPE, field="file")
    if info.file_size > max_bytes:
        raise DomainError(WRONG_TYPE, field="file")
    # zipfile stops decompressing at the size the directory states and then checks
    # the CRC, so a member that understates its size fails instead of running on.
    with archive.open(info) as member:
        return member.read()


def _content_type_overrides(document: bytes) -> dict[str, str]:
    """PartName -> ContentType from the Override elements of [Content_Types].xml."""
    overrides: dict[str, str] = {}

    def start_element(name: str, attributes: dict[str, str]) -> None:
        if name == f"{_CONTENT_TYPES_NAMESPACE} Override":
            # Part names are case-insensitive in the Open Packaging Conventions.
            part_name = attributes.get("PartName", "").lower()
            overrides[part_name] = attributes.get("ContentType", "")

    def refuse_doctype(*_args: object) -> None:
        # Packages never have a DTD; refusing one rules out entity-expansion attacks
        # whatever the document's encoding.
        raise DomainError(WRONG_TYPE, field="file")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start_element
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.Parse(document, True)
    return overrides


@contextmanager
def _incoming_file(folder: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """A new temporary file in `folder` that is deleted if the block raises.

    It lives in the destination folder so `_publish` can rename it into place
    atomically; its dot-prefixed name can never pass `stored_path`. mkstemp creates
    it with mode 0o600.
    """
    fd, name = tempfile.mkstemp(dir=folder, prefix=_INCOMING_PREFIX)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle, path
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _publish(handle: BinaryIO, temp_path: Path) -> str:
    """Give a finished temporary file its permanent random name."""
    # Flushed to disk before the rename, and the rename itself made durable, so the
    # database row committed next never names a missing or truncated file.
    handle.flush()
    os.fsync(handle.fileno())
    stored_name = secrets.token_hex(16)
    os.replace(temp_path, temp_path.parent / stored_name)
    folder_fd = os.open(temp_path.parent, os.O_RDONLY)
    try:
        os.fsync(folder_fd)
    finally:
        os.close(folder_fd)
    return stored_name


def _extension(filename: str) -> str:
    _stem, dot, extension = filename.rpartition(".")
    return f".{extension.lower()}" if dot else ""


def _size_text(max_bytes: int) -> str:
    # Rounded down, so the limit stated is never more than the limit applied.
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if max_bytes >= size:
            return f"{math.floor(max_bytes / size * 10) / 10:g}{unit}"
    return f"{max_bytes} bytes"


def _ascii_filename(filename: str) -> str:
    # Accents come off ("Café" -> "Cafe"); any other character outside a small safe
    # set, including quotes, backslashes and semicolons, becomes "_".
    decomposed = unicodedata.normalize("NFKD", filename)
    unaccented = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^A-Za-z0-9 ._()-]", "_", unaccented)
