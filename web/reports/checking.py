"""The 数字核对 section of the reports page: the reconciliation of 附件2, 附件3 and the ledger
for the scope on screen, shown to the leading group office (campaign.reports.reconciliation)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from campaign.models import User
from campaign.reports import ReportScope
from campaign.reports.findings import Reconciliation
from campaign.reports.reconciliation import check_figures
from forms.tables.attachment2 import Attachment2Table
from forms.tables.attachment3 import Attachment3Table
from web.roles import SUPERVISOR

# Findings about single records listed of each kind; the rest are counted, and
# `ykt check-figures` lists them all.
LISTED = 100


def figures_check(
    session: Session,
    user: User,
    scope: ReportScope,
    table2: Attachment2Table,
    table3: Attachment3Table,
) -> Reconciliation | None:
    """The reconciliation for a supervisor (None for others), reusing the tables the page
    has computed already."""
    if not user.has_role(SUPERVISOR):
        return None
    return check_figures(
        session, scope, limit=LISTED, attachment2_table=table2, attachment3_table=table3
    )
