"""基础数据 pages: only the system administrator, never without a CSRF token, every refusal
shown beside what was typed; the lists, imports and the campaign's settings used where the
product shows them."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.comparison_data import id_number
from campaign.models import AuditEvent, Campaign, Household, Programme, Unit
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import csrf_token, form_tokens, login

PAGES = [
    "/admin/reference/programmes",
    "/admin/reference/places",
    "/admin/reference/households?village=QSZ01",
    "/admin/reference/campaign",
    "/admin/reference/import/households",
    "/admin/reference/template/programmes.xlsx",
]
POSTS = [
    ("/admin/reference/programmes", {"code": "C09", "name": "伪造", "level": "city"}),
    ("/admin/reference/programmes/P01/active", {"active": "0"}),
    ("/admin/reference/places", {"kind": "township", "code": "FAKE", "name": "伪造镇"}),
    ("/admin/reference/places/QSZ01/active", {"active": "0"}),
    ("/admin/reference/households/QSZ01/QSZ01-001/reveal", {}),
    ("/admin/reference/campaign/2022-HTK", {"name": "伪造", "starts_on": "2022-01-01"}),
    ("/admin/reference/campaigns", {"code": "2023-X", "year": "2023"}),
]


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys.json"
    monkeypatch.setenv("YKT_COMPARISON_KEY_FILE", str(path))
    return path


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username, DEMO_PASSWORD).status_code == 302
    return client


@pytest.mark.parametrize("username", ["ldxz_ban", "qsz_jbr", "secadmin", "auditor"])
def test_nobody_but_the_system_administrator_reaches_the_pages(
    app: Flask, db_session: Session, username: str
) -> None:
    client = signed_in(app, username)
    token = csrf_token(client, "/")
    for path in PAGES:
        assert client.get(path).status_code == 404, path
    for path, data in POSTS:
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 404, path
    assert db_session.scalar(select(func.count()).where(Programme.code == "C09")) == 0
    anonymous = app.test_client()
    assert anonymous.get(PAGES[0]).status_code == 302  # to the login page


def test_a_forged_post_changes_nothing(app: Flask, db_session: Session) -> None:
    admin = signed_in(app, "admin")
    for path, data in POSTS:
        refused = admin.post(path, data=data)  # no CSRF token: from another site
        assert refused.status_code == 400, path
        wrong = admin.post(path, data={"csrf_token": "forged", **data})
        assert wrong.status_code == 400, path
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).where(Programme.code == "C09")) == 0
    assert db_session.scalars(select(Programme).where(Programme.code == "P01")).first().active  # type: ignore[union-attr]
    assert db_session.scalar(select(func.count()).where(Campaign.code == "2023-X")) == 0


def test_refusals_keep_what_was_typed(app: Flask, db_session: Session) -> None:
    admin = signed_in(app, "admin")
    token = csrf_token(admin, "/admin/reference/programmes")
    dup = admin.post(
        "/admin/reference/programmes",
        data={"csrf_token": token, "code": "p01", "name": "重复项目", "level": "central"},
    )
    page = dup.get_data(as_text=True)
    assert dup.status_code == 422 and "项目代码已存在：P01" in page and 'value="重复项目"' in page
    orphan = admin.post(
        "/admin/reference/places",
        data={
            "csrf_token": token,
            "kind": "village",
            "code": "ZZZ01",
            "name": "无乡村",
            "township": "ZZZ",
        },
    )
    shown = orphan.get_data(as_text=True)
    assert (
        orphan.status_code == 422 and "乡镇代码不存在：ZZZ" in shown and 'value="无乡村"' in shown
    )
    busy = admin.post(
        "/admin/reference/places/QSZ/active",
        data={"csrf_token": token, "active": "0"},
        follow_redirects=True,
    )
    assert "未更改：乡镇“青山镇”还有 5 个启用的村" in busy.get_data(as_text=True)
    phase = admin.post(
        "/admin/reference/campaign/2022-HTK/phases/1",
        data={
            "csrf_token": token,
            "name": "动员部署",
            "starts_on": "2022-05-01",
            "ends_on": "2022-06-10",
        },
    )
    assert phase.status_code == 422 and "重叠" in phase.get_data(as_text=True)
    assert 'value="2022-06-10"' in phase.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).where(Unit.code == "ZZZ01")) == 0


def test_deactivating_a_programme_takes_it_out_of_the_register_form(
    app: Flask, db_session: Session
) -> None:
    admin = signed_in(app, "admin")
    token = csrf_token(admin, "/admin/reference/programmes")
    done = admin.post(
        "/admin/reference/programmes/C01/active",
        data={"csrf_token": token, "active": "0"},
        follow_redirects=True,
    )
    assert "已停用补贴项目" in done.get_data(as_text=True)
    officer = signed_in(app, "qsz_jbr")
    form = officer.get("/problems/new").get_data(as_text=True)
    assert 'value="C02"' in form and 'value="C01"' not in form


def test_a_household_type_is_chosen_and_a_bad_one_refused_keeping_the_form(
    app: Flask, db_session: Session, key_file: Path
) -> None:
    admin = signed_in(app, "admin")
    token = csrf_token(admin, "/admin/reference/households?village=QSZ01")
    typed = {
        "csrf_token": token,
        "code": "QSZ01-102",
        "head_name": "钱某某",
        "id_number": id_number(8, date(1967, 7, 7)),
        "card": "6217000099996666",
        "members": "2",
    }
    refused = admin.post(
        "/admin/reference/households/QSZ01", data={**typed, "household_type": "富户"}
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "户类型须为一般户、低保户" in page
    assert 'value="钱某某"' in page and typed["id_number"] not in page
    added = admin.post(
        "/admin/reference/households/QSZ01",
        data={**typed, "household_type": "脱贫户"},
        follow_redirects=True,
    )
    assert "已新增农户 QSZ01-102" in added.get_data(as_text=True)
    assert ">脱贫户</td>" in added.get_data(as_text=True)
    form = admin.get("/admin/reference/households?village=QSZ01&edit=QSZ01-102").get_data(
        as_text=True
    )
    assert "<option selected>脱贫户</option>" in form


def test_households_are_masked_and_revealed_with_a_record(
    app: Flask, db_session: Session, key_file: Path
) -> None:
    admin = signed_in(app, "admin")
    token = csrf_token(admin, "/admin/reference/households?village=QSZ01")
    number = id_number(7, date(1966, 6, 6))
    added = admin.post(
        "/admin/reference/households/QSZ01",
        data={
            "csrf_token": token,
            "code": "QSZ01-101",
            "head_name": "赵某某",
            "id_number": number,
            "card": "6217000099998888",
            "phone": "13712345678",
            "members": "4",
        },
        follow_redirects=True,
    )
    listed = added.get_data(as_text=True)
    assert "已新增农户 QSZ01-101" in listed
    assert number not in listed and "6217000099998888" not in listed
    assert "*" * 14 + number[-4:] in listed and "137****5678" in listed
    again = admin.post(
        "/admin/reference/households/QSZ02",
        data={
            "csrf_token": token,
            "code": "QSZ02-101",
            "head_name": "赵某某",
            "id_number": number,
            "card": "6217000099997777",
        },
    )
    assert again.status_code == 422 and "身份证号已登记在青山村户 QSZ01-101" in again.get_data(
        as_text=True
    )
    assert number not in again.get_data(as_text=True)  # never typed back into the page
    shown = admin.post(
        "/admin/reference/households/QSZ01/QSZ01-101/reveal", data={"csrf_token": token}
    ).get_data(as_text=True)
    assert number in shown and "6217000099998888" in shown
    db_session.expire_all()
    assert (
        db_session.scalar(select(func.count()).where(AuditEvent.action == "household.reveal")) == 1
    )
    stored = db_session.scalars(select(Household).where(Household.code == "QSZ01-101")).one()
    assert stored.id_cipher and number not in stored.id_cipher


def _sheet(rows: list[list[str]]) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    body = io.BytesIO()
    book.save(body)
    body.seek(0)
    return body


def test_an_import_names_every_bad_row_and_a_good_one_goes_in_once(
    app: Flask, db_session: Session
) -> None:
    admin = signed_in(app, "admin")
    path = "/admin/reference/import/places"
    header = ["类型", "代码", "名称", "所属乡镇代码"]
    bad = admin.post(
        path,
        data={
            **form_tokens(admin, path),
            "file": (
                _sheet([header, ["村", "ZZZ01", "无乡村", "ZZZ"], ["镇", "X", "", ""]]),
                "places.xlsx",
            ),
        },
        content_type="multipart/form-data",
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "未导入" in page
    assert '<td class="num">2</td><td>所属乡镇代码</td>' in page
    assert '<td class="num">3</td><td>类型</td>' in page
    hostile = admin.post(
        path,
        data={
            **form_tokens(admin, path),
            "file": (io.BytesIO(b"PK\x03\x04" + b"\0" * 64), "x.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert hostile.status_code == 422 and "已损坏" in hostile.get_data(as_text=True)
    tokens = form_tokens(admin, path)
    good = [header, ["乡镇", "XCZ", "新城镇", ""], ["村", "XCZ01", "新城村", "XCZ"]]
    first = admin.post(
        path, data={**tokens, "file": (_sheet(good), "p.xlsx")}, content_type="multipart/form-data"
    )
    assert first.status_code == 200 and "已导入乡镇和村 2 行" in first.get_data(as_text=True)
    twice = admin.post(
        path,
        data={**tokens, "file": (_sheet(good), "p.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "已导入乡镇和村 2 行" in twice.get_data(as_text=True)  # told, not imported again
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).where(Unit.code.in_(["XCZ", "XCZ01"]))) == 2
    template = admin.get("/admin/reference/template/households.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    assert admin.get("/admin/reference/import/nonsense").status_code == 404


def test_the_published_phone_is_the_campaigns(app: Flask, db_session: Session) -> None:
    public = app.test_client()
    assert "027—60670176" in public.get("/public/").get_data(as_text=True)
    admin = signed_in(app, "admin")
    token = csrf_token(admin, "/admin/reference/campaign")
    saved = admin.post(
        "/admin/reference/campaign/2022-HTK",
        data={
            "csrf_token": token,
            "name": "专项治理“回头看”",
            "document_no": "临空财发〔2022〕4号",
            "starts_on": "2022-05-01",
            "ends_on": "2022-12-31",
            "report_phone": "0711—3334444（区纪委）",
        },
        follow_redirects=True,
    )
    assert "已保存" in saved.get_data(as_text=True)
    assert "0711—3334444（区纪委）" in public.get("/public/").get_data(as_text=True)
    assert "0711—3334444（区纪委）" in public.get("/public/report").get_data(as_text=True)
    bad = admin.post(
        "/admin/reference/campaign/2022-HTK",
        data={
            "csrf_token": token,
            "name": "x",
            "starts_on": "2022-06-01",
            "ends_on": "2022-12-31",
            "report_phone": "请拨打<script>",
        },
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "举报电话须为电话号码" in text
    assert "请拨打<script>" not in text and "请拨打&lt;script&gt;" in text  # kept, escaped
    # A campaign's days are those any date typed may name (9999-12-31's day after is none).
    for starts_on, ends_on in (("2022-05-01", "9999-12-31"), ("0001-01-01", "2022-12-31")):
        far = admin.post(
            "/admin/reference/campaign/2022-HTK",
            data={
                "csrf_token": token,
                "name": "专项治理“回头看”",
                "starts_on": starts_on,
                "ends_on": ends_on,
                "report_phone": "0711—3334444",
            },
        )
        shown = far.get_data(as_text=True)
        assert far.status_code == 422 and "须在 1900-01-01 至 2100-12-31 之间" in shown
        assert f'value="{ends_on}"' in shown and f'value="{starts_on}"' in shown


def test_a_2023_campaign_is_prepared_then_started(app: Flask, db_session: Session) -> None:
    admin = signed_in(app, "admin")
    token = csrf_token(admin, "/admin/reference/campaign")
    made = admin.post(
        "/admin/reference/campaigns",
        data={
            "csrf_token": token,
            "previous": "2022-HTK",
            "code": "2023-HTK",
            "year": "2023",
            "name": "",
        },
        follow_redirects=True,
    )
    page = made.get_data(as_text=True)
    assert "已按 2022 年度的设置新建" in page and 'value="2023-07-05"' in page
    dup = admin.post(
        "/admin/reference/campaigns",
        data={"csrf_token": token, "previous": "2022-HTK", "code": "2023-B", "year": "2023"},
    )
    assert dup.status_code == 422 and "2023 年度已有专项治理活动" in dup.get_data(as_text=True)
    started = admin.post(
        "/admin/reference/campaign/2023-HTK/start",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "已开始" in started.get_data(as_text=True)
    db_session.expire_all()
    years = dict(db_session.execute(select(Campaign.year, Campaign.active)).tuples().all())
    assert years == {2022: False, 2023: True}
    counted = select(func.count()).select_from(Programme).join(Campaign)
    assert db_session.scalar(counted.where(Campaign.year == 2023)) == db_session.scalar(
        counted.where(Campaign.year == 2022, Programme.active.is_(True))
    )


def test_a_changed_monthly_day_is_what_the_pages_say(app: Flask, db_session: Session) -> None:
    admin = signed_in(app, "admin")
    token = csrf_token(admin, "/admin/reference/campaign")
    refused = admin.post(
        "/admin/reference/campaign/2022-HTK/deadlines/monthly_report",
        data={"csrf_token": token, "name": "自查自纠发现问题月报", "day_of_month": "31"},
    )
    assert refused.status_code == 422 and "1 至 28" in refused.get_data(as_text=True)
    saved = admin.post(
        "/admin/reference/campaign/2022-HTK/deadlines/monthly_report",
        data={"csrf_token": token, "name": "自查自纠发现问题月报", "day_of_month": "20"},
        follow_redirects=True,
    )
    assert "已保存报送时限" in saved.get_data(as_text=True)
    office = signed_in(app, "ldxz_ban")
    assert "月报逾期未报（每月 20 日前）" in office.get("/supervise/").get_data(as_text=True)
    assert "每月 20 日前" in office.get("/").get_data(as_text=True)
