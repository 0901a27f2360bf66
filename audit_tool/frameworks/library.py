"""The framework library: built-in frameworks, import and export, drafting and publishing.

Built-in frameworks (no partnership) are shared by every partnership and never change
under them: partnerships see only their published versions, and a partnership that
wants to change one drafts its own copy, which keeps the framework key so answers can
still be carried forward and compared.

What every versioned library does (finding, visibility, importing, publishing) is in
`versioned_library.library`; this module describes frameworks to it and adds what only
frameworks do: drafting a new version in the tool and editing its criteria.

Services add and flush; the caller commits (see `db.commits` and `db.transaction`).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, selectinload

from ..audit_trail import AuditEventType, record_event
from ..db import lock_for_update
from ..models import (
    Criterion,
    Framework,
    FrameworkStatus,
    FrameworkVersion,
    Partnership,
    ScaleLevel,
    Standard,
    User,
)
from ..services import DomainError, NotFound
from ..versioned_library.library import VersionedLibrary
from .format import (
    CriterionSpec,
    FrameworkSpec,
    LevelSpec,
    ScaleSpec,
    StandardSpec,
    parse_framework,
    parse_scales,
    spec_to_json,
)

BUILTIN_DIR = Path(__file__).parent / "builtin"
BUILTIN_FILES = ("s11-arrangements.json", "s11-nine-standards.json")
BUILTIN_SOURCE = "built-in"

FROZEN_MESSAGE = "Published versions cannot be changed. Create a new version to make changes."


# Frameworks as a versioned library -------------------------------------------------------


def export_spec(version: FrameworkVersion) -> FrameworkSpec:
    return FrameworkSpec(
        key=version.framework.key,
        name=version.name,
        description=version.description,
        scale=ScaleSpec(
            key=version.scale_key,
            name=version.scale_name,
            description=version.scale_description,
            levels=tuple(
                LevelSpec(
                    key=level.key,
                    label=level.label,
                    description=level.description,
                    colour=level.colour,
                    score=level.score,
                    needs_action=level.needs_action,
                    needs_evidence=level.needs_evidence,
                )
                for level in version.levels
            ),
        ),
        standards=tuple(
            StandardSpec(
                key=standard.key,
                code=standard.code,
                title=standard.title,
                summary=standard.summary,
                criteria=tuple(
                    CriterionSpec(
                        key=criterion.key,
                        code=criterion.code,
                        title=criterion.title,
                        wording=criterion.wording,
                        guidance=criterion.guidance,
                        essential=criterion.essential,
                        sectors=tuple(criterion.sectors),
                        allow_na=criterion.allow_na,
                    )
                    for criterion in standard.criteria
                ),
            )
            for standard in version.standards
        ),
    )


def _new_framework(spec: FrameworkSpec, partnership: Partnership | None) -> Framework:
    return Framework(key=spec.key, name=spec.name, partnership=partnership)


def _build_version(framework: Framework, spec: FrameworkSpec, number: int) -> FrameworkVersion:
    return FrameworkVersion(
        framework=framework,
        number=number,
        name=spec.name,
        description=spec.description,
        scale_key=spec.scale.key,
        scale_name=spec.scale.name,
        scale_description=spec.scale.description,
        levels=[
            ScaleLevel(
                key=level.key,
                label=level.label,
                description=level.description,
                colour=level.colour,
                score=level.score,
                position=position,
                needs_action=level.needs_action,
                needs_evidence=level.needs_evidence,
            )
            for position, level in enumerate(spec.scale.levels)
        ],
        standards=[
            Standard(
                key=standard.key,
                code=standard.code,
                title=standard.title,
                summary=standard.summary,
                position=position,
                criteria=[
                    Criterion(
                        key=criterion.key,
                        code=criterion.code,
                        title=criterion.title,
                        wording=criterion.wording,
                        guidance=criterion.guidance,
                        essential=criterion.essential,
                        sectors=list(criterion.sectors),
                        allow_na=criterion.allow_na,
                        position=criterion_position,
                    )
                    for criterion_position, criterion in enumerate(standard.criteria)
                ],
            )
            for position, standard in enumerate(spec.standards)
        ],
    )


LIBRARY: VersionedLibrary[Framework, FrameworkVersion, FrameworkSpec] = VersionedLibrary(
    item_model=Framework,
    version_model=FrameworkVersion,
    item_attr="framework",
    noun="framework",
    content_options=(
        selectinload(FrameworkVersion.levels),
        selectinload(FrameworkVersion.standards).selectinload(Standard.criteria),
    ),
    parse=parse_framework,
    to_json=spec_to_json,
    new_item=_new_framework,
    build_version=_build_version,
    export_spec=export_spec,
    imported_event=AuditEventType.FRAMEWORK_IMPORTED,
    published_event=AuditEventType.FRAMEWORK_VERSION_PUBLISHED,
)

# The names the rest of the app calls the shared services by.
find_framework = LIBRARY.find
frameworks_for = LIBRARY.for_partnership
visible_versions = LIBRARY.visible_versions
get_version = LIBRARY.get_version
latest_published = LIBRARY.latest_published
numbered = LIBRARY.numbered
draft_of = LIBRARY.draft_of
publish = LIBRARY.publish


# Built-in frameworks ---------------------------------------------------------------------


def builtin_specs() -> list[FrameworkSpec]:
    """The frameworks shipped with the tool, read and checked from `builtin/`."""
    scales = parse_scales((BUILTIN_DIR / "scales.json").read_text(encoding="utf-8"))
    return [
        parse_framework((BUILTIN_DIR / name).read_text(encoding="utf-8"), scales=scales)
        for name in BUILTIN_FILES
    ]


def load_builtin(session: Session, *, by: User | None = None) -> list[FrameworkVersion]:
    """Add the built-in frameworks as published version 1 where they are missing, and
    return the latest published version of each. Safe to run any number of times."""

    def add(spec: FrameworkSpec) -> Framework:
        # Published as it is added: the trail has the import, with no separate publish.
        framework = _new_framework(spec, None)
        session.add(framework)
        version = LIBRARY.add_version(
            session, item=framework, spec=spec, number=1, status=FrameworkStatus.PUBLISHED
        )
        record_event(
            session,
            AuditEventType.FRAMEWORK_IMPORTED,
            by=by,
            subject=version,
            key=spec.key,
            version=1,
            source=BUILTIN_SOURCE,
        )
        return framework

    return LIBRARY.load_builtin(session, builtin_specs(), add=add)


# Reading ---------------------------------------------------------------------------------


def get_criterion(
    session: Session, partnership: Partnership, version_id: int, criterion_id: int
) -> Criterion:
    """A criterion of a version the partnership can see; 404 otherwise."""
    version = get_version(session, partnership, version_id)
    for standard in version.standards:
        for criterion in standard.criteria:
            if criterion.id == criterion_id:
                return criterion
    raise NotFound("Criterion not found")


def blocking_version(
    session: Session, *, framework: Framework, partnership: Partnership
) -> FrameworkVersion | None:
    """The version that stands in the way of drafting a new one, or None if the
    partnership may draft: the framework's existing draft or, for a built-in the
    partnership has already copied, the newest version of its own copy."""
    if framework.partnership_id is None:
        own = find_framework(session, partnership=partnership, key=framework.key)
        return own.versions[-1] if own is not None else None
    return draft_of(framework)


# Import ----------------------------------------------------------------------------------


def import_framework(
    session: Session,
    *,
    spec: FrameworkSpec,
    partnership: Partnership | None = None,
    by: User | None,
    source: str = "file",
) -> FrameworkVersion:
    """Add a framework from a file as a draft: a new framework, or the next version of
    the framework with the same key (the partnership's own, or a built-in when
    `partnership` is None). Refused as a whole, before anything is added, if the
    framework is invalid or already has a draft. `source` names the file in the trail."""
    return LIBRARY.import_version(session, spec=spec, partnership=partnership, by=by, source=source)


# Versions --------------------------------------------------------------------------------


def draft_new_version(
    session: Session, *, framework: Framework, partnership: Partnership, by: User
) -> FrameworkVersion:
    """A draft copy of the framework's latest published version, criterion keys kept.

    From a built-in, the draft goes into the partnership's own copy of the framework
    (same key), numbered on from the built-in version it copies: the built-in itself
    is shared by every partnership and never changes. A partnership may draft from a
    built-in only once; after that it versions its own copy.
    """
    builtin = framework.partnership_id is None
    # Serialise drafting: two at once would both find nothing in the way.
    if builtin:
        lock_for_update(session, Partnership, partnership.id)
    else:
        LIBRARY.check_owner(framework, partnership)
        LIBRARY.lock(session, framework)
    blocker = blocking_version(session, framework=framework, partnership=partnership)
    if blocker is not None and builtin:
        raise DomainError(
            "Your partnership already has its own copy of this framework. "
            "Create new versions from your copy."
        )
    if blocker is not None:
        raise DomainError(
            f"Version {blocker.number} of this framework is already a draft. "
            "Change or publish it before creating another version."
        )
    source = latest_published(framework)
    if source is None:
        raise DomainError("This framework has no published version to copy")
    if builtin:
        target = Framework(key=framework.key, name=framework.name, partnership=partnership)
        session.add(target)
        number = source.number + 1
    else:
        target = framework
        number = framework.versions[-1].number + 1
    version = LIBRARY.add_version(
        session,
        item=target,
        spec=export_spec(source),
        number=number,
        status=FrameworkStatus.DRAFT,
    )
    record_event(
        session,
        AuditEventType.FRAMEWORK_VERSION_DRAFTED,
        by=by,
        partnership=partnership,
        subject=version,
        key=target.key,
        version=number,
        from_version=source.number,
    )
    return version


def update_criterion(
    session: Session,
    *,
    criterion: Criterion,
    partnership: Partnership,
    title: str,
    wording: str,
    guidance: str,
    essential: bool,
    allow_na: bool,
    by: User,
) -> None:
    """Change a criterion of a draft version. Published versions are frozen: returns
    already answered against them must keep meaning what they meant."""
    version = criterion.standard.version
    # Locked so a publish at the same moment cannot slip in between check and change.
    lock_for_update(session, FrameworkVersion, version.id)
    LIBRARY.check_owner(version.framework, partnership)
    if version.frozen:
        raise DomainError(FROZEN_MESSAGE)
    before = _criterion_fields(criterion)
    after = {
        "title": title,
        "wording": wording,
        "guidance": guidance,
        "essential": essential,
        "allow_na": allow_na,
    }
    if before == after:
        return
    criterion.title = title
    criterion.wording = wording
    criterion.guidance = guidance
    criterion.essential = essential
    criterion.allow_na = allow_na
    record_event(
        session,
        AuditEventType.CRITERION_EDITED,
        by=by,
        partnership=partnership,
        subject=criterion,
        key=criterion.key,
        version=version.number,
        before=before,
        after=after,
    )


def _criterion_fields(criterion: Criterion) -> dict:
    return {
        "title": criterion.title,
        "wording": criterion.wording,
        "guidance": criterion.guidance,
        "essential": criterion.essential,
        "allow_na": criterion.allow_na,
    }
