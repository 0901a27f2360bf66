"""The data model. Import models from here."""

from .audit import AuditEvent, AuditTrailIsAppendOnly
from .base import Base, utcnow
from .partnership import SECTOR_LABELS, Agency, Partnership, PartnershipAgency, Sector
from .user import ROLE_LABELS, LoginSession, Membership, Role, User

__all__ = [
    "ROLE_LABELS",
    "SECTOR_LABELS",
    "Agency",
    "AuditEvent",
    "AuditTrailIsAppendOnly",
    "Base",
    "LoginSession",
    "Membership",
    "Partnership",
    "PartnershipAgency",
    "Role",
    "Sector",
    "User",
    "utcnow",
]
