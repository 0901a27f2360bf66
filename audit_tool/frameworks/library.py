"""The framework library: built-in frameworks, import and export, drafting and publishing.

Built-in frameworks (no partnership) are shared by every partnership and never change
under them: partnerships see only their published versions, and a partnership that
wants to change one drafts its own copy, which keeps the framework key so answers can
still be carried forward and compared.

Services add and flush; the caller commits (see `db.commits` and `db.transaction`).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

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
    utcnow,
)
from ..services import DomainError, NotFound
from .format import (
    CriterionSpec,
    FrameworkFormatError,
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
    latest = []
    for spec in builtin_specs():
        framework = find_framework(session, partnership=None, key=spec.key)
        if framework is None:
            framework = Framework(key=spec.key, name=spec.name, partnership=None)
            session.add(framework)
            version = _add_version(
                session, framework=framework, spec=spec, number=1, status=FrameworkStatus.PUBLISHED
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
        version = latest_published(framework)
        if version is None:
            # Only possible if someone imported a draft under a built-in key first.
            raise DomainError(f"The built-in framework {spec.key} has no published version")
        latest.append(version)
    return latest


# Reading ---------------------------------------------------------------------------------


def frameworks_for(session: Session, partnership: Partnership) -> list[Framework]:
    """The built-in frameworks and the partnership's own, by name, built-in first."""
    frameworks = session.scalars(
        select(Framework)
        .options(selectinload(Framework.versions))
        .where((Framework.partnership_id.is_(None)) | (Framework.partnership_id == partnership.id))
        .order_by(Framework.name, Framework.partnership_id.is_not(None), Framework.id)
    )
    # A built-in with nothing published yet has nothing a partnership may see.
    return [framework for framework in frameworks if visible_versions(framework, partnership)]


def visible_versions(framework: Framework, partnership: Partnership) -> list[FrameworkVersion]:
    return [version for version in framework.versions if _visible(version, partnership)]


def get_version(session: Session, partnership: Partnership, version_id: int) -> FrameworkVersion:
    """A version with its scale, standards and criteria loaded; 404 for versions the
    partnership cannot see (another partnership's, or an unpublished built-in)."""
    version = session.scalar(
        select(FrameworkVersion)
        .options(
            joinedload(FrameworkVersion.framework).selectinload(Framework.versions),
            selectinload(FrameworkVersion.levels),
            selectinload(FrameworkVersion.standards).selectinload(Standard.criteria),
        )
        .where(FrameworkVersion.id == version_id)
    )
    if version is None or not _visible(version, partnership):
        raise NotFound("Framework version not found")
    return version


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


def latest_published(framework: Framework) -> FrameworkVersion | None:
    return next(
        (v for v in reversed(framework.versions) if v.status is FrameworkStatus.PUBLISHED), None
    )


def numbered(framework: Framework, number: int) -> FrameworkVersion | None:
    return next((v for v in framework.versions if v.number == number), None)


def draft_of(framework: Framework) -> FrameworkVersion | None:
    return next((v for v in framework.versions if v.status is FrameworkStatus.DRAFT), None)


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


def find_framework(
    session: Session, *, partnership: Partnership | None, key: str
) -> Framework | None:
    """The partnership's own framework with this key, or the built-in one (no partnership)."""
    owner = (
        Framework.partnership_id.is_(None)
        if partnership is None
        else Framework.partnership_id == partnership.id
    )
    return session.scalar(
        select(Framework)
        .options(selectinload(Framework.versions))
        .where(owner, Framework.key == key)
    )


def _visible(version: FrameworkVersion, partnership: Partnership) -> bool:
    owner = version.framework.partnership_id
    if owner is None:
        return version.status is FrameworkStatus.PUBLISHED
    return owner == partnership.id


# Import and export -----------------------------------------------------------------------


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
    try:
        # Specs normally come from `parse_framework`; checking again here means one
        # built in code cannot bypass the rules the file format enforces.
        parse_framework(spec_to_json(spec))
    except FrameworkFormatError as error:
        raise DomainError(error.message) from error
    if partnership is not None:
        # Serialise imports within a partnership: two at once would both find no draft.
        lock_for_update(session, Partnership, partnership.id)
    framework = find_framework(session, partnership=partnership, key=spec.key)
    if framework is None:
        framework = Framework(key=spec.key, name=spec.name, partnership=partnership)
        session.add(framework)
        number = 1
    else:
        _lock_framework(session, framework)
        draft = draft_of(framework)
        if draft is not None:
            raise DomainError(
                f"{framework.name} already has a draft version (version {draft.number}). "
                "Publish it before importing another version."
            )
        number = framework.versions[-1].number + 1
    version = _add_version(
        session, framework=framework, spec=spec, number=number, status=FrameworkStatus.DRAFT
    )
    record_event(
        session,
        AuditEventType.FRAMEWORK_IMPORTED,
        by=by,
        partnership=partnership,
        subject=version,
        key=spec.key,
        version=number,
        source=source,
    )
    return version


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


def _add_version(
    session: Session,
    *,
    framework: Framework,
    spec: FrameworkSpec,
    number: int,
    status: FrameworkStatus,
) -> FrameworkVersion:
    version = FrameworkVersion(
        framework=framework,
        number=number,
        status=status,
        name=spec.name,
        description=spec.description,
        scale_key=spec.scale.key,
        scale_name=spec.scale.name,
        scale_description=spec.scale.description,
        published_at=utcnow() if status is FrameworkStatus.PUBLISHED else None,
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
    session.add(version)
    session.flush()
    return version


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
        _check_owner(framework, partnership)
        _lock_framework(session, framework)
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
    version = _add_version(
        session,
        framework=target,
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
    _check_owner(version.framework, partnership)
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


def publish(
    session: Session, *, version: FrameworkVersion, partnership: Partnership | None, by: User | None
) -> None:
    """Publish a draft, which freezes it. `partnership` is the one acting; None only
    for the built-in library, from the command line."""
    lock_for_update(session, FrameworkVersion, version.id)
    _check_owner(version.framework, partnership)
    if version.frozen:
        raise DomainError(f"Version {version.number} has already been published")
    version.status = FrameworkStatus.PUBLISHED
    version.published_at = utcnow()
    # The library lists a framework under the name of its newest published version.
    version.framework.name = version.name
    record_event(
        session,
        AuditEventType.FRAMEWORK_VERSION_PUBLISHED,
        by=by,
        partnership=partnership,
        subject=version,
        key=version.framework.key,
        version=version.number,
    )


def _criterion_fields(criterion: Criterion) -> dict:
    return {
        "title": criterion.title,
        "wording": criterion.wording,
        "guidance": criterion.guidance,
        "essential": criterion.essential,
        "allow_na": criterion.allow_na,
    }


def _check_owner(framework: Framework, partnership: Partnership | None) -> None:
    """Only the owner changes a framework: a partnership its own, the command line
    (no partnership) the built-ins."""
    if framework.partnership_id != (partnership.id if partnership is not None else None):
        raise NotFound("Framework not found")


def _lock_framework(session: Session, framework: Framework) -> None:
    # Reload the versions after taking the lock: another request may have added one.
    lock_for_update(session, Framework, framework.id)
    session.refresh(framework, ["versions"])
