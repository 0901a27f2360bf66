"""Query parameters shared by the dashboard pages and the JSON API.

A value that cannot be used is refused (400, naming the parameter) rather than ignored,
so a mistyped filter never looks like "nothing found".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from ..flags import Flag, FlagKind, Severity

E = TypeVar("E", bound=StrEnum)


class BadParameter(BadRequest):
    """A query parameter that cannot be used; the answer names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def single(args, name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise BadParameter(name, f"{name} must be given only once")
    return values[0] if values else None


def agency(args, agency_ids: set[int]) -> int | None:
    value = single(args, "agency")
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise BadParameter("agency", "agency must be a whole number, the agency's id")
    if int(value) not in agency_ids:
        raise BadParameter("agency", "agency must be the id of one of the agencies shown here")
    return int(value)


def choice(args, name: str, choices: type[E]) -> E | None:
    value = single(args, name)
    if value is None:
        return None
    try:
        return choices(value)
    except ValueError:
        allowed = ", ".join(option.value for option in choices)
        raise BadParameter(name, f"{name} must be one of {allowed}") from None


def key(args, name: str, keys: Mapping[str, object] | set[str]) -> str | None:
    value = single(args, name)
    if value is not None and value not in keys:
        raise BadParameter(name, f"{name} must be one of {', '.join(sorted(keys))}")
    return value


@dataclass(frozen=True)
class FlagFilter:
    agency: int | None = None
    standard: str | None = None
    kind: FlagKind | None = None
    severity: Severity | None = None

    def keeps(self, flag: Flag) -> bool:
        return (
            (self.agency is None or flag.agency_id == self.agency)
            and (self.standard is None or flag.standard_key == self.standard)
            and (self.kind is None or flag.kind is self.kind)
            and (self.severity is None or flag.severity is self.severity)
        )


def without_blanks(args) -> MultiDict:
    """A page's filter form sends an empty value for "All"; the API has no such form and
    treats an empty value as a mistake."""
    return MultiDict([(name, value) for name, value in args.items(multi=True) if value])


def flag_filter(args, *, agency_ids: set[int], standard_keys: set[str]) -> FlagFilter:
    return FlagFilter(
        agency=agency(args, agency_ids),
        standard=key(args, "standard", standard_keys),
        kind=choice(args, "kind", FlagKind),
        severity=choice(args, "severity", Severity),
    )
