"""Importing the ledger from Excel: the template, all-or-nothing checking with every bad row
and column reported, and rows becoming ledger entries with their lifecycles started."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import reports
from campaign.ledger_import import LedgerFileRefused, import_ledger
from campaign.models import AuditEvent, Problem
from campaign.problems import PROCESS_KEY
from campaign.workflow_host import CampaignHost
from engine import cases
from engine.batch_start import can_start_together
from engine.models import Case, WorkItem
from forms.ledger_excel import COLUMNS
from tests.reports.conftest import user, xlsx_bytes
from tests.reports.sheets import good_row, workbook


def count(session: Session) -> int:
    return session.scalar(select(func.count(Problem.id))) or 0


def test_the_template_has_drop_downs_fed_from_a_hidden_sheet(db_session: Session) -> None:
    scope = reports.report_scope(db_session)
    data = xlsx_bytes(lambda out: reports.export_template(db_session, scope.campaign_id, out))
    book = openpyxl.load_workbook(data)
    assert book.sheetnames == ["问题台账", "填写说明", "选项"]
    assert book["选项"].sheet_state == "hidden" and book["问题台账"].sheet_state == "visible"
    sheet = book["问题台账"]
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    checks = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert checks["A2:A1048576"].type == "list"
    assert checks["A2:A1048576"].formula1 == "'选项'!$A$2:$A$10"
    lists = {
        book["选项"].cell(row=1, column=c).value: [
            book["选项"].cell(row=r, column=c).value for r in range(2, 60)
        ]
        for c in range(1, 8)
    }
    assert "群众举报" in lists["问题来源"] and "青山镇" in lists["乡镇（单位）"]
    assert "青山村" in lists["村（社区）"] and "耕地地力保护补贴" in lists["补贴项目"]
    assert "违规代管“一卡通”数量" in lists["问题类别"]
    assert "3.3 贪污侵占、截留挪用补贴资金" in lists["整治重点"]
    for column in ("C", "D", "E", "F", "M"):
        assert checks[f"{column}2:{column}1048576"].showErrorMessage
    assert checks["H2:H1048576"].type == "decimal" and checks["L2:L1048576"].type == "date"
    assert checks["K2:K1048576"].type == "whole"  # 涉及人数


def test_each_row_becomes_an_entry_with_its_lifecycle(
    db_session: Session, host: CampaignHost
) -> None:
    rows = [
        good_row(),
        good_row(
            **{
                "乡镇（单位）": "BSZ",
                "村（社区）": "BSZ02",
                "补贴项目": "P01",
                "问题类别": "S12",
                "整治重点": "3.4",
                "涉及金额（元）": "1,200.50",
                "违规代管一卡通数量（张）": 4.0,
                "发现日期": "20220601",
                "责任单位": "白沙镇",
                "责任人": "王主任",
                "整改时限": datetime(2022, 7, 31),
            }
        ),
        good_row(**{"乡镇（单位）": "区农业农村部门", "村（社区）": None, "问题描述": 12345}),
    ]
    before = count(db_session)
    office = user(db_session, "ldxz_ban")
    result = import_ledger(db_session, host, office, workbook(rows))
    assert result.ok and result.rows == 3
    assert result.created == ["2022-QSZ-0001", "2022-BSZ-0001", "2022-NYNC-0001"]
    assert count(db_session) == before + 3
    problems = {
        p.number: p
        for p in db_session.scalars(select(Problem).where(Problem.number.in_(result.created)))
    }
    first, second, third = (problems[n] for n in result.created)
    assert (first.amount_fen, first.households, first.discovered_on) == (
        123456,
        3,
        date(2022, 6, 10),
    )
    assert first.village is not None and first.village.code == "QSZ01"
    assert (first.programme.code, first.stat_category.code, first.focus_item.code) == (
        "P11",
        "S02",
        "3.3",
    )
    assert (second.amount_fen, second.cards, second.stat_category.code) == (120050, 4, "S12")
    assert second.responsible_unit is not None and second.responsible_unit.code == "BSZ"
    assert (second.responsible_person, second.deadline) == ("王主任", date(2022, 7, 31))
    assert third.description == "12345" and third.village is None
    for problem in (first, second, third):
        assert problem.status == "reviewing" and problem.registered_by == office.id
        step = db_session.scalars(
            select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
        ).one()
        assert (step.bpmn_id, step.role, step.unit_id) == (
            "review_registration",
            "reviewer",
            problem.unit_id,
        )
    audited = db_session.scalars(
        select(AuditEvent.target).where(AuditEvent.action == "problem.register")
    ).all()
    assert {f"problem:{n}" for n in result.created} <= set(audited)
    # The lifecycle qualifies for starting from one template; each case still has its own data.
    assert can_start_together(db_session, PROCESS_KEY)
    case = db_session.get(Case, second.case_id)
    assert case is not None
    guid = db_session.scalars(select(WorkItem.task_guid).where(WorkItem.case_id == case.id)).one()
    review = cases.load(db_session, case).get_task_from_id(UUID(guid))
    assert (review.data["problem_number"], review.data["responsible_unit"]) == (
        "2022-BSZ-0001",
        "BSZ",
    )
    assert review.data["deadline"] == "2022-07-31"


def test_every_bad_row_and_column_is_reported_and_nothing_is_stored(
    db_session: Session, host: CampaignHost
) -> None:
    rows = [
        good_row(),
        good_row(**{"补贴项目": "不存在的补贴", "村（社区）": "白沙村"}),
        good_row(**{"涉及金额（元）": -5, "发现日期": "昨天"}),
        good_row(**{"发现日期": date(2022, 6, 16), "问题描述": None}),
        good_row(**{"违规代管一卡通数量（张）": 1.5, "涉及金额（元）": 0.001}),
        good_row(**{"整改时限": date(2022, 6, 1), "乡镇（单位）": "青山镇", "问题类别": "乱收费"}),
        good_row(**{"问题来源": "道听途说", "整治重点": "9.9", "责任单位": "某某局"}),
        good_row(**{"发现日期": "2022-W23-5", "整改时限": "2022年6月31日"}),
    ]
    before = count(db_session)
    result = import_ledger(db_session, host, user(db_session, "ldxz_ban"), workbook(rows))
    assert not result.ok and result.created == [] and count(db_session) == before
    found = {(e.row, e.column): e.reason for e in result.errors}
    assert found == {
        (3, "村（社区）"): "“白沙村”不是青山镇下属的村（社区）",
        (3, "补贴项目"): "“不存在的补贴”不是可选的补贴项目",
        (4, "涉及金额（元）"): "金额不能为负数",
        (4, "发现日期"): "须为日期，如 2022-06-10",
        (5, "问题描述"): "必填",
        (5, "发现日期"): "不能晚于今天",
        (6, "涉及金额（元）"): "须为金额（元），最多两位小数，如 1200.50",
        (6, "违规代管一卡通数量（张）"): "须为整数",
        (7, "问题类别"): "“乱收费”不是可选的问题类别",
        (7, "整改时限"): "整改时限不能早于发现日期",
        (8, "问题来源"): "“道听途说”不是可选的问题来源",
        (8, "整治重点"): "“9.9”不是可选的整治重点",
        (8, "责任单位"): "“某某局”不是可选的责任单位",
        (9, "发现日期"): "须为日期，如 2022-06-10",
        (9, "整改时限"): "没有这一天：2022 年 6 月 31 日",
    }
    assert str(result.errors[0]) == "第 3 行“村（社区）”：“白沙村”不是青山镇下属的村（社区）"


def test_a_wrong_header_is_reported_column_by_column(
    db_session: Session, host: CampaignHost
) -> None:
    header: list[str | None] = list(COLUMNS)
    header[COLUMNS.index("问题类别")] = "问题类型"
    header[COLUMNS.index("整改时限")] = None
    header[COLUMNS.index("涉及金额（元）")] = "涉及金额(元)"
    result = import_ledger(
        db_session, host, user(db_session, "ldxz_ban"), workbook([good_row()], header)
    )
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (1, "问题类别", "缺少此列；请使用导入模板，列名勿改动"),
        (1, "涉及金额（元）", "缺少此列；表头“涉及金额(元)”应改为“涉及金额（元）”"),
        (1, "整改时限", "缺少此列；请使用导入模板，列名勿改动"),
    ]
    assert result.ignored == ["问题类型", "涉及金额(元)"] and count(db_session) == 0


def test_rows_of_a_unit_the_person_may_not_register_for_are_refused(
    db_session: Session, host: CampaignHost
) -> None:
    rows = [good_row(), good_row(**{"乡镇（单位）": "白沙镇", "村（社区）": "白沙村"})]
    result = import_ledger(db_session, host, user(db_session, "qsz_jbr"), workbook(rows))
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (3, "乡镇（单位）", "您不能为“白沙镇”登记问题")
    ]


def test_a_dry_run_checks_and_stores_nothing(db_session: Session, host: CampaignHost) -> None:
    before = count(db_session)
    result = import_ledger(
        db_session, host, user(db_session, "ldxz_ban"), workbook([good_row()]), dry_run=True
    )
    assert result.ok and result.dry_run and result.rows == 1 and result.created == []
    assert count(db_session) == before


def test_a_sheet_without_rows_is_refused(db_session: Session, host: CampaignHost) -> None:
    with pytest.raises(LedgerFileRefused, match="没有数据行"):
        import_ledger(db_session, host, user(db_session, "ldxz_ban"), workbook([[None] * 14]))
