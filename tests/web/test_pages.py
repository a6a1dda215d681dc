"""The pages people use every day, driven through the Flask stack."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import problems, tasks
from campaign.models import Attachment, AuditEvent, Problem, User
from campaign.workflow_host import CampaignHost
from core import clock
from engine.models import WorkItem
from tests.campaign.conftest import approval, registration, uploaded
from tests.engine.conftest import diagram
from tests.web_helpers import csrf_token

Client = Callable[[str], FlaskClient]


pytestmark = pytest.mark.usefixtures("june_2022")


def _user(session: Session, name: str) -> User:
    return session.scalars(select(User).where(User.username == name)).one()


def _problem(session: Session) -> Problem:
    return problems.register(
        session, CampaignHost(), _user(session, "qsz_jbr"), "QSZ", registration()
    )


def _open(session: Session, problem: Problem) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()


def test_registering_a_problem_from_the_web(db_session: Session, as_user: Client) -> None:
    client = as_user("qsz_jbr")
    page = client.get("/problems/new?unit=QSZ").get_data(as_text=True)
    assert "问题来源" in page and "青山村" in page and "白沙村" not in page
    token = csrf_token(client, "/problems/new?unit=QSZ")
    bad = client.post(
        "/problems/new",
        data={**registration(amount="-5", village="BSZ01"), "unit": "QSZ", "csrf_token": token},
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "金额不能为负数" in text and "不是可选的值" in text
    assert db_session.scalars(select(Problem)).all() == []
    good = client.post("/problems/new", data={**registration(), "unit": "QSZ", "csrf_token": token})
    assert good.status_code == 302
    problem = db_session.scalars(select(Problem)).one()
    assert problem.number == "2022-QSZ-0001" and problem.amount_fen == 360000
    detail = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "2022-QSZ-0001" in detail and "3,600.00" in detail


def test_completing_a_task_with_errors_then_twice(db_session: Session, as_user: Client) -> None:
    problem = _problem(db_session)
    step = _open(db_session, problem)
    client = as_user("qsz_fzr")
    page = client.get(f"/tasks/{step.id}")
    assert page.status_code == 200 and "审核登记" in page.get_data(as_text=True)
    token = csrf_token(client, f"/tasks/{step.id}")
    missing = client.post(
        f"/tasks/{step.id}", data={"review_decision": "approve", "csrf_token": token}
    )
    assert missing.status_code == 422
    assert "整改时限：必填" in missing.get_data(as_text=True)
    assert _open(db_session, problem).id == step.id
    done = client.post(f"/tasks/{step.id}", data={**approval(), "csrf_token": token})
    assert done.status_code == 302
    again = client.post(f"/tasks/{step.id}", data={**approval(), "csrf_token": token})
    assert again.status_code == 409
    assert "已办理完毕" in again.get_data(as_text=True)
    db_session.expire_all()  # the requests wrote through sessions of their own
    assert problem.status == "rectifying"


def test_people_of_other_units_cannot_see_the_task(
    db_session: Session, client: FlaskClient
) -> None:
    from tests.factories import GOOD_PASSWORD, make_user
    from tests.web_helpers import login

    problem = _problem(db_session)
    step = _open(db_session, problem)
    make_user(db_session, "bsz_reviewer", unit_code="BSZ", role="reviewer")
    login(client, "bsz_reviewer", GOOD_PASSWORD)
    assert client.get(f"/tasks/{step.id}").status_code == 404
    assert client.get(f"/problems/{problem.id}").status_code == 404
    assert client.get(f"/cases/{problem.case_id}/diagram.bpmn").status_code == 404


def _at_rectify(session: Session) -> tuple[Problem, WorkItem]:
    problem = _problem(session)
    tasks.complete(
        session, CampaignHost(), _user(session, "qsz_fzr"), _open(session, problem).id, approval()
    )
    return problem, _open(session, problem)


SUBMIT = {
    "action": "submit",
    "measures_taken": "已追回并发放",
    "completed_on": "2022-06-15",
    "no_transfer_reason": "经核实系工作失误",  # a (三) 违法违规 problem with no clue says why
}


def test_evidence_upload_is_checked_and_downloadable(
    db_session: Session, as_user: Client, tmp_path: Path
) -> None:
    problem, step = _at_rectify(db_session)
    client = as_user("qsz_jbr")
    token = csrf_token(client, f"/tasks/{step.id}")

    def submit(name: str, content: bytes) -> str:
        response = client.post(
            f"/tasks/{step.id}",
            content_type="multipart/form-data",
            data={**SUBMIT, "csrf_token": token, "evidence__upload": (io.BytesIO(content), name)},
        )
        return f"{response.status_code} {response.get_data(as_text=True)}"

    def stored_files() -> list[Path]:
        return [p for p in (tmp_path / "data").rglob("*") if p.is_file()]

    assert "不支持的文件类型" in submit("tool.exe", b"MZ\x90\x00")
    assert "与扩展名不符" in submit("fake.pdf", b"MZ not a pdf")
    assert db_session.scalars(select(Attachment)).all() == []
    assert stored_files() == []  # a refused upload leaves nothing behind
    refused_form = client.post(
        f"/tasks/{step.id}",
        content_type="multipart/form-data",
        data={
            **SUBMIT,
            "measures_taken": "",
            "csrf_token": token,
            "evidence__upload": (io.BytesIO(b"%PDF-1.4 other"), "另一份.pdf"),
        },
    )
    assert refused_form.status_code == 422
    # A good file sent with a refused form stays with the case and comes back attached, so
    # nobody uploads the same evidence twice.
    db_session.expire_all()
    kept = db_session.scalars(select(Attachment)).one()
    assert kept.filename == "另一份.pdf" and len(stored_files()) == 1
    page = refused_form.get_data(as_text=True)
    assert f'name="evidence" value="{kept.id}" checked' in page and "另一份.pdf" in page
    assert submit("证明.pdf", b"%PDF-1.4 evidence").startswith("302")
    db_session.expire_all()
    attachment = db_session.scalars(
        select(Attachment).where(Attachment.filename == "证明.pdf")
    ).one()
    assert attachment.case_id == problem.case_id
    download = client.get(f"/files/{attachment.id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 evidence"
    download.close()
    read = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "file.download"))
    assert [e.target for e in read] == [f"case:{problem.case_id}"]  # evidence read is recorded
    db_session.expire_all()
    assert problem.status == "signoff"


def test_evidence_chosen_again_after_a_refusal_is_kept_once(
    db_session: Session, as_user: Client
) -> None:
    """A refused form keeps its file with the case, ticked; an officer who does not see the
    tick and chooses the same file again (twice) leaves one piece of evidence, named once."""
    problem, step = _at_rectify(db_session)
    client = as_user("qsz_jbr")
    token = csrf_token(client, f"/tasks/{step.id}")

    def send(form: dict[str, Any]) -> int:
        return client.post(
            f"/tasks/{step.id}",
            content_type="multipart/form-data",
            data={
                **SUBMIT,
                "csrf_token": token,
                **form,
                "evidence__upload": (io.BytesIO(b"%PDF-1.4 scan"), "现场照片.pdf"),
            },
        ).status_code

    assert send({"measures_taken": ""}) == 422
    kept = db_session.scalars(select(Attachment)).one()
    assert send({"measures_taken": "", "evidence": str(kept.id)}) == 422
    assert send({"evidence": str(kept.id)}) == 302
    db_session.expire_all()
    assert [a.id for a in db_session.scalars(select(Attachment))] == [kept.id]
    files_of = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "file.upload")
    ).all()
    assert len(files_of) == 1  # the upload is recorded once
    assert problem.status == "signoff"


def test_the_public_page_masks_personal_data(db_session: Session, client: FlaskClient) -> None:
    problem, step = _at_rectify(db_session)
    host = CampaignHost()
    officer = _user(db_session, "qsz_jbr")
    evidence = [str(uploaded(db_session, step.case_id, officer).id)]
    tasks.complete(db_session, host, officer, step.id, {**SUBMIT, "evidence": evidence})
    tasks.complete(
        db_session,
        host,
        _user(db_session, "ldxz_ban"),
        _open(db_session, problem).id,
        {"signoff_decision": "approve", "no_transfer_approved": True},
    )
    tasks.complete(
        db_session,
        host,
        _user(db_session, "qsz_jbr"),
        _open(db_session, problem).id,
        {"public_text": "农户身份证420704198801011234，卡号6228480012345678901，电话13812341234"},
    )
    tasks.complete(
        db_session,
        host,
        _user(db_session, "ldxz_ban"),
        _open(db_session, problem).id,
        {"disclosure_decision": "approve"},
    )
    page = client.get("/public/?township=QSZ").get_data(as_text=True)
    assert "42**********1234" in page and "***************8901" in page
    assert "138****1234" in page
    assert not re.search(r"\d{15,}", page), "no long digit run survives on the public page"
    assert "耕地地力保护补贴" in page and "3,600.00" in page


def test_the_supervisor_finds_an_overdue_item(db_session: Session, as_user: Client) -> None:
    problem, step = _at_rectify(db_session)
    clock.freeze(datetime(2022, 7, 20, 2, 0, tzinfo=UTC))  # five days past 15 July
    client = as_user("ldxz_ban")
    page = client.get("/supervise/").get_data(as_text=True)
    assert "青山镇" in page and "逾期事项" in page
    drill = client.get(f"/supervise/overdue?unit={step.unit_id}&bucket=d1_7").get_data(as_text=True)
    assert problem.number in drill


def test_admin_deploys_from_the_modeler_or_sees_the_problems(
    db_session: Session, as_user: Client
) -> None:
    client = as_user("admin")
    token = csrf_token(client, "/admin/modeler?key=problem_lifecycle")
    headers = {"X-CSRFToken": token}
    xml = Path("workflows/problem_lifecycle.bpmn").read_text(encoding="utf-8")
    changed = xml.replace('name="销号审核"', 'name="销号审核（改）"')
    created = client.post("/admin/definitions/deploy", json={"xml": changed}, headers=headers)
    assert created.status_code == 201 and created.get_json()["version"] == 2
    broken = changed.replace('camunda:formKey="signoff"', 'camunda:formKey="nope"')
    refused = client.post("/admin/definitions/deploy", json={"xml": broken}, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["findings"][0]["element_id"] == "signoff"
    unsafe = diagram("rectify")
    assert (
        client.post("/admin/definitions/deploy", json={"xml": unsafe}, headers=headers).status_code
        == 422
    )
    assert client.post("/admin/definitions/deploy", json={"xml": changed}).status_code == 400


def test_the_modeler_deploys_the_diagram_with_the_files_chosen_beside_it(
    db_session: Session, as_user: Client
) -> None:
    client = as_user("admin")
    headers = {"X-CSRFToken": csrf_token(client, "/admin/modeler?key=problem_lifecycle")}
    page = client.get("/admin/modeler?key=problem_lifecycle").get_data(as_text=True)
    assert 'id="bundle-files"' in page and "DMN 决策表" in page
    xml = Path("workflows/problem_lifecycle.bpmn").read_text(encoding="utf-8")
    bundles = Path("tests/engine/conformance/bundles")
    table = (bundles / "grade_unique.dmn").read_text(encoding="utf-8")
    files = [{"name": "grade.dmn", "content": table}]
    deployed = client.post(
        "/admin/definitions/deploy", json={"xml": xml, "files": files}, headers=headers
    )
    assert deployed.status_code == 200, deployed.get_json()
    assert deployed.get_json()["also"] == [
        {"kind": "decision", "key": "grade_unique", "version": 1, "created": True}
    ]
    hostile = (bundles / "hostile_cells.dmn").read_text(encoding="utf-8")
    files = [{"name": "hostile.dmn", "content": hostile}]
    refused = client.post(
        "/admin/definitions/deploy", json={"xml": xml, "files": files}, headers=headers
    )
    assert refused.status_code == 422
    assert "〔hostile.dmn〕" in refused.get_json()["findings"][0]["message"]
    wrong = client.post(
        "/admin/definitions/deploy", json={"xml": xml, "files": [{"name": "a"}]}, headers=headers
    )
    assert wrong.status_code == 400
    versions = client.get("/admin/definitions/problem_lifecycle").get_data(as_text=True)
    assert "调用的流程与决策（部署时固定）" in versions


def test_a_returned_task_shows_why_and_starts_from_the_registration(
    db_session: Session, as_user: Client
) -> None:
    problem = _problem(db_session)
    tasks.complete(
        db_session,
        CampaignHost(),
        _user(db_session, "qsz_fzr"),
        _open(db_session, problem).id,
        {"review_decision": "return", "review_return_reason": "金额与银行流水不符"},
    )
    correction = _open(db_session, problem)
    page = as_user("qsz_jbr").get(f"/tasks/{correction.id}").get_data(as_text=True)
    assert "退回理由：金额与银行流水不符" in page
    assert 'value="3600.00"' in page and "村会计截留耕地地力保护补贴" in page
    assert page.count("金额与银行流水不符") >= 2  # the banner and the history's note
    from campaign.models import Notification

    notice = db_session.scalars(select(Notification).where(Notification.kind == "returned")).one()
    assert "金额与银行流水不符" in notice.text


def test_the_error_page_offers_the_way_back_within_the_site(as_user: Client) -> None:
    officer = as_user("qsz_jbr")
    inbox = "http://localhost/inbox/"
    refused = officer.get("/tasks/99999", headers={"Referer": inbox})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 404 and "不存在或无权访问" in page
    assert f'href="{inbox}">返回上一页' in page and "返回工作台" in page
    elsewhere = officer.get("/tasks/99999", headers={"Referer": "https://evil.example/x"})
    assert "返回上一页" not in elsewhere.get_data(as_text=True)


def test_a_task_claimed_by_a_colleague_says_so_and_keeps_what_was_typed(
    db_session: Session, as_user: Client
) -> None:
    problem = _problem(db_session)
    step = _open(db_session, problem)
    from tests.factories import make_user

    colleague = make_user(db_session, "qsz_fzr2", role="reviewer")
    colleague.full_name = "李副主任"
    client = as_user("qsz_fzr")
    token = csrf_token(client, f"/tasks/{step.id}")  # the form was opened before the claim
    tasks.claim(db_session, CampaignHost(), colleague, step.id)
    db_session.commit()
    page = client.get(f"/tasks/{step.id}").get_data(as_text=True)
    assert "此任务已由李副主任" in page and "认领" in page
    assert 'name="review_decision"' not in page  # no editable form
    typed = {**approval(measures="我认真写的整改措施"), "csrf_token": token}
    refused = client.post(f"/tasks/{step.id}", data=typed)
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "未提交" in text and "您未提交的填写内容" in text and "我认真写的整改措施" in text
    assert _open(db_session, problem).claimed_by == colleague.id
