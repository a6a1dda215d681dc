"""Role groups used by access rules."""

from campaign.models.accounts import Role

WORKING_ROLES = (
    Role.OFFICER.value,
    Role.REVIEWER.value,
    Role.SUPERVISOR.value,
    Role.INSPECTOR.value,
    Role.DISCIPLINE.value,
)
SUPERVISOR = Role.SUPERVISOR.value
ADMIN = Role.ADMIN.value
AUDITOR = Role.AUDITOR.value
