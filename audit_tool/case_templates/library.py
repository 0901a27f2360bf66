"""The case-audit template library: built-in templates, import and export, publishing.

Built-in templates (no partnership) are shared by every partnership, which sees only
their published versions; a partnership's own templates are visible to it alone. A
published version is frozen: rounds audited against it must keep their meaning, so
changes arrive as a new version with the same template key.

A template's theme and reference prefix belong to the template, not to a version (see
`CaseTemplate`), so a new version must keep them: a different theme is a different
template, with a key of its own. That keeps an exported version faithful to what was
imported.

Services add and flush; the caller commits (see `db.commits` and `db.transaction`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..audit_trail import AuditEventType, record_event
from ..db import lock_for_update
from ..models import (
    CaseQuestion,
    CaseSection,
    CaseTemplate,
    CaseTemplateVersion,
    FrameworkStatus,
    Partnership,
    User,
    utcnow,
)
from ..services import DomainError, NotFound
from .format import (
    CaseTemplateFormatError,
    CaseTemplateSpec,
    QuestionSpec,
    SectionSpec,
    parse_template,
    spec_to_data,
    spec_to_json,
)

BUILTIN_DIR = Path(__file__).parent / "builtin"
BUILTIN_SOURCE = "built-in"


# Built-in templates ----------------------------------------------------------------------


def builtin_files() -> list[Path]:
    return sorted(BUILTIN_DIR.glob("*.json"))


def builtin_specs() -> list[CaseTemplateSpec]:
    """The templates shipped with the tool, read and checked from `builtin/`."""
    return [parse_template(path.read_text(encoding="utf-8")) for path in builtin_files()]


def load_builtin(session: Session, *, by: User | None = None) -> list[CaseTemplateVersion]:
    """Add the built-in templates as published version 1 where they are missing, and
    return the latest published version of each. Safe to run any number of times."""
    latest = []
    for spec in builtin_specs():
        template = find_template(session, partnership=None, key=spec.key)
        if template is None:
            version = import_template(
                session, spec, partnership=None, publish=True, by=by, source=BUILTIN_SOURCE
            )
            template = version.template
        version = latest_published(template)
        if version is None:
            # Only possible if someone imported a draft under a built-in key first.
            raise DomainError(
                f"The built-in case-audit template {spec.key} has no published version"
            )
        latest.append(version)
    return latest


# Reading ---------------------------------------------------------------------------------


def templates_for(session: Session, partnership: Partnership) -> list[CaseTemplate]:
    """The built-in templates and the partnership's own, by name, built-in first."""
    templates = session.scalars(
        select(CaseTemplate)
        .options(selectinload(CaseTemplate.versions))
        .where(
            CaseTemplate.partnership_id.is_(None) | (CaseTemplate.partnership_id == partnership.id)
        )
        .order_by(CaseTemplate.name, CaseTemplate.partnership_id.is_not(None), CaseTemplate.id)
    )
    # A built-in with nothing published yet has nothing a partnership may see.
    return [template for template in templates if visible_versions(template, partnership)]


def visible_versions(template: CaseTemplate, partnership: Partnership) -> list[CaseTemplateVersion]:
    return [version for version in template.versions if _visible(version, partnership)]


def usable_versions(session: Session, partnership: Partnership) -> list[CaseTemplateVersion]:
    """The versions a new round may use: the latest published version of each template
    the partnership can see."""
    found = (latest_published(template) for template in templates_for(session, partnership))
    return [version for version in found if version is not None]


def get_version(
    session: Session, partnership: Partnership, case_version_id: int
) -> CaseTemplateVersion:
    """A version with its sections and questions loaded; NotFound for versions the
    partnership cannot see (another partnership's, or an unpublished built-in)."""
    version = session.scalar(
        select(CaseTemplateVersion)
        .options(
            joinedload(CaseTemplateVersion.template).selectinload(CaseTemplate.versions),
            selectinload(CaseTemplateVersion.sections).selectinload(CaseSection.questions),
        )
        .where(CaseTemplateVersion.id == case_version_id)
    )
    if version is None or not _visible(version, partnership):
        raise NotFound("Case-audit template version not found")
    return version


def find_template(
    session: Session, *, partnership: Partnership | None, key: str
) -> CaseTemplate | None:
    """The partnership's own template with this key, or the built-in one (no partnership)."""
    owner = (
        CaseTemplate.partnership_id.is_(None)
        if partnership is None
        else CaseTemplate.partnership_id == partnership.id
    )
    return session.scalar(
        select(CaseTemplate)
        .options(selectinload(CaseTemplate.versions))
        .where(owner, CaseTemplate.key == key)
    )


def latest_published(template: CaseTemplate) -> CaseTemplateVersion | None:
    return next(
        (v for v in reversed(template.versions) if v.status is FrameworkStatus.PUBLISHED), None
    )


def numbered(template: CaseTemplate, number: int) -> CaseTemplateVersion | None:
    return next((v for v in template.versions if v.number == number), None)


def draft_of(template: CaseTemplate) -> CaseTemplateVersion | None:
    return next((v for v in template.versions if v.status is FrameworkStatus.DRAFT), None)


def _visible(version: CaseTemplateVersion, partnership: Partnership) -> bool:
    owner = version.template.partnership_id
    if owner is None:
        return version.status is FrameworkStatus.PUBLISHED
    return owner == partnership.id


# Import, export and publishing -----------------------------------------------------------


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
    try:
        # Specs normally come from `parse_template`; checking again here means one
        # built in code cannot bypass the rules the file format enforces.
        parse_template(spec_to_json(spec))
    except CaseTemplateFormatError as error:
        raise DomainError(error.message) from error
    if partnership is not None:
        # Serialise imports within a partnership: two at once would both find no draft.
        lock_for_update(session, Partnership, partnership.id)
    template = find_template(session, partnership=partnership, key=spec.key)
    if template is None:
        template = CaseTemplate(
            key=spec.key,
            name=spec.name,
            theme=spec.theme,
            reference_prefix=spec.reference_prefix,
            partnership=partnership,
        )
        session.add(template)
        number = 1
    else:
        _lock_template(session, template)
        _check_next_version(template, spec)
        number = template.versions[-1].number + 1
    version = _add_version(session, template=template, spec=spec, number=number)
    record_event(
        session,
        AuditEventType.CASE_TEMPLATE_IMPORTED,
        by=by,
        partnership=partnership,
        subject=version,
        key=spec.key,
        version=number,
        source=source,
    )
    if publish:
        publish_version(session, version=version, partnership=partnership, by=by)
    return version


def publish_version(
    session: Session,
    *,
    version: CaseTemplateVersion,
    partnership: Partnership | None,
    by: User | None,
) -> None:
    """Publish a draft, which freezes it. `partnership` is the one acting; None only
    for the built-in library, from the command line."""
    lock_for_update(session, CaseTemplateVersion, version.id)
    if version.template.partnership_id != (partnership.id if partnership is not None else None):
        raise NotFound("Case-audit template not found")
    if version.frozen:
        raise DomainError(f"Version {version.number} has already been published")
    version.status = FrameworkStatus.PUBLISHED
    version.published_at = utcnow()
    # The library lists a template under the name of its newest published version.
    version.template.name = version.name
    record_event(
        session,
        AuditEventType.CASE_TEMPLATE_PUBLISHED,
        by=by,
        partnership=partnership,
        subject=version,
        key=version.template.key,
        version=version.number,
    )
    session.flush()


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


def export_template(version: CaseTemplateVersion) -> dict[str, Any]:
    """The version as the content of a template file (see `format.data_to_json`)."""
    return spec_to_data(export_spec(version))


def _check_next_version(template: CaseTemplate, spec: CaseTemplateSpec) -> None:
    draft = draft_of(template)
    if draft is not None:
        raise DomainError(
            f"{template.name} already has a draft version (version {draft.number}). "
            "Publish it before importing another version."
        )
    # Case references and round themes come from the template: changing either under
    # rounds already audited would make their cases read as another theme's.
    for field, label in (("theme", "theme"), ("reference_prefix", "reference prefix")):
        before, after = getattr(template, field), getattr(spec, field)
        if before != after:
            raise DomainError(
                f"{template.name} has the {label} {before!r}, and a new version must keep "
                f"it (the file has {after!r}). Give the template a new key to change it."
            )


def _add_version(
    session: Session, *, template: CaseTemplate, spec: CaseTemplateSpec, number: int
) -> CaseTemplateVersion:
    version = CaseTemplateVersion(
        template=template,
        number=number,
        status=FrameworkStatus.DRAFT,
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
    session.add(version)
    session.flush()
    return version


def _lock_template(session: Session, template: CaseTemplate) -> None:
    # Reload the versions after taking the lock: another request may have added one.
    lock_for_update(session, CaseTemplate, template.id)
    session.refresh(template, ["versions"])
