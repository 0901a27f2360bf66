"""The portable framework format, "audit-tool-framework/1": parsing, checking and writing.

A framework file holds one framework with its rating scale written out in full, so it
means the same thing in any deployment. The built-in files under `builtin/` differ in
one way only: they name a scale from `builtin/scales.json` by its key, and the loader
passes those scales in.

Everything here is pure: no database, no Flask. Every problem is reported with the place
at fault, either a line and column (JSON syntax) or a path such as
`standards[2].criteria[0].code`, so a person fixing a file by hand can find it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..models import Sector

FORMAT = "audit-tool-framework/1"
SCALES_FORMAT = "audit-tool-scales/1"

# Lengths match the model columns. Text columns are unbounded in the database; the
# limit is the one the edit forms apply, so anything imported can be edited again.
KEY_LENGTH = 64
LEVEL_KEY_LENGTH = 32
NAME_LENGTH = 200
TITLE_LENGTH = 200
CODE_LENGTH = 16
LABEL_LENGTH = 100
MAX_TEXT_LENGTH = 20_000

MIN_LEVELS = 2
MAX_SCORE = Decimal(100)
# Scores are stored as Numeric(5, 1): a second decimal place would be silently rounded.
SCORE_STEP = Decimal("0.1")

# Keys are identifiers people type on the command line and compare across versions.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
# The same rule as the forms: control characters hide content and break exports.
# Multi-line text may hold line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SINGLE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SECTORS = tuple(sector.value for sector in Sector)


class FrameworkFormatError(ValueError):
    """A framework file that cannot be used. The message names the place at fault."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LevelSpec:
    key: str
    label: str
    description: str
    colour: str
    score: Decimal
    needs_action: bool
    needs_evidence: bool


@dataclass(frozen=True)
class ScaleSpec:
    key: str
    name: str
    description: str
    levels: tuple[LevelSpec, ...]


@dataclass(frozen=True)
class CriterionSpec:
    key: str
    code: str
    title: str
    wording: str
    guidance: str
    essential: bool
    sectors: tuple[str, ...]
    allow_na: bool


@dataclass(frozen=True)
class StandardSpec:
    key: str
    code: str
    title: str
    summary: str
    criteria: tuple[CriterionSpec, ...]


@dataclass(frozen=True)
class FrameworkSpec:
    key: str
    name: str
    description: str
    scale: ScaleSpec
    standards: tuple[StandardSpec, ...]


# Reading ------------------------------------------------------------------------------


def parse_framework(text: str, *, scales: Mapping[str, ScaleSpec] | None = None) -> FrameworkSpec:
    """Read and check a framework file.

    `scales` is for the built-in files only: with it, `"scale"` may name one of these
    scales by key instead of writing it out.
    """
    root = _load(text)
    _check_format(root, FORMAT)
    obj = _Object(root, "", fields={"format", "key", "name", "description", "scale", "standards"})
    key = obj.key("key", max_length=KEY_LENGTH)
    name = obj.text("name", max_length=NAME_LENGTH)
    description = obj.text("description", max_length=MAX_TEXT_LENGTH, required=False, lines=True)
    scale = _framework_scale(obj, scales)

    standards = []
    seen_standards: dict[str, str] = {}
    seen_criteria: dict[str, str] = {}
    for value, path in obj.items(
        "standards", at_least=1, too_few="must have at least one standard"
    ):
        standard = _standard(value, path, seen_criteria)
        _claim(seen_standards, standard.key, f"{path}.key")
        standards.append(standard)
    return FrameworkSpec(
        key=key, name=name, description=description, scale=scale, standards=tuple(standards)
    )


def parse_scales(text: str) -> dict[str, ScaleSpec]:
    """Read the built-in scales file ("audit-tool-scales/1"), keyed by scale key."""
    root = _load(text)
    _check_format(root, SCALES_FORMAT)
    obj = _Object(root, "", fields={"format", "scales"})
    scales: dict[str, ScaleSpec] = {}
    seen: dict[str, str] = {}
    for value, path in obj.items("scales", at_least=1, too_few="must have at least one scale"):
        scale = _scale(value, path)
        _claim(seen, scale.key, f"{path}.key")
        scales[scale.key] = scale
    return scales


def _load(text: str) -> Any:
    try:
        return json.loads(
            text,
            parse_float=Decimal,  # exact scores: 33.3 stays 33.3
            parse_constant=_NotANumber,
            object_pairs_hook=_JSONObject.from_pairs,
        )
    except json.JSONDecodeError as error:
        raise FrameworkFormatError(
            f"line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except RecursionError:
        raise FrameworkFormatError("the file is nested too deeply to read") from None
    except ValueError as error:  # for example an integer with thousands of digits
        raise FrameworkFormatError(f"the file is not valid JSON: {error}") from None


class _NotANumber:
    """NaN and Infinity, which Python's JSON reader accepts but JSON does not. Kept as a
    value of its own so the field holding it fails its type check, with its path."""

    def __init__(self, name: str) -> None:
        self.name = name


class _JSONObject(dict):
    """A JSON object that remembers fields given more than once (JSON readers normally
    keep the last silently, which would hide a mistake in a hand-edited file)."""

    repeated: tuple[str, ...] = ()

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, Any]]) -> _JSONObject:
        obj = cls(pairs)
        if len(obj) != len(pairs):
            names = [name for name, _ in pairs]
            obj.repeated = tuple(sorted({name for name in names if names.count(name) > 1}))
        return obj


def _check_format(root: Any, expected: str) -> None:
    # Checked before anything else: a file of another kind would otherwise fail on its
    # first unknown field, which says less about what is wrong.
    if not isinstance(root, dict):
        raise FrameworkFormatError("top level: must be a JSON object")
    if "format" not in root:
        raise FrameworkFormatError(f'format: is required and must be "{expected}"')
    if root["format"] != expected:
        raise FrameworkFormatError(f'format: must be "{expected}"')


def _framework_scale(obj: _Object, scales: Mapping[str, ScaleSpec] | None) -> ScaleSpec:
    value = obj.get("scale")
    path = obj.at("scale")
    if isinstance(value, str) and scales is not None:
        if value not in scales:
            raise FrameworkFormatError(f'{path}: "{value}" is not a built-in scale')
        return scales[value]
    if isinstance(value, str):
        raise FrameworkFormatError(
            f"{path}: must be an object with the scale written out in full, "
            f'not the key of a built-in scale ("{value}")'
        )
    return _scale(value, path)


def _scale(value: Any, path: str) -> ScaleSpec:
    obj = _Object(value, path, fields={"key", "name", "description", "levels"})
    key = obj.key("key", max_length=KEY_LENGTH)
    name = obj.text("name", max_length=NAME_LENGTH)
    description = obj.text("description", max_length=MAX_TEXT_LENGTH, required=False, lines=True)
    levels: list[LevelSpec] = []
    seen: dict[str, str] = {}
    for level_value, level_path in obj.items(
        "levels", at_least=MIN_LEVELS, too_few=f"must have at least {MIN_LEVELS} levels"
    ):
        level = _level(level_value, level_path)
        _claim(seen, level.key, f"{level_path}.key")
        if levels and level.score <= levels[-1].score:
            lower_path = f"{obj.at('levels')}[{len(levels) - 1}]"
            raise FrameworkFormatError(
                f"{level_path}.score: must be higher than the score of {lower_path} "
                f"({_number(levels[-1].score)}): list levels from lowest to highest"
            )
        levels.append(level)
    return ScaleSpec(key=key, name=name, description=description, levels=tuple(levels))


def _level(value: Any, path: str) -> LevelSpec:
    obj = _Object(
        value,
        path,
        fields={
            "key",
            "label",
            "description",
            "colour",
            "score",
            "needs_action",
            "needs_evidence",
        },
    )
    return LevelSpec(
        key=obj.key("key", max_length=LEVEL_KEY_LENGTH),
        label=obj.text("label", max_length=LABEL_LENGTH),
        description=obj.text("description", max_length=MAX_TEXT_LENGTH, required=False, lines=True),
        colour=obj.colour("colour"),
        score=obj.score("score"),
        needs_action=obj.flag("needs_action"),
        needs_evidence=obj.flag("needs_evidence"),
    )


def _standard(value: Any, path: str, seen_criteria: dict[str, str]) -> StandardSpec:
    obj = _Object(value, path, fields={"key", "code", "title", "summary", "criteria"})
    key = obj.key("key", max_length=KEY_LENGTH)
    code = obj.text("code", max_length=CODE_LENGTH)
    title = obj.text("title", max_length=TITLE_LENGTH)
    summary = obj.text("summary", max_length=MAX_TEXT_LENGTH, required=False, lines=True)
    criteria = []
    for criterion_value, criterion_path in obj.items(
        "criteria", at_least=1, too_few="must have at least one criterion"
    ):
        criterion = _criterion(criterion_value, criterion_path)
        # Unique across the framework, not only the standard: answers are carried
        # between versions by criterion key, even if a criterion moves standard.
        _claim(seen_criteria, criterion.key, f"{criterion_path}.key")
        criteria.append(criterion)
    return StandardSpec(key=key, code=code, title=title, summary=summary, criteria=tuple(criteria))


def _criterion(value: Any, path: str) -> CriterionSpec:
    obj = _Object(
        value,
        path,
        fields={"key", "code", "title", "wording", "guidance", "essential", "sectors", "allow_na"},
    )
    return CriterionSpec(
        key=obj.key("key", max_length=KEY_LENGTH),
        code=obj.text("code", max_length=CODE_LENGTH),
        title=obj.text("title", max_length=TITLE_LENGTH),
        wording=obj.text("wording", max_length=MAX_TEXT_LENGTH, lines=True),
        guidance=obj.text("guidance", max_length=MAX_TEXT_LENGTH, required=False, lines=True),
        essential=obj.flag("essential"),
        sectors=obj.sectors("sectors"),
        allow_na=obj.flag("allow_na"),
    )


def _claim(seen: dict[str, str], key: str, path: str) -> None:
    if key in seen:
        raise FrameworkFormatError(f'{path}: "{key}" is already used by {seen[key]}')
    seen[key] = path.removesuffix(".key")


class _Object:
    """One JSON object being read. Fields not in `fields` are refused, so a misspelt
    field is reported rather than quietly ignored. Optional fields take the defaults
    the model columns have (empty text, false, no sectors)."""

    def __init__(self, value: Any, path: str, *, fields: set[str]) -> None:
        where = path or "top level"
        if not isinstance(value, dict):
            raise FrameworkFormatError(f"{where}: must be an object")
        repeated = getattr(value, "repeated", ())
        if repeated:
            raise FrameworkFormatError(f'{where}: has the field "{repeated[0]}" more than once')
        unknown = sorted(value.keys() - fields)
        if unknown:
            raise FrameworkFormatError(f"{self._join(path, unknown[0])}: is not a known field")
        self.value = value
        self.path = path

    @staticmethod
    def _join(path: str, name: str) -> str:
        return f"{path}.{name}" if path else name

    def at(self, name: str) -> str:
        return self._join(self.path, name)

    def get(self, name: str) -> Any:
        if name not in self.value:
            raise FrameworkFormatError(f"{self.at(name)}: is required")
        return self.value[name]

    def text(
        self, name: str, *, max_length: int, required: bool = True, lines: bool = False
    ) -> str:
        if not required and name not in self.value:
            return ""
        value = self.get(name)
        path = self.at(name)
        if not isinstance(value, str):
            raise FrameworkFormatError(f"{path}: must be a string")
        if required and not value.strip():
            raise FrameworkFormatError(f"{path}: must not be empty")
        if len(value) > max_length:
            raise FrameworkFormatError(f"{path}: must be {max_length:,} characters or fewer")
        if (_CONTROL if lines else _SINGLE_LINE_CONTROL).search(value):
            raise FrameworkFormatError(f"{path}: must not include hidden control characters")
        return value

    def key(self, name: str, *, max_length: int) -> str:
        value = self.text(name, max_length=max_length)
        if not _KEY.fullmatch(value):
            raise FrameworkFormatError(
                f"{self.at(name)}: must start with a letter or number and only include "
                "letters, numbers, hyphens, underscores and full stops"
            )
        return value

    def flag(self, name: str) -> bool:
        value = self.value.get(name, False)
        if not isinstance(value, bool):
            raise FrameworkFormatError(f"{self.at(name)}: must be true or false")
        return value

    def colour(self, name: str) -> str:
        value = self.get(name)
        if not isinstance(value, str) or not _COLOUR.fullmatch(value):
            raise FrameworkFormatError(
                f'{self.at(name)}: must be a colour written as "#" and 6 hex digits, like "#00703c"'
            )
        return value

    def score(self, name: str) -> Decimal:
        value = self.get(name)
        path = self.at(name)
        # bool is a subclass of int in Python, but true is not a score.
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise FrameworkFormatError(f"{path}: must be a number from 0 to 100")
        score = Decimal(value)
        if not 0 <= score <= MAX_SCORE:
            raise FrameworkFormatError(f"{path}: must be a number from 0 to 100")
        if score != score.quantize(SCORE_STEP):
            raise FrameworkFormatError(f"{path}: must have no more than 1 decimal place")
        return score

    def sectors(self, name: str) -> tuple[str, ...]:
        value = self.value.get(name, [])
        path = self.at(name)
        if not isinstance(value, list):
            raise FrameworkFormatError(
                f"{path}: must be a list of sectors (an empty list means every sector)"
            )
        for index, sector in enumerate(value):
            if not isinstance(sector, str) or sector not in _SECTORS:
                raise FrameworkFormatError(
                    f"{path}[{index}]: must be one of: {', '.join(_SECTORS)}"
                )
            if sector in value[:index]:
                raise FrameworkFormatError(f'{path}[{index}]: "{sector}" is listed more than once')
        return tuple(value)

    def items(self, name: str, *, at_least: int, too_few: str) -> list[tuple[Any, str]]:
        value = self.get(name)
        path = self.at(name)
        if not isinstance(value, list):
            raise FrameworkFormatError(f"{path}: must be a list")
        if len(value) < at_least:
            raise FrameworkFormatError(f"{path}: {too_few}")
        return [(item, f"{path}[{index}]") for index, item in enumerate(value)]


# Writing ------------------------------------------------------------------------------


def spec_to_json(spec: FrameworkSpec) -> str:
    """The file for a framework: fields in a fixed order, standards, criteria and levels
    in the framework's own order, so the same framework always gives the same bytes."""
    data = {
        "format": FORMAT,
        "key": spec.key,
        "name": spec.name,
        "description": spec.description,
        "scale": {
            "key": spec.scale.key,
            "name": spec.scale.name,
            "description": spec.scale.description,
            "levels": [
                {
                    "key": level.key,
                    "label": level.label,
                    "description": level.description,
                    "colour": level.colour,
                    "score": _number(level.score),
                    "needs_action": level.needs_action,
                    "needs_evidence": level.needs_evidence,
                }
                for level in spec.scale.levels
            ],
        },
        "standards": [
            {
                "key": standard.key,
                "code": standard.code,
                "title": standard.title,
                "summary": standard.summary,
                "criteria": [
                    {
                        "key": criterion.key,
                        "code": criterion.code,
                        "title": criterion.title,
                        "wording": criterion.wording,
                        "guidance": criterion.guidance,
                        "essential": criterion.essential,
                        "sectors": list(criterion.sectors),
                        "allow_na": criterion.allow_na,
                    }
                    for criterion in standard.criteria
                ],
            }
            for standard in spec.standards
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _number(score: Decimal) -> int | float:
    # Whole scores as integers (100, not 100.0), so a score reads the same whether it
    # came from a file or from the database's Numeric(5, 1) column.
    if score == score.to_integral_value():
        return int(score)
    return float(score.quantize(SCORE_STEP))
