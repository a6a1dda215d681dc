"""The 数字核对 section of the reports page: the reconciliation of 附件2, 附件3 and the ledger
for the scope on screen, for the leading group office (campaign.reports.reconciliation).

It runs when asked (the section's button, ?check=1), not on every load: over a million ledger
entries it costs a few times what the page's two tables cost (docs/reports.md), and a stored
result could say 一致 about figures that have changed since."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class FiguresCheck:
    asked: bool  # False: the section offers the button
    result: Reconciliation | None = None


def figures_check(
    session: Session,
    user: User,
    scope: ReportScope,
    table2: Attachment2Table,
    table3: Attachment3Table,
    *,
    asked: bool,
) -> FiguresCheck | None:
    """The section for a supervisor (None for others); when asked, the reconciliation,
    reusing the tables the page has computed already."""
    if not user.has_role(SUPERVISOR):
        return None
    if not asked:
        return FiguresCheck(asked=False)
    return FiguresCheck(
        True,
        check_figures(
            session, scope, limit=LISTED, attachment2_table=table2, attachment3_table=table3
        ),
    )
