"""数据比对 on the API: the 疑点 filtered and paged as on the page, people masked (no full
number, nor its last eight digits, in any answer), the rules with hit rates and versions;
only the office and the administrator, read only, bad filters answered in Chinese."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.comparison_data import generate
from campaign.comparison import keyring, rules
from campaign.comparison.protection import KeyFile
from campaign.comparison.run import run_comparison
from campaign.models import RollRow
from core.config import Settings
from tests.comparison.conftest import load
from tests.comparison.test_verification import QSZ_VILLAGES
from tests.web.test_api import token

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")


@pytest.fixture
def key_file(settings: Settings) -> KeyFile:
    return KeyFile.for_data_dir(settings.data_dir)


@pytest.fixture
def found(db_session: Session, key_file: KeyFile) -> list[str]:
    """The planted 疑点 raised; the full ID numbers of the rolls."""
    load(db_session, key_file, generate(5, 15, QSZ_VILLAGES))
    run_comparison(db_session, actor_name="tests")
    db_session.flush()
    protector = keyring.protector(db_session, key_file)
    return [protector.decrypt(c) for c in db_session.scalars(select(RollRow.id_cipher))]


def test_the_office_pages_through_the_疑点_masked(
    db_session: Session, client: FlaskClient, found: list[str]
) -> None:
    office = token(db_session, "ldxz_ban")
    whole = client.get("/api/v1/comparison/discrepancies", headers=office)
    assert whole.status_code == 200
    body = whole.get_json()
    assert (body["total"], body["per_page"], body["pages"]) == (10, 50, 1)
    assert {item["rule"] for item in body["items"]} == {f"R{n:02d}" for n in range(1, 11)}
    pages = [
        client.get(f"/api/v1/comparison/discrepancies?per_page=3&page={n}", headers=office)
        for n in (1, 2, 3, 4)
    ]
    ids = [item["id"] for page in pages for item in page.get_json()["items"]]
    assert len(ids) == len(set(ids)) == 10 and ids == sorted(ids, reverse=True)
    one = client.get(
        "/api/v1/comparison/discrepancies?rule=R10&township=QSZ&period=2022-06&status=open",
        headers=office,
    ).get_json()
    assert one["total"] == 1 and one["items"][0]["rule_name"] == "户类型不在项目范围内"
    assert "*" in one["items"][0]["person"]
    text = whole.get_data(as_text=True) + "".join(p.get_data(as_text=True) for p in pages)
    assert not ID_NUMBER.search(text)
    for number in found:
        assert number[-8:] not in text


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("period=2022-13", 422, "period"),
        ("status=maybe", 400, "status"),
        ("rule=R01%00", 400, "rule"),  # a NUL: refused before the view (web.input_guard)
        ("per_page=1000", 400, "per_page"),
        ("township=" + "Q" * 100, 400, "township"),
    ],
)
def test_bad_filters_are_answered_in_chinese_never_a_500(
    db_session: Session, client: FlaskClient, query: str, status: int, field: str
) -> None:
    answer = client.get(
        f"/api/v1/comparison/discrepancies?{query}", headers=token(db_session, "ldxz_ban")
    )
    assert answer.status_code == status, answer.get_json()
    assert field in answer.get_json().get("fields", {}) or answer.get_json()["error"]


def test_the_rules_with_hit_rates_and_versions(db_session: Session, client: FlaskClient) -> None:
    rules.change(db_session, "R04", params={"max_people": 3}, actor_name="admin")
    db_session.flush()
    admin = token(db_session, "admin")
    listed = client.get("/api/v1/comparison/rules", headers=admin).get_json()["items"]
    assert [r["code"] for r in listed] == [f"R{n:02d}" for n in range(1, 11)]
    r04 = next(r for r in listed if r["code"] == "R04")
    assert (r04["version"], r04["params"], r04["hit_rate"]) == (2, {"max_people": 3}, None)
    detail = client.get("/api/v1/comparison/rules/r04", headers=admin).get_json()
    assert [(v["version"], v["params"]) for v in detail["versions"]] == [
        (2, {"max_people": 3}),
        (1, {"max_people": 2}),
    ]
    assert detail["versions"][0]["changed_by"] == "admin" and detail["versions"][0]["changed_at"]
    missing = client.get("/api/v1/comparison/rules/R99", headers=admin)
    assert missing.status_code == 404 and "R99" in missing.get_json()["error"]


def test_only_the_office_and_the_administrator_and_only_reading(
    db_session: Session, client: FlaskClient
) -> None:
    assert client.get("/api/v1/comparison/rules").status_code == 401
    officer = token(db_session, "qsz_jbr")
    for url in ("/api/v1/comparison/rules", "/api/v1/comparison/discrepancies"):
        assert client.get(url, headers=officer).status_code in (403, 404)
    office = token(db_session, "ldxz_ban")
    changed = client.post("/api/v1/comparison/rules/R04", headers=office, json={"enabled": False})
    assert changed.status_code == 405
