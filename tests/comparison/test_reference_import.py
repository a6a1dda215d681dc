"""Reference lists: each import replaces its list, all or nothing, every bad row named."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.comparison_data import id_number, to_csv
from campaign.comparison.protection import KeyFile
from campaign.comparison.references import import_list
from campaign.comparison.sheets import ListRefused
from campaign.models import Beneficiary, DeceasedPerson, EligibilityStandard, Programme
from core.errors import InvalidInput

A, B = id_number(1, date(1950, 1, 2)), id_number(2, date(1951, 3, 4))


def imported(session: Session, key_file: KeyFile, kind: str, header: list[str], rows: list) -> int:
    body = io.BytesIO(to_csv(header, rows))
    return import_list(session, key_file, kind, body, actor_name="tests").rows


def count(session: Session, model: object) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[arg-type]


def test_a_list_replaces_the_one_before(db_session: Session, key_file: KeyFile) -> None:
    header = ["身份证号", "死亡日期"]
    assert (
        imported(db_session, key_file, "deceased", header, [[A, "2022-01-01"], [B, "2022/2/3"]])
        == 2
    )
    assert imported(db_session, key_file, "deceased", header, [[B, "2022年2月3日"]]) == 1
    assert count(db_session, DeceasedPerson) == 1


def test_duplicates_and_bad_cells_are_named_and_nothing_changes(
    db_session: Session, key_file: KeyFile
) -> None:
    header = ["身份证号", "项目", "村"]
    imported(db_session, key_file, "beneficiaries", header, [[A, "P09", "青山村"]])
    bad = [[A, "P09", "青山村"], [B, "P09", "无此村"], [A, "P09", ""], ["123", "P10", ""]]
    with pytest.raises(ListRefused) as refused:
        imported(db_session, key_file, "beneficiaries", header, bad)
    assert [(e.row, e.column) for e in refused.value.errors] == [
        (3, "村"),
        (4, "身份证号"),
        (5, "身份证号"),
    ]
    assert "与第 2 行重复" in refused.value.errors[1].reason
    assert count(db_session, Beneficiary) == 1  # the list before stays


def test_standards_are_replaced_per_programme_and_checked(
    db_session: Session, key_file: KeyFile
) -> None:
    header = ["项目", "每人标准金额", "最低年龄", "最高年龄", "户类型", "排除财政供养"]
    rows = [["P01", "1000", "60", "", "低保户", "是"], ["耕地地力保护补贴", "", "", "", "", ""]]
    assert imported(db_session, key_file, "standards", header, rows) == 2
    assert (
        imported(db_session, key_file, "standards", header, [["P01", "800", "", "", "", "否"]]) == 1
    )
    standards = {
        code: (s.amount_fen, s.min_age, s.excludes_payroll)
        for s, code in db_session.execute(
            select(EligibilityStandard, Programme.code).join(Programme)
        )
    }
    assert standards == {"P01": (80_000, None, False), "P11": (None, None, False)}
    bad = [["P99", "", "", "", "", ""], ["P02", "", "70", "60", "", "也许"]]
    with pytest.raises(ListRefused) as refused:
        imported(db_session, key_file, "standards", header, bad)
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "项目"), (3, "排除财政供养")]


def test_an_unknown_list_is_refused(db_session: Session, key_file: KeyFile) -> None:
    with pytest.raises(InvalidInput, match="没有名为"):
        import_list(db_session, key_file, "pets", io.BytesIO(b""), actor_name="tests")
