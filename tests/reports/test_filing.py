"""Filing a statutory table (报送): the filed version is frozen (figures, names, date, workbook),
verified by its hashes and its audit record, compared with the current figures cell by cell,
and refused when it should be."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from campaign.models import (
    AuditEvent,
    FiledTable,
    Problem,
    Programme,
    ReportFiling,
    StatCategory,
)
from campaign.reports import filing, report_scope
from campaign.reports.filed_figures import canonical, sha256
from campaign.workflow_host import CampaignHost
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.reports.conftest import ENTRIES, Entry, register_all, user

A2 = FiledTable.ATTACHMENT2
A3 = FiledTable.ATTACHMENT3


def _file(
    session: Session,
    table: FiledTable = A2,
    unit: str = "QSZ",
    date_from: date | None = None,
    date_to: date | None = None,
) -> ReportFiling:
    return filing.file_table(
        session,
        user(session, "ldxz_ban"),
        report_scope(session, unit_code=unit, date_from=date_from, date_to=date_to),
        table,
        user(session, "ldxz_fzr"),
    )


def _texts(workbook: bytes) -> list[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(workbook)).active
    return [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]


def _more(session: Session, host: CampaignHost, amount: str, unit: str = "QSZ") -> Problem:
    entry = Entry(unit, "QSZ01" if unit == "QSZ" else "", "P11", "S02", amount, 0, "2022-06-13")
    return register_all(session, host, [entry])[0]


def test_a_filing_is_frozen_while_the_ledger_moves_on(
    db_session: Session, host: CampaignHost, ledger: list[Problem]
) -> None:
    filed = _file(db_session)
    assert filed.version == 1 and filed.filing_unit == "青山镇"
    assert filed.filer_name == "领导小组办公室（示例）"
    assert filed.reviewer_name == "领导小组办公室负责人（示例）"
    assert filed.filed_on == date(2022, 6, 15)  # 10:00 in Beijing
    assert filed.figures_sha256 == sha256(filed.figures) == sha256(canonical(_document(filed)))
    name, first = filing.download(db_session, filed.id, user=user(db_session, "ldxz_ban"))
    assert name == "附件2_问题统计表_QSZ_第1次报送_2022-06-15.xlsx"
    printed = _texts(first)
    assert "填表单位：青山镇" in printed
    assert "填表人：领导小组办公室（示例）" in printed
    assert "审核人：领导小组办公室负责人（示例）" in printed
    assert "填报日期：2022年6月15日" in printed

    _more(db_session, host, "10000.00")
    ledger[0].amount_fen = 1
    db_session.flush()

    again = filing.get(db_session, filed.id, None)
    assert filing.download(db_session, filed.id, user=None, actor_name="命令行")[1] == first
    assert again.workbook == first and filing.verify(db_session, again).ok
    # The figures as filed: 3,600.00 + 1,234.56 + 0.49 元 in P11 × S02 (the 0.50 of 31 May too).
    row = next(r for r in _document(again)["rows"] if r["key"] == "P11")
    assert row["values"][1] == 360000 + 123456 + 49 + 50


def _document(filed: ReportFiling) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(filed.figures)
    return document


def test_the_changes_are_exactly_the_cells_that_moved(
    db_session: Session, host: CampaignHost, ledger: list[Problem]
) -> None:
    filed = _file(db_session)
    assert filing.changes_since(db_session, filed) == []
    _more(db_session, host, "100.00")
    found = {
        (c.row_key, c.column_key): (c.filed, c.current)
        for c in filing.changes_since(db_session, filed)
    }
    before = 360000 + 123456 + 49 + 50
    assert found == {
        ("P11", "S02"): (before, before + 10000),
        ("", "S02"): (before, before + 10000),
    }
    change = filing.changes_since(db_session, filed)[0]
    programme = db_session.scalars(select(Programme).where(Programme.code == "P11")).first()
    assert programme is not None and change.row_name == programme.name
    assert change.column_name == "截留挪用"
    assert change.shown(change.filed) == "0.4836" and change.shown(change.current) == "0.4936"
    assert change.exact(change.current) == "4,935.55 元"


def test_attachment3_by_township_is_a_table_of_its_own(
    db_session: Session, host: CampaignHost, ledger: list[Problem]
) -> None:
    whole = _file(db_session, A3, unit="LKQ")
    by_township = _file(db_session, FiledTable.ATTACHMENT3_BY_TOWNSHIP, unit="LKQ")
    assert whole.version == by_township.version == 1
    assert whole.scope_key != by_township.scope_key
    # A card more in 白沙镇: the township's row and the total move, in the township table.
    ledger[6].cards = 4
    db_session.flush()
    moved = filing.changes_since(db_session, by_township)
    assert {(c.row_key, c.column_key, c.filed, c.current) for c in moved} == {
        ("BSZ", "cards_illegal", 5, 6),
        ("", "cards_illegal", 5, 6),
    }


def test_refusals(db_session: Session, host: CampaignHost, ledger: list[Problem]) -> None:
    session = db_session
    office = user(session, "ldxz_ban")
    scope = report_scope(session, unit_code="QSZ")
    with pytest.raises(NotAllowed, match="只有领导小组办公室"):
        filing.file_table(session, user(session, "qsz_fzr"), scope, A2, office)
    for reviewer, reason in (
        (None, "请选择审核人"),
        (office, "不能是填表人本人"),
        (user(session, "qsz_jbr"), "不能担任审核人"),
        (user(session, "jjw_jc"), "不能担任审核人"),
    ):
        with pytest.raises(InvalidInput, match=reason) as refused:
            filing.file_table(session, office, scope, A2, reviewer)
        assert "reviewer" in refused.value.fields
    # The head of the 填表单位 may check its table.
    assert filing.file_table(session, office, scope, A2, user(session, "qsz_fzr")).version == 1
    with pytest.raises(Conflict, match="已于 2022-06-15 报送过相同的数字（第 1 次报送）"):
        _file(session)
    with pytest.raises(InvalidInput, match="各项均为零，没有可报送的数字"):
        _file(session, date_from=date(2021, 1, 1), date_to=date(2021, 1, 31))
    assert session.scalar(select(ReportFiling.id).where(ReportFiling.version > 1)) is None
    _more(session, host, "1.00")
    assert _file(session).version == 2


def test_a_disabled_reviewer_cannot_be_named(db_session: Session, ledger: list[Problem]) -> None:
    head = user(db_session, "ldxz_fzr")
    head.enabled = False
    db_session.flush()
    with pytest.raises(InvalidInput, match="启用"):
        _file(db_session)


def test_filings_are_seen_by_those_who_see_the_scope(
    db_session: Session, ledger: list[Problem]
) -> None:
    session = db_session
    qsz, bsz = _file(session), _file(session, unit="BSZ")
    seen = filing.filings(session, user(session, "qsz_fzr"))
    assert [f.id for f in seen.items] == [qsz.id]
    assert [f.id for f in filing.filings(session, user(session, "ldxz_ban")).items] == [
        bsz.id,
        qsz.id,
    ]
    with pytest.raises(NotFound):
        filing.download(session, bsz.id, user=user(session, "qsz_fzr"))
    downloads = session.scalars(
        select(AuditEvent).where(AuditEvent.action == filing.DOWNLOAD_ACTION)
    ).all()
    assert downloads == []
    filing.download(session, qsz.id, user=user(session, "qsz_fzr"))
    recorded = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action.in_((filing.FILE_ACTION, filing.DOWNLOAD_ACTION))
        )
    ).all()
    assert [(r.action, r.actor_name, r.target) for r in recorded] == [
        (filing.FILE_ACTION, "ldxz_ban", f"report_filing:{qsz.id}"),
        (filing.FILE_ACTION, "ldxz_ban", f"report_filing:{bsz.id}"),
        (filing.DOWNLOAD_ACTION, "qsz_fzr", f"report_filing:{qsz.id}"),
    ]


def test_a_filing_cannot_be_changed_through_the_database(
    db_session: Session, ledger: list[Problem]
) -> None:
    filed = _file(db_session)
    for statement in (
        update(ReportFiling).where(ReportFiling.id == filed.id).values(reviewer_name="某某"),
        text("DELETE FROM report_filing"),
    ):
        with pytest.raises(DatabaseError, match="append-only"), db_session.begin_nested():
            db_session.execute(statement)


def _one_fen_more(filed: ReportFiling) -> str:
    """The filed figures with 1 分 more in P11 × S02, serialised as the service does."""
    document = _document(filed)
    row = next(r for r in document["rows"] if r["key"] == "P11")
    row["values"][1] += 1
    forged = canonical(document)
    assert forged != filed.figures
    return forged


def _without_triggers(session: Session) -> None:
    """What someone with the database's owner rights could do."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE report_filing DISABLE TRIGGER USER"))
    else:
        for name in session.scalars(
            text(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'report_filing'"
            )
        ).all():
            session.execute(text(f'DROP TRIGGER "{name}"'))


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(lambda f: {"figures": _one_fen_more(f)}, id="a figure"),
        pytest.param(
            lambda f: {"figures": _one_fen_more(f), "figures_sha256": sha256(_one_fen_more(f))},
            id="a figure and its hash",
        ),
        pytest.param(lambda f: {"workbook": f.workbook + b"\0"}, id="the workbook"),
        pytest.param(lambda f: {"reviewer_name": "某某"}, id="the reviewer's name"),
    ],
)
def test_tampering_is_detected(db_session: Session, ledger: list[Problem], forged: object) -> None:
    filed = _file(db_session)
    assert filing.verify(db_session, filed).ok
    assert callable(forged)
    _without_triggers(db_session)
    db_session.execute(
        update(ReportFiling).where(ReportFiling.id == filed.id).values(**forged(filed))
    )
    db_session.expire_all()
    tampered = filing.get(db_session, filed.id, None)
    assert not filing.verify(db_session, tampered).ok
    with pytest.raises(Conflict, match="校验未通过"):
        filing.download(db_session, filed.id, user=user(db_session, "ldxz_ban"))


# ---- the changes are the cells that differ, for random changes of the ledger ------------

MONEY = {"S01", "S02", "S03", "S06", "S13", "S14"}


def _fen(amount: str) -> int:
    return int(Decimal(amount) * 100)


def _cells(
    values: list[tuple[Entry, int, int]], measure: dict[str, str]
) -> dict[tuple[str, str], int]:
    """附件2's cells computed here from the entries: (programme, category) and ("", category)."""
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for entry, fen, cards in values:
        value = cards if measure[entry.category] == "cards" else fen
        cells[(entry.programme, entry.category)] += value
        cells[("", entry.category)] += value
    return cells


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.dictionaries(
        st.integers(0, len(ENTRIES) - 1),
        st.tuples(st.integers(0, 5_000_000), st.integers(0, 9)),
        max_size=5,
    )
)
def test_changes_are_the_cells_that_differ_for_random_changes(
    db_session: Session, ledger: list[Problem], moves: dict[int, tuple[int, int]]
) -> None:
    session = db_session
    measure = {
        code: kind
        for code, kind in session.execute(select(StatCategory.code, StatCategory.measure))
    }
    with session.begin_nested() as example:
        filed = _file(session, unit="LKQ")
        original = [(e, _fen(e.amount), e.cards) for e in ENTRIES]
        moved = list(original)
        for index, (fen, cards) in moves.items():
            ledger[index].amount_fen, ledger[index].cards = fen, cards
            moved[index] = (ENTRIES[index], fen, cards)
        session.flush()
        before, after = _cells(original, measure), _cells(moved, measure)
        expected = {
            key: (before.get(key, 0), after.get(key, 0))
            for key in before.keys() | after.keys()
            if before.get(key, 0) != after.get(key, 0)
        }
        found = {
            (c.row_key, c.column_key): (c.filed, c.current)
            for c in filing.changes_since(session, filed)
        }
        assert found == expected
        example.rollback()
