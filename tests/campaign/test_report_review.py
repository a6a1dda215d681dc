"""报送管理: the four states of a report owed, the office's 退回 bringing the unit's task back
until it files again, who may see and return what, and the spot-check report checked against
the villages and the ledger."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import (
    obligations,
    report_checks,
    report_overview,
    report_review,
    spot_checks,
    tasks,
)
from campaign.current import active_campaign
from campaign.models import Household, Notification, Obligation, SpotCheckSample, Unit
from campaign.report_overview import OverviewFilters
from campaign.workflow_host import CampaignHost
from core import clock
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine.models import Case, WorkItem
from tests.campaign.conftest import registered, registration, user

MONTHLY = {
    "visited_persons": "120",
    "visited_households": "48",
    "cards_found": "300",
    "banks_involved": "3",
    "cards_illegal": "2",
    "content": "本月入户走访48户",
}


def _report(session: Session, unit: str, code: str, period: str) -> Obligation:
    return session.scalars(
        select(Obligation)
        .join(Unit, Unit.id == Obligation.unit_id)
        .where(Unit.code == unit, Obligation.deadline_code == code, Obligation.period == period)
    ).one()


def _open(session: Session, report: Obligation) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == report.case_id, WorkItem.state == "open")
    ).one()


def _file(session: Session, host: CampaignHost, report: Obligation, data: dict[str, str]) -> None:
    """The unit's officer fills the form, the unit's head approves: filed (已报)."""
    tasks.complete(session, host, user(session, "qsz_jbr"), _open(session, report).id, data)
    tasks.complete(
        session,
        host,
        user(session, "qsz_fzr"),
        _open(session, report).id,
        {"report_decision": "approve"},
    )


@pytest.fixture
def started(db_session: Session, host: CampaignHost) -> Session:
    obligations.start_due(db_session, host, today=date(2022, 6, 15))
    return db_session


def _state(session: Session, username: str, report: Obligation) -> str:
    filters = OverviewFilters(obligation=report.deadline_code, period=report.period)
    rows = report_overview.page(session, user(session, username), filters, 1).items
    return next(r.state_label for r in rows if r.obligation.id == report.id)


def test_each_report_is_unfiled_overdue_filed_or_returned(
    started: Session, host: CampaignHost
) -> None:
    session = started
    june = _report(session, "QSZ", "monthly_report", "2022-06")
    may = _report(session, "QSZ", "monthly_report", "2022-05")
    assert _state(session, "ldxz_ban", june) == "未报"  # due on 23 June
    assert _state(session, "ldxz_ban", may) == "逾期"  # due on 23 May

    _file(session, host, june, MONTHLY)
    assert _state(session, "ldxz_ban", june) == "已报"
    review = _open(session, june)
    assert (review.bpmn_id, review.role) == ("office_review", "supervisor")

    report_review.return_report(session, host, user(session, "ldxz_ban"), june.id, " 数字不全 ")
    assert _state(session, "ldxz_ban", june) == "退回"
    assert june.return_reason == "数字不全" and june.times_returned == 1
    # Returned after its due date, it is still 退回, not 逾期, until the unit files again.
    clock.advance(timedelta(days=30))
    assert _state(session, "ldxz_ban", june) == "退回"
    assert june in obligations.unfiled(session, "monthly_report")

    counts = report_overview.counts(
        session, user(session, "ldxz_ban"), OverviewFilters(unit="QSZ", obligation="monthly_report")
    )
    assert counts["returned"] == 1 and counts["overdue"] >= 1


def test_a_returned_report_comes_back_to_the_unit_and_refiling_clears_it(
    started: Session, host: CampaignHost
) -> None:
    session = started
    june = _report(session, "QSZ", "monthly_report", "2022-06")
    _file(session, host, june, MONTHLY)
    office = user(session, "ldxz_ban")
    report_review.return_report(session, host, office, june.id, "缺少银行明细，请补充")

    back = _open(session, june)
    qsz = _report(session, "QSZ", "monthly_report", "2022-06").unit
    assert (back.bpmn_id, back.unit_id, back.role) == ("fill_report", qsz.id, "officer")
    officer = user(session, "qsz_jbr")
    told = session.scalars(
        select(Notification).where(
            Notification.user_id == officer.id, Notification.work_item_id == back.id
        )
    ).all()
    assert told and any("缺少银行明细" in n.text for n in told), [n.text for n in told]

    shown = report_review.filed_report(session, office, june.id)
    assert shown.state == "returned" and not shown.awaiting_office
    assert [r.reason for r in shown.returns] == ["缺少银行明细，请补充"]

    # Filled again but not yet approved by the unit's head: still 退回, the office still
    # reads what was filed before.
    tasks.complete(
        session, host, officer, _open(session, june).id, {**MONTHLY, "banks_involved": "4"}
    )
    shown = report_review.filed_report(session, office, june.id)
    assert shown.state == "returned"
    assert {v.label: v.text for v in shown.values}["涉及到的银行家数"] == "3"
    tasks.complete(
        session,
        host,
        user(session, "qsz_fzr"),
        _open(session, june).id,
        {"report_decision": "approve"},
    )
    assert _state(session, "ldxz_ban", june) == "已报" and june.banks_involved == 4
    shown = report_review.filed_report(session, office, june.id)
    assert {v.label: v.text for v in shown.values}["涉及到的银行家数"] == "4"
    assert shown.awaiting_office

    report_review.accept_report(session, host, office, june.id)
    case = session.get(Case, june.case_id)
    assert case is not None and case.status == "completed"
    assert june.accepted_at is not None and _state(session, "ldxz_ban", june) == "已报"
    with pytest.raises(Conflict, match="已审阅通过"):
        report_review.return_report(session, host, office, june.id, "再退一次")


def test_what_was_filed_is_shown_as_filed(started: Session, host: CampaignHost) -> None:
    session = started
    june = _report(session, "QSZ", "monthly_report", "2022-06")
    assert report_review.filed_report(session, user(session, "ldxz_ban"), june.id).values == []
    _file(session, host, june, MONTHLY)
    shown = report_review.filed_report(session, user(session, "ldxz_ban"), june.id)
    values = {v.label: v.text for v in shown.values}
    assert values["到村到户调查人数"] == "120"
    assert values["本月自查自纠情况"] == "本月入户走访48户"
    assert shown.filled_by and shown.form_title == "填报自查自纠月报"


def test_refusals_are_clear_and_change_nothing(started: Session, host: CampaignHost) -> None:
    session = started
    june = _report(session, "QSZ", "monthly_report", "2022-06")
    office = user(session, "ldxz_ban")
    with pytest.raises(Conflict, match="尚未报送"):
        report_review.return_report(session, host, office, june.id, "理由")
    _file(session, host, june, MONTHLY)
    for blank in ("", "   ", "\n"):
        with pytest.raises(InvalidInput, match="请填写退回理由") as refused:
            report_review.return_report(session, host, office, june.id, blank)
        assert refused.value.fields == {"reason": "请填写退回理由"}
    with pytest.raises(InvalidInput, match="不能超过"):
        report_review.return_report(session, host, office, june.id, "长" * 501)
    with pytest.raises(NotFound, match="报送记录不存在"):
        report_review.return_report(session, host, office, 987654, "理由")
    with pytest.raises(NotFound, match="报送记录不存在"):
        report_review.filed_report(session, office, 987654)
    assert june.status == "submitted"

    report_review.return_report(session, host, office, june.id, "第一次退回")
    with pytest.raises(Conflict, match="已退回"):
        report_review.return_report(session, host, office, june.id, "第二次退回")
    with pytest.raises(Conflict, match="已退回"):
        report_review.accept_report(session, host, office, june.id)
    assert june.times_returned == 1
    with pytest.raises(InvalidInput, match="报送状态"):
        OverviewFilters.from_args({"state": "whatever"})


def test_a_unit_sees_only_its_own_reports_and_returns_nothing(
    started: Session, host: CampaignHost
) -> None:
    session = started
    june = _report(session, "QSZ", "monthly_report", "2022-06")
    _file(session, host, june, MONTHLY)
    other = session.scalars(
        select(Obligation)
        .join(Unit, Unit.id == Obligation.unit_id)
        .where(Unit.code != "QSZ", Obligation.period == "2022-06")
    ).first()
    assert other is not None
    for name in ("qsz_jbr", "qsz_fzr"):
        person = user(session, name)
        seen = report_overview.all_rows(session, person, OverviewFilters())
        assert seen and {r.obligation.unit.code for r in seen} == {"QSZ"}
        with pytest.raises(NotFound):
            report_review.filed_report(session, person, other.id)
        with pytest.raises(NotFound):
            report_review.return_report(session, host, person, other.id, "理由")
        with pytest.raises(NotAllowed, match="只有领导小组办公室"):
            report_review.return_report(session, host, person, june.id, "理由")
        assert report_review.filed_report(session, person, june.id).state == "filed"
    # Nobody outside the units and the office sees any report.
    assert report_overview.all_rows(session, user(session, "zb1_cy"), OverviewFilters()) == []
    assert june.status == "submitted"


def _spot_check(
    session: Session, host: CampaignHost, away: int, found: int, *, approve: bool = True
) -> Obligation:
    """The township records every sampled household (the first `away` not visited, the
    next `found` with a problem, registered in the ledger) and files the report."""
    report = _report(session, "QSZ", "spot_check", "2022")
    samples = session.scalars(
        select(SpotCheckSample)
        .where(SpotCheckSample.obligation_id == report.id)
        .order_by(SpotCheckSample.id)
    ).all()
    for n, sample in enumerate(samples):
        data = {"visited": "yes", "visited_on": "2022-06-14", "problem_found": "no"}
        data |= {"card_holder": "household", "amounts_as_listed": "yes"}
        if n < away:
            data = {"visited": "no", "visited_on": "2022-06-14", "problem_found": "no"}
            data["note"] = "外出"
        elif n < away + found:
            data |= {"amounts_as_listed": "no", "problem_found": "yes", "programme": "P11"}
            data |= {"focus_item": "1.2", "stat_category": "S08", "description": "未足额"}
            data["amount"] = "300.00"
        officer = user(session, "qsz_jbr")
        spot_checks.record_result(session, host, officer, report.id, sample.id, data)
    if approve:
        _file(session, host, report, {"content": "抽查"})
    else:
        tasks.complete(session, host, officer, _open(session, report).id, {"content": "抽查"})
    return report


def _villages(session: Session) -> int:
    qsz = session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
    return (
        session.scalar(
            select(func.count())
            .select_from(Unit)
            .where(Unit.parent_id == qsz.id, Unit.kind == "village")
        )
        or 0
    )


def test_the_spot_check_report_passes_when_its_figures_match_the_records(
    started: Session, host: CampaignHost
) -> None:
    session = started
    registered(session, host, registration(source="self_inspection"))  # not from the check
    report = _spot_check(session, host, 0, 2)
    assert (report.households_checked, report.problems_found) == (5 * _villages(session), 2)
    assert report_checks.warnings(session, report) == []
    shown = report_review.filed_report(session, user(session, "ldxz_ban"), report.id)
    assert shown.warnings == []


def test_the_spot_check_report_is_flagged_when_its_figures_are_wrong(
    started: Session, host: CampaignHost
) -> None:
    session = started
    # Found on the check but registered straight in the ledger, not from a household.
    registered(session, host, registration(source="spot_check"))
    villages = _villages(session)
    report = _spot_check(session, host, 1, 1)
    notes = report_checks.warnings(session, report)
    assert len(notes) == 2
    assert f"少于本镇 {villages} 个村" in notes[0] and f"{5 * villages} 户" in notes[0]
    assert "填报 1 个" in notes[1] and "“重点抽查”的问题 2 条" in notes[1]
    rows = report_overview.all_rows(
        session, user(session, "ldxz_ban"), OverviewFilters(obligation="spot_check", unit="QSZ")
    )
    assert [r.warnings for r in rows] == [notes]


def test_the_head_reads_the_figures_and_their_checks_before_filing(
    started: Session, host: CampaignHost
) -> None:
    session = started
    report = _spot_check(session, host, 1, 0, approve=False)
    assert _open(session, report).bpmn_id == "review_report" and report.status == "open"
    assert report_checks.warnings(session, report) == []  # not filed: not in the overview
    shown = report_review.filed_report(session, user(session, "qsz_fzr"), report.id)
    assert shown.values == [] and shown.pending is not None
    assert shown.pending.filled_by and shown.pending.warnings == report_checks.warnings(
        session, report, unfiled=True
    )
    assert len(shown.pending.warnings) == 1 and "少于本镇" in shown.pending.warnings[0]
    assert {v.label: v.text for v in shown.pending.values}["抽查情况"] == "抽查"
    tasks.complete(
        session, host, user(session, "qsz_fzr"), _open(session, report).id,
        {"report_decision": "approve"},
    )  # fmt: skip
    filed = report_review.filed_report(session, user(session, "ldxz_ban"), report.id)
    assert filed.pending is None and filed.warnings == shown.pending.warnings


def test_a_small_village_is_checked_whole(started: Session, host: CampaignHost) -> None:
    session = started
    qsz = session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
    small = Unit(code="QSZ98", name="小村", kind="village", parent_id=qsz.id)
    session.add(small)
    session.flush()
    for n in range(2):
        session.add(
            Household(
                campaign_id=active_campaign(session).id,
                village_id=small.id,
                code=f"QSZ98-{n}",
                head_name=f"户{n}",
            )
        )
    session.flush()
    report = _report(session, "QSZ", "spot_check", "2022")
    for sample in session.scalars(
        select(SpotCheckSample).where(SpotCheckSample.obligation_id == report.id)
    ):
        session.delete(sample)
    session.flush()
    assert report.sample_seed is not None
    obligations.draw_sample(session, report, report.sample_seed)
    report = _spot_check(session, host, 0, 0)
    assert report.households_checked == 5 * (_villages(session) - 1) + 2
    assert report_checks.warnings(session, report) == []


def test_the_overview_exports_as_a_workbook(started: Session, host: CampaignHost) -> None:
    session = started
    june = _report(session, "QSZ", "monthly_report", "2022-06")
    _file(session, host, june, MONTHLY)
    report_review.return_report(session, host, user(session, "ldxz_ban"), june.id, "请补充")
    buffer = io.BytesIO()
    filters = OverviewFilters(obligation="monthly_report", unit="QSZ")
    written = report_overview.export(session, user(session, "ldxz_ban"), filters, buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet is not None
    header = [c.value for c in sheet[2]]
    assert header[:6] == ["序号", "报送事项", "期间", "单位", "截止日期", "状态"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert len(rows) == written == 2
    by_period = {r[2]: r for r in rows}
    assert by_period["2022-06"][5] == "退回" and by_period["2022-06"][7] == "请补充"
    assert by_period["2022-05"][5] == "逾期" and by_period["2022-05"][6] is None
