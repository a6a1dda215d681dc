"""The rules behind the statutory figures (issue: figures the district can sign): money moved
at rectification reaches 附件3 in two columns, only reviewed and unvoided entries count, a
wrong entry can be voided by two people, a (三) 违法违规 problem closes only with a clue or an
approved reason, and each category's figure is required the same way everywhere."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import disclosures, problems, reports, tasks
from campaign.models import Clue, Problem, RoleAssignment
from campaign.workflow_host import CampaignHost
from core.errors import InvalidInput, NotAllowed
from engine.models import WorkItem
from tests.campaign.conftest import (
    SHORT_PAID,
    SIGNED_OFF,
    approval,
    do,
    open_step,
    registered,
    registration,
    submission,
    user,
)
from tests.factories import make_user


def _figures(session: Session) -> dict[str, int | None]:
    table = reports.attachment3(session, reports.report_scope(session))
    return dict(table.rows[-1].values)


def _a2_total(session: Session, category: str) -> int:
    table = reports.attachment2(session, reports.report_scope(session))
    index = [c.key for c in table.columns].index(category)
    return table.rows[-1].values[index]


def test_money_recovered_and_returned_at_rectification_reach_attachment3(
    db_session: Session, host: CampaignHost
) -> None:
    problem = registered(db_session, host, SHORT_PAID)
    do(db_session, host, "qsz_fzr", problem, approval())
    rectified = submission(amount_recovered="1200.00", amount_returned="3800.50")
    do(db_session, host, "qsz_jbr", problem, rectified)
    assert (problem.recovered_fen, problem.returned_fen) == (120000, 380050)
    figures = _figures(db_session)
    assert (figures["recovered_fen"], figures["returned_fen"]) == (120000, 380050)
    cell = reports.attachment3_cell(
        db_session, reports.report_scope(db_session), column="returned_fen"
    )
    assert cell.total == 380050
    assert [(i.reference, i.record_type) for i in cell.items] == [(problem.number, "problem")]


def test_the_commission_s_money_adds_to_the_unit_s_and_both_drill_down(
    db_session: Session, host: CampaignHost
) -> None:
    problem = registered(db_session, host, registration())
    do(
        db_session,
        host,
        "qsz_fzr",
        problem,
        approval(suspected_violation="on", clue_summary="截留"),
    )
    do(db_session, host, "qsz_jbr", problem, submission(amount_recovered="3600.00"))
    clue = db_session.scalars(select(Clue)).one()
    clue.recovered_fen = 50000  # the commission took back 500 元 more
    figures = _figures(db_session)
    assert figures["recovered_fen"] == 410000 and figures["clues"] == 1
    cell = reports.attachment3_cell(
        db_session, reports.report_scope(db_session), column="recovered_fen"
    )
    assert cell.total == 410000
    assert [(i.record_type, i.value) for i in cell.items] == [("problem", 360000), ("clue", 50000)]


def test_only_reviewed_entries_count_and_cards_agree_in_both_tables(
    db_session: Session, host: CampaignHost
) -> None:
    cards = registration(focus_item="3.4", stat_category="S12", amount="0", cards="5")
    problem = registered(db_session, host, cards)
    assert _a2_total(db_session, "S12") == 0 and _figures(db_session)["cards_illegal"] == 0
    do(db_session, host, "qsz_fzr", problem, approval())
    assert problem.reviewed_at is not None
    assert _a2_total(db_session, "S12") == 5 and _figures(db_session)["cards_illegal"] == 5


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"stat_category": "S12", "cards": "0"}, "cards", "至少填写 1 张"),
        ({"stat_category": "S12", "cards": ""}, "cards", "至少填写 1 张"),
        ({"amount": "0"}, "amount", "涉及金额须大于 0 元"),
        ({"amount": ""}, "amount", "涉及金额须大于 0 元"),
    ],
)
def test_each_category_needs_its_figure(
    db_session: Session, host: CampaignHost, changes: dict[str, str], field: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        registered(db_session, host, registration(**changes))
    assert reason in refused.value.fields[field]
    assert db_session.scalar(select(Problem.id)) is None


def test_a_correction_is_held_to_the_same_rule(db_session: Session, host: CampaignHost) -> None:
    problem = registered(db_session, host, registration())
    do(
        db_session,
        host,
        "qsz_fzr",
        problem,
        {"review_decision": "return", "review_return_reason": "金额有误"},
    )
    with pytest.raises(InvalidInput) as refused:
        do(db_session, host, "qsz_jbr", problem, registration(amount="0.00"))
    assert "涉及金额须大于 0 元" in refused.value.fields["amount"]
    assert (
        problem.amount_fen == 360000
        and open_step(db_session, problem).bpmn_id == "correct_registration"
    )


def test_an_entry_found_untrue_is_voided_by_a_second_person_and_leaves_the_tables(
    db_session: Session, host: CampaignHost
) -> None:
    problem = registered(db_session, host, SHORT_PAID)
    do(db_session, host, "qsz_fzr", problem, approval())
    assert _a2_total(db_session, "S08") == 500000
    void = {"action": "void", "void_reason": "经入户核实，补贴已足额到账"}
    do(db_session, host, "qsz_jbr", problem, void)
    assert problem.status == "voiding" and open_step(db_session, problem).bpmn_id == "approve_void"
    assert _a2_total(db_session, "S08") == 500000  # counted until the void is approved
    do(db_session, host, "ldxz_ban", problem, {"void_decision": "approve", "void_opinion": "同意"})
    assert problem.status == "voided" and problem.voided_at is not None
    assert problem.void_reason == "经入户核实，补贴已足额到账"
    assert _a2_total(db_session, "S08") == 0
    scope = reports.report_scope(db_session)
    assert reports.attachment2_cell(db_session, scope, category="S08").count == 0
    # It stays in the ledger and its history.
    assert db_session.get(Problem, problem.id) is not None
    assert any(e.kind == "task_completed" for e in problems.history(db_session, problem))


def test_a_refused_void_returns_to_where_it_was_proposed(
    db_session: Session, host: CampaignHost
) -> None:
    problem = registered(db_session, host, SHORT_PAID)
    proposal = {"review_decision": "void", "void_reason": "重复登记"}
    do(db_session, host, "qsz_fzr", problem, proposal)
    refuse = {"void_decision": "reject", "void_opinion": "不是重复登记"}
    do(db_session, host, "ldxz_ban", problem, refuse)
    assert open_step(db_session, problem).bpmn_id == "review_registration"
    assert problem.status == "reviewing" and problem.voided_at is None
    do(db_session, host, "qsz_fzr", problem, approval())
    do(db_session, host, "qsz_jbr", problem, {"action": "void", "void_reason": "不属实"})
    do(db_session, host, "ldxz_ban", problem, refuse)
    assert open_step(db_session, problem).bpmn_id == "rectify"
    assert problem.status == "rectifying"


def test_the_proposer_cannot_approve_their_own_void(
    db_session: Session, host: CampaignHost
) -> None:
    both = make_user(db_session, "both_roles", role="reviewer")
    office = user(db_session, "ldxz_ban").roles[0].unit_id
    db_session.add(RoleAssignment(user_id=both.id, unit_id=office, role="supervisor"))
    db_session.flush()
    problem = registered(db_session, host, SHORT_PAID)
    do(
        db_session,
        host,
        "both_roles",
        problem,
        {"review_decision": "void", "void_reason": "不属实"},
    )
    with pytest.raises(NotAllowed):
        do(
            db_session,
            host,
            "both_roles",
            problem,
            {"void_decision": "approve", "void_opinion": "同意"},
        )
    assert problem.voided_at is None


def test_an_entry_with_a_clue_cannot_be_voided(db_session: Session, host: CampaignHost) -> None:
    problem = registered(db_session, host, registration())
    do(
        db_session,
        host,
        "qsz_fzr",
        problem,
        approval(suspected_violation="on", clue_summary="截留"),
    )
    with pytest.raises(InvalidInput) as refused:
        do(db_session, host, "qsz_jbr", problem, {"action": "void", "void_reason": "不属实"})
    assert "纪检监察机关" in refused.value.fields["action"]
    assert open_step(db_session, problem).bpmn_id == "rectify"


def test_an_illegal_problem_closes_only_with_a_clue_or_an_approved_reason(
    db_session: Session, host: CampaignHost
) -> None:
    problem = registered(db_session, host, registration())  # 3.3 截留挪用: group (三)
    do(db_session, host, "qsz_fzr", problem, approval())
    do(db_session, host, "qsz_jbr", problem, submission(no_transfer_reason=""))
    with pytest.raises(InvalidInput) as refused:
        do(db_session, host, "ldxz_ban", problem, {"signoff_decision": "approve"})
    assert "不移送" in refused.value.fields["no_transfer_approved"]
    with pytest.raises(InvalidInput) as refused:  # agreed, but the unit gave no reason
        do(db_session, host, "ldxz_ban", problem, SIGNED_OFF)
    assert "未说明不移送" in refused.value.fields["no_transfer_approved"]
    back = {"signoff_decision": "return", "signoff_return_reason": "请说明不移送理由"}
    do(db_session, host, "ldxz_ban", problem, back)
    do(db_session, host, "qsz_jbr", problem, submission())
    do(db_session, host, "ldxz_ban", problem, SIGNED_OFF)
    assert problem.no_transfer_approved_by == user(db_session, "ldxz_ban").id
    assert open_step(db_session, problem).bpmn_id == "draft_disclosure"


def test_a_clue_at_sign_off_needs_no_reason(db_session: Session, host: CampaignHost) -> None:
    problem = registered(db_session, host, registration())
    do(db_session, host, "qsz_fzr", problem, approval())
    do(db_session, host, "qsz_jbr", problem, submission(no_transfer_reason=""))
    flagged = {"signoff_decision": "approve", "suspected_violation": "on", "clue_summary": "截留"}
    do(db_session, host, "ldxz_ban", problem, flagged)
    assert db_session.scalars(select(Clue)).one().problem_id == problem.id


def test_the_public_list_follows_reopening_and_voiding(
    db_session: Session, host: CampaignHost
) -> None:
    problem = registered(db_session, host, SHORT_PAID)
    do(db_session, host, "qsz_fzr", problem, approval())
    do(db_session, host, "qsz_jbr", problem, submission())
    do(db_session, host, "ldxz_ban", problem, {"signoff_decision": "approve"})
    do(db_session, host, "qsz_jbr", problem, {"public_text": "已补发到户"})
    do(db_session, host, "ldxz_ban", problem, {"disclosure_decision": "approve"})
    do(db_session, host, "ldxz_ban", problem, {"closing_note": "销号"})
    [shown] = disclosures.search(db_session).items
    assert shown.status == "已销号" and shown.rectified_on == "2022-06-15"
    office = user(db_session, "ldxz_ban")
    problems.reopen(
        db_session, host, office, problem, visited_on=date(2022, 6, 15), finding="仍未足额"
    )
    [shown] = disclosures.search(db_session).items
    assert shown.status == "回访发现问题，重新整改中" and shown.rectified_on == ""
    do(
        db_session,
        host,
        "qsz_fzr",
        problem,
        {"review_decision": "void", "void_reason": "复核不属实"},
    )
    do(db_session, host, "ldxz_ban", problem, {"void_decision": "approve", "void_opinion": "同意"})
    assert disclosures.search(db_session).items == []


def test_an_open_void_is_in_nobody_s_way_but_the_office_s(
    db_session: Session, host: CampaignHost
) -> None:
    problem = registered(db_session, host, SHORT_PAID)
    do(db_session, host, "qsz_fzr", problem, {"review_decision": "void", "void_reason": "不属实"})
    item = open_step(db_session, problem)
    assert (item.role, item.form_key) == ("supervisor", "approve_void")
    officer = user(db_session, "qsz_jbr")
    with pytest.raises(NotAllowed):
        tasks.complete(db_session, host, officer, item.id, {"void_decision": "approve"})
    assert db_session.get_one(WorkItem, item.id).state == "open"
