"""The rules every versioned library follows: who sees which version, importing a file as
a new version, and publishing.

An item (a framework, a case-audit template) is its identity across versions, found by
its owner and key: a partnership's own, or a built-in one with no partnership, shared by
every partnership. Partnerships see their own items' versions and the published
versions of the built-ins. A version is a draft until published, and frozen after:
whatever was audited against it must keep its meaning, so changes arrive as a new
version of the same key. An item has at most one draft at a time.

Services add and flush; the caller commits (see `db.commits` and `db.transaction`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from ..audit_trail import AuditEventType, record_event
from ..db import lock_for_update
from ..models import FrameworkStatus, Partnership, User, utcnow
from ..services import DomainError, NotFound
from .file_format import FormatError

# The item and version models (Framework and FrameworkVersion, CaseTemplate and
# CaseTemplateVersion), and the spec their file format reads into.
Item = TypeVar("Item")
Version = TypeVar("Version")
Spec = TypeVar("Spec")


def _no_rule_of_its_own(item: Any, spec: Any) -> None:
    return None


@dataclass(frozen=True)
class VersionedLibrary(Generic[Item, Version, Spec]):
    """A versioned library, described by what sets it apart: its models, its file
    format, its audit events and any rule of its own for a next version."""

    item_model: type[Item]
    version_model: type[Version]
    # The version's relationship to its item ("framework", "template").
    item_attr: str
    # What the item is called in messages ("framework", "case-audit template").
    noun: str
    # Loader options for a version's content, for `get_version`.
    content_options: tuple[ExecutableOption, ...]
    # The file format: `parse(to_json(spec))` reads back the spec, or raises a FormatError.
    parse: Callable[[str], Spec]
    to_json: Callable[[Spec], str]
    # A new item for a spec; a new version of an item from a spec, without its status.
    new_item: Callable[[Spec, Partnership | None], Item]
    build_version: Callable[[Item, Spec, int], Version]
    export_spec: Callable[[Version], Spec]
    imported_event: AuditEventType
    published_event: AuditEventType
    # Raises DomainError where a spec may not become the next version of an item.
    check_next_version: Callable[[Item, Spec], None] = _no_rule_of_its_own

    # Reading ---------------------------------------------------------------------------

    def item_of(self, version: Version) -> Item:
        return getattr(version, self.item_attr)

    def find(self, session: Session, *, partnership: Partnership | None, key: str) -> Item | None:
        """The partnership's own item with this key, or the built-in one (no partnership)."""
        model = self.item_model
        owner = (
            model.partnership_id.is_(None)
            if partnership is None
            else model.partnership_id == partnership.id
        )
        return session.scalar(
            select(model).options(selectinload(model.versions)).where(owner, model.key == key)
        )

    def for_partnership(self, session: Session, partnership: Partnership) -> list[Item]:
        """The built-in items and the partnership's own, by name, built-in first."""
        model = self.item_model
        items = session.scalars(
            select(model)
            .options(selectinload(model.versions))
            .where(model.partnership_id.is_(None) | (model.partnership_id == partnership.id))
            .order_by(model.name, model.partnership_id.is_not(None), model.id)
        )
        # A built-in with nothing published yet has nothing a partnership may see.
        return [item for item in items if self.visible_versions(item, partnership)]

    def listing(
        self, session: Session, partnership: Partnership
    ) -> list[tuple[Item, list[Version]]]:
        """The library page: each item the partnership can see, with the versions it sees."""
        return [
            (item, self.visible_versions(item, partnership))
            for item in self.for_partnership(session, partnership)
        ]

    def visible_versions(self, item: Item, partnership: Partnership) -> list[Version]:
        return [version for version in item.versions if self._visible(version, partnership)]

    def get_version(self, session: Session, partnership: Partnership, version_id: int) -> Version:
        """A version with its item and content loaded; NotFound for versions the
        partnership cannot see (another partnership's, or an unpublished built-in)."""
        model = self.version_model
        version = session.scalar(
            select(model)
            .options(
                joinedload(getattr(model, self.item_attr)).selectinload(self.item_model.versions),
                *self.content_options,
            )
            .where(model.id == version_id)
        )
        if version is None or not self._visible(version, partnership):
            raise NotFound(f"{self._title} version not found")
        return version

    def latest_published(self, item: Item) -> Version | None:
        return next(
            (v for v in reversed(item.versions) if v.status is FrameworkStatus.PUBLISHED), None
        )

    def numbered(self, item: Item, number: int) -> Version | None:
        return next((v for v in item.versions if v.number == number), None)

    def draft_of(self, item: Item) -> Version | None:
        return next((v for v in item.versions if v.status is FrameworkStatus.DRAFT), None)

    def _visible(self, version: Version, partnership: Partnership) -> bool:
        owner = self.item_of(version).partnership_id
        if owner is None:
            return version.status is FrameworkStatus.PUBLISHED
        return owner == partnership.id

    @property
    def _title(self) -> str:
        return self.noun[:1].upper() + self.noun[1:]

    # Changing ----------------------------------------------------------------------------

    def load_builtin(
        self, session: Session, specs: Iterable[Spec], *, add: Callable[[Spec], Item]
    ) -> list[Version]:
        """Add each built-in spec whose key is missing, with `add`, and return the latest
        published version of each. Safe to run any number of times."""
        latest = []
        for spec in specs:
            item = self.find(session, partnership=None, key=spec.key)
            if item is None:
                item = add(spec)
            version = self.latest_published(item)
            if version is None:
                # Only possible if someone imported a draft under a built-in key first.
                raise DomainError(f"The built-in {self.noun} {spec.key} has no published version")
            latest.append(version)
        return latest

    def import_version(
        self,
        session: Session,
        *,
        spec: Spec,
        partnership: Partnership | None,
        by: User | None,
        source: str,
        publish: bool = False,
    ) -> Version:
        """Add an item from a file as a new version: version 1 of a new item, or the next
        version of the item with the same key (the partnership's own, or a built-in when
        `partnership` is None). Published at once if `publish`, otherwise a draft.
        Refused as a whole, before anything is added, if the spec is invalid, the item
        already has a draft, or `check_next_version` refuses it. `source` names the file
        in the trail."""
        try:
            # Specs normally come from the file format; checking again here means one
            # built in code cannot bypass the rules the file format enforces.
            self.parse(self.to_json(spec))
        except FormatError as error:
            raise DomainError(error.message) from error
        if partnership is not None:
            # Serialise imports within a partnership: two at once would both find no draft.
            lock_for_update(session, Partnership, partnership.id)
        item = self.find(session, partnership=partnership, key=spec.key)
        if item is None:
            item = self.new_item(spec, partnership)
            session.add(item)
            number = 1
        else:
            self.lock(session, item)
            draft = self.draft_of(item)
            if draft is not None:
                raise DomainError(
                    f"{item.name} already has a draft version (version {draft.number}). "
                    "Publish it before importing another version."
                )
            self.check_next_version(item, spec)
            number = item.versions[-1].number + 1
        version = self.add_version(
            session, item=item, spec=spec, number=number, status=FrameworkStatus.DRAFT
        )
        record_event(
            session,
            self.imported_event,
            by=by,
            partnership=partnership,
            subject=version,
            key=spec.key,
            version=number,
            source=source,
        )
        if publish:
            self.publish(session, version=version, partnership=partnership, by=by)
        return version

    def publish(
        self,
        session: Session,
        *,
        version: Version,
        partnership: Partnership | None,
        by: User | None,
    ) -> None:
        """Publish a draft, which freezes it. `partnership` is the one acting; None only
        for the built-in library, from the command line."""
        lock_for_update(session, self.version_model, version.id)
        item = self.item_of(version)
        self.check_owner(item, partnership)
        if version.frozen:
            raise DomainError(f"Version {version.number} has already been published")
        version.status = FrameworkStatus.PUBLISHED
        version.published_at = utcnow()
        # The library lists an item under the name of its newest published version.
        item.name = version.name
        record_event(
            session,
            self.published_event,
            by=by,
            partnership=partnership,
            subject=version,
            key=item.key,
            version=version.number,
        )
        session.flush()

    def add_version(
        self, session: Session, *, item: Item, spec: Spec, number: int, status: FrameworkStatus
    ) -> Version:
        version = self.build_version(item, spec, number)
        version.status = status
        version.published_at = utcnow() if status is FrameworkStatus.PUBLISHED else None
        session.add(version)
        session.flush()
        return version

    def check_owner(self, item: Item, partnership: Partnership | None) -> None:
        """Only the owner changes an item: a partnership its own, the command line (no
        partnership) the built-ins."""
        if item.partnership_id != (partnership.id if partnership is not None else None):
            raise NotFound(f"{self._title} not found")

    def lock(self, session: Session, item: Item) -> None:
        # Reload the versions after taking the lock: another request may have added one.
        lock_for_update(session, self.item_model, item.id)
        session.refresh(item, ["versions"])
