"""fieldapp's tables. Importing this package registers every model on ``Base.metadata``."""

from models.assignment import CADENCES, Assignment
from models.audit import AuditEvent
from models.base import Audited, Base, UTCDateTime, utcnow
from models.firm import FIRM_STATUSES, FIRM_TAGS, Firm, FirmTag, Site, SiteVersion
from models.org import ORG_UNIT_KINDS, Department, OrgUnit, ServiceTeam
from models.project import PROJECT_STAGES, Project, ProjectStageChange, project_departments
from models.user import ROLES, AuthSession, User

__all__ = [
    "CADENCES",
    "FIRM_STATUSES",
    "FIRM_TAGS",
    "ORG_UNIT_KINDS",
    "PROJECT_STAGES",
    "ROLES",
    "Assignment",
    "AuditEvent",
    "Audited",
    "AuthSession",
    "Base",
    "Department",
    "Firm",
    "FirmTag",
    "OrgUnit",
    "Project",
    "ProjectStageChange",
    "ServiceTeam",
    "Site",
    "SiteVersion",
    "UTCDateTime",
    "User",
    "project_departments",
    "utcnow",
]
