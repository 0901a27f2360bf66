"""Evidence uploads: what is accepted, what is refused, and what is left on disk."""

from __future__ import annotations

import io
import os
import re
import stat
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.http import parse_options_header

from audit_tool.services import DomainError, NotFound
from audit_tool.services.evidence_files import (
    StoredFile,
    copy_stored,
    download_headers,
    sanitise_filename,
    store_upload,
    stored_path,
)

MB = 1024 * 1024
LIMIT = 10 * MB

WRONG_TYPE = (
    "The selected file must be a PDF, Word, Excel, PowerPoint, OpenDocument, "
    "image (PNG or JPEG), text or CSV file"
)
LEGACY_OFFICE = (
    "The selected file must be a PDF or a current Office format (.docx, .xlsx or .pptx), "
    "not an older .doc, .xls or .ppt file"
)
NOT_UTF8 = "The selected text or CSV file must be saved with UTF-8 encoding"

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
PPTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48)
CSV = "Agency,Standard,Rating\nPolice,1,Good\nHealth,2,Requires improvement – £0\n".encode()


def content_types_xml(main_part: str, main_content_type: str, *, doctype: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f"{doctype}"
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_content_type}"/>'
        "</Types>"
    ).encode()


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ooxml(main_part: str, main_content_type: str) -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": content_types_xml(main_part, main_content_type),
            main_part: b'<?xml version="1.0"?><root/>',
        }
    )


def odf(mimetype: bytes) -> bytes:
    return zip_of(
        {"mimetype": mimetype, "content.xml": b'<?xml version="1.0"?><office:document-content/>'}
    )


DOCX = ooxml("word/document.xml", DOCX_MAIN)
XLSX = ooxml("xl/workbook.xml", XLSX_MAIN)
PPTX = ooxml("ppt/presentation.xml", PPTX_MAIN)
ODT = odf(b"application/vnd.oasis.opendocument.text")
ODS = odf(b"application/vnd.oasis.opendocument.spreadsheet")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    # Not created yet: store_upload makes it on first use.
    return tmp_path / "uploads"


def upload(folder: Path, filename: str | None, content: bytes, max_bytes: int = LIMIT):
    return store_upload(
        stream=io.BytesIO(content), filename=filename, upload_folder=folder, max_bytes=max_bytes
    )


def refusal(folder: Path, filename: str | None, content: bytes, max_bytes: int = LIMIT) -> str:
    with pytest.raises(DomainError) as refused:
        upload(folder, filename, content, max_bytes)
    assert refused.value.field == "file"
    return refused.value.message


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("filename", "content", "content_type"),
    [
        ("Safeguarding policy.pdf", PDF, "application/pdf"),
        ("SCAN.PDF", PDF, "application/pdf"),
        ("training chart.png", PNG, "image/png"),
        ("photo of poster.jpg", JPEG, "image/jpeg"),
        ("photo of poster.jpeg", JPEG, "image/jpeg"),
        (
            "Action plan.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "Training records.xlsx",
            XLSX,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "Board briefing.pptx",
            PPTX,
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        ("Action plan.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("Training records.ods", ODS, "application/vnd.oasis.opendocument.spreadsheet"),
        ("notes.txt", "Café meeting notes\n".encode(), "text/plain; charset=utf-8"),
        ("ratings.csv", CSV, "text/csv; charset=utf-8"),
        ("with bom.csv", b"\xef\xbb\xbfAgency,Rating\n", "text/csv; charset=utf-8"),
    ],
)
def test_each_allowed_type_is_stored_with_its_detected_content_type(
    folder, filename, content, content_type
):
    stored = upload(folder, filename, content)

    assert stored == StoredFile(
        stored_name=stored.stored_name,
        original_filename=filename,
        content_type=content_type,
        size_bytes=len(content),
    )
    path = stored_path(stored_name=stored.stored_name, upload_folder=folder)
    assert path.read_bytes() == content
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert files_in(folder) == [stored.stored_name]


def test_a_werkzeug_file_storage_is_read_through_its_stream(folder):
    file = FileStorage(stream=io.BytesIO(PDF), filename="policy.pdf", name="file")

    stored = store_upload(
        stream=file, filename=file.filename, upload_folder=folder, max_bytes=LIMIT
    )

    assert stored.content_type == "application/pdf"
    assert stored_path(stored_name=stored.stored_name, upload_folder=folder).read_bytes() == PDF


def test_a_character_split_between_read_chunks_is_still_valid_utf8(folder):
    # 64 KiB chunks: the two bytes of "£" straddle the first boundary.
    content = b"a" * (64 * 1024 - 1) + "£".encode()

    assert upload(folder, "long.txt", content).size_bytes == len(content)


def test_a_file_of_exactly_the_limit_is_accepted_and_one_byte_more_is_not(folder):
    assert upload(folder, "notes.txt", b"x" * 2048, max_bytes=2048).size_bytes == 2048

    assert refusal(folder, "notes.txt", b"x" * 2049, max_bytes=2048) == (
        "The selected file must be smaller than 2KB"
    )
    assert len(files_in(folder)) == 1


class EndlessStream:
    """An upload that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.bytes_read = 0

    def read(self, size: int = -1, /) -> bytes:
        assert size > 0, "an unbounded read would never return"
        self.bytes_read += size
        return b"x" * size


@pytest.mark.parametrize(
    ("max_bytes", "stated"),
    [
        (10 * MB, "10MB"),
        (int(2.55 * MB), "2.5MB"),
        (3 * 1024, "3KB"),
        (100, "100 bytes"),
    ],
)
def test_an_oversize_upload_is_refused_while_streaming(folder, max_bytes, stated):
    source = EndlessStream()

    with pytest.raises(DomainError) as refused:
        store_upload(stream=source, filename="huge.txt", upload_folder=folder, max_bytes=max_bytes)

    assert refused.value.message == f"The selected file must be smaller than {stated}"
    assert refused.value.field == "file"
    assert source.bytes_read <= max_bytes + 64 * 1024
    assert files_in(folder) == []


@pytest.mark.parametrize("filename", [None, ""])
def test_no_file_selected(folder, filename):
    assert refusal(folder, filename, b"") == "Select a file"
    assert files_in(folder) == []


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("empty.pdf", b"", "The selected file is empty"),
        # The extension must agree with the content.
        ("report.docx", PDF, WRONG_TYPE),
        ("report", PDF, WRONG_TYPE),
        ("chart.jpg", PNG, WRONG_TYPE),
        ("notes.pdf", CSV, WRONG_TYPE),
        ("Action plan.xlsx", DOCX, WRONG_TYPE),
        ("Action plan.odt", ODS, WRONG_TYPE),
        # Types that are not on the list, whatever they are called.
        ("setup.exe", EXE, WRONG_TYPE),
        ("policy.pdf", EXE, WRONG_TYPE),
        ("page.html", b"<!DOCTYPE html><script>alert(1)</script>", WRONG_TYPE),
        ("chart.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', WRONG_TYPE),
        ("archive.zip", zip_of({"policy.pdf": PDF}), WRONG_TYPE),
        ("animation.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", WRONG_TYPE),
        # Zips that only look like Office or OpenDocument files.
        ("policy.docx", zip_of({"word/document.xml": b"<root/>"}), WRONG_TYPE),
        (
            "policy.docx",
            zip_of({"[Content_Types].xml": content_types_xml("word/document.xml", DOCX_MAIN)}),
            WRONG_TYPE,
        ),
        ("macros.docx", ooxml("word/document.xml", DOCM_MAIN), WRONG_TYPE),
        ("slides.odt", odf(b"application/vnd.oasis.opendocument.presentation"), WRONG_TYPE),
        ("broken.docx", DOCX[: len(DOCX) // 2], WRONG_TYPE),
        (
            "broken.docx",
            zip_of({"[Content_Types].xml": b"<Types", "word/document.xml": b"<root/>"}),
            WRONG_TYPE,
        ),
        # Legacy Office files are refused with a way forward, by content not name.
        ("minutes.doc", OLE, LEGACY_OFFICE),
        ("figures.xls", OLE, LEGACY_OFFICE),
        ("minutes.docx", OLE, LEGACY_OFFICE),
        # Text must be UTF-8 without NUL bytes.
        ("notes.txt", b"Agency\x00Rating\n", NOT_UTF8),
        ("notes.txt", "Agency,Rating\n".encode("utf-16"), NOT_UTF8),
        ("ratings.csv", "Cost,£5\n".encode("cp1252"), NOT_UTF8),
        ("ratings.csv", b"Cost,\xc2", NOT_UTF8),
        ("blob.bin", b"\x00\x01\x02\x03", WRONG_TYPE),
    ],
)
def test_refused_uploads_leave_nothing_behind(folder, filename, content, message):
    assert refusal(folder, filename, content) == message
    assert files_in(folder) == []


def test_a_zip_bomb_in_content_types_is_refused_without_extracting(folder):
    # Valid content types padded with 16 MiB of spaces, which deflate to about 16 KiB.
    bomb = zip_of(
        {
            "[Content_Types].xml": content_types_xml("word/document.xml", DOCX_MAIN)
            + b" " * (16 * MB),
            "word/document.xml": b"<root/>",
        }
    )
    assert len(bomb) < MB

    assert refusal(folder, "bomb.docx", bomb) == WRONG_TYPE
    assert files_in(folder) == []


def test_a_zip_that_understates_a_member_size_is_refused(folder):
    big = content_types_xml("word/document.xml", DOCX_MAIN) + b" " * (2 * MB)
    archive = bytearray(zip_of({"[Content_Types].xml": big, "word/document.xml": b"<root/>"}))
    # Make the central directory claim the member is 200 bytes long.
    directory_entry = archive.index(b"PK\x01\x02")
    archive[directory_entry + 24 : directory_entry + 28] = (200).to_bytes(4, "little")

    assert refusal(folder, "liar.docx", bytes(archive)) == WRONG_TYPE


def test_content_types_with_a_dtd_are_refused(folder):
    laughs = '<!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    archive = zip_of(
        {
            "[Content_Types].xml": content_types_xml(
                "word/document.xml", DOCX_MAIN, doctype=laughs
            ),
            "word/document.xml": b"<root/>",
        }
    )

    assert refusal(folder, "laughs.docx", archive) == WRONG_TYPE


def test_zip_members_compressed_other_than_by_deflate_are_refused(folder):
    archive = zip_of(
        {
            "[Content_Types].xml": content_types_xml("word/document.xml", DOCX_MAIN),
            "word/document.xml": b"<root/>",
        },
        compression=zipfile.ZIP_BZIP2,
    )

    assert refusal(folder, "bzip.docx", archive) == WRONG_TYPE


@given(
    mutations=st.lists(
        st.tuples(st.integers(0, len(DOCX) - 1), st.integers(0, 255)), min_size=1, max_size=8
    ),
    length=st.integers(1, len(DOCX)),
)
def test_a_damaged_office_file_is_accepted_or_refused_but_never_crashes(mutations, length):
    damaged = bytearray(DOCX)
    for position, value in mutations:
        damaged[position] = value
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        try:
            stored = upload(folder, "damaged.docx", bytes(damaged[:length]))
        except DomainError as refused:
            assert refused.message in {WRONG_TYPE, LEGACY_OFFICE}
            assert files_in(folder) == []
        else:
            assert files_in(folder) == [stored.stored_name]


def test_a_stream_that_fails_part_way_leaves_nothing_behind(folder):
    class Disconnecting:
        def __init__(self) -> None:
            self.reads = 0

        def read(self, size: int = -1, /) -> bytes:
            self.reads += 1
            if self.reads > 2:
                raise OSError("client went away")
            return b"x" * size

    with pytest.raises(OSError, match="client went away"):
        store_upload(
            stream=Disconnecting(), filename="notes.txt", upload_folder=folder, max_bytes=LIMIT
        )
    assert files_in(folder) == []


def test_stored_names_are_random_hex_unrelated_to_the_filename(folder):
    names = [upload(folder, "passwd.pdf", PDF).stored_name for _ in range(20)]

    assert all(re.fullmatch(r"[0-9a-f]{32}", name) for name in names)
    assert len(set(names)) == len(names)
    assert sorted(names) == files_in(folder)
    assert not any("passwd" in name for name in names)


def test_the_original_filename_is_kept_only_for_display(folder):
    stored = upload(folder, "../../agency/év\x1b\u202eidence\r\n.pdf", PDF)

    assert stored.original_filename == "évidence.pdf"
    assert files_in(folder) == [stored.stored_name]
    assert not (folder.parent / "agency").exists()


@pytest.mark.parametrize(
    "stored_name",
    [
        "../x",
        "../" + "a" * 32,
        "/etc/passwd",
        "a" * 31,
        "a" * 33,
        "A" * 32,
        "g" * 32,
        "a" * 32 + "\n",
        "a" * 16 + "/" + "a" * 15,
        "",
    ],
)
def test_stored_path_refuses_anything_but_our_own_names(folder, stored_name):
    with pytest.raises(NotFound):
        stored_path(stored_name=stored_name, upload_folder=folder)


def test_stored_path_refuses_a_well_formed_name_that_does_not_exist(folder):
    folder.mkdir()

    with pytest.raises(NotFound):
        stored_path(stored_name="0" * 32, upload_folder=folder)


def test_stored_path_never_serves_an_upload_in_progress(folder):
    folder.mkdir()
    (folder / ".incoming-abc").write_bytes(PDF)

    with pytest.raises(NotFound):
        stored_path(stored_name=".incoming-abc", upload_folder=folder)


def test_copy_stored_makes_an_identical_independent_file(folder):
    original = upload(folder, "Action plan.docx", DOCX)

    copy_name = copy_stored(stored_name=original.stored_name, upload_folder=folder)

    assert re.fullmatch(r"[0-9a-f]{32}", copy_name)
    assert copy_name != original.stored_name
    original_path = stored_path(stored_name=original.stored_name, upload_folder=folder)
    copy_path = stored_path(stored_name=copy_name, upload_folder=folder)
    assert copy_path.read_bytes() == DOCX
    assert stat.S_IMODE(copy_path.stat().st_mode) == 0o600
    assert not os.path.samefile(original_path, copy_path)
    assert files_in(folder) == sorted([original.stored_name, copy_name])

    # Deleting or changing one year's evidence leaves the other year's alone.
    copy_path.write_bytes(b"changed")
    assert original_path.read_bytes() == DOCX
    original_path.unlink()
    assert copy_path.read_bytes() == b"changed"


def test_copy_stored_refuses_a_missing_file(folder):
    folder.mkdir()

    with pytest.raises(NotFound):
        copy_stored(stored_name="f" * 32, upload_folder=folder)
    with pytest.raises(NotFound):
        copy_stored(stored_name="../evidence", upload_folder=folder)
    assert files_in(folder) == []


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\lee\\Documents\\Evidence plan.pdf", "Evidence plan.pdf"),
        ("rep\x00or\r\nt\x7f.pdf", "report.pdf"),
        # A right-to-left override would show "invoiceexe.pdf" for an .exe file.
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("Cafe\u0301 notes.txt", "Café notes.txt"),
        ("  spaced.pdf  ", "spaced.pdf"),
        ("folder/", ""),
    ],
)
def test_filenames_are_sanitised(filename, expected):
    assert sanitise_filename(filename) == expected


def test_long_filenames_are_cut_to_255_characters_keeping_the_extension():
    assert sanitise_filename("a" * 300 + ".pdf") == "a" * 251 + ".pdf"
    assert sanitise_filename("a" * 300 + ".not an extension") == "a" * 255


FILENAME_CHARACTERS = st.characters() | st.sampled_from("/\\.:\x00\r\n\t\x1b\u202e\u2028 ")


@given(st.text(FILENAME_CHARACTERS, max_size=600))
def test_sanitised_filenames_have_no_separators_or_control_characters(filename):
    name = sanitise_filename(filename)

    assert "/" not in name
    assert "\\" not in name
    assert not any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in name)
    assert len(name) <= 255
    assert sanitise_filename(name) == name


@dataclass
class EvidenceRow:
    """What a database row for an evidence file might keep."""

    original_filename: str
    content_type: str


def test_download_headers_for_a_plain_name():
    stored = StoredFile(
        stored_name="0" * 32,
        original_filename="Action plan.pdf",
        content_type="application/pdf",
        size_bytes=10,
    )

    assert download_headers(stored) == {
        "Content-Type": "application/pdf",
        "Content-Disposition": (
            "attachment; filename=\"Action plan.pdf\"; filename*=UTF-8''Action%20plan.pdf"
        ),
        "X-Content-Type-Options": "nosniff",
    }


def test_download_headers_name_a_nameless_file_download():
    headers = download_headers(EvidenceRow(original_filename="", content_type="text/plain"))

    assert headers["Content-Disposition"] == (
        "attachment; filename=\"download\"; filename*=UTF-8''download"
    )


def test_download_headers_give_an_ascii_fallback_and_the_utf8_name():
    headers = download_headers(
        EvidenceRow(original_filename="Café plan – 2024.docx", content_type="text/csv")
    )

    disposition = headers["Content-Disposition"]
    assert disposition.isascii()
    assert 'filename="Cafe plan _ 2024.docx"' in disposition
    assert "filename*=UTF-8''Caf%C3%A9%20plan%20%E2%80%93%202024.docx" in disposition
    assert parse_options_header(disposition) == (
        "attachment",
        {"filename": "Café plan – 2024.docx"},
    )


@given(st.text(FILENAME_CHARACTERS | st.sampled_from("\";'%*="), max_size=300))
def test_download_headers_cannot_be_broken_out_of(filename):
    disposition = download_headers(
        EvidenceRow(original_filename=filename, content_type="application/pdf")
    )["Content-Disposition"]

    assert disposition.isascii()
    assert "\r" not in disposition
    assert "\n" not in disposition
    kind, options = parse_options_header(disposition)
    assert kind == "attachment"
    assert options["filename"] == (sanitise_filename(filename) or "download")
