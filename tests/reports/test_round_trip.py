"""The ledger download imports again: download → import into an empty database → the same
附件2, figure for figure and cell for cell, whatever stage the entries had reached (the
lifecycle's columns of the 整改台账 are not imported)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import bootstrap, reports
from campaign.ledger_import import import_ledger
from campaign.models import Problem
from campaign.workflow_host import CampaignHost
from core import schema
from core.db import Database
from forms.tables import write_attachment2
from tests.campaign.conftest import SIGNED_OFF, do, submission
from tests.databases import fresh_database_url
from tests.ledger_helpers import approve_registrations
from tests.reports.conftest import user, xlsx_bytes
from tests.reports.sheets import records


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[Database]:
    with fresh_database_url(tmp_path) as url:
        database = Database(url)
        schema.upgrade(database)
        with database.transaction() as session:
            bootstrap.initialise(session, with_demo=True, deployed_by="tests")
        try:
            yield database
        finally:
            database.dispose()


def cells(data: io.BytesIO) -> list[tuple[object, ...]]:
    return [tuple(row) for row in openpyxl.load_workbook(data).active.iter_rows(values_only=True)]


def test_download_import_into_an_empty_database_gives_the_same_attachment2(
    db_session: Session, ledger: list[Problem], empty_database: Database
) -> None:
    host = CampaignHost()
    closed = ledger[0]  # of 青山镇, rectified with money recovered, signed off, closed
    do(db_session, host, "qsz_jbr", closed, submission(amount_recovered="3600.00"))
    do(db_session, host, "ldxz_ban", closed, SIGNED_OFF)
    do(db_session, host, "qsz_jbr", closed, {"public_text": "已整改"})
    do(db_session, host, "ldxz_ban", closed, {"disclosure_decision": "approve"})
    do(db_session, host, "ldxz_ban", closed, {"closing_note": "销号"})
    assert closed.status == "closed"
    scope = reports.report_scope(db_session)
    before = reports.attachment2(db_session, scope)
    download = xlsx_bytes(lambda out: reports.export_ledger(db_session, scope, out))
    statuses = [r["状态"].value for r in records(openpyxl.load_workbook(download)["问题台账"])]
    assert statuses.count("已销号") == 1 and statuses.count("整改中") == len(ledger) - 1
    download.seek(0)
    with empty_database.transaction() as session:
        result = import_ledger(session, CampaignHost(), user(session, "ldxz_ban"), download)
        assert result.ok, result.errors
        assert len(result.created) == len(ledger)
        # Imported entries count once their units' reviewers approve them, as any entry.
        imported = session.scalars(select(Problem)).all()
        approve_registrations(session, CampaignHost(), imported)
    with empty_database.transaction() as session:
        after = reports.attachment2(session, reports.report_scope(session))
    assert after == before
    assert any(any(row.values) for row in after.rows if row.kind == "programme")
    first = cells(xlsx_bytes(lambda out: write_attachment2(before, out)))
    second = cells(xlsx_bytes(lambda out: write_attachment2(after, out)))
    assert first == second
