"""The reading rules every library file format shares: JSON syntax, fields, keys, text.

Pure: no database, no Flask. Every problem is reported with the place at fault, either
a line and column (JSON syntax) or a path such as `standards[2].criteria[0].code`, so a
person fixing a file by hand can find it. A format reports its own problems with its own
error class (a subclass of `FormatError`): `parse` turns the shared rules' errors into it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

# Lengths match the model columns. Text columns are unbounded in the database; the
# limit is the one the edit forms apply, so anything imported can be edited again.
KEY_LENGTH = 64
NAME_LENGTH = 200
TITLE_LENGTH = 200
MAX_TEXT_LENGTH = 20_000

# Keys are identifiers people type on the command line and compare across versions.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# The same rule as the forms: control characters hide content and break exports.
# Multi-line text may hold line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SINGLE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

T = TypeVar("T")


class FormatError(ValueError):
    """A file that cannot be used. The message names the place at fault."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse(text: str, read: Callable[[Any], T], *, error: type[FormatError]) -> T:
    """`read` applied to the JSON in `text`, any problem raised as `error`."""
    try:
        return read(load(text))
    except error:
        raise
    except FormatError as problem:
        # Raised by the shared rules: same message, the format's own error.
        raise error(problem.message) from None


def load(text: str) -> Any:
    try:
        return json.loads(
            text,
            parse_float=Decimal,  # exact numbers: 33.3 stays 33.3
            parse_constant=_NotANumber,
            object_pairs_hook=_JSONObject.from_pairs,
        )
    except json.JSONDecodeError as error:
        raise FormatError(f"line {error.lineno}, column {error.colno}: {error.msg}") from None
    except RecursionError:
        raise FormatError("the file is nested too deeply to read") from None
    except ValueError as error:  # for example an integer with thousands of digits
        raise FormatError(f"the file is not valid JSON: {error}") from None


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


def check_format(root: Any, expected: str) -> None:
    # Checked before anything else: a file of another kind would otherwise fail on its
    # first unknown field, which says less about what is wrong.
    if not isinstance(root, dict):
        raise FormatError("top level: must be a JSON object")
    if "format" not in root:
        raise FormatError(f'format: is required and must be "{expected}"')
    if root["format"] != expected:
        raise FormatError(f'format: must be "{expected}"')


def claim(seen: dict[str, str], key: str, path: str) -> None:
    """Record `key` as used at `path`, refusing a key already used."""
    if key in seen:
        raise FormatError(f'{path}: "{key}" is already used by {seen[key]}')
    seen[key] = path.removesuffix(".key")


def to_json(data: dict[str, Any]) -> str:
    """The same data always gives the same bytes."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


class Fields:
    """One JSON object being read. Fields not in `fields` are refused, so a misspelt
    field is reported rather than quietly ignored. Optional fields take the defaults
    the model columns have (empty text, false)."""

    def __init__(self, value: Any, path: str, *, fields: set[str]) -> None:
        where = path or "top level"
        if not isinstance(value, dict):
            raise FormatError(f"{where}: must be an object")
        repeated = getattr(value, "repeated", ())
        if repeated:
            raise FormatError(f'{where}: has the field "{repeated[0]}" more than once')
        unknown = sorted(value.keys() - fields)
        if unknown:
            raise FormatError(f"{self._join(path, unknown[0])}: is not a known field")
        self.value = value
        self.path = path

    @staticmethod
    def _join(path: str, name: str) -> str:
        return f"{path}.{name}" if path else name

    def at(self, name: str) -> str:
        return self._join(self.path, name)

    def get(self, name: str) -> Any:
        if name not in self.value:
            raise FormatError(f"{self.at(name)}: is required")
        return self.value[name]

    def text(
        self, name: str, *, max_length: int, required: bool = True, lines: bool = False
    ) -> str:
        if not required and name not in self.value:
            return ""
        value = self.get(name)
        path = self.at(name)
        if not isinstance(value, str):
            raise FormatError(f"{path}: must be a string")
        if required and not value.strip():
            raise FormatError(f"{path}: must not be empty")
        if len(value) > max_length:
            raise FormatError(f"{path}: must be {max_length:,} characters or fewer")
        if (_CONTROL if lines else _SINGLE_LINE_CONTROL).search(value):
            raise FormatError(f"{path}: must not include hidden control characters")
        return value

    def key(self, name: str, *, max_length: int) -> str:
        value = self.text(name, max_length=max_length)
        if not _KEY.fullmatch(value):
            raise FormatError(
                f"{self.at(name)}: must start with a letter or number and only include "
                "letters, numbers, hyphens, underscores and full stops"
            )
        return value

    def flag(self, name: str) -> bool:
        value = self.value.get(name, False)
        if not isinstance(value, bool):
            raise FormatError(f"{self.at(name)}: must be true or false")
        return value

    def items(self, name: str, *, at_least: int, too_few: str) -> list[tuple[Any, str]]:
        value = self.get(name)
        path = self.at(name)
        if not isinstance(value, list):
            raise FormatError(f"{path}: must be a list")
        if len(value) < at_least:
            raise FormatError(f"{path}: {too_few}")
        return [(item, f"{path}[{index}]") for index, item in enumerate(value)]
