"""The portable framework format, "audit-tool-framework/1": parsing, checking and writing.

A framework file holds one framework with its rating scale written out in full, so it
means the same thing in any deployment. The built-in files under `builtin/` differ in
one way only: they name a scale from `builtin/scales.json` by its key, and the loader
passes those scales in.

Everything here is pure: no database, no Flask. The reading rules every library format
shares (JSON errors by line and column, fields, keys, text) are in
`versioned_library.file_format`; this module adds the framework's own: scales, levels,
scores, colours and sectors. Every problem names the place at fault, such as
`standards[2].criteria[0].code`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..models import Sector
from ..versioned_library.file_format import (
    KEY_LENGTH,
    MAX_TEXT_LENGTH,
    NAME_LENGTH,
    TITLE_LENGTH,
    Fields,
    FormatError,
    check_format,
    claim,
    parse,
    to_json,
)

FORMAT = "audit-tool-framework/1"
SCALES_FORMAT = "audit-tool-scales/1"

# Lengths match the model columns (the ones every format shares are in file_format).
LEVEL_KEY_LENGTH = 32
CODE_LENGTH = 16
LABEL_LENGTH = 100

MIN_LEVELS = 2
MAX_SCORE = Decimal(100)
# Scores are stored as Numeric(5, 1): a second decimal place would be silently rounded.
SCORE_STEP = Decimal("0.1")

_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
_SECTORS = tuple(sector.value for sector in Sector)


class FrameworkFormatError(FormatError):
    """A framework file that cannot be used. The message names the place at fault."""


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
    return parse(text, lambda root: _framework(root, scales), error=FrameworkFormatError)


def parse_scales(text: str) -> dict[str, ScaleSpec]:
    """Read the built-in scales file ("audit-tool-scales/1"), keyed by scale key."""
    return parse(text, _scales, error=FrameworkFormatError)


def _framework(root: Any, scales: Mapping[str, ScaleSpec] | None) -> FrameworkSpec:
    check_format(root, FORMAT)
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
        claim(seen_standards, standard.key, f"{path}.key")
        standards.append(standard)
    return FrameworkSpec(
        key=key, name=name, description=description, scale=scale, standards=tuple(standards)
    )


def _scales(root: Any) -> dict[str, ScaleSpec]:
    check_format(root, SCALES_FORMAT)
    obj = _Object(root, "", fields={"format", "scales"})
    scales: dict[str, ScaleSpec] = {}
    seen: dict[str, str] = {}
    for value, path in obj.items("scales", at_least=1, too_few="must have at least one scale"):
        scale = _scale(value, path)
        claim(seen, scale.key, f"{path}.key")
        scales[scale.key] = scale
    return scales


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
        claim(seen, level.key, f"{level_path}.key")
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
        claim(seen_criteria, criterion.key, f"{criterion_path}.key")
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


class _Object(Fields):
    """The shared reading rules, and the values only frameworks have: colours, scores
    and sectors (left out, no sectors: the criterion applies to every sector)."""

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
    return to_json(data)


def _number(score: Decimal) -> int | float:
    # Whole scores as integers (100, not 100.0), so a score reads the same whether it
    # came from a file or from the database's Numeric(5, 1) column.
    if score == score.to_integral_value():
        return int(score)
    return float(score.quantize(SCORE_STEP))
