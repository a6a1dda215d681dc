"""The 数据比对 page and the 核实 task page: who may open them, hostile filters, people masked,
a run queued from the page and worked by the scheduler's job with its progress, and the full
numbers behind 查看完整号码 for the verifying officer only, audited."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.comparison_data import generate
from campaign.comparison import keyring
from campaign.comparison.protection import KeyFile
from campaign.jobs import run_queued_comparisons
from campaign.models import AuditEvent, ComparisonRun, Discrepancy, RollRow
from core.config import Settings
from core.db import Database
from engine.models import WorkItem
from tests.comparison.conftest import load
from tests.comparison.test_verification import QSZ_VILLAGES
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import csrf_token, form_tokens, login

SignIn = Callable[[str], FlaskClient]


@pytest.fixture
def as_user(app: Flask) -> SignIn:
    """A client of its own for each person signed in."""

    def sign_in(username: str) -> FlaskClient:
        client = app.test_client()
        response = login(client, username, DEMO_PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return sign_in


ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")


@pytest.fixture
def key_file(settings: Settings) -> KeyFile:
    return KeyFile.for_data_dir(settings.data_dir)


@pytest.fixture
def rolls(db_session: Session, key_file: KeyFile) -> None:
    load(db_session, key_file, generate(5, 15, QSZ_VILLAGES))
    db_session.flush()


def run_from_the_page(client: FlaskClient, bound_database: Database) -> str:
    tokens = form_tokens(client, "/comparison")
    sent = client.post("/comparison/runs", data={**tokens, "programme": "", "period": "2022-06"})
    assert sent.status_code == 302, sent.get_data(as_text=True)[:500]
    queued = client.get("/comparison/runs/latest").get_json()
    assert queued["status"] == "queued" and queued["done"] == 0
    assert run_queued_comparisons(bound_database) == 1
    return client.get("/comparison").get_data(as_text=True)


def full_numbers_of(session: Session, key_file: KeyFile) -> list[str]:
    protector = keyring.protector(session, key_file)
    return [protector.decrypt(c) for c in session.scalars(select(RollRow.id_cipher))]


def test_only_the_office_and_the_administrator_open_the_page(as_user: SignIn) -> None:
    for username in ("qsz_jbr", "qsz_fzr", "jjw_jc", "auditor"):
        client = as_user(username)
        assert client.get("/comparison").status_code in (403, 404)
        assert client.get("/comparison/runs/latest").status_code in (403, 404)
    for username in ("ldxz_ban", "admin"):
        page = as_user(username).get("/comparison")
        assert page.status_code == 200 and "规则命中率" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "status=<script>alert(1)</script>",
        "period=2022-13",
        "period=' OR 1=1 --",
        "programme=NOPE",
        "page=-1",
        "page=99999999999999999999",
        "rule=" + "R" * 5000,
        "township=%00%ff",
        "programme=%00",
        "rule=R01%00",
    ],
)
def test_hostile_filters_get_a_message_never_a_500(as_user: SignIn, query: str) -> None:
    page = as_user("ldxz_ban").get(f"/comparison?{query}")
    assert page.status_code in (200, 400, 404, 422)
    text = page.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text and "Traceback" not in text


def test_a_run_from_the_page_raises_疑点_starts_cases_and_shows_them_masked(
    as_user: SignIn, rolls: None, bound_database: Database, db_session: Session, key_file: KeyFile
) -> None:
    client = as_user("ldxz_ban")
    page = run_from_the_page(client, bound_database)
    run = db_session.scalars(select(ComparisonRun)).one()
    assert (run.status, run.rules_done, run.rules_total) == ("done", 10, 10)
    assert run.raised == 10 and run.cases_started == 10
    assert "共 10 个疑点" in page and "核实中" in page
    for number in full_numbers_of(db_session, key_file):
        assert number not in page and number[-8:] not in page
    assert not ID_NUMBER.search(page)
    filtered = client.get("/comparison?rule=R01&township=QSZ&status=verifying&period=2022-06")
    assert "共 1 个疑点" in filtered.get_data(as_text=True)
    # Asked again: nothing twice.
    again = run_from_the_page(client, bound_database)
    assert "共 10 个疑点" in again
    assert db_session.scalar(select(ComparisonRun.raised).order_by(ComparisonRun.id.desc())) == 0


def test_a_second_run_while_one_is_queued_is_refused(as_user: SignIn) -> None:
    client = as_user("ldxz_ban")
    first = client.post("/comparison/runs", data=form_tokens(client, "/comparison"))
    assert first.status_code == 302
    second = client.post("/comparison/runs", data=form_tokens(client, "/comparison"))
    assert second.status_code == 422
    assert "未运行：已有一次比对排队中" in second.get_data(as_text=True)


def test_full_numbers_on_the_task_page_only_for_the_verifying_officer_and_audited(
    as_user: SignIn, rolls: None, bound_database: Database, db_session: Session, key_file: KeyFile
) -> None:
    run_from_the_page(as_user("ldxz_ban"), bound_database)
    found = db_session.scalars(
        select(Discrepancy).join(Discrepancy.rule).where(Discrepancy.rule.has(code="R01"))
    ).one()
    item = db_session.scalars(select(WorkItem).where(WorkItem.case_id == found.case_id)).one()
    numbers = full_numbers_of(db_session, key_file)

    # The office sees the case (it sees every 疑点) but not the numbers, nor may it ask.
    office = as_user("ldxz_ban")
    shown = office.get(f"/tasks/{item.id}").get_data(as_text=True)
    assert "数据比对疑点" in shown and "查看完整号码" not in shown
    assert not any(n in shown for n in numbers)
    token = csrf_token(office, f"/tasks/{item.id}")
    refused = office.post(f"/tasks/{item.id}/full-numbers", data={"csrf_token": token})
    assert refused.status_code == 403
    assert not any(n in refused.get_data(as_text=True) for n in numbers)

    officer = as_user("qsz_jbr")
    masked = officer.get(f"/tasks/{item.id}").get_data(as_text=True)
    assert "查看完整号码" in masked and not ID_NUMBER.search(masked)
    token = csrf_token(officer, f"/tasks/{item.id}")
    full = officer.post(f"/tasks/{item.id}/full-numbers", data={"csrf_token": token})
    text = full.get_data(as_text=True)
    assert full.status_code == 200 and "本次查看已记入审计日志" in text
    assert sum(1 for n in numbers if n in text) == found.rows
    seen = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "comparison.reveal")
    ).all()
    assert [(e.success, e.target) for e in seen] == [
        (False, f"discrepancy:{found.id}"),
        (True, f"discrepancy:{found.id}"),
    ]


def test_a_refused_run_keeps_the_programme_and_the_period_typed(as_user: SignIn) -> None:
    client = as_user("ldxz_ban")
    sent = {**form_tokens(client, "/comparison"), "programme": "P11", "period": "2022-13"}
    refused = client.post("/comparison/runs", data=sent)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "未运行：期间须写作 YYYY-MM" in page
    assert re.search(r"<option value=\"P11\"\s*selected>", page)
    assert 'name="period" value="2022-13"' in page


@pytest.mark.parametrize("typed", ["2022-6", "2022/6", "2022年6月", "２０２２－０６"])
def test_a_month_is_read_as_officers_write_it(as_user: SignIn, typed: str) -> None:
    client = as_user("ldxz_ban")
    sent = {**form_tokens(client, "/comparison"), "programme": "", "period": typed}
    assert client.post("/comparison/runs", data=sent).status_code == 302
    assert "2022-06" in client.get("/comparison/runs/latest").get_json()["scope"]


def test_the_filter_takes_a_month_written_in_words(as_user: SignIn) -> None:
    page = as_user("ldxz_ban").get("/comparison?period=2022年12月")
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    box = r'name="period" value="2022年12月"[^>]*aria-label="期间" maxlength="16"'
    assert re.search(box, shown)
