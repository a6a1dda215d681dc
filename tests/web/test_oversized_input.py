"""Input at the ends of what Python and the database can hold is refused in words, never a
500: a number of 5,000 digits (int() refuses more than 4,300), an id of 20 digits (beyond the
database's integers), a report day at the ends of the calendar, a JSON body nested 2,000 deep,
a JSON body that is not an object."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from campaign.reports.scope import DAY_REFUSED
from core.db import MAX_ID
from core.numbers import MAX_DIGITS, row_id, whole
from tests.campaign.conftest import registration
from tests.web.test_api import token
from tests.web_helpers import csrf_token
from web.input_guard import TOO_DEEP

Client = Callable[[str], FlaskClient]
pytestmark = pytest.mark.usefixtures("june_2022")
LONG = "9" * 5000
BEYOND_64_BITS = "99999999999999999999"


@given(st.integers(min_value=-(10**MAX_DIGITS) + 1, max_value=10**MAX_DIGITS - 1))
def test_a_whole_number_of_up_to_eighteen_digits_is_read_as_written(number: int) -> None:
    assert whole(f" {number} ", signed=True) == number
    assert whole(str(abs(number))) == abs(number)
    assert whole("1" + str(abs(number)).zfill(MAX_DIGITS)) is None  # one digit more
    assert whole("0" * 30 + str(abs(number))) == abs(number)  # zeros in front count for nothing


@pytest.mark.parametrize("text", [LONG, "1" + "0" * MAX_DIGITS, "", " ", "-1", "1.0", "1e3", "²"])
def test_anything_else_is_no_number(text: str) -> None:
    assert whole(text) is None
    assert row_id(text) is None


def test_an_id_names_a_row_only_within_the_databases_integers() -> None:
    assert row_id("1") == 1 and row_id(str(MAX_ID)) == MAX_ID and row_id("０４２") == 42
    assert row_id("0") is None and row_id(str(MAX_ID + 1)) is None
    assert row_id(BEYOND_64_BITS) is None and row_id(None) is None


def test_a_page_number_of_thousands_of_digits_is_refused(
    as_user: Client, client: FlaskClient
) -> None:
    assert client.get(f"/public/?page={LONG}").status_code == 400
    office = as_user("ldxz_ban")
    for path in ("/ledger", "/inbox/", "/tip-offs", "/accountability", "/admin/units"):
        answer = office.get(f"{path}?page={LONG}")
        assert answer.status_code in (400, 404), path
    refused = office.get(f"/evaluations?waiting_page={LONG}")
    assert refused.status_code == 400 and "页码须为" in refused.get_data(as_text=True)


def test_a_count_of_thousands_of_digits_is_too_large_and_the_form_keeps_it(
    as_user: Client, db_session: Session, client: FlaskClient
) -> None:
    officer = as_user("qsz_jbr")
    form = {
        "csrf_token": csrf_token(officer, "/problems/new?unit=QSZ"),
        **registration(),
        "unit": "QSZ",
        "persons": LONG,
    }
    refused = officer.post("/problems/new", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "数值过大" in page
    assert form["description"] in page
    headers = token(db_session, "qsz_jbr")
    for persons in (LONG, 10**30):
        answer = client.post(
            "/api/v1/problems",
            headers=headers,
            json={"unit": "QSZ", "data": registration(persons=persons)},
        )
        assert answer.status_code == 422, persons
        assert answer.get_json()["fields"]["persons"].endswith("数值过大")


def test_the_admins_numbers_of_thousands_of_digits_are_refused(as_user: Client) -> None:
    admin = as_user("admin")
    token_ = csrf_token(admin, "/admin/units")
    posts = {
        "/admin/units/QSZ/population": {"population": LONG},
        "/admin/reference/campaign/2022-HTK/deadlines/monthly_report": {
            "name": "月报",
            "day_of_month": LONG,
        },
        "/admin/reference/campaigns": {
            "previous": "2022-HTK",
            "code": "X2",
            "name": "下一年",
            "year": LONG,
        },
    }
    for path, fields in posts.items():
        answer = admin.post(path, data={"csrf_token": token_, **fields})
        assert answer.status_code == 422, path
        assert LONG in answer.get_data(as_text=True), f"{path}: the input is kept"


def test_ids_beyond_the_databases_integers_name_nothing(
    as_user: Client, db_session: Session, client: FlaskClient
) -> None:
    office = as_user("ldxz_ban")
    token_ = csrf_token(office, "/supervise/overdue")
    for field in ("only", "items"):
        for text in (BEYOND_64_BITS, LONG):
            urged = office.post(
                "/supervise/urge",
                data={"csrf_token": token_, field: text},
                follow_redirects=True,
            )
            assert "未催办：所选事项无效" in urged.get_data(as_text=True), (field, text[:20])
    for text in (BEYOND_64_BITS, LONG):
        visit = office.post("/evaluations/request", data={"csrf_token": token_, "problem": text})
        assert visit.status_code == 400
        chosen = office.post("/campaign", data={"csrf_token": token_, "campaign": text})
        assert chosen.status_code == 302
    for unit in (BEYOND_64_BITS, LONG, "abc", "99999"):
        assert office.get(f"/supervise/overdue?unit={unit}").status_code == 404
        assert office.get(f"/supervision?unit={unit}").status_code == 404
    headers = token(db_session, "ldxz_ban")
    listed = client.get(f"/api/v1/tasks?campaign={BEYOND_64_BITS}", headers=headers)
    assert listed.status_code == 404


def test_a_diagram_version_that_is_no_number_of_ours_is_not_found(as_user: Client) -> None:
    admin = as_user("admin")
    for version in (BEYOND_64_BITS, LONG, "abc", "0"):
        xml = admin.get(f"/admin/definitions/accountability/xml?version={version}")
        assert xml.status_code == 404, version[:20]
    assert admin.get("/admin/definitions/accountability/xml?version=1").status_code == 200
    assert admin.get("/admin/definitions/accountability/xml").status_code == 200


@pytest.mark.parametrize("days", ["from=0001-01-01", "to=9999-12-31", "from=1999-12-31"])
def test_a_report_day_at_the_ends_of_the_calendar_is_refused(
    days: str, as_user: Client, db_session: Session, client: FlaskClient
) -> None:
    office = as_user("ldxz_ban")
    for path in ("/reports/", "/reports/attachment3.xlsx"):
        answer = office.get(f"{path}?{days}")
        assert answer.status_code == 422, path
        assert DAY_REFUSED in answer.get_data(as_text=True)
    api = client.get(f"/api/v1/reports/attachment3?{days}", headers=token(db_session, "ldxz_ban"))
    assert api.status_code == 422 and api.get_json()["error"] == DAY_REFUSED
    assert office.get("/reports/?from=2000-01-01&to=2100-12-31").status_code == 200


def test_a_json_body_nested_too_deep_is_refused(client: FlaskClient, db_session: Session) -> None:
    deep = b'{"a":' * 2000
    token_ = csrf_token(client, "/login")
    page = client.post(
        "/login", data=deep, content_type="application/json", headers={"X-CSRFToken": token_}
    )
    assert page.status_code == 400 and page.get_json()["error"] == TOO_DEEP
    headers = token(db_session, "qsz_jbr")
    for depth in (40, 2000):
        body = '{"a":' * depth + "1" + "}" * depth
        answer = client.post(
            "/api/v1/problems", data=body, content_type="application/json", headers=headers
        )
        assert answer.status_code == 400 and answer.get_json()["error"] == TOO_DEEP, depth
    shallow = '{"a":' * 20 + "1" + "}" * 20
    answer = client.post(
        "/api/v1/problems", data=shallow, content_type="application/json", headers=headers
    )
    assert answer.get_json()["error"] != TOO_DEEP  # read, then judged on what it holds


def test_a_diagram_deployed_with_a_body_that_is_not_an_object_is_refused(
    as_user: Client,
) -> None:
    admin = as_user("admin")
    token_ = csrf_token(admin, "/admin/modeler")
    for body in ("x", ["xml"], 1, None):
        answer = admin.post("/admin/definitions/deploy", json=body, headers={"X-CSRFToken": token_})
        assert answer.status_code == 400, body
        said = (answer.get_json(silent=True) or {}).get("error") or answer.get_data(as_text=True)
        assert "没有收到流程图" in said, body
