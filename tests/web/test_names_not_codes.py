"""Pages name things by their names: the audit log's actions, objects and details, a task's
process and version, the migration preview's problems and steps; never an internal code where
a name exists."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit_values, audit_view, problems, sessions, tasks
from campaign import login as login_module
from campaign.models import AuditEvent, Problem, User
from campaign.workflow_host import CampaignHost
from core.errors import InvalidInput
from engine.models import WorkItem
from forms import registry as forms_registry
from tests.campaign.conftest import SIGNED_OFF, approval, do, open_step, registration, submission

pytestmark = pytest.mark.usefixtures("june_2022")


def test_the_audit_log_shows_actions_objects_and_details_in_chinese(
    as_user: Callable[[str], FlaskClient],
) -> None:
    browser = as_user("auditor")
    page = browser.get("/audit/").get_data(as_text=True)
    cells = re.findall(r'<td data-label="(操作|对象|详情)"[^>]*>(.*?)</td>', page, re.S)
    assert cells, "the log shows records"
    shown = " ".join(text for _, text in cells)
    assert "登录" in shown and "授予角色" in shown
    assert "auth.login" not in re.sub(r'title="[^"]*"', "", shown)
    assert "{&#34;" not in shown and '{"' not in shown, "details are not raw JSON"
    assert "<dt>角色</dt><dd>经办人</dd><dt>单位</dt><dd>青山镇</dd>" in page
    again = browser.get("/audit/").get_data(as_text=True)
    assert "<dt>页码</dt><dd>1</dd>" in again  # the first reading, {"page": 1, ...}
    assert "（auth.login）" not in page, "the action filter lists names only"


def test_objects_are_named_and_unknown_ones_kept(db_session: Session) -> None:
    problem = _registered(db_session)
    names = audit_view.target_names(
        db_session,
        [f"case:{problem.case_id}", "user:qsz_jbr", "unit:QSZ", "case:999999", "/audit/", "x:y"],
    )
    assert problem.number in names[f"case:{problem.case_id}"]
    assert names["user:qsz_jbr"].startswith("用户 ") and "（qsz_jbr）" in names["user:qsz_jbr"]
    assert names["unit:QSZ"] == "单位 青山镇"
    assert names["case:999999"] == "流程 999999"  # gone: kind and key, not a failure
    assert "/audit/" not in names and "x:y" not in names


@pytest.mark.parametrize(
    ("detail", "shown"),
    [
        ("", []),
        ("not json", [("详情", "not json")]),
        ('["a"]', [("详情", '["a"]')]),
        ('{"page": 2, "filters": {}}', [("页码", "2"), ("筛选条件", "—")]),
        ('{"locked": true, "files": ["a.pdf", "b"]}', [("锁定", "是"), ("文件", "a.pdf、b")]),
        ('{"zzz": {"role": "officer", "x": 1}}', [("zzz", "角色：经办人；x：1")]),
        ('{"filters": {"action": "auth.login"}}', [("筛选条件", "操作：登录")]),
        ('{"filters": {"action": "auth."}}', [("筛选条件", "操作：auth.")]),
    ],
)
def test_details_are_label_and_value(detail: str, shown: list[tuple[str, str]]) -> None:
    assert audit_view.details(detail) == shown


@pytest.mark.parametrize(
    ("action", "detail", "shown"),
    [
        ("auth.login", '{"reason": "wrong password"}', [("理由", "密码错误")]),
        ("auth.session_end", '{"reason": "idle"}', [("理由", "长时间未操作")]),
        # a reason someone typed is theirs, whatever it says
        ("task.reassign", '{"reason": "locked"}', [("理由", "locked")]),
        ("request.failed", '{"error": "SubmissionInvalid"}', [("错误", "填写有误")]),
        ("request.failed", '{"error": "TaskConflict"}', [("错误", "已被他人处理或已变化")]),
        ("request.failed", '{"error": "CSRFError"}', [("错误", "页面已过期（表单校验未通过）")]),
        ("request.failed", '{"error": "KeyError"}', [("错误", "KeyError")]),
        ("task.complete", '{"form": "review_registration"}', [("表单", "审核登记并落实整改责任")]),
        (
            "task.complete",
            '{"form": "no_such_form", "task": "x"}',
            [("表单", "no_such_form"), ("任务", "x")],
        ),
    ],
)
def test_recorded_codes_are_named(action: str, detail: str, shown: list[tuple[str, str]]) -> None:
    assert audit_view.details(detail, action=action) == shown


def test_every_reason_a_login_or_session_records_is_named() -> None:
    login = Path(login_module.__file__).read_text(encoding="utf-8")
    failures = re.findall(r'_record_failure\([^)]*?"([a-z ]+)"', login, re.S)
    assert len(failures) >= 5
    for reason in [*failures, *(r.value for r in sessions.EndReason)]:
        assert reason in audit_values.AUTH_REASONS, reason


def test_a_task_record_names_its_step_and_form(db_session: Session) -> None:
    problem = _registered(db_session)
    step = do(db_session, CampaignHost(), "qsz_fzr", problem, approval())
    db_session.flush()
    record = db_session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "task.complete")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert record is not None and step.bpmn_id in record.detail
    [shown] = audit_view.shown(db_session, [record])
    form = forms_registry.get(step.form_key)
    assert form is not None
    assert sorted(shown.details) == sorted([("任务", step.title), ("表单", form.title)])


def test_a_task_page_names_its_process_and_version_not_codes(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    problem = _registered(db_session)
    item = db_session.scalars(select(WorkItem).where(WorkItem.case_id == problem.case_id)).one()
    page = as_user("qsz_fzr").get(f"/tasks/{item.id}").get_data(as_text=True)
    hint = re.search(r'<p class="hint">(.*?)</p>', page, re.S)
    assert hint is not None
    assert "（第1版）" in hint.group(1)
    assert item.bpmn_id not in hint.group(1)
    assert "problem_lifecycle v" not in page


def _registered(db_session: Session) -> Problem:
    officer = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    problem = problems.register(db_session, CampaignHost(), officer, "QSZ", registration())
    db_session.commit()
    return problem


def test_the_home_page_lists_the_work_and_the_actions_of_the_roles(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    problem = _registered(db_session)
    page = as_user("qsz_fzr").get("/").get_data(as_text=True)
    assert 'id="todo"' in page and problem.number in page  # the review waits for the head
    assert 'id="overdue"' in page and 'id="recent"' in page
    assert "登记问题" not in page.split('id="actions"')[1].split("</section>")[0]


def test_an_officer_starts_from_the_home_page(as_user: Callable[[str], FlaskClient]) -> None:
    page = as_user("qsz_jbr").get("/").get_data(as_text=True)
    actions = page.split('id="actions"')[1].split("</section>")[0]
    assert 'href="/problems/new">登记问题</a>' in actions
    assert "从 Excel 导入" in actions and "督办" not in actions


def test_the_auditor_sees_no_work_lists(as_user: Callable[[str], FlaskClient]) -> None:
    page = as_user("auditor").get("/").get_data(as_text=True)
    assert 'id="todo"' not in page and "审计日志" in page


def test_a_task_page_shows_the_previous_steps_decision_and_reason(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    problem = _registered(db_session)
    head = db_session.scalars(select(User).where(User.username == "qsz_fzr")).one()
    review = db_session.scalars(select(WorkItem).where(WorkItem.case_id == problem.case_id)).one()
    returned = {"review_decision": "return", "review_return_reason": "金额与名册不符，请核实"}
    tasks.complete(db_session, CampaignHost(), head, review.id, returned)
    step = db_session.scalars(
        select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()
    page = as_user("qsz_jbr").get(f"/tasks/{step.id}").get_data(as_text=True)
    previous = page.split('id="previous-step"')[1].split("</section>")[0]
    assert "决定：<strong>退回</strong>" in previous
    assert "金额与名册不符，请核实" in previous


def test_the_disclosure_approval_shows_the_text_drafted_and_as_published(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    host = CampaignHost()
    problem = _registered(db_session)
    do(db_session, host, "qsz_fzr", problem, approval())
    do(db_session, host, "qsz_jbr", problem, submission())
    do(db_session, host, "ldxz_ban", problem, SIGNED_OFF)
    drafted = "村会计截留补贴已追回，户主身份证420704198801011234已核实。"
    do(db_session, host, "qsz_jbr", problem, {"public_text": drafted})
    step = open_step(db_session, problem)
    assert step.form_key == "approve_disclosure"
    page = as_user("ldxz_ban").get(f"/tasks/{step.id}").get_data(as_text=True)
    shown = page.split('id="disclosure-text"')[1].split("</section>")[0]
    assert page.index('id="disclosure-text"') < page.index('enctype="multipart/form-data"')
    assert "42**********1234" in shown  # as the public will read it
    assert "耕地地力保护补贴" in shown


def test_the_problem_page_lists_all_evidence_with_dates_after_closing(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    host = CampaignHost()
    problem = _registered(db_session)
    do(db_session, host, "qsz_fzr", problem, approval())
    do(db_session, host, "qsz_jbr", problem, submission())
    do(db_session, host, "ldxz_ban", problem, SIGNED_OFF)
    do(db_session, host, "qsz_jbr", problem, {"public_text": "已整改到位"})
    do(db_session, host, "ldxz_ban", problem, {"disclosure_decision": "approve"})
    do(db_session, host, "ldxz_ban", problem, {"closing_note": "销号"})
    assert problem.status == "closed"
    page = as_user("ldxz_ban").get(f"/problems/{problem.id}").get_data(as_text=True)
    listed = page.split('id="evidence"')[1].split("</section>")[0]
    assert "整改凭证.pdf" in listed and "/files/" in listed
    assert "2022-06-15" in listed  # when it was uploaded


def test_the_favicon_is_served_to_anyone(client: FlaskClient) -> None:
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.mimetype == "image/vnd.microsoft.icon"
    assert answer.data[:4] == b"\x00\x00\x01\x00"  # an icon file


def test_a_refusal_made_of_its_fields_reasons_never_shows_a_fields_key() -> None:
    """A field's reason carries its label (完成期限：…); the key (due_on) is for the form."""
    refused = InvalidInput(fields={"due_on": "完成期限：不能早于今天", "method": "方式：必填"})
    assert str(refused) == "完成期限：不能早于今天；方式：必填"
    assert refused.fields == {"due_on": "完成期限：不能早于今天", "method": "方式：必填"}
