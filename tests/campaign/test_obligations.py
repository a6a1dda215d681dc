"""Recurring reports: started for every unit that owes them, overdue when late."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import inbox, notice_texts, obligations, tasks
from campaign.models import Campaign, Household, Obligation, SpotCheckSample, Unit
from campaign.notice_texts import TaskRow
from campaign.workflow_host import CampaignHost
from core import clock
from engine import cases
from engine.models import WorkItem
from tests.campaign.conftest import user

MONTHLY = {
    "visited_persons": "120",
    "visited_households": "48",
    "cards_found": "300",
    "banks_involved": "3",
    "cards_illegal": "2",
    "content": "本月入户走访48户",
}


def _campaign(session: Session) -> Campaign:
    return session.scalars(select(Campaign).where(Campaign.code == "2022-HTK")).one()


def _step(session: Session, obligation: Obligation) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == obligation.case_id, WorkItem.state == "open")
    ).one()


def test_monthly_periods_cover_the_campaign_and_fall_due_on_the_23rd(db_session: Session) -> None:
    campaign = _campaign(db_session)
    monthly = next(d for d in campaign.deadlines if d.code == "monthly_report")
    found = list(obligations.periods(monthly, campaign))
    assert [p.key for p in found] == [f"2022-{m:02d}" for m in range(5, 13)]
    assert {p.due_on.day for p in found} == {23}
    spot = next(d for d in campaign.deadlines if d.code == "spot_check")
    assert [(p.key, p.due_on) for p in obligations.periods(spot, campaign)] == [
        ("2022", date(2022, 7, 31))
    ]


def test_every_owing_unit_gets_each_open_report_once(db_session: Session) -> None:
    host = CampaignHost()
    started = obligations.start_due(db_session, host, today=date(2022, 6, 15))
    owing = (
        db_session.scalar(
            select(func.count()).select_from(Unit).where(Unit.kind.in_(["department", "township"]))
        )
        or 0
    )
    townships = (
        db_session.scalar(select(func.count()).select_from(Unit).where(Unit.kind == "township"))
        or 0
    )
    by_kind: dict[str, int] = {}
    for obligation in started:
        by_kind[obligation.deadline_code] = by_kind.get(obligation.deadline_code, 0) + 1
    assert by_kind == {
        "monthly_report": 2 * owing,
        "spot_check": townships,
        "stage_summary": owing,
        "annual_summary": owing,
    }
    assert obligations.start_due(db_session, host, today=date(2022, 6, 15)) == []
    july = obligations.start_due(db_session, host, today=date(2022, 7, 1))
    assert {o.period for o in july} == {"2022-07"} and len(july) == owing


def test_the_monthly_report_falls_due_goes_overdue_and_is_filed(db_session: Session) -> None:
    host = CampaignHost()
    obligations.start_due(db_session, host, today=date(2022, 6, 15))
    qsz = db_session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
    june = db_session.scalars(
        select(Obligation).where(
            Obligation.unit_id == qsz.id,
            Obligation.deadline_code == "monthly_report",
            Obligation.period == "2022-06",
        )
    ).one()
    fill = _step(db_session, june)
    assert (fill.bpmn_id, fill.role, fill.unit_id) == ("fill_report", "officer", qsz.id)
    assert fill.due_at == datetime(2022, 6, 23, 15, 59, 59, tzinfo=UTC)
    assert june not in obligations.unfiled(db_session, "monthly_report", today=date(2022, 6, 23))

    clock.advance(timedelta(days=9))  # 24 June
    assert cases.fire_due_timers(db_session, host, june.case_id or 0) == 1
    assert june in obligations.unfiled(db_session, "monthly_report")

    tasks.complete(db_session, host, user(db_session, "qsz_jbr"), fill.id, MONTHLY)
    assert (june.visited_households, june.cards_found, june.cards_illegal) == (48, 300, 2)
    review = _step(db_session, june)
    tasks.complete(
        db_session,
        host,
        user(db_session, "qsz_fzr"),
        review.id,
        {"report_decision": "return", "report_opinion": "补充摸排银行明细"},
    )
    tasks.complete(
        db_session,
        host,
        user(db_session, "qsz_jbr"),
        _step(db_session, june).id,
        {**MONTHLY, "banks_involved": "4"},
    )
    tasks.complete(
        db_session,
        host,
        user(db_session, "qsz_fzr"),
        _step(db_session, june).id,
        {"report_decision": "approve"},
    )
    assert june.status == "submitted" and june.banks_involved == 4
    assert june not in obligations.unfiled(db_session, "monthly_report")


def test_spot_check_samples_five_households_per_village_reproducibly(db_session: Session) -> None:
    host = CampaignHost()
    obligations.start_due(db_session, host, today=date(2022, 6, 15))
    qsz = db_session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
    spot = db_session.scalars(
        select(Obligation).where(
            Obligation.unit_id == qsz.id, Obligation.deadline_code == "spot_check"
        )
    ).one()
    assert spot.sample_seed is not None
    samples = db_session.scalars(
        select(SpotCheckSample).where(SpotCheckSample.obligation_id == spot.id)
    ).all()
    per_village: dict[int, int] = {}
    for sample in samples:
        per_village[sample.village_id] = per_village.get(sample.village_id, 0) + 1
    assert len(per_village) == len(qsz.children) and set(per_village.values()) == {5}

    again = Obligation(
        campaign_id=spot.campaign_id,
        deadline_code="spot_check_copy",
        period="2022",
        unit_id=qsz.id,
        due_on=spot.due_on,
    )
    db_session.add(again)
    db_session.flush()
    redrawn = obligations.draw_sample(db_session, again, spot.sample_seed)
    assert sorted(s.household_id for s in redrawn) == sorted(s.household_id for s in samples)


def test_a_village_with_fewer_than_five_households_is_checked_whole(db_session: Session) -> None:
    qsz = db_session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
    small = Unit(code="QSZ99", name="小村", kind="village", parent_id=qsz.id)
    db_session.add(small)
    db_session.flush()
    for n in range(3):
        db_session.add(
            Household(
                campaign_id=_campaign(db_session).id,
                village_id=small.id,
                code=f"QSZ99-{n}",
                head_name=f"户{n}",
            )
        )
    obligation = Obligation(
        campaign_id=_campaign(db_session).id,
        deadline_code="spot_check",
        period="2099",
        unit_id=qsz.id,
        due_on=date(2022, 7, 31),
    )
    db_session.add(obligation)
    db_session.flush()
    drawn = obligations.draw_sample(db_session, obligation, 42)
    assert sum(1 for s in drawn if s.village_id == small.id) == 3


def test_the_two_summaries_are_told_apart_wherever_a_task_is_named(db_session: Session) -> None:
    """阶段性工作总结 and 年度工作总结 run the same diagram: each is named by its report, not
    by the diagram's name (工作总结), in the inbox, the 督办 lists and notices."""
    obligations.start_due(db_session, CampaignHost(), today=date(2022, 6, 15))
    items = list(
        db_session.scalars(
            select(WorkItem)
            .join(Obligation, Obligation.case_id == WorkItem.case_id)
            .join(Unit, Unit.id == Obligation.unit_id)
            .where(
                Unit.code == "QSZ",
                Obligation.deadline_code.in_(["stage_summary", "annual_summary"]),
                WorkItem.state == "open",
            )
        )
    )
    assert len(items) == 2
    rows = inbox.describe(db_session, items)
    assert sorted(r.subject for r in rows) == ["年度工作总结", "阶段性工作总结"]
    told = notice_texts.about(
        db_session, [TaskRow(i.id, i.case_id, i.unit_id, i.title, i.due_at) for i in items]
    )
    assert sorted(a.subject for a in told.values()) == [
        "年度工作总结（2022）",
        "阶段性工作总结（2022）",
    ]
