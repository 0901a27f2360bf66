"""The rules that tie an archive's records together, beyond each reference resolving.

A response must answer a criterion of its own cycle's framework version, a section
return a section of its own round's template, and so on: an archive that breaks one of
these would import into a partnership whose pages and scores make no sense. Pure: runs on
the `Index` that `archive_format.validate_records` builds.
"""

from __future__ import annotations

from ..case_grading import Grade, YesPartlyNo
from ..identifiers import find_identifiers
from ..models import QuestionKind, Role
from .archive_format import ArchiveError, Entry, Index, tree_key

_VERSION_TYPES = {"framework_versions", "case_template_versions"}
_GRADES = {grade.value for grade in Grade}
_ANSWERS = {
    QuestionKind.GRADED.value: _GRADES,
    QuestionKind.YES_PARTLY_NO.value: {answer.value for answer in YesPartlyNo},
    QuestionKind.FREE_TEXT.value: set(),
}
# The text about a child's case that the case-audit forms and services check; an archive
# is held to the same rule, so an import cannot bring in what the app would refuse.
_PSEUDONYMOUS_TEXT = {
    "case_audit_rounds": ("name", "reopened_reason"),
    "audit_cases": ("selection_reason", "overall_rationale"),
    "case_returns": ("reopened_reason",),
    "section_returns": ("good_practice", "development", "recommendations"),
    "case_answers": ("comment",),
    "case_judgements": ("rationale",),
    "learning_points": ("text",),
    "safeguarding_concerns": ("description", "follow_up_by", "closing_note"),
}
_CASE_ACTION_TEXT = ("description", "owner")


def check_consistency(index: Index) -> None:
    _check_tree_keys(index)
    for entry in index.of("memberships"):
        is_lead = entry.record["role"] == Role.AGENCY_LEAD.value
        if is_lead != (entry.record["agency"] is not None):
            raise ArchiveError(
                f'{entry.where}: an agency lead must name an agency in "agency", '
                "and no other role may"
            )
    for entry in index.of("users"):
        email = entry.record["email"]
        if email != email.strip().lower() or "@" not in email:
            raise ArchiveError(f'{entry.where}: "email" must be a lower-case email address')
    for entry in index.of("evidence_items"):
        file_fields = ("original_filename", "content_type", "size_bytes")
        has_file = entry.record["file_sha256"] is not None
        if any((entry.record[name] is not None) != has_file for name in file_fields):
            raise ArchiveError(
                f'{entry.where}: "original_filename", "content_type" and "size_bytes" '
                'must be given exactly when "file_sha256" is'
            )
    _check_section11(index)
    _check_case_audits(index)
    _check_pseudonymous(index)
    _check_events(index)


def _check_tree_keys(index: Index) -> None:
    for entry in index.entries.values():
        if entry.type.path_field is None:
            continue
        expected = tree_key(entry.type.name, entry.record, entry.parent)
        if entry.key != expected:
            raise ArchiveError(f'{entry.where}: the key must be "{expected}"')


def _version_of(index: Index, key: str) -> str | None:
    """The framework or template version a nested record belongs to."""
    entry = index.get(key)
    while entry is not None and entry.type.name not in _VERSION_TYPES:
        entry = index.get(entry.parent)
    return entry.key if entry is not None else None


def _follow(index: Index, entry: Entry, *path: str) -> Entry:
    for name in path:
        target = index.get(entry.record[name])
        assert target is not None  # noqa: S101 (references are checked first)  # nosec B101
        entry = target
    return entry


def _require_in(index: Index, entry: Entry, names: tuple[str, ...], version: str, what: str):
    for name in names:
        key = entry.record[name]
        if key is not None and _version_of(index, key) != version:
            raise ArchiveError(
                f'{entry.where}: the field "{name}" refers to "{key}", which is not part of '
                f'{what} "{version}"'
            )


def _check_section11(index: Index) -> None:
    def cycle_version(assessment_key: str) -> str:
        assessment = index.get(assessment_key)
        assert assessment is not None  # noqa: S101 (references are checked first)  # nosec B101
        return _follow(index, assessment, "cycle").record["framework_version"]

    for entry in index.of("criterion_responses"):
        version = cycle_version(entry.record["assessment"])
        _require_in(index, entry, ("criterion", "level"), version, "the cycle's framework")
    for entry in index.of("panel_agencies"):
        panel_cycle = _follow(index, entry, "panel").record["cycle"]
        if _follow(index, entry, "assessment").record["cycle"] != panel_cycle:
            raise ArchiveError(f"{entry.where}: the return is not from the panel's cycle")
    for type_name, names in (
        ("challenges", ("criterion", "standard")),
        ("moderated_ratings", ("criterion", "level")),
    ):
        for entry in index.of(type_name):
            assessment = _follow(index, entry, "panel_agency").record["assessment"]
            version = cycle_version(assessment)
            _require_in(index, entry, names, version, "the cycle's framework")
    for entry in index.of("actions"):
        if entry.record["assessment"] is not None:
            version = cycle_version(entry.record["assessment"])
            _require_in(index, entry, ("criterion",), version, "the cycle's framework")


def _check_case_audits(index: Index) -> None:
    def round_version(case_key: str) -> str:
        case = index.get(case_key)
        assert case is not None  # noqa: S101 (references are checked first)  # nosec B101
        return _follow(index, case, "round").record["template_version"]

    for entry in index.of("audit_cases"):
        grade = entry.record["overall_grade"]
        if grade is not None and grade not in _GRADES:
            raise ArchiveError(f'{entry.where}: "overall_grade" must be one of {_names(_GRADES)}')
    for entry in index.of("section_returns"):
        version = round_version(_follow(index, entry, "case_return").record["case"])
        _require_in(index, entry, ("section",), version, "the round's template")
    for entry in index.of("case_judgements"):
        version = round_version(entry.record["case"])
        _require_in(index, entry, ("section",), version, "the round's template")
        if entry.record["grade"] not in _GRADES:
            raise ArchiveError(f'{entry.where}: "grade" must be one of {_names(_GRADES)}')
    for entry in index.of("case_answers"):
        question = _follow(index, entry, "question")
        section = _follow(index, entry, "section_return").record["section"]
        if question.parent != section:
            raise ArchiveError(
                f'{entry.where}: the question "{question.key}" is not in the section '
                f'"{section}" this answer was given in'
            )
        allowed = _ANSWERS[question.record["kind"]]
        answer = entry.record["answer"]
        if answer is not None and answer not in allowed:
            expected = f"one of {_names(allowed)}" if allowed else "null (a free-text question)"
            raise ArchiveError(f'{entry.where}: "answer" must be {expected}')


def _check_pseudonymous(index: Index) -> None:
    def check(entry: Entry, names: tuple[str, ...]) -> None:
        for name in names:
            findings = find_identifiers(entry.record[name] or "")
            if findings:
                label = f'the field "{name}"'
                raise ArchiveError(f"{entry.where}: {findings[0].message(label)}")

    for type_name, names in _PSEUDONYMOUS_TEXT.items():
        for entry in index.of(type_name):
            check(entry, names)
    for entry in index.of("actions"):
        if entry.record["case"] is not None:
            check(entry, _CASE_ACTION_TEXT)


def _check_events(index: Index) -> None:
    for entry in index.of("audit_events"):
        subject = index.get(entry.record["subject"])
        subject_type = entry.record["subject_type"]
        if subject is not None and subject.type.name == "audit_events":
            raise ArchiveError(f'{entry.where}: "subject" must not be another audit event')
        if subject is not None and subject.type.model != subject_type:
            raise ArchiveError(
                f'{entry.where}: "subject_type" is "{subject_type}" but "subject" is a '
                f"{subject.type.model}"
            )


def _names(values: set[str]) -> str:
    return ", ".join(sorted(values))
