"""Case-audit templates: the file format, the built-in templates, the library and the
commands (load-case-templates, export-case-template, import-case-template,
publish-case-template)."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest
from sqlalchemy import func, select

from audit_tool.case_templates import library
from audit_tool.case_templates.format import (
    REFLECTION_PROMPTS,
    CaseTemplateFormatError,
    data_to_json,
    parse_template,
    spec_to_data,
    spec_to_json,
)
from audit_tool.frameworks.format import MAX_TEXT_LENGTH
from audit_tool.models import (
    AuditEvent,
    CaseQuestion,
    CaseSection,
    CaseTemplate,
    CaseTemplateVersion,
    FrameworkStatus,
    QuestionKind,
    SectionReturn,
)
from audit_tool.services import DomainError, NotFound

from .conftest import audit_events
from .library_helpers import cli_app_with_database, ok, run, stored_versions
from .library_helpers import drop_at as _drop
from .library_helpers import set_at as _set

VALID = {
    "format": "audit-tool-case-template/1",
    "key": "local-neglect",
    "name": "Local neglect audit",
    "theme": "Neglect",
    "reference_prefix": "LN",
    "description": "Our own neglect audit.\nUsed twice a year.",
    "sections": [
        {
            "key": "recognition",
            "title": "Recognition of need and risk",
            "summary": "Seeing neglect early.",
            "questions": [
                {
                    "key": "recognition-signs",
                    "kind": "graded",
                    "wording": "How well were the signs recognised?",
                    "guidance": "Look at the whole period.",
                },
                {
                    "key": "recognition-chronology",
                    "kind": "yes_partly_no",
                    "wording": "Is there a chronology?",
                    "guidance": "",
                },
            ],
        },
        {
            "key": "impact",
            "title": "Impact and outcomes",
            "summary": "",
            "questions": [
                {
                    "key": "impact-difference",
                    "kind": "graded",
                    "wording": "How far has the work made a difference?",
                    "guidance": "",
                },
                {
                    "key": "impact-reflection",
                    "kind": "free_text",
                    "wording": "What would have helped sooner?",
                    "guidance": "",
                },
            ],
        },
    ],
}

BUILTIN_PREFIXES = {
    "neglect": "NG",
    "domestic-abuse": "DA",
    "exploitation-missing": "CE",
    "mental-health-self-harm": "MH",
    "front-door": "FD",
}


def valid() -> dict:
    return copy.deepcopy(VALID)


def problem(data) -> str:
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(CaseTemplateFormatError) as caught:
        parse_template(text)
    return caught.value.message


# The format --------------------------------------------------------------------------------


def test_a_valid_file_is_read_in_full():
    spec = parse_template(json.dumps(valid()))
    assert (spec.key, spec.theme, spec.reference_prefix) == ("local-neglect", "Neglect", "LN")
    assert [s.key for s in spec.sections] == ["recognition", "impact"]
    kinds = [q.kind for s in spec.sections for q in s.questions]
    assert kinds == [
        QuestionKind.GRADED,
        QuestionKind.YES_PARTLY_NO,
        QuestionKind.GRADED,
        QuestionKind.FREE_TEXT,
    ]


def test_writing_is_stable_and_reads_back_the_same():
    spec = parse_template(json.dumps(valid()))
    text = spec_to_json(spec)
    assert parse_template(text) == spec
    assert spec_to_json(parse_template(text)) == text
    assert json.loads(text) == valid()
    assert list(json.loads(text)) == list(VALID)


def test_optional_fields_take_the_model_defaults():
    data = valid()
    del data["description"]
    del data["sections"][0]["summary"]
    del data["sections"][0]["questions"][0]["guidance"]
    spec = parse_template(json.dumps(data))
    assert spec.description == "" and spec.sections[0].summary == ""
    assert spec.sections[0].questions[0].guidance == ""


def test_the_reflection_prompts_are_fields_of_every_section_return():
    for field, _ in REFLECTION_PROMPTS:
        assert hasattr(SectionReturn, field)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "line 1, column 1: Expecting value"),
        ('{\n  "format": "audit-tool-case-template/1",\n  "key": \n}', "line 4, column 1: "),
        ('{"format": "audit-tool-case-template/1" "key": "x"}', "line 1, column 41: "),
    ],
)
def test_json_syntax_errors_give_line_and_column(text, expected):
    assert problem(text).startswith(expected)


def test_shared_reading_rules_raise_this_formats_error():
    text = json.dumps(valid()).replace('"kind": "graded"', '"kind": "graded", "kind": "x"', 1)
    assert problem(text) == 'sections[0].questions[0]: has the field "kind" more than once'
    assert problem("[" * 100_000 + "]" * 100_000) == "the file is nested too deeply to read"
    # A framework file is refused by its format, not by its first unknown field.
    assert problem({"format": "audit-tool-framework/1"}) == (
        'format: must be "audit-tool-case-template/1"'
    )


def _no_graded_question(data):
    data["sections"][1]["questions"][0]["kind"] = "yes_partly_no"
    return data


def _repeat_question_key(data):
    data["sections"][1]["questions"][1]["key"] = "recognition-signs"
    return data


def _repeat_section_key(data):
    data["sections"][1]["key"] = "recognition"
    return data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_drop("format"), 'format: is required and must be "audit-tool-case-template/1"'),
        (_set("colour", "red"), "colour: is not a known field"),
        (_drop("theme"), "theme: is required"),
        (_set("name", "  "), "name: must not be empty"),
        (_set("key", "-neglect"), "key: must start with a letter or number"),
        (_set("reference_prefix", "da"), "reference_prefix: must be 2 to 4 capital letters"),
        (_set("reference_prefix", "D"), "reference_prefix: must be 2 to 4 capital letters"),
        (_set("reference_prefix", "NGLCT"), "reference_prefix: must be 2 to 4 capital letters"),
        (_set("reference_prefix", 12), "reference_prefix: must be a string"),
        (_set("sections", []), "sections: must have at least one section"),
        (_set("sections", {}), "sections: must be a list"),
        (_set("sections.1", "impact"), "sections[1]: must be an object"),
        (_set("sections.1.questions", []), "sections[1].questions: must have at least one"),
        (_set("sections.1.title", "A\x07"), "sections[1].title: must not include hidden control"),
        (_set("sections.1.order", 2), "sections[1].order: is not a known field"),
        (_repeat_section_key, 'sections[1].key: "recognition" is already used by sections[0]'),
        (
            _no_graded_question,
            'sections[1].questions: must have at least one question of kind "graded"',
        ),
        (
            _set("sections.1.questions.0.kind", "rating"),
            "sections[1].questions[0].kind: must be one of: graded, yes_partly_no, free_text",
        ),
        (_drop("sections.1.questions.0.kind"), "sections[1].questions[0].kind: is required"),
        (
            _drop("sections.0.questions.1.wording"),
            "sections[0].questions[1].wording: is required",
        ),
        (
            _set("sections.0.questions.1.wording", "x" * (MAX_TEXT_LENGTH + 1)),
            "sections[0].questions[1].wording: must be 20,000 characters or fewer",
        ),
        (
            _set("sections.0.questions.1.key", "good_practice"),
            'sections[0].questions[1].key: "good_practice" is asked in every section already',
        ),
        (
            _repeat_question_key,
            'sections[1].questions[1].key: "recognition-signs" is already used by '
            "sections[0].questions[0]",
        ),
    ],
)
def test_each_rule_names_the_place_at_fault(change, expected):
    assert problem(change(valid())).startswith(expected)


def test_multi_line_text_keeps_its_line_breaks():
    data = valid()
    data["sections"][0]["questions"][0]["guidance"] = "First.\n\tSecond."
    assert parse_template(json.dumps(data)).sections[0].questions[0].guidance == (
        "First.\n\tSecond."
    )
    data["sections"][0]["title"] = "Two\nlines"
    assert problem(data) == "sections[0].title: must not include hidden control characters"


# The built-in templates ------------------------------------------------------------------


def test_every_builtin_template_is_valid_and_written_in_canonical_form():
    files = library.builtin_files()
    specs = library.builtin_specs()
    assert {spec.key: spec.reference_prefix for spec in specs} == BUILTIN_PREFIXES
    for path, spec in zip(files, specs, strict=True):
        # The files are exactly what export writes, so an export diffs cleanly.
        assert path.read_text(encoding="utf-8") == spec_to_json(spec)
        assert 5 <= len(spec.sections) <= 6, spec.key
        questions = [q for section in spec.sections for q in section.questions]
        assert QuestionKind.FREE_TEXT in {q.kind for q in questions}, spec.key
        for section in spec.sections:
            assert 2 <= len(section.questions) <= 4, (spec.key, section.key)
            kinds = {q.kind for q in section.questions}
            assert QuestionKind.GRADED in kinds, (spec.key, section.key)


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("neglect", ["chronology", "cumulative", "Graded Care Profile"]),
        ("domestic-abuse", ["DASH", "MARAC", "perpetrator", "victim"]),
        ("exploitation-missing", ["return home interview", "National Referral Mechanism"]),
        ("mental-health-self-harm", ["CAMHS", "safety plan"]),
        ("front-door", ["threshold", "consent", "timescale"]),
    ],
)
def test_builtin_wording_is_specific_to_its_theme(key, words):
    spec = next(spec for spec in library.builtin_specs() if spec.key == key)
    text = spec_to_json(spec)
    for word in words:
        assert word in text, word


# The library -------------------------------------------------------------------------------


def _counts(session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (CaseTemplate, CaseTemplateVersion, CaseSection, CaseQuestion, AuditEvent)
    )


def a_spec(**changes):
    return dataclasses.replace(parse_template(json.dumps(valid())), **changes)


def test_load_builtin_is_idempotent(session):
    first = library.load_builtin(session)
    assert [v.template.key for v in first] == sorted(BUILTIN_PREFIXES)
    assert all(v.number == 1 and v.status is FrameworkStatus.PUBLISHED for v in first)
    assert all(v.template.partnership_id is None and v.published_at for v in first)
    assert len(audit_events(session, "case_template_imported")) == 5
    assert len(audit_events(session, "case_template_published")) == 5
    counts = _counts(session)
    again = library.load_builtin(session)
    assert [v.id for v in again] == [v.id for v in first]
    assert _counts(session) == counts


def test_builtin_content_matches_its_files(session):
    for version, spec in zip(library.load_builtin(session), library.builtin_specs(), strict=True):
        assert library.export_template(version) == spec_to_data(spec)
        positions = [section.position for section in version.sections]
        assert positions == list(range(len(spec.sections)))


def test_load_builtin_returns_the_latest_published_version(session):
    neglect = next(v for v in library.load_builtin(session) if v.template.key == "neglect")
    spec = dataclasses.replace(library.export_spec(neglect), name="Neglect themed audit, 2027")
    library.import_template(session, spec, publish=True, by=None, source="neglect.json")
    latest = next(v for v in library.load_builtin(session) if v.template.key == "neglect")
    assert latest.number == 2 and latest.template.name == "Neglect themed audit, 2027"


def test_import_a_new_template_as_a_draft(session, world):
    version = library.import_template(
        session,
        a_spec(),
        partnership=world.partnership,
        publish=False,
        by=world.pqa,
        source="local.json",
    )
    assert version.number == 1 and version.status is FrameworkStatus.DRAFT
    assert version.published_at is None
    template = version.template
    assert (template.partnership_id, template.theme, template.reference_prefix) == (
        world.partnership.id,
        "Neglect",
        "LN",
    )
    assert [q.key for s in version.sections for q in s.questions][-1] == "impact-reflection"
    (event,) = audit_events(session, "case_template_imported")
    assert event.data == {"key": "local-neglect", "version": 1, "source": "local.json"}
    assert (event.partnership_id, event.actor_id) == (world.partnership.id, world.pqa.id)
    assert audit_events(session, "case_template_published") == []


def test_import_of_a_known_key_adds_the_next_version_and_publishing_is_audited(session, world):
    first = library.import_template(
        session, a_spec(), partnership=world.partnership, publish=True, by=None, source="a.json"
    )
    second = library.import_template(
        session,
        a_spec(name="Local neglect audit, revised"),
        partnership=world.partnership,
        publish=True,
        by=world.pqa,
        source="b.json",
    )
    assert second.template is first.template
    assert (second.number, second.status) == (2, FrameworkStatus.PUBLISHED)
    assert first.template.name == "Local neglect audit, revised"
    published = audit_events(session, "case_template_published")
    assert [event.data for event in published] == [
        {"key": "local-neglect", "version": 1},
        {"key": "local-neglect", "version": 2},
    ]
    assert published[1].subject_id == second.id


def test_a_draft_blocks_the_next_import_until_published(session, world):
    draft = library.import_template(
        session, a_spec(), partnership=world.partnership, publish=False, by=None, source="a"
    )
    counts = _counts(session)
    with pytest.raises(DomainError, match=r"already has a draft version \(version 1\)"):
        library.import_template(
            session, a_spec(), partnership=world.partnership, publish=True, by=None, source="b"
        )
    assert _counts(session) == counts
    library.publish_version(session, version=draft, partnership=world.partnership, by=world.pqa)
    assert draft.frozen and draft.published_at is not None
    with pytest.raises(DomainError, match="already been published"):
        library.publish_version(session, version=draft, partnership=world.partnership, by=None)
    assert (
        library.import_template(
            session, a_spec(), partnership=world.partnership, publish=False, by=None, source="c"
        ).number
        == 2
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"theme": "Domestic abuse"}, "has the theme 'Neglect'"),
        ({"reference_prefix": "NG"}, "has the reference prefix 'LN'"),
    ],
)
def test_a_new_version_keeps_the_theme_and_reference_prefix(session, world, change, message):
    library.import_template(
        session, a_spec(), partnership=world.partnership, publish=True, by=None, source="a"
    )
    with pytest.raises(DomainError, match=message):
        library.import_template(
            session,
            a_spec(**change),
            partnership=world.partnership,
            publish=True,
            by=None,
            source="b",
        )


def test_an_invalid_spec_is_refused_and_adds_nothing(session, world):
    spec = a_spec()
    ungraded = dataclasses.replace(
        spec.sections[1],
        questions=tuple(
            dataclasses.replace(q, kind=QuestionKind.FREE_TEXT) for q in spec.sections[1].questions
        ),
    )
    counts = _counts(session)
    with pytest.raises(DomainError, match=r"sections\[1\]\.questions: must have at least one"):
        library.import_template(
            session,
            dataclasses.replace(spec, sections=(spec.sections[0], ungraded)),
            partnership=world.partnership,
            publish=True,
            by=None,
            source="x",
        )
    assert _counts(session) == counts


def test_export_reproduces_the_imported_spec(session, world):
    version = library.import_template(
        session, a_spec(), partnership=world.partnership, publish=False, by=None, source="a"
    )
    session.expire_all()
    assert library.export_template(session.get(CaseTemplateVersion, version.id)) == valid()


def test_partnerships_see_builtins_and_only_their_own_templates(session, world):
    builtins = library.load_builtin(session)
    own = library.import_template(
        session, a_spec(), partnership=world.partnership, publish=False, by=None, source="a"
    )
    theirs = library.import_template(
        session,
        a_spec(key="their-neglect"),
        partnership=world.other_partnership,
        publish=True,
        by=None,
        source="b",
    )
    hidden = library.import_template(
        session, a_spec(key="unpublished"), publish=False, by=None, source="c"
    )
    keys = [t.key for t in library.templates_for(session, world.partnership)]
    assert set(keys) == {*BUILTIN_PREFIXES, "local-neglect"}
    assert library.get_version(session, world.partnership, own.id) is own
    assert library.get_version(session, world.partnership, builtins[0].id) is builtins[0]
    for version in (theirs, hidden):
        with pytest.raises(NotFound):
            library.get_version(session, world.partnership, version.id)
    # A draft cannot start a round; the partnership's own published versions can.
    usable = library.usable_versions(session, world.partnership)
    assert {v.id for v in usable} == {v.id for v in builtins}


def test_only_the_owner_publishes(session, world):
    draft = library.import_template(
        session, a_spec(), partnership=world.partnership, publish=False, by=None, source="a"
    )
    with pytest.raises(NotFound):
        library.publish_version(
            session, version=draft, partnership=world.other_partnership, by=None
        )
    with pytest.raises(NotFound):
        library.publish_version(session, version=draft, partnership=None, by=None)
    assert not draft.frozen


# The commands ------------------------------------------------------------------------------


@pytest.fixture
def cli_app():
    with cli_app_with_database() as app:
        yield app


def _versions(app) -> list[tuple]:
    return stored_versions(app, CaseTemplate, CaseTemplateVersion)


def test_load_case_templates_twice_loads_once(cli_app):
    result = ok(cli_app, "load-case-templates")
    for key in BUILTIN_PREFIXES:
        assert key in result.output
    ok(cli_app, "load-case-templates")
    assert sorted(_versions(cli_app)) == [
        (key, None, 1, FrameworkStatus.PUBLISHED) for key in sorted(BUILTIN_PREFIXES)
    ]


def test_export_import_round_trip_through_a_fresh_database(cli_app, tmp_path):
    ok(cli_app, "load-case-templates")
    first = tmp_path / "first.json"
    ok(cli_app, "export-case-template", "--key", "domestic-abuse", "--out", first)
    builtin = library.BUILTIN_DIR / "domestic-abuse.json"
    assert first.read_bytes() == builtin.read_bytes()
    assert list(tmp_path.iterdir()) == [first]  # no temporary file left behind

    with cli_app_with_database() as other:
        ok(other, "create-partnership", "--name", "North Shire SCP", "--slug", "north")
        result = ok(other, "import-case-template", first, "--partnership", "north")
        assert "as a draft" in result.output
        second = tmp_path / "second.json"
        args = ["--key", "domestic-abuse", "--partnership", "north", "--out", second]
        result = run(other, "export-case-template", *args)
        assert result.exit_code != 0 and "no published version" in result.output
        ok(other, "export-case-template", *args, "--version", 1)
        assert _versions(other) == [("domestic-abuse", 1, 1, FrameworkStatus.DRAFT)]
    assert second.read_bytes() == first.read_bytes()


def test_import_publish_next_version_and_publish_command(cli_app, tmp_path):
    source = tmp_path / "local.json"
    source.write_text(data_to_json(valid()), encoding="utf-8")
    assert "published" in ok(cli_app, "import-case-template", source, "--publish").output
    ok(cli_app, "import-case-template", source)
    result = run(cli_app, "import-case-template", source)
    assert result.exit_code != 0 and "already has a draft version (version 2)" in result.output
    assert _versions(cli_app) == [
        ("local-neglect", None, 1, FrameworkStatus.PUBLISHED),
        ("local-neglect", None, 2, FrameworkStatus.DRAFT),
    ]
    result = run(cli_app, "publish-case-template", "--key", "local-neglect", "--version", 3)
    assert result.exit_code != 0 and "has no version 3. Its versions are: 1, 2" in result.output
    ok(cli_app, "publish-case-template", "--key", "local-neglect", "--version", 2)
    assert _versions(cli_app)[1] == ("local-neglect", None, 2, FrameworkStatus.PUBLISHED)
    result = run(cli_app, "publish-case-template", "--key", "local-neglect", "--version", 2)
    assert result.exit_code != 0 and "already been published" in result.output
    with cli_app.extensions["database"].write() as session:
        published = audit_events(session, "case_template_published")
        assert [event.data["version"] for event in published] == [1, 2]


def test_import_errors_name_the_place_and_write_nothing(cli_app, tmp_path):
    data = valid()
    data["sections"][1]["questions"][0]["kind"] = "rating"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    result = run(cli_app, "import-case-template", broken)
    assert result.exit_code != 0
    assert "sections[1].questions[0].kind: must be one of" in result.output

    broken.write_text(
        '{\n  "format": "audit-tool-case-template/1",\n  "key": \n}', encoding="utf-8"
    )
    result = run(cli_app, "import-case-template", broken)
    assert result.exit_code != 0 and "line 4, column 1" in result.output

    broken.write_bytes(b"\xff\xfe not text")
    result = run(cli_app, "import-case-template", broken)
    assert result.exit_code != 0 and "not UTF-8 text" in result.output

    good = tmp_path / "good.json"
    good.write_text(json.dumps(valid()), encoding="utf-8")
    result = run(cli_app, "import-case-template", good, "--partnership", "nowhere")
    assert result.exit_code != 0 and "No partnership with the short name 'nowhere'" in result.output
    assert _versions(cli_app) == []


def test_export_errors_are_clear_and_write_no_file(cli_app, tmp_path):
    ok(cli_app, "load-case-templates")
    out = tmp_path / "out.json"
    result = run(cli_app, "export-case-template", "--key", "nope", "--out", out)
    assert result.exit_code != 0
    assert "No case-audit template with the key 'nope' among the built-in" in result.output
    result = run(cli_app, "export-case-template", "--key", "neglect", "--version", 7, "--out", out)
    assert result.exit_code != 0 and "has no version 7. Its versions are: 1" in result.output
    missing = tmp_path / "missing-folder" / "out.json"
    result = run(cli_app, "export-case-template", "--key", "neglect", "--out", missing)
    assert result.exit_code != 0 and "Cannot write" in result.output
    assert list(tmp_path.iterdir()) == []


def test_export_replaces_an_existing_file_whole(cli_app, tmp_path):
    ok(cli_app, "load-case-templates")
    out = tmp_path / "out.json"
    out.write_text("old content", encoding="utf-8")
    ok(cli_app, "export-case-template", "--key", "front-door", "--out", out)
    assert json.loads(out.read_text(encoding="utf-8"))["reference_prefix"] == "FD"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
