"""The ledger download is the 整改台账 officials keep: every entry with its number, both
classifications, figures, responsibility, measures, status (voided with the reason, overdue
flagged), what was done, the money moved, the completion and 销号 dates and its clues; laid
out to print; and it imports again, into new entries waiting for review."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import bootstrap, problems, reports
from campaign.ledger_import import import_ledger
from campaign.models import Clue, Problem
from campaign.workflow_host import CampaignHost
from core import clock, schema
from core.db import Database
from forms.ledger_excel import COLUMNS
from forms.ledger_excel.columns import LEDGER_COLUMNS
from tests.campaign.conftest import SIGNED_OFF, approval, do, registration, submission
from tests.databases import fresh_database_url
from tests.ledger_helpers import approve_registrations
from tests.reports.conftest import NOW, user, xlsx_bytes
from tests.reports.sheets import records

NOT_IMPORTED = [
    "台账编号",
    "整改类型",
    "整改措施",
    "状态",
    "整改落实情况",
    "追缴收回资金（元）",
    "返还发放资金（元）",
    "整改完成日期",
    "销号日期",
    "线索编号",
]
# 01:00 on 16 June in Beijing, still 15 June in UTC: the 销号日期 is Beijing's.
LATE_EVENING_UTC = datetime(2022, 6, 15, 17, 0, tzinfo=UTC)


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """The clock at the moment, then back at the tests' NOW."""
    clock.freeze(moment)
    try:
        yield
    finally:
        clock.freeze(NOW)


def close(session: Session, host: CampaignHost, problem: Problem) -> None:
    do(session, host, "qsz_fzr", problem, approval())
    rectified = submission(amount_recovered="1200.00", amount_returned="300.50")
    do(session, host, "qsz_jbr", problem, rectified)
    do(session, host, "ldxz_ban", problem, SIGNED_OFF)
    do(session, host, "qsz_jbr", problem, {"public_text": "已整改"})
    do(session, host, "ldxz_ban", problem, {"disclosure_decision": "approve"})
    with frozen(LATE_EVENING_UTC):
        do(session, host, "ldxz_ban", problem, {"closing_note": "销号"})


@pytest.fixture
def stages(db_session: Session, host: CampaignHost) -> dict[str, Problem]:
    """Five entries of 青山镇, one at each stage."""
    session = db_session
    officer = user(session, "qsz_jbr")

    def registered(description: str) -> Problem:
        data = registration(description=description)
        return problems.register(session, host, officer, "QSZ", data)

    made = {
        stage: registered(f"{label}：村会计截留耕地地力保护补贴")
        for stage, label in [
            ("reviewing", "待审核"),
            ("extended", "延期"),
            ("closed", "已销号"),
            ("voided", "作废"),
            ("reopened", "重新打开"),
        ]
    }
    extended = made["extended"]
    do(session, host, "qsz_fzr", extended, approval(rectify_type="immediate"))
    ask = {"action": "extend", "extension_reason": "农户外出", "requested_deadline": "2022-07-31"}
    do(session, host, "qsz_jbr", extended, ask)
    agreed = {
        "extension_decision": "approve",
        "new_deadline": "2022-07-20",
        "extension_opinion": "同意",
    }
    do(session, host, "ldxz_ban", extended, agreed)
    for number in ("XS-T-0101", "XS-T-0102"):
        session.add(
            Clue(
                problem_id=extended.id,
                number=number,
                summary="涉嫌截留",
                from_step="审核",
                transferred_by=user(session, "ldxz_ban").id,
                transferred_at=NOW,
            )
        )
    close(session, host, made["closed"])
    voided = made["voided"]
    do(session, host, "qsz_fzr", voided, {"review_decision": "void", "void_reason": "重复登记"})
    do(session, host, "ldxz_ban", voided, {"void_decision": "approve", "void_opinion": "同意"})
    reopened = made["reopened"]
    close(session, host, reopened)
    reviewer = user(session, "qsz_fzr")
    problems.reopen(
        session, host, reviewer, reopened, visited_on=date(2022, 6, 15), finding="仍未发放"
    )
    do(session, host, "qsz_fzr", reopened, approval(deadline="2022-08-31"))
    session.flush()
    return made


def download(session: Session) -> io.BytesIO:
    scope = reports.report_scope(session, unit_code="QSZ")
    return xlsx_bytes(lambda out: reports.export_ledger(session, scope, out))


def by_number(data: io.BytesIO) -> dict[str, dict[str, Any]]:
    sheet = openpyxl.load_workbook(data)["问题台账"]
    return {row["台账编号"].value: {k: c.value for k, c in row.items()} for row in records(sheet)}


def test_the_download_holds_every_column_of_the_ledger(
    db_session: Session, stages: dict[str, Problem]
) -> None:
    sheet = openpyxl.load_workbook(download(db_session))["问题台账"]
    header = [c.value for c in sheet[1]]
    assert header == list(LEDGER_COLUMNS) and set(COLUMNS) <= set(header)
    rows = by_number(download(db_session))
    assert len(rows) == 5
    common = {
        "问题来源": "自查自纠",
        "乡镇（单位）": "青山镇",
        "村（社区）": "青山村",
        "补贴项目": "耕地地力保护补贴",
        "问题类别": "截留挪用",
        "整治重点": "3.3 贪污侵占、截留挪用补贴资金",
        "涉及金额（元）": 3600,
        "违规代管一卡通数量（张）": 0,
        "涉及户数": 3,
        "涉及人数": 7,
        "发现日期": datetime(2022, 6, 10),
    }
    for stage, problem in stages.items():
        row = rows[problem.number]
        assert {k: row[k] for k in common} == common, stage
        assert row["问题描述"].endswith("：村会计截留耕地地力保护补贴")

    reviewing = rows[stages["reviewing"].number]
    assert reviewing["状态"] == "待审核"
    for column in ("责任单位", "责任人", "整改类型", "整改措施", "整改时限", "整改完成日期"):
        assert reviewing[column] is None, column
    assert reviewing["追缴收回资金（元）"] == 0 and reviewing["线索编号"] is None

    extended = rows[stages["extended"].number]
    assert extended["状态"] == "整改中"  # 15 June: the extended deadline is ahead
    assert (extended["责任单位"], extended["责任人"]) == ("青山镇", "李主任")
    assert (extended["整改类型"], extended["整改措施"]) == ("立行立改", "追回截留资金并足额发放")
    assert extended["整改时限"] == datetime(2022, 7, 20)
    assert extended["线索编号"] == "XS-T-0101、XS-T-0102"
    assert extended["整改完成日期"] is None and extended["销号日期"] is None

    closed = rows[stages["closed"].number]
    assert closed["状态"] == "已销号" and closed["整改类型"] == "限期整改"
    assert closed["整改落实情况"] == "已追回"
    assert (closed["追缴收回资金（元）"], closed["返还发放资金（元）"]) == (1200, 300.5)
    assert closed["整改完成日期"] == datetime(2022, 6, 15)
    assert closed["销号日期"] == datetime(2022, 6, 16)  # Beijing's date, not UTC's

    voided = rows[stages["voided"].number]
    assert voided["状态"] == "已作废：重复登记" and voided["销号日期"] is None

    reopened = rows[stages["reopened"].number]
    assert reopened["状态"] == "整改中" and reopened["整改时限"] == datetime(2022, 8, 31)
    # Rectified and closed once; being rectified again, it has neither date until it is.
    assert reopened["整改完成日期"] is None and reopened["销号日期"] is None
    assert reopened["整改落实情况"] == "已追回" and reopened["追缴收回资金（元）"] == 1200


def test_an_entry_past_its_deadline_and_not_rectified_is_flagged_overdue(
    db_session: Session, stages: dict[str, Problem]
) -> None:
    with frozen(datetime(2022, 7, 21, 2, 0, tzinfo=UTC)):
        rows = by_number(download(db_session))
    assert rows[stages["extended"].number]["状态"] == "整改中（逾期）"
    assert rows[stages["reopened"].number]["状态"] == "整改中"  # due 31 August
    assert rows[stages["closed"].number]["状态"] == "已销号"  # done, whatever its deadline
    assert rows[stages["reviewing"].number]["状态"] == "待审核"


def test_the_download_is_laid_out_to_print(db_session: Session, stages: dict[str, Problem]) -> None:
    sheet = openpyxl.load_workbook(download(db_session))["问题台账"]
    assert sheet.freeze_panes == "A2" and sheet.print_title_rows == "$1:$1"
    setup = sheet.page_setup
    assert (setup.orientation, int(setup.paperSize), setup.fitToWidth, setup.fitToHeight) == (
        "landscape",
        9,  # A4
        1,
        0,
    )
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.column_dimensions["H"].width == 32  # 问题描述
    body = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None]
    assert body and all(cell.font.name == "宋体" for cell in body)
    assert all(cell.border.left.style == "thin" for cell in body)
    [closed] = [r for r in records(sheet) if r["状态"].value == "已销号"]
    for column in ("涉及金额（元）", "追缴收回资金（元）", "返还发放资金（元）"):
        assert closed[column].data_type == "n" and closed[column].number_format == "0.00"
    for column in ("发现日期", "整改时限", "整改完成日期", "销号日期"):
        assert closed[column].is_date and closed[column].number_format == "yyyy-mm-dd"


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


def test_a_downloaded_ledger_imports_into_new_entries_waiting_for_review(
    db_session: Session, stages: dict[str, Problem], empty_database: Database
) -> None:
    data = download(db_session)
    with empty_database.transaction() as session:
        result = import_ledger(session, CampaignHost(), user(session, "ldxz_ban"), data)
        assert result.ok, result.errors
        assert result.ignored == NOT_IMPORTED
        assert result.ignored_note == f"以下列不导入：{'、'.join(NOT_IMPORTED)}。"
        imported = session.scalars(select(Problem).order_by(Problem.id)).all()
        assert [p.number for p in imported] == result.created and len(imported) == 5
        for problem in imported:
            assert problem.status == "reviewing" and problem.reviewed_at is None
            assert problem.voided_at is None and problem.void_reason == ""
            assert problem.closed_at is None and problem.rectified_on is None
            assert (problem.measures_taken, problem.recovered_fen, problem.returned_fen) == (
                "",
                0,
                0,
            )
            assert (problem.amount_fen, problem.households, problem.persons) == (360000, 3, 7)
        # The decided responsibility comes back as a proposal for the reviewer.
        by_text = {p.description.partition("：")[0]: p for p in imported}
        assert by_text["延期"].responsible_person == "李主任"
        assert by_text["延期"].deadline == date(2022, 7, 20)
        assert by_text["待审核"].responsible_person == "" and by_text["待审核"].deadline is None
        approve_registrations(session, CampaignHost(), imported)
        assert all(p.counted for p in imported)  # the voided one too: a new entry now
