from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit_trail import AuditEventType, record_event
from ..models import Membership, Partnership, User
from . import DomainError, NotFound

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def get_partnership_by_slug(session: Session, slug: str) -> Partnership:
    partnership = session.scalar(select(Partnership).where(Partnership.slug == slug))
    if partnership is None:
        raise NotFound("Partnership not found")
    return partnership


def list_partnerships(session: Session) -> list[Partnership]:
    return list(session.scalars(select(Partnership).order_by(Partnership.name)))


def partnerships_for_user(session: Session, user: User) -> list[Partnership]:
    """Every partnership the user may enter; a system admin may enter all of them."""
    if user.is_system_admin:
        return list_partnerships(session)
    stmt = (
        select(Partnership)
        .where(
            Partnership.id.in_(
                select(Membership.partnership_id).where(Membership.user_id == user.id)
            )
        )
        .order_by(Partnership.name)
    )
    return list(session.scalars(stmt))


def create_partnership(
    session: Session, *, name: str, slug: str, contact_email: str | None, by: User | None
) -> Partnership:
    if not SLUG_PATTERN.match(slug):
        raise DomainError(
            "Short name must only include lower-case letters, numbers and hyphens",
            field="slug",
        )
    if session.scalar(select(Partnership.id).where(Partnership.slug == slug)) is not None:
        raise DomainError("A partnership with this short name already exists", field="slug")
    partnership = Partnership(name=name, slug=slug, contact_email=contact_email)
    session.add(partnership)
    session.flush()
    record_event(
        session,
        AuditEventType.PARTNERSHIP_CREATED,
        by=by,
        partnership=partnership,
        subject=partnership,
        name=name,
        slug=slug,
    )
    return partnership


def update_partnership_settings(
    session: Session, *, partnership: Partnership, name: str, contact_email: str | None, by: User
) -> None:
    before = {"name": partnership.name, "contact_email": partnership.contact_email}
    after = {"name": name, "contact_email": contact_email}
    if before == after:
        return
    partnership.name = name
    partnership.contact_email = contact_email
    record_event(
        session,
        AuditEventType.PARTNERSHIP_UPDATED,
        by=by,
        partnership=partnership,
        subject=partnership,
        before=before,
        after=after,
    )
