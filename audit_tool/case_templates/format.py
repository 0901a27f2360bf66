"""The portable case-audit template format, "audit-tool-case-template/1".

A template file holds one themed audit template: its theme, the prefix of the case
references on that theme (the "DA" in DA-2026-03), and its sections, each with its
questions. Questions are graded (the four-point scale in `case_grading.py`), answered
yes, partly or no, or answered in free text. Every section also asks for good practice,
areas for development and recommendations: those three are not questions in the file
but part of every section (fields of `SectionReturn`), so a file cannot leave them out.

The reading rules (JSON errors by line and column; unknown, repeated or missing fields;
keys; text lengths; hidden control characters) are the ones every library format shares,
in `versioned_library.file_format`, so that the formats cannot drift apart. This module
is pure and reports every problem with the place at fault, such as
`sections[2].questions[0].kind`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..models import QuestionKind
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

FORMAT = "audit-tool-case-template/1"

# Case references are built from it ("DA-2026-03"), so it is short and unambiguous.
_REFERENCE_PREFIX = re.compile(r"[A-Z]{2,4}")
_KINDS = tuple(kind.value for kind in QuestionKind)

# Asked of every section, after its questions: field of SectionReturn, label.
REFLECTION_PROMPTS = (
    ("good_practice", "Good practice"),
    ("development", "Areas for development"),
    ("recommendations", "Recommendations"),
)
_REFLECTION_FIELDS = frozenset(field for field, _ in REFLECTION_PROMPTS)


class CaseTemplateFormatError(FormatError):
    """A template file that cannot be used. The message names the place at fault."""


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    kind: QuestionKind
    wording: str
    guidance: str


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    summary: str
    questions: tuple[QuestionSpec, ...]


@dataclass(frozen=True)
class CaseTemplateSpec:
    key: str
    name: str
    theme: str
    reference_prefix: str
    description: str
    sections: tuple[SectionSpec, ...]


# Reading ------------------------------------------------------------------------------


def parse_template(text: str) -> CaseTemplateSpec:
    """Read and check a template file."""
    return parse(text, _template, error=CaseTemplateFormatError)


def _template(root: Any) -> CaseTemplateSpec:
    check_format(root, FORMAT)
    obj = Fields(
        root,
        "",
        fields={"format", "key", "name", "theme", "reference_prefix", "description", "sections"},
    )
    key = obj.key("key", max_length=KEY_LENGTH)
    name = obj.text("name", max_length=NAME_LENGTH)
    theme = obj.text("theme", max_length=NAME_LENGTH)
    # Long enough to reach the pattern check, which gives the clearer message.
    reference_prefix = obj.text("reference_prefix", max_length=NAME_LENGTH)
    if not _REFERENCE_PREFIX.fullmatch(reference_prefix):
        raise CaseTemplateFormatError('reference_prefix: must be 2 to 4 capital letters, like "DA"')
    description = obj.text("description", max_length=MAX_TEXT_LENGTH, required=False, lines=True)

    sections = []
    seen_sections: dict[str, str] = {}
    seen_questions: dict[str, str] = {}
    for value, path in obj.items("sections", at_least=1, too_few="must have at least one section"):
        section = _section(value, path, seen_questions)
        claim(seen_sections, section.key, f"{path}.key")
        sections.append(section)
    return CaseTemplateSpec(
        key=key,
        name=name,
        theme=theme,
        reference_prefix=reference_prefix,
        description=description,
        sections=tuple(sections),
    )


def _section(value: Any, path: str, seen_questions: dict[str, str]) -> SectionSpec:
    obj = Fields(value, path, fields={"key", "title", "summary", "questions"})
    key = obj.key("key", max_length=KEY_LENGTH)
    title = obj.text("title", max_length=TITLE_LENGTH)
    summary = obj.text("summary", max_length=MAX_TEXT_LENGTH, required=False, lines=True)
    questions = []
    for question_value, question_path in obj.items(
        "questions", at_least=1, too_few="must have at least one question"
    ):
        question = _question(question_value, question_path)
        # Unique across the template, not only the section: answers are compared
        # between versions and rounds by question key, even if a question moves section.
        claim(seen_questions, question.key, f"{question_path}.key")
        questions.append(question)
    # The meeting's consolidated judgement per section is a grade; a section with
    # nothing graded would give the agencies' grades nothing to compare.
    if not any(question.kind is QuestionKind.GRADED for question in questions):
        raise CaseTemplateFormatError(
            f'{obj.at("questions")}: must have at least one question of kind "graded"'
        )
    return SectionSpec(key=key, title=title, summary=summary, questions=tuple(questions))


def _question(value: Any, path: str) -> QuestionSpec:
    obj = Fields(value, path, fields={"key", "kind", "wording", "guidance"})
    key = obj.key("key", max_length=KEY_LENGTH)
    if key in _REFLECTION_FIELDS:
        raise CaseTemplateFormatError(
            f'{obj.at("key")}: "{key}" is asked in every section already; '
            "choose another key for this question"
        )
    kind = obj.get("kind")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise CaseTemplateFormatError(f"{obj.at('kind')}: must be one of: {', '.join(_KINDS)}")
    return QuestionSpec(
        key=key,
        kind=QuestionKind(kind),
        wording=obj.text("wording", max_length=MAX_TEXT_LENGTH, lines=True),
        guidance=obj.text("guidance", max_length=MAX_TEXT_LENGTH, required=False, lines=True),
    )


# Writing ------------------------------------------------------------------------------


def spec_to_data(spec: CaseTemplateSpec) -> dict[str, Any]:
    """The file's content as JSON-ready data: fields in a fixed order, sections and
    questions in the template's own order."""
    return {
        "format": FORMAT,
        "key": spec.key,
        "name": spec.name,
        "theme": spec.theme,
        "reference_prefix": spec.reference_prefix,
        "description": spec.description,
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "summary": section.summary,
                "questions": [
                    {
                        "key": question.key,
                        "kind": question.kind.value,
                        "wording": question.wording,
                        "guidance": question.guidance,
                    }
                    for question in section.questions
                ],
            }
            for section in spec.sections
        ],
    }


# The file for `spec_to_data`'s data: the same data always gives the same bytes.
data_to_json = to_json


def spec_to_json(spec: CaseTemplateSpec) -> str:
    return data_to_json(spec_to_data(spec))
