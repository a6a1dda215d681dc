"""Role groups as the access rules name them (campaign.models.accounts defines them)."""

from campaign.models.accounts import REPORT_ROLES as REPORTING
from campaign.models.accounts import WORKING_ROLES as WORKING
from campaign.models.accounts import Role

WORKING_ROLES = tuple(sorted(r.value for r in WORKING))
REPORT_ROLES = tuple(sorted(r.value for r in REPORTING))
SUPERVISOR = Role.SUPERVISOR.value
ADMIN = Role.ADMIN.value
SECURITY = Role.SECURITY.value
AUDITOR = Role.AUDITOR.value
