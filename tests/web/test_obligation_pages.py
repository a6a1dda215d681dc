"""报送管理 pages: the overview with its filters, the filed report, 退回 from the page, the
export, and every refusal a clear page or message (never a 500)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import obligations, submissions, tasks
from campaign.models import Obligation, Unit
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.campaign.conftest import user
from tests.web_helpers import csrf_token, form_tokens

pytestmark = pytest.mark.usefixtures("june_2022")
MONTHLY = {
    "visited_persons": "120",
    "visited_households": "48",
    "cards_found": "300",
    "banks_involved": "3",
    "cards_illegal": "2",
    "content": "本月入户走访48户，<b>未发现</b>代管",
}


def _table(page: str) -> str:
    return page[page.index("<tbody>") : page.index("</tbody>")]


def _fresh(client: FlaskClient, path: str) -> dict[str, str]:
    """A new form's tokens, as a second browser tab would send them."""
    return {"csrf_token": csrf_token(client, path), "once": submissions.new_token()}


def _filed_june(session: Session) -> Obligation:
    host = CampaignHost()
    obligations.start_due(session, host, today=date(2022, 6, 15))
    june = session.scalars(
        select(Obligation)
        .join(Unit, Unit.id == Obligation.unit_id)
        .where(
            Unit.code == "QSZ",
            Obligation.deadline_code == "monthly_report",
            Obligation.period == "2022-06",
        )
    ).one()
    for name, data in (("qsz_jbr", MONTHLY), ("qsz_fzr", {"report_decision": "approve"})):
        step = session.scalars(
            select(WorkItem).where(WorkItem.case_id == june.case_id, WorkItem.state == "open")
        ).one()
        tasks.complete(session, host, user(session, name), step.id, data)
    return june


def test_the_office_filters_opens_and_returns_a_report(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    june = _filed_june(db_session)
    client = as_user("ldxz_ban")
    overview = client.get("/obligations/?obligation=monthly_report&period=2022-06&state=filed")
    page = overview.get_data(as_text=True)
    assert overview.status_code == 200 and "报送管理" in page
    assert f"/obligations/{june.id}" in page and "青山镇" in page and "已报" in page
    searched = _table(client.get("/obligations/?q=青山&state=overdue").get_data(as_text=True))
    assert "2022-05" in searched and "2022-06" not in searched

    review = db_session.scalars(
        select(WorkItem).where(WorkItem.case_id == june.case_id, WorkItem.state == "open")
    ).one()
    task_page = client.get(f"/tasks/{review.id}").get_data(as_text=True)
    assert review.bpmn_id == "office_review" and f"/obligations/{june.id}" in task_page

    shown = client.get(f"/obligations/{june.id}").get_data(as_text=True)
    assert "本月入户走访48户，&lt;b&gt;未发现&lt;/b&gt;代管" in shown  # as filed, escaped
    assert "到村到户调查人数" in shown and "退回重报" in shown

    path = f"/obligations/{june.id}"
    refused = client.post(f"{path}/return", data={**form_tokens(client, path), "reason": "  "})
    assert refused.status_code == 302
    assert "未退回：请填写退回理由" in client.get(path).get_data(as_text=True)
    db_session.refresh(june)
    assert june.status == "submitted"

    tokens = form_tokens(client, path)
    done = client.post(f"{path}/return", data={**tokens, "reason": "请补充银行明细"})
    assert done.status_code == 302
    after = client.get(path).get_data(as_text=True)
    assert "退回理由：请补充银行明细" in after and "审阅通过" not in after
    db_session.refresh(june)
    assert june.status == "returned"
    again = client.post(f"{path}/return", data={**tokens, "reason": "请补充银行明细"})
    assert again.status_code == 302  # the same form twice: told what the first one did
    assert june.times_returned == 1
    fresh = client.post(
        f"{path}/return", data={**_fresh(client, "/obligations/"), "reason": "再退"}
    )
    assert fresh.status_code == 302
    assert "已退回，单位重新报送前不能再次退回" in client.get(path).get_data(as_text=True)
    listed = client.get("/obligations/?state=returned").get_data(as_text=True)
    assert "退回" in listed and "请补充银行明细" in listed


def test_bad_requests_get_clear_answers(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    _filed_june(db_session)
    client = as_user("ldxz_ban")
    missing = client.get("/obligations/987654")
    assert missing.status_code == 404 and "报送记录不存在" in missing.get_data(as_text=True)
    posted = client.post(
        "/obligations/987654/return",
        data={**_fresh(client, "/obligations/"), "reason": "理由"},
    )
    assert posted.status_code == 302
    assert "报送记录不存在" in client.get("/obligations/").get_data(as_text=True)
    state = client.get("/obligations/?state=nonsense")
    assert state.status_code == 422 and "报送状态须为" in state.get_data(as_text=True)
    assert client.get("/obligations/?page=abc").status_code == 400
    assert client.get("/obligations/?q=%27%22%3C").status_code == 200


def test_a_unit_sees_its_own_reports_only_and_cannot_return(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    june = _filed_june(db_session)
    other = db_session.scalars(
        select(Obligation)
        .join(Unit, Unit.id == Obligation.unit_id)
        .where(Unit.code != "QSZ", Obligation.period == "2022-06")
    ).first()
    assert other is not None
    client = as_user("qsz_jbr")
    page = client.get("/obligations/").get_data(as_text=True)
    assert "青山镇" in page and other.unit.name not in page
    assert client.get(f"/obligations/{other.id}").status_code == 404
    own = client.get(f"/obligations/{june.id}").get_data(as_text=True)
    assert "本月入户走访48户" in own and "退回重报" not in own
    refused = client.post(f"/obligations/{june.id}/return", data={"reason": "理由"})
    assert refused.status_code in (400, 404)
    db_session.refresh(june)
    assert june.status == "submitted"


def test_roles_without_reports_do_not_reach_the_page(
    as_user: Callable[[str], FlaskClient],
) -> None:
    assert as_user("admin").get("/obligations/").status_code == 404


def test_the_export_reads_back_with_the_filters(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    _filed_june(db_session)
    client = as_user("ldxz_ban")
    answer = client.get("/obligations/export.xlsx?obligation=monthly_report&unit=QSZ")
    assert answer.status_code == 200
    assert (answer.mimetype or "").endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(answer.data)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert {(r[2], r[5]) for r in rows} == {("2022-05", "逾期"), ("2022-06", "已报")}
    assert all(r[3] == "青山镇" for r in rows)
