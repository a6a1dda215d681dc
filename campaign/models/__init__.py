"""All campaign tables; importing this package registers them on the shared metadata."""

from campaign.models.account_requests import AccountRequest
from campaign.models.accountability import Accountability, AccountabilityGround
from campaign.models.accounts import ApiToken, RoleAssignment, User
from campaign.models.audit import AuditAnchor, AuditEvent, AuditHead, AuditPermit
from campaign.models.catalogue import (
    Campaign,
    CampaignPhase,
    FocusItem,
    Programme,
    ReportingDeadline,
    StatCategory,
)
from campaign.models.clues import Clue, ClueStatus
from campaign.models.comparison import (
    Beneficiary,
    ComparisonKeyring,
    ComparisonRule,
    ComparisonRuleVersion,
    ComparisonRun,
    DeceasedPerson,
    Discrepancy,
    EligibilityStandard,
    PaymentRoll,
    PayrollPerson,
    RollRow,
)
from campaign.models.evaluations import Evaluation
from campaign.models.files import Attachment, Comment
from campaign.models.filings import FiledTable, ReportFiling
from campaign.models.inspections import Inspection, InspectionFinding
from campaign.models.key_checks import KeyCheck
from campaign.models.ledger import NumberCounter, Problem, ProblemStatus
from campaign.models.notifications import Delivery, Notification, ReminderSent, Urge
from campaign.models.obligations import Household, Obligation, SpotCheckSample
from campaign.models.org import Unit
from campaign.models.sessions import LoginSession, LoginThrottle
from campaign.models.spot_checks import SpotCheckResult, VillageVisit
from campaign.models.submissions import FormSubmission
from campaign.models.supervision import Supervision, SupervisionPart
from campaign.models.tip_offs import TipOff, TipOffStatus, TipOffThrottle
from core.staged_parts import StagedImport  # an import copied in parts; hides its rows

__all__ = [
    "AccountRequest",
    "Accountability",
    "AccountabilityGround",
    "ApiToken",
    "Attachment",
    "AuditAnchor",
    "AuditEvent",
    "AuditHead",
    "AuditPermit",
    "Beneficiary",
    "Campaign",
    "CampaignPhase",
    "Clue",
    "ClueStatus",
    "Comment",
    "ComparisonKeyring",
    "ComparisonRule",
    "ComparisonRuleVersion",
    "ComparisonRun",
    "DeceasedPerson",
    "Delivery",
    "Discrepancy",
    "EligibilityStandard",
    "Evaluation",
    "FiledTable",
    "FocusItem",
    "FormSubmission",
    "Household",
    "Inspection",
    "InspectionFinding",
    "KeyCheck",
    "LoginSession",
    "LoginThrottle",
    "Notification",
    "NumberCounter",
    "Obligation",
    "PaymentRoll",
    "PayrollPerson",
    "Problem",
    "ProblemStatus",
    "Programme",
    "ReminderSent",
    "ReportFiling",
    "ReportingDeadline",
    "RoleAssignment",
    "RollRow",
    "SpotCheckResult",
    "SpotCheckSample",
    "StagedImport",
    "StatCategory",
    "Supervision",
    "SupervisionPart",
    "TipOff",
    "TipOffStatus",
    "TipOffThrottle",
    "Unit",
    "Urge",
    "User",
    "VillageVisit",
]
