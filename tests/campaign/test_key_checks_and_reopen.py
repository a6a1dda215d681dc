"""District key checks of weak townships, and reopening a problem after a follow-up visit."""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import key_checks, obligations, problems, tasks
from campaign.current import active_campaign
from campaign.models import KeyCheck, Obligation, Problem, Unit, VillageVisit
from campaign.org import unit_by_code
from campaign.workflow_host import CampaignHost
from core.errors import Conflict, InvalidInput
from engine.errors import NotAllowed
from engine.models import WorkItem
from tests.campaign.conftest import (
    SIGNED_OFF,
    approval,
    do,
    open_step,
    registration,
    submission,
    user,
)
from tests.factories import make_user

SUBMISSION = submission()


def register_for(session: Session, host: CampaignHost, unit: str, village: str) -> Problem:
    officer = make_user(
        session, f"{unit.lower()}_reg_{village.lower()}", unit_code=unit, role="officer"
    )
    return problems.register(session, host, officer, unit, registration(village=village))


def visit_every_village(session: Session, *, but: tuple[str, ...] = ()) -> None:
    campaign = active_campaign(session)
    officer = user(session, "qsz_jbr")
    for village in session.scalars(select(Unit).where(Unit.kind == "village")):
        if village.code not in but and village.parent_id is not None:
            session.add(
                VillageVisit(
                    campaign_id=campaign.id,
                    township_id=village.parent_id,
                    village_id=village.id,
                    visited_on=date(2022, 6, 1),
                    households=10,
                    recorded_by=officer.id,
                )
            )
    session.flush()


def test_the_weakest_townships_are_proposed_first(db_session: Session, host: CampaignHost) -> None:
    visit_every_village(db_session)
    for village in ("QSZ01", "QSZ02", "QSZ03"):
        register_for(db_session, host, "QSZ", village)
    for village in ("BSZ01", "BSZ02"):
        register_for(db_session, host, "BSZ", village)
    register_for(db_session, host, "SQZ", "SQZ01")
    register_for(db_session, host, "DHX", "DHX01")
    scores = key_checks.propose(db_session)
    order = [s.township.code for s in scores]
    zero = {s.township.code for s in scores if s.findings == 0}
    assert zero == {"LHX", "HQZ"} and set(order[:2]) == zero
    by_code = {s.township.code: s for s in scores}
    assert by_code["LHX"].reasons == ("零报送：未发现任何问题",)
    assert by_code["SQZ"].weak and "低于全区中位数" in by_code["SQZ"].reasons[0]
    assert not by_code["QSZ"].weak and by_code["QSZ"].per_village == pytest.approx(3 / 5)


def test_villages_never_visited_and_late_or_returned_reports_weaken_a_township(
    db_session: Session, host: CampaignHost
) -> None:
    for township in ("QSZ", "BSZ", "SQZ", "DHX", "LHX", "HQZ"):
        register_for(db_session, host, township, f"{township}01")
    visit_every_village(db_session, but=("QSZ02", "QSZ03"))
    obligations.start_due(db_session, host, today=date(2022, 6, 15))
    bsz = unit_by_code(db_session, "BSZ")
    may = db_session.scalars(
        select(Obligation).where(
            Obligation.unit_id == bsz.id, Obligation.deadline_code == "monthly_report"
        )
    ).all()
    for report in may:
        report.status = "returned" if report.period == "2022-06" else "open"
    db_session.flush()
    by_code = {s.township.code: s for s in key_checks.propose(db_session)}
    assert "2 个村从未自查走访" in by_code["QSZ"].reasons
    assert by_code["QSZ"].villages_visited == by_code["QSZ"].villages - 2
    assert "月报逾期未报 1 份" in by_code["BSZ"].reasons  # May's, due on 23 May
    assert "月报被退回未重报 1 份" in by_code["BSZ"].reasons
    assert by_code["BSZ"].households_listed > 0
    assert not by_code["DHX"].reasons[1:]  # only the district's overdue May report
    assert [r for r in by_code["DHX"].reasons if "从未" in r] == []


def test_an_assigned_team_checks_and_registers_findings(
    db_session: Session, host: CampaignHost
) -> None:
    office, inspector = user(db_session, "ldxz_ban"), user(db_session, "zb1_cy")
    with pytest.raises(NotAllowed):  # not yet assigned
        problems.register(
            db_session,
            host,
            inspector,
            "LHX",
            registration(village="LHX01", source="district_check"),
        )
    with pytest.raises(NotAllowed):
        key_checks.assign(db_session, host, inspector, "LHX", "JCZB1")
    check = key_checks.assign(db_session, host, office, "LHX", "JCZB1", "零报送")
    with pytest.raises(Conflict):
        key_checks.assign(db_session, host, office, "LHX", "JCZB2")
    with pytest.raises(InvalidInput, match="不是检查专班"):
        key_checks.assign(db_session, host, office, "HQZ", "QSZ")

    step = db_session.scalars(select(WorkItem).where(WorkItem.case_id == check.case_id)).one()
    assert (step.role, step.unit_id) == ("inspector", unit_by_code(db_session, "JCZB1").id)
    found = problems.register(
        db_session, host, inspector, "LHX", registration(village="LHX01", source="district_check")
    )
    assert found.number == "2022-LHX-0001" and found.source == "district_check"
    tasks.complete(
        db_session,
        host,
        inspector,
        step.id,
        {
            "checked_on": "2022-06-15",
            "villages_checked": "4",
            "households_checked": "20",
            "content": "抽查4个村20户，发现1个问题",
            "self_inspection_rating": "poor",
            "rating_note": "自查流于形式",
        },
    )
    assert (check.status, check.rating, check.rating_note) == ("done", "差", "自查流于形式")
    other_team = make_user(db_session, "zb2_member", unit_code="JCZB2", role="inspector")
    with pytest.raises(NotAllowed):
        problems.register(db_session, host, other_team, "LHX", registration(village="LHX01"))
    assert db_session.scalars(select(KeyCheck)).all() == [check]


def closed_problem(session: Session, host: CampaignHost) -> Problem:
    problem = problems.register(session, host, user(session, "qsz_jbr"), "QSZ", registration())
    do(session, host, "qsz_fzr", problem, approval())
    do(session, host, "qsz_jbr", problem, SUBMISSION)
    do(session, host, "ldxz_ban", problem, SIGNED_OFF)
    do(session, host, "qsz_jbr", problem, {"public_text": "已整改"})
    do(session, host, "ldxz_ban", problem, {"disclosure_decision": "approve"})
    do(session, host, "ldxz_ban", problem, {"closing_note": "销号"})
    return problem


def test_a_closed_problem_reopens_after_a_follow_up_visit(
    db_session: Session, host: CampaignHost
) -> None:
    problem = closed_problem(db_session, host)
    first_case = problem.case_id
    officer, reviewer = user(db_session, "qsz_jbr"), user(db_session, "qsz_fzr")
    with pytest.raises(NotAllowed):
        problems.reopen(
            db_session, host, officer, problem, visited_on=date(2022, 6, 15), finding="资金又被截留"
        )
    with pytest.raises(InvalidInput, match="回访发现"):
        problems.reopen(
            db_session, host, reviewer, problem, visited_on=date(2022, 6, 15), finding=" "
        )
    problems.reopen(
        db_session,
        host,
        reviewer,
        problem,
        visited_on=date(2022, 6, 15),
        finding="回访发现农户仍未收到补贴",
    )
    assert problem.status == "reviewing" and problem.case_id != first_case
    assert problem.closed_at is None and problem.number == "2022-QSZ-0001"
    assert open_step(db_session, problem).bpmn_id == "review_registration"
    kinds = [e.kind for e in problems.history(db_session, problem)]
    assert kinds.count("started") == 2 and kinds.count("completed") == 1
    with pytest.raises(Conflict):
        problems.reopen(
            db_session, host, reviewer, problem, visited_on=date(2022, 6, 15), finding="再次"
        )
