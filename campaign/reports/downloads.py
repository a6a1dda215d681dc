"""Taking the campaign's data out as a workbook (附件2, 附件3, the ledger), the same from a
page, the API and `ykt export`: the file is written and the audit log records who took which
data, of which units and period, and how many entries. The import template carries no
records and is not recorded."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from campaign import audit, ledger_queries
from campaign.ledger_queries import LedgerFilters
from campaign.models import Problem, User
from campaign.reports.attachment2 import attachment2 as attachment2_table
from campaign.reports.attachment3 import attachment3 as attachment3_table
from campaign.reports.ledger_sheet import export_ledger, ledger_choices, rows_where
from campaign.reports.scope import ReportScope
from forms.ledger_excel import write_ledger
from forms.tables import write_attachment2, write_attachment3

Target = str | Path | BinaryIO


def attachment2(
    session: Session,
    scope: ReportScope,
    target: Target,
    *,
    actor: User | None,
    actor_name: str | None = None,
) -> None:
    write_attachment2(attachment2_table(session, scope), target)
    _record(session, "attachment2", actor, actor_name, **_scope(scope))


def attachment3(
    session: Session,
    scope: ReportScope,
    target: Target,
    *,
    by_township: bool,
    actor: User | None,
    actor_name: str | None = None,
) -> None:
    write_attachment3(attachment3_table(session, scope, by_township=by_township), target)
    _record(session, "attachment3", actor, actor_name, **_scope(scope), by_township=by_township)


def ledger(
    session: Session,
    scope: ReportScope,
    target: Target,
    *,
    actor: User | None,
    actor_name: str | None = None,
) -> int:
    """Every entry in scope; returns how many were written."""
    count = export_ledger(session, scope, target)
    _record(session, "ledger", actor, actor_name, **_scope(scope), rows=count)
    return count


def ledger_shown(
    session: Session, campaign_id: int, user: User, filters: LedgerFilters, target: Target
) -> int:
    """The entries the ledger page shows the person with these filters (the same
    visibility), in the import sheet's columns, so the file imports again."""
    shown = ledger_queries.query(session, user, filters).with_only_columns(Problem.id)
    count = write_ledger(
        rows_where(session, [Problem.id.in_(shown)]), ledger_choices(session, campaign_id), target
    )
    chosen = {name: value for name, value in asdict(filters).items() if value}
    _record(session, "ledger", user, None, rows=count, **chosen)
    return count


def _scope(scope: ReportScope) -> dict[str, Any]:
    return {
        "unit": scope.unit_code,
        "campaign": scope.campaign_id,
        "date_from": scope.date_from,
        "date_to": scope.date_to,
    }


def _record(
    session: Session, what: str, actor: User | None, actor_name: str | None, **detail: Any
) -> None:
    audit.record(
        session,
        "data.export",
        actor=actor,
        actor_name=actor_name,
        target=what,
        **{k: v for k, v in detail.items() if v is not None},
    )
