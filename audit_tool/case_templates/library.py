"""The case-audit template library: built-in templates, import and export, publishing.

Built-in templates (no partnership) are shared by every partnership, which sees only
their published versions; a partnership's own templates are visible to it alone. A
published version is frozen: rounds audited against it must keep their meaning, so
changes arrive as a new version with the same template key. What every versioned library
does (finding, visibility, importing, publishing) is in `versioned_library.library`;
this module describes templates to it.

A template's theme and reference prefix belong to the template, not to a version (see
`CaseTemplate`), so a new version must keep them: a different theme is a different
template, with a key of its own. That keeps an exported version faithful to what was
imported.

Services add and flush; the caller commits (see `db.commits` and `db.transaction`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, selectinload

from ..audit_trail import AuditEventType
from ..models import (
    CaseQuestion,
    CaseSection,
    CaseTemplate,
    CaseTemplateVersion,
    Partnership,
    User,
)
from ..services import DomainError
from ..versioned_library.library import VersionedLibrary
from .format import (
    CaseTemplateSpec,
    QuestionSpec,
    SectionSpec,
    parse_template,
    spec_to_data,
    spec_to_json,
)

BUILTIN_DIR = Path(__file__).parent / "builtin"
BUILTIN_SOURCE = "built-in"


# Templates as a versioned library --------------------------------------------------------


def export_spec(version: CaseTemplateVersion) -> CaseTemplateSpec:
    template = version.template
    return CaseTemplateSpec(
        key=template.key,
        name=version.name,
        theme=template.theme,
        reference_prefix=template.reference_prefix,
        description=version.description,
        sections=tuple(
            SectionSpec(
                key=section.key,
                title=section.title,
                summary=section.summary,
                questions=tuple(
                    QuestionSpec(
                        key=question.key,
                        kind=question.kind,
                        wording=question.wording,
                        guidance=question.guidance,
                    )
                    for question in section.questions
                ),
            )
            for section in version.sections
        ),
    )


def _new_template(spec: CaseTemplateSpec, partnership: Partnership | None) -> CaseTemplate:
    return CaseTemplate(
        key=spec.key,
        name=spec.name,
        theme=spec.theme,
        reference_prefix=spec.reference_prefix,
        partnership=partnership,
    )


def _build_version(
    template: CaseTemplate, spec: CaseTemplateSpec, number: int
) -> CaseTemplateVersion:
    return CaseTemplateVersion(
        template=template,
        number=number,
        name=spec.name,
        description=spec.description,
        sections=[
            CaseSection(
                key=section.key,
                title=section.title,
                summary=section.summary,
                position=position,
                questions=[
                    CaseQuestion(
                        key=question.key,
                        kind=question.kind,
                        wording=question.wording,
                        guidance=question.guidance,
                        position=question_position,
                    )
                    for question_position, question in enumerate(section.questions)
                ],
            )
            for position, section in enumerate(spec.sections)
        ],
    )


def _keeps_theme_and_prefix(template: CaseTemplate, spec: CaseTemplateSpec) -> None:
    # Case references and round themes come from the template: changing either under
    # rounds already audited would make their cases read as another theme's.
    for field, label in (("theme", "theme"), ("reference_prefix", "reference prefix")):
        before, after = getattr(template, field), getattr(spec, field)
        if before != after:
            raise DomainError(
                f"{template.name} has the {label} {before!r}, and a new version must keep "
                f"it (the file has {after!r}). Give the template a new key to change it."
            )


LIBRARY: VersionedLibrary[CaseTemplate, CaseTemplateVersion, CaseTemplateSpec] = VersionedLibrary(
    item_model=CaseTemplate,
    version_model=CaseTemplateVersion,
    item_attr="template",
    noun="case-audit template",
    content_options=(
        selectinload(CaseTemplateVersion.sections).selectinload(CaseSection.questions),
    ),
    parse=parse_template,
    to_json=spec_to_json,
    new_item=_new_template,
    build_version=_build_version,
    export_spec=export_spec,
    imported_event=AuditEventType.CASE_TEMPLATE_IMPORTED,
    published_event=AuditEventType.CASE_TEMPLATE_PUBLISHED,
    check_next_version=_keeps_theme_and_prefix,
)

# The names the rest of the app calls the shared services by.
find_template = LIBRARY.find
templates_for = LIBRARY.for_partnership
visible_versions = LIBRARY.visible_versions
get_version = LIBRARY.get_version
latest_published = LIBRARY.latest_published
numbered = LIBRARY.numbered
draft_of = LIBRARY.draft_of
publish_version = LIBRARY.publish


# Built-in templates ----------------------------------------------------------------------


def builtin_files() -> list[Path]:
    return sorted(BUILTIN_DIR.glob("*.json"))


def builtin_specs() -> list[CaseTemplateSpec]:
    """The templates shipped with the tool, read and checked from `builtin/`."""
    return [parse_template(path.read_text(encoding="utf-8")) for path in builtin_files()]


def load_builtin(session: Session, *, by: User | None = None) -> list[CaseTemplateVersion]:
    """Add the built-in templates as published version 1 where they are missing, and
    return the latest published version of each. Safe to run any number of times."""

    def add(spec: CaseTemplateSpec) -> CaseTemplate:
        return import_template(
            session, spec, partnership=None, publish=True, by=by, source=BUILTIN_SOURCE
        ).template

    return LIBRARY.load_builtin(session, builtin_specs(), add=add)


# Reading, import and export --------------------------------------------------------------


def usable_versions(session: Session, partnership: Partnership) -> list[CaseTemplateVersion]:
    """The versions a new round may use: the latest published version of each template
    the partnership can see."""
    found = (latest_published(template) for template in templates_for(session, partnership))
    return [version for version in found if version is not None]


def import_template(
    session: Session,
    spec: CaseTemplateSpec,
    *,
    partnership: Partnership | None = None,
    publish: bool,
    by: User | None,
    source: str,
) -> CaseTemplateVersion:
    """Add a template from a file as a new version: version 1 of a new template, or the
    next version of the template with the same key (the partnership's own, or a
    built-in when `partnership` is None). Published at once if `publish`, otherwise a
    draft. Refused as a whole, before anything is added, if the template is invalid,
    already has a draft, or changes the theme or reference prefix. `source` names the
    file in the trail."""
    return LIBRARY.import_version(
        session, spec=spec, partnership=partnership, by=by, source=source, publish=publish
    )


def export_template(version: CaseTemplateVersion) -> dict[str, Any]:
    """The version as the content of a template file (see `format.data_to_json`)."""
    return spec_to_data(export_spec(version))
