"""The framework commands: load-frameworks, export-framework, import-framework."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from audit_tool.models import Framework, FrameworkStatus, FrameworkVersion

from .library_helpers import cli_app_with_database, ok, run, stored_versions
from .test_framework_format import valid


@pytest.fixture
def cli_app():
    with cli_app_with_database() as app:
        yield app


def _versions(app) -> list[tuple[str, int | None, int, FrameworkStatus]]:
    return stored_versions(app, Framework, FrameworkVersion)


def _version_count(app) -> int:
    with app.extensions["database"].write() as session:
        return session.scalar(select(func.count()).select_from(FrameworkVersion))


def test_load_frameworks_twice_loads_once(cli_app):
    result = ok(cli_app, "load-frameworks")
    assert "s11-arrangements" in result.output and "s11-nine-standards" in result.output
    ok(cli_app, "load-frameworks")
    assert _versions(cli_app) == [
        ("s11-arrangements", None, 1, FrameworkStatus.PUBLISHED),
        ("s11-nine-standards", None, 1, FrameworkStatus.PUBLISHED),
    ]


def test_round_trip_through_a_fresh_database(cli_app, tmp_path):
    ok(cli_app, "load-frameworks")
    first = tmp_path / "first.json"
    ok(cli_app, "export-framework", "--framework", "s11-nine-standards", "--out", first)
    assert json.loads(first.read_text(encoding="utf-8"))["format"] == "audit-tool-framework/1"
    assert list(tmp_path.iterdir()) == [first]  # no temporary file left behind

    with cli_app_with_database() as other:
        ok(other, "create-partnership", "--name", "North Shire SCP", "--slug", "north")
        result = ok(other, "import-framework", first, "--partnership", "north")
        assert "as a draft" in result.output
        second = tmp_path / "second.json"
        ok(
            other,
            "export-framework",
            "--framework",
            "s11-nine-standards",
            "--partnership",
            "north",
            "--version",
            "1",
            "--out",
            second,
        )
    assert second.read_bytes() == first.read_bytes()


def test_import_publish_and_next_version(cli_app, tmp_path):
    source = tmp_path / "local.json"
    source.write_text(json.dumps(valid()), encoding="utf-8")
    result = ok(cli_app, "import-framework", source, "--publish")
    assert "published" in result.output
    ok(cli_app, "import-framework", source)
    assert _versions(cli_app) == [
        ("local-s11", None, 1, FrameworkStatus.PUBLISHED),
        ("local-s11", None, 2, FrameworkStatus.DRAFT),
    ]
    result = run(cli_app, "import-framework", source)
    assert result.exit_code != 0
    assert "already has a draft version (version 2)" in result.output
    assert len(_versions(cli_app)) == 2


def test_import_errors_name_the_place_and_write_nothing(cli_app, tmp_path):
    data = valid()
    data["standards"][1]["criteria"][0]["code"] = 21
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    result = run(cli_app, "import-framework", broken)
    assert result.exit_code != 0
    assert "standards[1].criteria[0].code: must be a string" in result.output

    broken.write_text('{\n  "format": "audit-tool-framework/1",\n  "key": \n}', encoding="utf-8")
    result = run(cli_app, "import-framework", broken)
    assert result.exit_code != 0 and "line 4, column 1" in result.output

    broken.write_bytes(b"\xff\xfe not text")
    result = run(cli_app, "import-framework", broken)
    assert result.exit_code != 0 and "not UTF-8 text" in result.output

    good = tmp_path / "good.json"
    good.write_text(json.dumps(valid()), encoding="utf-8")
    result = run(cli_app, "import-framework", good, "--partnership", "nowhere")
    assert result.exit_code != 0 and "No partnership with the short name 'nowhere'" in result.output
    assert _version_count(cli_app) == 0


def test_export_errors_are_clear_and_write_nothing(cli_app, tmp_path):
    ok(cli_app, "load-frameworks")
    out = tmp_path / "out.json"
    result = run(cli_app, "export-framework", "--framework", "nope", "--out", out)
    assert result.exit_code != 0
    assert "No framework with the key 'nope' among the built-in frameworks" in result.output
    result = run(
        cli_app, "export-framework", "--framework", "s11-arrangements", "--version", 7, "--out", out
    )
    assert result.exit_code != 0 and "has no version 7. Its versions are: 1" in result.output
    result = run(
        cli_app,
        "export-framework",
        "--framework",
        "s11-arrangements",
        "--out",
        tmp_path / "missing-folder" / "out.json",
    )
    assert result.exit_code != 0 and "Cannot write" in result.output
    assert list(tmp_path.iterdir()) == []


def test_export_of_an_unpublished_framework_needs_a_version(cli_app, tmp_path):
    source = tmp_path / "local.json"
    source.write_text(json.dumps(valid()), encoding="utf-8")
    ok(cli_app, "import-framework", source)
    out = tmp_path / "out.json"
    result = run(cli_app, "export-framework", "--framework", "local-s11", "--out", out)
    assert result.exit_code != 0 and "no published version" in result.output
    assert not out.exists()
    ok(cli_app, "export-framework", "--framework", "local-s11", "--version", 1, "--out", out)
    assert json.loads(out.read_text(encoding="utf-8"))["key"] == "local-s11"


def test_export_replaces_an_existing_file_whole(cli_app, tmp_path):
    ok(cli_app, "load-frameworks")
    out = tmp_path / "out.json"
    out.write_text("old content", encoding="utf-8")
    ok(cli_app, "export-framework", "--framework", "s11-arrangements", "--out", out)
    assert json.loads(out.read_text(encoding="utf-8"))["key"] == "s11-arrangements"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
