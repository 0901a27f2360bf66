"""The data model. Import models from here."""

from .api_token import ApiToken
from .audit import AuditEvent, AuditTrailIsAppendOnly
from .base import Base, utcnow
from .cycle import (
    Assessment,
    AssessmentStatus,
    AuditCycle,
    CriterionResponse,
    CycleStatus,
    EvidenceItem,
)
from .framework import Criterion, Framework, FrameworkStatus, FrameworkVersion, ScaleLevel, Standard
from .panel import (
    Action,
    ActionSource,
    ActionStatus,
    ActionUpdate,
    Challenge,
    ModeratedRating,
    Outcome,
    Panel,
    PanelAgency,
    PanelMember,
    PanelStatus,
)
from .partnership import SECTOR_LABELS, Agency, Partnership, PartnershipAgency, Sector
from .user import ROLE_LABELS, LoginSession, Membership, Role, User

__all__ = [
    "ROLE_LABELS",
    "SECTOR_LABELS",
    "Action",
    "ActionSource",
    "ActionStatus",
    "ActionUpdate",
    "Agency",
    "ApiToken",
    "Assessment",
    "AssessmentStatus",
    "AuditCycle",
    "AuditEvent",
    "AuditTrailIsAppendOnly",
    "Base",
    "Challenge",
    "Criterion",
    "CriterionResponse",
    "CycleStatus",
    "EvidenceItem",
    "Framework",
    "FrameworkStatus",
    "FrameworkVersion",
    "LoginSession",
    "Membership",
    "ModeratedRating",
    "Outcome",
    "Panel",
    "PanelAgency",
    "PanelMember",
    "PanelStatus",
    "Partnership",
    "PartnershipAgency",
    "Role",
    "ScaleLevel",
    "Sector",
    "Standard",
    "User",
    "utcnow",
]
