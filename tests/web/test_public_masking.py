"""End to end: a problem registered with the names of those involved, a clue whose person the
commission names, published through the lifecycle; the public page and the public feed show
none of the names, numbers or house numbers in clear."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import tasks
from campaign.models import Clue, Problem, User
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.campaign.conftest import approval, registration, uploaded
from tests.web_helpers import csrf_token

pytestmark = pytest.mark.usefixtures("june_2022")

DRAFT = (
    "青山村3组18号农户张三、欧阳明华被冒领耕地地力保护补贴3,600.00元，已于2022-06-15足额退还。"
    "张三身份证4201 0619 9001 0112 34，银行卡6228 4800 1234 5678 901，"
    "电话+86 138 1234 5678、１３９－１２３４－５６７８。经办人李四已被立案调查。"
)
PUBLISHED = (
    "青山村***农户张某、欧阳某被冒领耕地地力保护补贴3,600.00元，已于2022-06-15足额退还。"
    "张某身份证42**********1234，银行卡***************8901，"
    "电话+86 138****5678、139****5678。经办人李某已被立案调查。"
)
IN_CLEAR = [
    "张三",
    "欧阳明华",
    "李四",
    "3组18号",
    "4201 0619",
    "9001 0112",
    "6228 4800",
    "1234 5678",
    "138 1234",
    "１３９",
    "1234-5678",
]


def _user(session: Session, name: str) -> User:
    return session.scalars(select(User).where(User.username == name)).one()


def _open(session: Session, case_id: int | None) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open")
    ).one()


def _do(session: Session, username: str, case_id: int | None, data: dict[str, object]) -> None:
    person = _user(session, username)
    step = _open(session, case_id)
    if data.get("evidence") == []:
        data = {**data, "evidence": [str(uploaded(session, step.case_id, person).id)]}
    tasks.complete(session, CampaignHost(), person, step.id, data)


def test_a_published_problem_shows_no_name_number_or_house_number(
    db_session: Session, as_user: Callable[[str], FlaskClient], app: Flask
) -> None:
    officer = as_user("qsz_jbr")
    token = csrf_token(officer, "/problems/new?unit=QSZ")
    page = officer.get("/problems/new?unit=QSZ").get_data(as_text=True)
    assert "涉及人员姓名" in page and "不会公开" in page
    registered = officer.post(
        "/problems/new",
        data={
            **registration(),
            "involved_names": "张三、欧阳明华",
            "unit": "QSZ",
            "csrf_token": token,
        },
    )
    assert registered.status_code == 302
    problem = db_session.scalars(select(Problem)).one()
    assert problem.involved_names == "张三、欧阳明华"
    case_id = problem.case_id

    _do(db_session, "qsz_fzr", case_id, approval(suspected_violation="on", clue_summary="冒领"))
    clue = db_session.scalars(select(Clue)).one()
    _do(db_session, "qsz_jbr", case_id, {"action": "submit", "measures_taken": "已退还",
                                         "completed_on": "2022-06-15", "evidence": []})  # fmt: skip
    _do(db_session, "ldxz_ban", case_id, {"signoff_decision": "approve"})
    _do(db_session, "qsz_jbr", case_id, {"public_text": DRAFT})
    assert "张三" not in problem.public_text and "42**********1234" in problem.public_text
    _do(db_session, "ldxz_ban", case_id, {"disclosure_decision": "approve"})
    assert problem.published_at is not None
    # The commission names its person only after publication: masked from then on.
    _do(db_session, "jjw_jc", clue.case_id, {"disposal": "investigate", "persons_named": "李四"})
    assert clue.persons_named == "李四"
    db_session.flush()

    public = app.test_client()
    feed = public.get("/api/v1/public/disclosures.json")
    [item] = feed.get_json()["items"]
    assert item["text"] == PUBLISHED and not re.search(r"\d{7,}", item["text"])
    page = public.get("/public/?township=QSZ").get_data(as_text=True)
    assert PUBLISHED in page
    for shown in (page, json.dumps(feed.get_json(), ensure_ascii=False)):
        assert [secret for secret in IN_CLEAR if secret in shown] == []
