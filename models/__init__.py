"""fieldapp's tables. Importing this package registers every model on ``Base.metadata``."""

from models.assignment import CADENCES, Assignment
from models.audit import AuditEvent
from models.base import Audited, Base, UTCDateTime, utcnow
from models.confirmation import VISIT_RATINGS, FirmConfirmation
from models.firm import FIRM_STATUSES, FIRM_TAGS, Firm, FirmTag, Site, SiteVersion
from models.issue import (
    GOOD_RATINGS,
    ISSUE_SOURCES,
    ISSUE_STATES,
    RATINGS,
    RESULT_CODES,
    CalendarDay,
    CalendarYear,
    Issue,
    IssueCategory,
    IssueCounter,
    IssueEvent,
    Open311Client,
    department_categories,
)
from models.org import ORG_UNIT_KINDS, Department, OrgUnit, ServiceTeam
from models.project import PROJECT_STAGES, Project, ProjectStageChange, project_departments
from models.slot import SlotHorizon, VisitSlot, VisitSlotTotal
from models.user import ROLES, AuthSession, User
from models.visit import (
    COUNTABLE_STATUSES,
    PURPOSES,
    REVIEW_DECISIONS,
    REVIEW_REASONS,
    VISIT_STATUSES,
    Visit,
    VisitPhoto,
    VisitReview,
)

__all__ = [
    "CADENCES",
    "COUNTABLE_STATUSES",
    "FIRM_STATUSES",
    "FIRM_TAGS",
    "GOOD_RATINGS",
    "ISSUE_SOURCES",
    "ISSUE_STATES",
    "ORG_UNIT_KINDS",
    "PROJECT_STAGES",
    "PURPOSES",
    "RATINGS",
    "RESULT_CODES",
    "REVIEW_DECISIONS",
    "REVIEW_REASONS",
    "ROLES",
    "VISIT_RATINGS",
    "VISIT_STATUSES",
    "Assignment",
    "AuditEvent",
    "Audited",
    "AuthSession",
    "Base",
    "CalendarDay",
    "CalendarYear",
    "Department",
    "Firm",
    "FirmConfirmation",
    "FirmTag",
    "Issue",
    "IssueCategory",
    "IssueCounter",
    "IssueEvent",
    "Open311Client",
    "OrgUnit",
    "Project",
    "ProjectStageChange",
    "ServiceTeam",
    "Site",
    "SiteVersion",
    "SlotHorizon",
    "UTCDateTime",
    "User",
    "Visit",
    "VisitPhoto",
    "VisitReview",
    "VisitSlot",
    "VisitSlotTotal",
    "department_categories",
    "project_departments",
    "utcnow",
]
