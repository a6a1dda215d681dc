"""The comparison rules on the 数据比对 page: the office sees them, only the administrator
changes them; forged and unauthorised posts, bad values (refused by field, every input kept),
a double submit and a change that changes nothing (no new version)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.comparison import rules
from campaign.models import AuditEvent, ComparisonRuleVersion
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import form_tokens, login

SignIn = Callable[[str], FlaskClient]


@pytest.fixture
def as_user(app: Flask) -> SignIn:
    def sign_in(username: str) -> FlaskClient:
        client = app.test_client()
        assert login(client, username, DEMO_PASSWORD).status_code == 302
        return client

    return sign_in


def versions(session: Session, code: str) -> int:
    rule = rules.find(session, code)
    query = select(func.count()).where(ComparisonRuleVersion.rule_id == rule.id)
    return session.scalar(query) or 0


def good(tokens: dict[str, str], **more: str) -> dict[str, str]:
    return {**tokens, "name": "一卡（账户）为多人领取", "max_people": "3", "enabled": "1", **more}


def test_the_office_sees_the_rules_and_their_history_but_no_form(as_user: SignIn) -> None:
    client = as_user("ldxz_ban")
    listing = client.get("/comparison/rules").get_data(as_text=True)
    assert "R10" in listing and "户类型不符" in listing and "每卡（账户）最多人数 2" in listing
    page = client.get("/comparison/rules/R04").get_data(as_text=True)
    assert "修改记录" in page and "第 1 版" in page and 'action="/comparison/rules/R04"' not in page
    for username in ("qsz_jbr", "auditor"):
        assert as_user(username).get("/comparison/rules").status_code in (403, 404)
    assert as_user("admin").get("/comparison/rules/R99").status_code == 404


def test_only_the_administrator_changes_a_rule_and_never_without_the_token(
    as_user: SignIn, db_session: Session
) -> None:
    admin = as_user("admin")
    tokens = form_tokens(admin, "/comparison/rules/R04")
    office = as_user("ldxz_ban")
    office_tokens = {"csrf_token": form_tokens(office, "/comparison").get("csrf_token", "")}
    assert office.post("/comparison/rules/R04", data=good(office_tokens)).status_code in (403, 404)
    forged = admin.post("/comparison/rules/R04", data=good({"once": tokens["once"]}))
    assert forged.status_code == 400
    assert versions(db_session, "R04") == 1
    sent = admin.post("/comparison/rules/R04", data=good(tokens))
    assert sent.status_code == 302
    db_session.expire_all()
    rule = rules.find(db_session, "R04")
    assert (rule.version, rules.parameters(rule)) == (2, {"max_people": 3})
    page = admin.get(sent.headers["Location"]).get_data(as_text=True)
    assert "已修改为第 2 版" in page and "admin" in page
    again = admin.post("/comparison/rules/R04", data=good(tokens, max_people="4"))
    assert again.status_code == 302  # the same form twice: told what the first one did
    assert "已修改为第 2 版" in admin.get(again.headers["Location"]).get_data(as_text=True)
    db_session.expire_all()
    assert rules.find(db_session, "R04").version == 2 and versions(db_session, "R04") == 2
    changed = select(func.count()).where(AuditEvent.action == "comparison.rule_changed")
    assert db_session.scalar(changed) == 1


def test_bad_values_are_refused_by_field_and_every_input_is_kept(
    as_user: SignIn, db_session: Session
) -> None:
    admin = as_user("admin")
    tokens = form_tokens(admin, "/comparison/rules/R03")
    sent = admin.post(
        "/comparison/rules/R03",
        data={**tokens, "name": "  ", "max_cards": "两张", "enabled": ""},
    )
    assert sent.status_code == 422
    page = sent.get_data(as_text=True)
    assert "请填写规则名称" in page
    assert "每人最多卡（账户）数须为 1 至 20 的整数" in page and "（max_cards）" not in page
    assert 'value="两张"' in page and "checked" not in page.split('name="enabled"')[1][:40]
    for value, reason in (
        ("0", "须为 1 至 20"),
        ("", "请填写"),
        ("99999999999999", "须为 1 至 20"),
    ):
        answer = admin.post(
            "/comparison/rules/R03", data={**tokens, "name": "一人多卡", "max_cards": value}
        )
        assert answer.status_code == 422 and reason in answer.get_data(as_text=True)
    db_session.expire_all()
    assert rules.find(db_session, "R03").version == 1  # the refused token is free again
    ok = admin.post("/comparison/rules/R03", data={**tokens, "name": "一人多卡", "max_cards": "2"})
    assert ok.status_code == 302
    db_session.expire_all()
    rule = rules.find(db_session, "R03")
    assert (rule.version, rule.enabled) == (2, False)  # the box left unticked disables it


def test_a_change_that_changes_nothing_makes_no_version(
    as_user: SignIn, db_session: Session
) -> None:
    admin = as_user("admin")
    tokens = form_tokens(admin, "/comparison/rules/R10")
    rule = rules.find(db_session, "R10")
    sent = admin.post(
        "/comparison/rules/R10", data={**tokens, "name": f" {rule.name} ", "enabled": "1"}
    )
    assert sent.status_code == 302
    assert "没有改动" in admin.get(sent.headers["Location"]).get_data(as_text=True)
    db_session.expire_all()
    assert rules.find(db_session, "R10").version == 1 and versions(db_session, "R10") == 1


def test_a_refused_parameter_is_named_by_its_label_only(as_user: SignIn) -> None:
    admin = as_user("admin")
    tokens = form_tokens(admin, "/comparison/rules/R05")
    sent = admin.post(
        "/comparison/rules/R05", data={**tokens, "name": "超标准发放", "tolerance_fen": "abc"}
    )
    page = sent.get_data(as_text=True)
    assert sent.status_code == 422
    assert "允许超出标准（分）须为 0 至 100000000 的整数" in page
    assert "tolerance_fen）" not in page and "tolerance_fen：" not in page
