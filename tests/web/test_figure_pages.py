"""The pages where the figures' decisions are taken show what is decided: the 作废审批 task
shows the reason proposed, the commission's task shows the clue and the money the unit
already recorded, the problem page shows both amounts and a voided entry's state, and the
reports page states which entries count."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import problems, tasks
from campaign.models import Clue, Problem
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.campaign.conftest import approval, registration, submission, uploaded, user

pytestmark = pytest.mark.usefixtures("june_2022")
Client = Callable[[str], FlaskClient]


def _open(session: Session, case_id: int | None) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open")
    ).one()


def _do(session: Session, username: str, case_id: int | None, data: dict[str, object]) -> None:
    person = user(session, username)
    step = _open(session, case_id)
    if "evidence" in data:
        data = {**data, "evidence": [str(uploaded(session, step.case_id, person).id)]}
    tasks.complete(session, CampaignHost(), person, step.id, data)


def _registered(session: Session, **changes: str) -> Problem:
    data = registration(**changes)
    return problems.register(session, CampaignHost(), user(session, "qsz_jbr"), "QSZ", data)


def test_the_void_approval_shows_the_reason_and_the_voided_entry_says_so(
    db_session: Session, as_user: Client
) -> None:
    problem = _registered(db_session, focus_item="1.2", stat_category="S08")
    _do(
        db_session,
        "qsz_fzr",
        problem.case_id,
        {"review_decision": "void", "void_reason": "入户核实已足额到账"},
    )
    item = _open(db_session, problem.case_id)
    client = as_user("ldxz_ban")
    page = client.get(f"/tasks/{item.id}").get_data(as_text=True)
    assert "作废审批" in page and "提请作废理由" in page and "入户核实已足额到账" in page
    _do(
        db_session,
        "ldxz_ban",
        problem.case_id,
        {"void_decision": "approve", "void_opinion": "同意"},
    )
    detail = client.get(f"/problems/{problem.id}").get_data(as_text=True)
    assert "已作废" in detail and "不计入附件2、附件3和公示名单" in detail


def test_the_commission_sees_the_clue_and_the_unit_s_money(
    db_session: Session, as_user: Client
) -> None:
    problem = _registered(db_session)
    flagged = approval(suspected_violation="on", clue_summary="村会计涉嫌截留补贴")
    _do(db_session, "qsz_fzr", problem.case_id, flagged)
    _do(db_session, "qsz_jbr", problem.case_id, submission(amount_recovered="3600.00"))
    clue = db_session.scalars(select(Clue)).one()
    item = _open(db_session, clue.case_id)
    page = as_user("jjw_jc").get(f"/tasks/{item.id}").get_data(as_text=True)
    assert clue.number in page and "村会计涉嫌截留补贴" in page and problem.number in page
    assert "追缴收回 3,600.00 元" in page and "避免重复统计" in page


def test_the_problem_page_and_the_reports_page(db_session: Session, as_user: Client) -> None:
    problem = _registered(db_session, focus_item="1.2", stat_category="S08")
    client = as_user("qsz_jbr")
    assert "审核通过后计入附件2、附件3" in client.get(f"/problems/{problem.id}").get_data(
        as_text=True
    )
    _do(db_session, "qsz_fzr", problem.case_id, approval())
    _do(
        db_session,
        "qsz_jbr",
        problem.case_id,
        submission(amount_recovered="100.00", amount_returned="250.00"),
    )
    detail = client.get(f"/problems/{problem.id}").get_data(as_text=True)
    assert "追缴收回资金" in detail and "100.00 元" in detail and "250.00 元" in detail
    assert "整改完成日期" in detail and "2022-06-15" in detail


def test_the_reports_page_states_which_entries_count(as_user: Client) -> None:
    reports_page = as_user("ldxz_ban").get("/reports/").get_data(as_text=True)
    assert "只统计登记已经本单位负责人审核通过、且未作废的台账问题" in reports_page


def test_only_whoever_may_complete_a_task_leaves_files_with_it(
    db_session: Session, as_user: Client
) -> None:
    import io

    from campaign.models import Attachment
    from tests.web_helpers import csrf_token

    problem = _registered(db_session, focus_item="1.2", stat_category="S08")
    _do(db_session, "qsz_fzr", problem.case_id, approval())
    item = _open(db_session, problem.case_id)  # 整改落实: the officer's, not the office's
    office = as_user("ldxz_ban")
    token = csrf_token(office, f"/tasks/{item.id}")
    planted = office.post(
        f"/tasks/{item.id}",
        content_type="multipart/form-data",
        data={
            "action": "submit",
            "csrf_token": token,
            "evidence__upload": (io.BytesIO(b"%PDF-1.4 planted"), "伪造.pdf"),
        },
    )
    assert planted.status_code in (403, 409, 422)
    db_session.expire_all()
    assert db_session.scalars(select(Attachment)).all() == []
