"""Clue transfer to the discipline commission, its outcome, and the closing rule."""

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import inbox, problems, tasks
from campaign.models import Clue, Problem
from campaign.org import unit_by_code
from campaign.workflow_host import CampaignHost
from core.errors import InvalidInput
from engine.models import WorkItem
from tests.campaign.conftest import approval, do, open_step, registration, submission, user

SUBMISSION = submission()
OUTCOME = {
    "clue_conclusion": "concluded",
    "case_filed": "on",
    "party_warning": "1",
    "party_serious_warning": "1",
    "gov_demerit": "2",
    "exposure_cases": "1",
    "exposure_persons": "2",
    "recovered": "3600",
    "returned": "3600",
    "voluntary_persons": "1",
    "voluntary": "500.5",
    "outcome_note": "给予党纪政务处分",
}


def flagged_problem(session: Session, host: CampaignHost) -> Problem:
    problem = problems.register(session, host, user(session, "qsz_jbr"), "QSZ", registration())
    do(
        session,
        host,
        "qsz_fzr",
        problem,
        approval(suspected_violation="on", clue_summary="村会计涉嫌截留补贴资金"),
    )
    return problem


def clue_step(session: Session, clue: Clue) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == clue.case_id, WorkItem.state == "open")
    ).one()


def close_problem_until_confirm(session: Session, host: CampaignHost, problem: Problem) -> None:
    do(session, host, "qsz_jbr", problem, SUBMISSION)
    do(session, host, "ldxz_ban", problem, {"signoff_decision": "approve"})
    do(session, host, "qsz_jbr", problem, {"public_text": "已整改"})
    do(session, host, "ldxz_ban", problem, {"disclosure_decision": "approve"})


def test_a_flagged_review_sends_a_clue_to_the_commission_inbox(
    db_session: Session, host: CampaignHost
) -> None:
    problem = flagged_problem(db_session, host)
    clue = db_session.scalars(select(Clue).where(Clue.problem_id == problem.id)).one()
    assert clue.number.startswith("XS-2022-") and clue.status == "pending"
    assert clue.summary == "村会计涉嫌截留补贴资金"
    step = clue_step(db_session, clue)
    assert (step.bpmn_id, step.role, step.unit_id) == (
        "clue_receive",
        "discipline",
        unit_by_code(db_session, "JJW").id,
    )
    assert problem.status == "rectifying"  # rectification goes on meanwhile


def test_a_clue_with_sanctions_and_the_problem_waits_for_it(
    db_session: Session, host: CampaignHost
) -> None:
    problem = flagged_problem(db_session, host)
    clue = db_session.scalars(select(Clue).where(Clue.problem_id == problem.id)).one()
    close_problem_until_confirm(db_session, host, problem)
    # The office is told the commission acts, not asked to do the commission's part.
    with pytest.raises(InvalidInput, match=r"尚无处置结果.*均由纪检监察机关办理，无需您操作"):
        do(db_session, host, "ldxz_ban", problem, {"closing_note": "销号"})
    assert problem.status == "closing"

    jjw = user(db_session, "jjw_jc")
    tasks.complete(
        db_session,
        host,
        jjw,
        clue_step(db_session, clue).id,
        {"disposal": "investigate", "case_filed": "on"},
    )
    assert (clue.disposal, clue.case_filed) == ("investigate", True)
    tasks.complete(db_session, host, jjw, clue_step(db_session, clue).id, OUTCOME)
    assert clue.status == "concluded"
    assert (clue.party_sanctioned, clue.government_sanctioned) == (2, 2)
    assert (clue.exposure_cases, clue.exposure_persons) == (1, 2)
    assert (clue.recovered_fen, clue.returned_fen, clue.voluntary_fen) == (360000, 360000, 50050)
    assert json.loads(clue.sanctions_detail)["gov_demerit"] == 2

    do(db_session, host, "ldxz_ban", problem, {"closing_note": "销号"})
    assert problem.status == "closed"


def test_a_clue_left_with_the_commission_lets_the_problem_close(
    db_session: Session, host: CampaignHost
) -> None:
    problem = flagged_problem(db_session, host)
    clue = db_session.scalars(select(Clue).where(Clue.problem_id == problem.id)).one()
    jjw = user(db_session, "jjw_jc")
    tasks.complete(db_session, host, jjw, clue_step(db_session, clue).id, {"disposal": "verify"})
    tasks.complete(
        db_session,
        host,
        jjw,
        clue_step(db_session, clue).id,
        {"clue_conclusion": "retained", "outcome_note": "正在初步核实"},
    )
    assert clue.status == "retained"
    close_problem_until_confirm(db_session, host, problem)
    do(db_session, host, "ldxz_ban", problem, {"closing_note": "线索留待纪检监察机关处理"})
    assert problem.status == "closed"
    final = clue_step(db_session, clue)
    assert final.bpmn_id == "clue_final"
    tasks.complete(db_session, host, jjw, final.id, {**OUTCOME, "outcome_note": "最终结果"})
    assert clue.status == "concluded" and clue.party_sanctioned == 2


def test_sign_off_can_also_transfer_a_clue(db_session: Session, host: CampaignHost) -> None:
    problem = problems.register(
        db_session, host, user(db_session, "qsz_jbr"), "QSZ", registration()
    )
    do(db_session, host, "qsz_fzr", problem, approval())
    do(db_session, host, "qsz_jbr", problem, SUBMISSION)
    do(
        db_session,
        host,
        "ldxz_ban",
        problem,
        {
            "signoff_decision": "return",
            "signoff_return_reason": "发现虚报冒领",
            "suspected_violation": "on",
            "clue_summary": "虚报冒领",
        },
    )
    clue = db_session.scalars(select(Clue).where(Clue.problem_id == problem.id)).one()
    assert clue.from_step == "销号审核" and open_step(db_session, problem).bpmn_id == "rectify"


def test_people_outside_the_commission_cannot_work_clues(
    db_session: Session, host: CampaignHost
) -> None:
    from engine.errors import NotAllowed

    problem = flagged_problem(db_session, host)
    clue = db_session.scalars(select(Clue).where(Clue.problem_id == problem.id)).one()
    with pytest.raises(NotAllowed):
        tasks.complete(
            db_session,
            host,
            user(db_session, "ldxz_ban"),
            clue_step(db_session, clue).id,
            {"disposal": "verify"},
        )


def test_a_name_the_commission_records_is_masked_when_the_public_text_is_approved(
    db_session: Session, host: CampaignHost
) -> None:
    problem = flagged_problem(db_session, host)
    clue = db_session.scalars(select(Clue).where(Clue.problem_id == problem.id)).one()
    do(db_session, host, "qsz_jbr", problem, SUBMISSION)
    do(db_session, host, "ldxz_ban", problem, {"signoff_decision": "approve"})
    do(db_session, host, "qsz_jbr", problem, {"public_text": "村会计王五、出纳赵六截留补贴已追回"})
    assert problem.public_text == "村会计王五、出纳赵六截留补贴已追回"  # nobody named yet
    tasks.complete(
        db_session,
        host,
        user(db_session, "jjw_jc"),
        clue_step(db_session, clue).id,
        {"disposal": "investigate", "persons_named": "王五、赵六"},
    )
    assert clue.persons_named == "王五、赵六"
    do(db_session, host, "ldxz_ban", problem, {"disclosure_decision": "approve"})
    assert problem.public_text == "村会计王某、出纳赵某截留补贴已追回"


@pytest.mark.parametrize("search", ["problem_number", "clue_number", "summary", "village"])
def test_the_commission_finds_its_clue_in_the_inbox_as_others_find_their_tasks(
    db_session: Session, host: CampaignHost, search: str
) -> None:
    problem = flagged_problem(db_session, host)
    problems.register(db_session, host, user(db_session, "qsz_jbr"), "QSZ", registration())
    clue = db_session.scalars(select(Clue).where(Clue.problem_id == problem.id)).one()
    commission = user(db_session, "jjw_jc")
    assert problem.village is not None
    filters = {
        "problem_number": inbox.InboxFilters(q=problem.number),
        "clue_number": inbox.InboxFilters(q=clue.number),
        "summary": inbox.InboxFilters(q="涉嫌截留"),
        "village": inbox.InboxFilters(village=problem.village.code),
    }[search]
    found = inbox.page(db_session, commission, "open", filters)
    assert [row.item.case_id for row in found.rows] == [clue.case_id]
    nothing = inbox.page(db_session, commission, "open", inbox.InboxFilters(q="没有这样的内容"))
    assert nothing.rows == [] and nothing.total == 0


@pytest.mark.parametrize(("disposal", "name"), [("close", "予以了结"), ("hold", "暂存待查")])
def test_a_clue_closed_or_put_aside_is_not_also_filed(
    db_session: Session, host: CampaignHost, disposal: str, name: str
) -> None:
    """予以了结 (or 暂存待查) with 已立案 ticked was taken: a clue counted as filed in 附件3
    though the commission closed it."""
    problem = flagged_problem(db_session, host)
    clue = db_session.scalars(select(Clue).where(Clue.problem_id == problem.id)).one()
    jjw = user(db_session, "jjw_jc")
    step = clue_step(db_session, clue).id
    with pytest.raises(InvalidInput) as refused:
        tasks.complete(db_session, host, jjw, step, {"disposal": disposal, "case_filed": "on"})
    assert refused.value.fields == {
        "case_filed": f"已立案：处置方式为“{name}”的线索未立案，请取消勾选或改选处置方式"
    }
    assert clue.case_filed is not True
    tasks.complete(db_session, host, jjw, step, {"disposal": disposal})
    assert (clue.disposal, clue.case_filed) == (disposal, False)
