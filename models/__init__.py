"""fieldapp's tables. Importing this package registers every model on ``Base.metadata``."""

from models.audit import AuditEvent
from models.base import Audited, Base, UTCDateTime, utcnow
from models.org import ORG_UNIT_KINDS, Department, OrgUnit, ServiceTeam
from models.user import ROLES, AuthSession, User

__all__ = [
    "ORG_UNIT_KINDS",
    "ROLES",
    "AuditEvent",
    "Audited",
    "AuthSession",
    "Base",
    "Department",
    "OrgUnit",
    "ServiceTeam",
    "UTCDateTime",
    "User",
    "utcnow",
]
