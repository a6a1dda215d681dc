"""What the reports page shows of filing (报送与留档) for the scope on screen."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from campaign.models import FiledTable, User
from campaign.reports import ReportScope, filing
from forms.tables import Attachment2Table, Attachment3Table
from web.common import page_arg

FILINGS_PER_PAGE = 10


def attachment3_kind(by_township: bool) -> FiledTable:
    return FiledTable.ATTACHMENT3_BY_TOWNSHIP if by_township else FiledTable.ATTACHMENT3


def filing_context(
    session: Session,
    user: User,
    scope: ReportScope,
    shown: tuple[Attachment2Table, Attachment3Table],
) -> dict[str, Any]:
    """What the reports page shows of filing for the scope on screen: the form (the office
    only), the scope unit's filings a page at a time, and for each table shown (computed
    once, for the page) the changes since its last filing of exactly this scope and period."""
    table2, table3 = shown
    tables = [FiledTable.ATTACHMENT2, attachment3_kind(table3.by_township)]
    compared = []
    for table, current in ((tables[0], table2), (tables[1], table3)):
        last = filing.latest(session, scope, table)
        found = filing.changes_since(session, last, current) if last is not None else []
        compared.append((table, last, found))
    may_file = filing.may_file(user)
    return {
        "may_file": may_file,
        "reviewers": filing.reviewers_for(session, user, scope) if may_file else [],
        "filings": filing.filings(
            session,
            user,
            unit_id=scope.unit_id,
            campaign_id=scope.campaign_id,
            page=page_arg(),
            per_page=FILINGS_PER_PAGE,
        ),
        "compared": compared,
        "filing_tables": tables,
    }
