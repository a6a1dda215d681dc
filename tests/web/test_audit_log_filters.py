"""审计日志: the auditor filters the log by days (Beijing time, both included) beside action
and person, and downloads what the filter picks as a workbook; a day that cannot be read is
refused beside its field with what was typed; the download is itself recorded, and a filter
that picks more than one download holds is asked to narrow its days."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, audit_search
from campaign.models import AuditEvent
from core import clock
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import login

# Each record's time in UTC; Beijing is eight hours ahead, so the second is on 6 月 16 日 there.
TIMES = {
    "late on the 15th": datetime(2022, 6, 15, 15, 30, tzinfo=UTC),  # 23:30 on the 15th
    "early on the 16th": datetime(2022, 6, 15, 16, 10, tzinfo=UTC),  # 00:10 on the 16th
    "on the 20th": datetime(2022, 6, 20, 2, 0, tzinfo=UTC),
}


@pytest.fixture
def auditor(db_session: Session, client: FlaskClient) -> FlaskClient:
    for target, at in TIMES.items():
        clock.freeze(at)
        audit.record(db_session, "unit.create", actor_name="筛选测试", target=f"=SUM({target})")
    clock.freeze(datetime(2022, 6, 25, 9, tzinfo=UTC))
    db_session.commit()
    assert login(client, "auditor", DEMO_PASSWORD).status_code == 302
    return client


def _targets(page: str) -> list[str]:
    return [t for t in TIMES if f"=SUM({t})" in page]


def test_the_log_is_filtered_by_beijing_days(auditor: FlaskClient) -> None:
    asked = "/audit/?actor=筛选测试&since=2022-06-16&until=2022-06-20"
    assert _targets(auditor.get(asked).get_data(as_text=True)) == [
        "early on the 16th",
        "on the 20th",
    ]
    only_15th = auditor.get("/audit/?actor=筛选测试&until=2022-06-15").get_data(as_text=True)
    assert _targets(only_15th) == ["late on the 15th"]
    page = auditor.get("/audit/?actor=筛选测试&since=2022年6月16日").get_data(as_text=True)
    assert len(_targets(page)) == 2 and 'value="2022年6月16日"' in page


def test_a_day_that_cannot_be_read_is_refused_beside_its_field(auditor: FlaskClient) -> None:
    refused = auditor.get("/audit/?actor=筛选测试&since=2022-13-01")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "开始日期：没有这一天" in page
    assert 'value="2022-13-01"' in page and 'value="筛选测试"' in page and _targets(page) == []
    # a date field cannot show a day no calendar has: the refused one is a text field, as typed
    assert re.search(r'<input type="text" name="since" value="2022-13-01"', page)
    assert '<input type="date" name="until"' in page
    backwards = auditor.get("/audit/?since=2022-06-20&until=2022-06-16")
    assert backwards.status_code == 422
    assert "结束日期：不能早于开始日期" in backwards.get_data(as_text=True)
    assert auditor.get("/audit/export.xlsx?since=x").status_code == 422


def test_the_download_holds_what_the_filter_picks_and_is_recorded(
    auditor: FlaskClient, db_session: Session
) -> None:
    answer = auditor.get("/audit/export.xlsx?actor=筛选测试&since=2022-06-16")
    assert answer.status_code == 200 and (answer.mimetype or "").endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(answer.data)).active.iter_rows(values_only=True))
    assert "用户：筛选测试" in rows[0][0] and "自 2022-06-16" in rows[0][0]
    assert rows[1][:3] == ("时间", "用户", "操作")
    lines = rows[2:]
    assert [(line[0], line[1], line[2], line[4]) for line in lines] == [
        ("2022-06-20 10:00:00", "筛选测试", "新建单位", "=SUM(on the 20th)"),
        ("2022-06-16 00:10:00", "筛选测试", "新建单位", "=SUM(early on the 16th)"),
    ]  # newest first; a target beginning with "=" stays text, not a formula
    exported = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "audit.export")
    ).one()
    assert exported.actor_name == "auditor"
    detail = json.loads(exported.detail)
    assert detail == {"filters": {"actor": "筛选测试", "since": "2022-06-16"}, "rows": 2}


def test_a_download_bigger_than_one_holds_is_refused(
    auditor: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_search, "EXPORT_MOST", 2)
    refused = auditor.get("/audit/export.xlsx?actor=筛选测试")
    assert refused.status_code == 422
    assert "符合条件的记录有 3 条，一次最多导出 2 条" in refused.get_data(as_text=True)
    monkeypatch.setattr(audit_search, "EXPORT_BATCH", 1)  # batches end where they should
    assert auditor.get("/audit/export.xlsx?actor=筛选测试&since=2022-06-16").status_code == 200


def test_only_the_auditor_reads_or_downloads_the_log(client: FlaskClient) -> None:
    assert login(client, "secadmin", DEMO_PASSWORD).status_code == 302
    assert client.get("/audit/export.xlsx").status_code == 404
    assert client.get("/audit/").status_code == 404


def test_days_at_the_ends_of_the_calendar_leave_the_filter_open(auditor: FlaskClient) -> None:
    # Midnight of 0001-01-01 in Beijing is before the first UTC instant Python has, and the
    # day after 9999-12-31 is none: both are as good as no bound, not a 500.
    asked = "?actor=筛选测试&since=0001-01-01&until=9999-12-31"
    page = auditor.get(f"/audit/{asked}")
    assert page.status_code == 200 and len(_targets(page.get_data(as_text=True))) == 3
    assert auditor.get(f"/audit/export.xlsx{asked}").status_code == 200


def test_an_action_is_a_prefix_of_its_letters_not_a_pattern(auditor: FlaskClient) -> None:
    for pattern in ("%", "unit_create", "u%e"):
        page = auditor.get(f"/audit/?actor=筛选测试&action={pattern}").get_data(as_text=True)
        assert _targets(page) == [], pattern
    assert len(_targets(auditor.get("/audit/?action=unit.").get_data(as_text=True))) == 3
    # the same records typed in capitals, on either database
    assert len(_targets(auditor.get("/audit/?action=UNIT.").get_data(as_text=True))) == 3


def test_a_download_holds_the_log_as_it_was_when_asked_for(
    auditor: FlaskClient, db_session: Session
) -> None:
    def lines(answer: bytes) -> list[tuple[object, ...]]:
        return list(load_workbook(io.BytesIO(answer)).active.iter_rows(values_only=True))[2:]

    # Its own record is written after the count: not in the download, nor said to be.
    assert lines(auditor.get("/audit/export.xlsx?action=audit.export").data) == []
    second = lines(auditor.get("/audit/export.xlsx?action=audit.export").data)
    assert [line[3] for line in second] == ["audit.export"]
    recorded = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "audit.export").order_by(AuditEvent.id)
    ).all()
    assert [json.loads(r.detail)["rows"] for r in recorded] == [0, 1]


def test_the_filter_of_a_refused_download_asks_for_the_page(auditor: FlaskClient) -> None:
    page = auditor.get("/audit/export.xlsx?since=x").get_data(as_text=True)
    assert '<form class="filters" method="get" action="/audit/">' in page
