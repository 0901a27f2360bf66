from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..audit_trail import AuditEventType, record_event
from ..models import Agency, Partnership, PartnershipAgency, Sector, User, utcnow
from . import DomainError, NotFound


def list_partnership_agencies(
    session: Session, partnership: Partnership, *, include_archived: bool = True
) -> list[PartnershipAgency]:
    stmt = (
        select(PartnershipAgency)
        .join(PartnershipAgency.agency)
        .options(joinedload(PartnershipAgency.agency))
        .where(PartnershipAgency.partnership_id == partnership.id)
        .order_by(PartnershipAgency.archived_at.is_not(None), func.lower(Agency.name))
    )
    if not include_archived:
        stmt = stmt.where(PartnershipAgency.archived_at.is_(None))
    return list(session.scalars(stmt))


def get_partnership_agency(
    session: Session, partnership: Partnership, agency_id: int
) -> PartnershipAgency:
    """The agency as it stands in this partnership; 404 for agencies of other partnerships."""
    link = session.scalar(
        select(PartnershipAgency)
        .options(joinedload(PartnershipAgency.agency))
        .where(
            PartnershipAgency.partnership_id == partnership.id,
            PartnershipAgency.agency_id == agency_id,
        )
    )
    if link is None:
        raise NotFound("Agency not found")
    return link


def _check_name_free(
    session: Session, partnership: Partnership, name: str, *, except_agency: Agency | None = None
) -> None:
    stmt = (
        select(Agency.id)
        .join(PartnershipAgency)
        .where(
            PartnershipAgency.partnership_id == partnership.id,
            func.lower(Agency.name) == name.lower(),
        )
    )
    if except_agency is not None:
        stmt = stmt.where(Agency.id != except_agency.id)
    if session.scalar(stmt) is not None:
        raise DomainError("An agency with this name is already in the partnership", field="name")


def create_agency(
    session: Session, *, partnership: Partnership, name: str, sector: Sector, by: User | None
) -> PartnershipAgency:
    _check_name_free(session, partnership, name)
    agency = Agency(name=name, sector=sector)
    link = PartnershipAgency(partnership=partnership, agency=agency)
    session.add_all([agency, link])
    session.flush()
    record_event(
        session,
        AuditEventType.AGENCY_CREATED,
        by=by,
        partnership=partnership,
        subject=agency,
        name=name,
        sector=sector.value,
    )
    return link


def link_agency(
    session: Session, *, partnership: Partnership, agency: Agency, by: User | None
) -> PartnershipAgency:
    """Bring an existing agency (say a police force) into another partnership."""
    _check_name_free(session, partnership, agency.name)
    link = PartnershipAgency(partnership=partnership, agency=agency)
    session.add(link)
    session.flush()
    record_event(
        session,
        AuditEventType.AGENCY_LINKED,
        by=by,
        partnership=partnership,
        subject=agency,
        name=agency.name,
    )
    return link


def update_agency(
    session: Session,
    *,
    partnership: Partnership,
    link: PartnershipAgency,
    name: str,
    sector: Sector,
    by: User,
) -> None:
    agency = link.agency
    before = {"name": agency.name, "sector": agency.sector.value}
    after = {"name": name, "sector": sector.value}
    if before == after:
        return
    _check_name_free(session, partnership, name, except_agency=agency)
    agency.name = name
    agency.sector = sector
    record_event(
        session,
        AuditEventType.AGENCY_UPDATED,
        by=by,
        partnership=partnership,
        subject=agency,
        before=before,
        after=after,
    )


def archive_agency(
    session: Session, *, partnership: Partnership, link: PartnershipAgency, by: User
) -> None:
    """Archive, never delete: the agency's returns and history stay."""
    if link.archived:
        return
    link.archived_at = utcnow()
    record_event(
        session,
        AuditEventType.AGENCY_ARCHIVED,
        by=by,
        partnership=partnership,
        subject=link.agency,
        name=link.agency.name,
    )


def restore_agency(
    session: Session, *, partnership: Partnership, link: PartnershipAgency, by: User
) -> None:
    if not link.archived:
        return
    link.archived_at = None
    record_event(
        session,
        AuditEventType.AGENCY_RESTORED,
        by=by,
        partnership=partnership,
        subject=link.agency,
        name=link.agency.name,
    )


def count_agencies_by_sector(session: Session, partnership: Partnership) -> dict[Sector, int]:
    rows = session.execute(
        select(Agency.sector, func.count())
        .join(PartnershipAgency)
        .where(
            PartnershipAgency.partnership_id == partnership.id,
            PartnershipAgency.archived_at.is_(None),
        )
        .group_by(Agency.sector)
    )
    return {sector: count for sector, count in rows}
