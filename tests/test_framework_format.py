"""The framework file format: every rule, and the place each problem is reported at."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest

from audit_tool.frameworks.format import (
    FrameworkFormatError,
    parse_framework,
    parse_scales,
    spec_to_json,
)
from audit_tool.frameworks.library import BUILTIN_DIR, builtin_specs

from .library_helpers import drop_at as _drop
from .library_helpers import set_at as _set

VALID = {
    "format": "audit-tool-framework/1",
    "key": "local-s11",
    "name": "Local Section 11",
    "description": "Our own standards.",
    "scale": {
        "key": "rag",
        "name": "Red, amber, green",
        "description": "Three points.",
        "levels": [
            {
                "key": "red",
                "label": "Red",
                "description": "Not met.",
                "colour": "#d4351c",
                "score": 0,
                "needs_action": True,
                "needs_evidence": False,
            },
            {
                "key": "amber",
                "label": "Amber",
                "description": "Partly met.",
                "colour": "#f47738",
                "score": 33.3,
                "needs_action": True,
                "needs_evidence": False,
            },
            {
                "key": "green",
                "label": "Green",
                "description": "Met.",
                "colour": "#00703C",
                "score": 100,
                "needs_action": False,
                "needs_evidence": True,
            },
        ],
    },
    "standards": [
        {
            "key": "ST01",
            "code": "1",
            "title": "Leadership",
            "summary": "Leaders own safeguarding.",
            "criteria": [
                {
                    "key": "ST01-C01",
                    "code": "1.1",
                    "title": "Named lead",
                    "wording": "There is a named lead.\nStaff know who it is.",
                    "guidance": "Show where it is published.",
                    "essential": True,
                    "sectors": [],
                    "allow_na": False,
                }
            ],
        },
        {
            "key": "ST02",
            "code": "2",
            "title": "Schools",
            "summary": "",
            "criteria": [
                {
                    "key": "ST02-C01",
                    "code": "2.1",
                    "title": "Designated safeguarding lead",
                    "wording": "Each school has a designated safeguarding lead.",
                    "guidance": "",
                    "essential": False,
                    "sectors": ["education", "voluntary"],
                    "allow_na": True,
                }
            ],
        },
    ],
}


def valid() -> dict:
    return copy.deepcopy(VALID)


def problem(data) -> str:
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(FrameworkFormatError) as caught:
        parse_framework(text)
    return caught.value.message


def test_a_valid_file_is_read_in_full():
    spec = parse_framework(json.dumps(valid()))
    assert spec.key == "local-s11"
    assert [level.score for level in spec.scale.levels] == [0, Decimal("33.3"), 100]
    assert spec.scale.levels[1].score == Decimal("33.3")  # exact, not a binary float
    assert [s.key for s in spec.standards] == ["ST01", "ST02"]
    school = spec.standards[1].criteria[0]
    assert school.sectors == ("education", "voluntary")
    assert school.allow_na is True and school.essential is False


def test_writing_is_stable_and_reads_back_the_same():
    spec = parse_framework(json.dumps(valid()))
    text = spec_to_json(spec)
    assert parse_framework(text) == spec
    assert spec_to_json(parse_framework(text)) == text
    data = json.loads(text)
    assert list(data) == ["format", "key", "name", "description", "scale", "standards"]
    assert [level["score"] for level in data["scale"]["levels"]] == [0, 33.3, 100]
    assert [s["key"] for s in data["standards"]] == ["ST01", "ST02"]
    assert text.endswith("}\n") and '  "key"' in text


def test_non_ascii_text_is_written_as_itself():
    data = valid()
    data["name"] = "Section 11 – Children’s safeguarding"
    assert "Section 11 – Children’s safeguarding" in spec_to_json(parse_framework(json.dumps(data)))


def test_optional_fields_take_the_model_defaults():
    data = valid()
    criterion = data["standards"][0]["criteria"][0]
    for name in ("guidance", "essential", "sectors", "allow_na"):
        del criterion[name]
    del data["description"]
    del data["standards"][0]["summary"]
    del data["scale"]["levels"][0]["needs_action"]
    spec = parse_framework(json.dumps(data))
    read = spec.standards[0].criteria[0]
    assert (read.guidance, read.essential, read.sectors, read.allow_na) == ("", False, (), False)
    assert spec.description == "" and spec.standards[0].summary == ""
    assert spec.scale.levels[0].needs_action is False


def test_builtin_files_are_valid_and_round_trip():
    specs = builtin_specs()
    assert [spec.key for spec in specs] == ["s11-arrangements", "s11-nine-standards"]
    for spec in specs:
        assert parse_framework(spec_to_json(spec)) == spec
    assert specs[0].scale.key == "rag" and specs[1].scale.key == "brag"


def test_builtin_scale_references_need_the_scales():
    text = (BUILTIN_DIR / "s11-arrangements.json").read_text(encoding="utf-8")
    message = problem(text)
    assert message.startswith("scale: must be an object with the scale written out in full")
    scales = parse_scales((BUILTIN_DIR / "scales.json").read_text(encoding="utf-8"))
    data = json.loads(text)
    data["scale"] = "no-such-scale"
    with pytest.raises(FrameworkFormatError, match='scale: "no-such-scale" is not a built-in'):
        parse_framework(json.dumps(data), scales=scales)


# JSON syntax ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "line 1, column 1: Expecting value"),
        ('{\n  "format": "audit-tool-framework/1",\n  "key": "x",\n}', "line 4, column 1: "),
        ('{"format": "audit-tool-framework/1" "key": "x"}', "line 1, column 37: "),
    ],
)
def test_json_syntax_errors_give_line_and_column(text, expected):
    assert problem(text).startswith(expected)


def test_nan_and_infinity_are_not_numbers():
    text = json.dumps(valid()).replace('"score": 0', '"score": NaN', 1)
    assert problem(text) == "scale.levels[0].score: must be a number from 0 to 100"
    text = json.dumps(valid()).replace('"key": "local-s11"', '"key": Infinity', 1)
    assert problem(text) == "key: must be a string"


def test_a_field_given_twice_is_refused():
    text = json.dumps(valid()).replace('"code": "1.1"', '"code": "1.1", "code": "1.2"', 1)
    assert problem(text) == 'standards[0].criteria[0]: has the field "code" more than once'


def test_absurd_json_is_refused_cleanly():
    assert problem("[" * 100_000 + "]" * 100_000) == "the file is nested too deeply to read"
    assert problem("1" * 5000).startswith("the file is not valid JSON")


# Structure and values --------------------------------------------------------------------


CRITERION = "standards.1.criteria.0"
AT_CRITERION = "standards[1].criteria[0]"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # The top level and the format tag
        (lambda data: [data], "top level: must be a JSON object"),
        (_drop("format"), 'format: is required and must be "audit-tool-framework/1"'),
        (_set("format", "audit-tool-framework/2"), 'format: must be "audit-tool-framework/1"'),
        (_set("keyy", "x"), "keyy: is not a known field"),
        # Required fields and types
        (_drop("key"), "key: is required"),
        (_drop("name"), "name: is required"),
        (_drop("scale"), "scale: is required"),
        (_drop("standards"), "standards: is required"),
        (_set(f"{CRITERION}.code", 21), f"{AT_CRITERION}.code: must be a string"),
        (_drop(f"{CRITERION}.wording"), f"{AT_CRITERION}.wording: is required"),
        (_set(f"{CRITERION}.title", "   "), f"{AT_CRITERION}.title: must not be empty"),
        (_set(f"{CRITERION}.titel", "x"), f"{AT_CRITERION}.titel: is not a known field"),
        (
            _set(f"{CRITERION}.essential", "yes"),
            f"{AT_CRITERION}.essential: must be true or false",
        ),
        (_set(f"{CRITERION}.allow_na", 1), f"{AT_CRITERION}.allow_na: must be true or false"),
        (_set("standards.0", "ST01"), "standards[0]: must be an object"),
        (_set("standards", {}), "standards: must be a list"),
        # Keys
        (
            _set("key", "has space"),
            "key: must start with a letter or number and only include letters, numbers, "
            "hyphens, underscores and full stops",
        ),
        (
            _set(f"{CRITERION}.key", "-lead"),
            f"{AT_CRITERION}.key: must start with a letter or number",
        ),
        (
            _set("standards.1.key", "ST01"),
            'standards[1].key: "ST01" is already used by standards[0]',
        ),
        # Criterion keys are unique across the framework, not only within a standard.
        (
            _set(f"{CRITERION}.key", "ST01-C01"),
            f'{AT_CRITERION}.key: "ST01-C01" is already used by standards[0].criteria[0]',
        ),
        # Lengths, matching the model columns
        (_set("key", "k" * 65), "key: must be 64 characters or fewer"),
        (_set("name", "n" * 201), "name: must be 200 characters or fewer"),
        (_set("scale.key", "k" * 65), "scale.key: must be 64 characters or fewer"),
        (_set("scale.name", "n" * 201), "scale.name: must be 200 characters or fewer"),
        (
            _set("scale.levels.0.key", "k" * 33),
            "scale.levels[0].key: must be 32 characters or fewer",
        ),
        (
            _set("scale.levels.0.label", "l" * 101),
            "scale.levels[0].label: must be 100 characters or fewer",
        ),
        (_set("standards.0.code", "c" * 17), "standards[0].code: must be 16 characters or fewer"),
        (
            _set("standards.0.title", "t" * 201),
            "standards[0].title: must be 200 characters or fewer",
        ),
        (
            _set(f"{CRITERION}.wording", "w" * 20_001),
            f"{AT_CRITERION}.wording: must be 20,000 characters or fewer",
        ),
        # Hidden control characters: none in single-line text, line breaks allowed in long
        (
            _set(f"{CRITERION}.title", "Lead\nname"),
            f"{AT_CRITERION}.title: must not include hidden control characters",
        ),
        (
            _set(f"{CRITERION}.guidance", "Bell\x07"),
            f"{AT_CRITERION}.guidance: must not include hidden control characters",
        ),
        # At least one standard and one criterion in each
        (_set("standards", []), "standards: must have at least one standard"),
        (
            _set("standards.1.criteria", []),
            "standards[1].criteria: must have at least one criterion",
        ),
        # The scale
        (
            _set("scale", "rag"),
            "scale: must be an object with the scale written out in full, not the key of a "
            'built-in scale ("rag")',
        ),
        (
            lambda data: _set("scale.levels", data["scale"]["levels"][:1])(data),
            "scale.levels: must have at least 2 levels",
        ),
        (
            _set("scale.levels.1.key", "red"),
            'scale.levels[1].key: "red" is already used by scale.levels[0]',
        ),
        (
            _set("scale.levels.1.score", 0),
            "scale.levels[1].score: must be higher than the score of scale.levels[0] (0): "
            "list levels from lowest to highest",
        ),
        (
            _set("scale.levels.2.score", 20),
            "scale.levels[2].score: must be higher than the score of scale.levels[1] (33.3)",
        ),
        (_set("scale.levels.2.score", 100.5), "scale.levels[2].score: must be a number from 0"),
        (_set("scale.levels.0.score", -1), "scale.levels[0].score: must be a number from 0"),
        (_set("scale.levels.0.score", "0"), "scale.levels[0].score: must be a number from 0"),
        (_set("scale.levels.0.score", False), "scale.levels[0].score: must be a number from 0"),
        (
            _set("scale.levels.1.score", 33.33),
            "scale.levels[1].score: must have no more than 1 decimal place",
        ),
        (
            _set("scale.levels.0.colour", "red"),
            'scale.levels[0].colour: must be a colour written as "#" and 6 hex digits',
        ),
        (_set("scale.levels.0.colour", "#d4351"), "scale.levels[0].colour: must be a colour"),
        (_set("scale.levels.0.colour", "#d4351g"), "scale.levels[0].colour: must be a colour"),
        (_drop("scale.levels.0.colour"), "scale.levels[0].colour: is required"),
        # Sectors
        (
            _set(f"{CRITERION}.sectors", "education"),
            f"{AT_CRITERION}.sectors: must be a list of sectors (an empty list means every",
        ),
        (
            _set(f"{CRITERION}.sectors", ["education", "schools"]),
            f"{AT_CRITERION}.sectors[1]: must be one of: local_authority, health, police, "
            "education, probation, youth_justice, voluntary, other",
        ),
        (
            _set(f"{CRITERION}.sectors", ["police", "police"]),
            f'{AT_CRITERION}.sectors[1]: "police" is listed more than once',
        ),
    ],
)
def test_each_rule_names_the_place_at_fault(change, expected):
    assert problem(change(valid())).startswith(expected)


def test_longest_allowed_values_are_accepted():
    data = valid()
    data["key"] = "k" * 64
    data["name"] = "n" * 200
    data["scale"]["levels"][0]["label"] = "l" * 100
    data["standards"][0]["code"] = "c" * 16
    data["standards"][1]["criteria"][0]["wording"] = "w" * 20_000
    data["scale"]["levels"][0]["score"] = 0.0
    data["scale"]["levels"][2]["score"] = 100.0
    assert parse_framework(json.dumps(data)).key == "k" * 64


def test_scales_file_rules():
    with pytest.raises(FrameworkFormatError, match='format: must be "audit-tool-scales/1"'):
        parse_scales(json.dumps(valid()))
    scale = valid()["scale"]
    text = json.dumps({"format": "audit-tool-scales/1", "scales": [scale, scale]})
    with pytest.raises(FrameworkFormatError, match=r'scales\[1\].key: "rag" is already used'):
        parse_scales(text)
