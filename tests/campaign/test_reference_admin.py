"""Reference data administered without code: programmes, townships and villages, household
lists and their Excel import (all or nothing, every bad row named). Refusals first."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.comparison_data import id_number
from campaign import households, places, problems, programmes, reference_import
from campaign.comparison import keyring
from campaign.comparison.protection import KeyFile
from campaign.comparison.sheets import FileRefused, ListRefused
from campaign.current import active_campaign
from campaign.models import AuditEvent, Household, Problem, Unit, User
from campaign.workflow_host import CampaignHost
from core.errors import Conflict, InvalidInput, NotFound
from tests.campaign.conftest import registration

ID_1, ID_2, ID_3 = (id_number(n, date(1960 + n, 1, 2)) for n in (1, 2, 3))


@pytest.fixture
def key_file(tmp_path: Path) -> KeyFile:
    return KeyFile(tmp_path / "keys.json")


def xlsx(header: list[str], rows: list[list[Any]]) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    body = io.BytesIO()
    book.save(body)
    body.seek(0)
    return body


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def imported(session: Session, key_file: KeyFile, kind: str, body: Any) -> int:
    return reference_import.import_sheet(
        session,
        reference_import.kind_of(kind),
        body,
        campaign=active_campaign(session),
        key_file=key_file,
        actor_name="tests",
    ).rows


# ---- programmes ---------------------------------------------------------------------------


def test_a_duplicate_programme_code_is_refused(db_session: Session) -> None:
    campaign = active_campaign(db_session)
    with pytest.raises(Conflict, match="项目代码已存在：P01"):
        programmes.add_programme(db_session, campaign, "p01", "重复", "中央")
    with pytest.raises(InvalidInput) as bad:
        programmes.add_programme(db_session, campaign, "坏 代码", "", "乡级")
    assert "code" in bad.value.fields


def test_a_sub_programme_must_belong_to_a_programme_of_its_level(db_session: Session) -> None:
    campaign = active_campaign(db_session)
    with pytest.raises(InvalidInput, match="上级项目不存在"):
        programmes.add_programme(db_session, campaign, "C09-1", "子项", "市级", "C09")
    with pytest.raises(InvalidInput, match="级次须与上级项目"):
        programmes.add_programme(db_session, campaign, "P01-1", "子项", "市级", "P01")
    sub = programmes.add_programme(db_session, campaign, "C01-1", "临时救助（子项）", "市级", "C01")
    with pytest.raises(InvalidInput, match="子项目之下不能再设子项目"):
        programmes.add_programme(db_session, campaign, "C01-1-1", "孙项", "市级", "C01-1")
    order = [
        p.code
        for p in programmes.listing(
            db_session, campaign, programmes.ProgrammeFilters(level="city"), 1
        ).items
    ]
    assert order == ["C01", "C01-1", "C02"]  # the sub-programme right after its programme
    assert sub.sort_order > 1000


def test_a_referenced_programme_is_deactivated_not_lost(db_session: Session) -> None:
    campaign = active_campaign(db_session)
    officer = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    problems.register(db_session, CampaignHost(), officer, "QSZ", registration(programme="P11"))
    used = programmes.programme_by_code(db_session, campaign, "P11")
    programmes.add_programme(db_session, campaign, "X01-1", "子项", "县级", "X01")
    with pytest.raises(Conflict, match="还有启用的子项目"):
        programmes.set_active(db_session, campaign, "X01", False)
    done = programmes.set_active(db_session, campaign, used.code, False)
    assert not done.active and programmes.references(db_session, done) >= 1
    assert db_session.scalar(select(func.count(Problem.id)).where(Problem.programme_id == used.id))
    from campaign import choices
    from engine.host import CaseContext

    offered = [code for code, _ in choices.options(db_session, "programmes", CaseContext(), {})]
    assert used.code not in offered
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "programme.deactivate")
    ).one()
    assert event.target == f"programme:{used.code}"


def test_a_province_programme_is_printed_with_the_central_ones(db_session: Session) -> None:
    campaign = active_campaign(db_session)
    made = programmes.add_programme(db_session, campaign, "S01", "省级示例补贴", "省级")
    assert made.level == "province" and made.sort_order < 1000


# ---- townships and villages -----------------------------------------------------------------


def test_a_village_under_a_missing_township_is_refused(db_session: Session) -> None:
    with pytest.raises(InvalidInput) as missing:
        places.add_village(db_session, "ZZZ01", "无乡村", "ZZZ")
    assert missing.value.fields == {"township": "乡镇不存在"}
    with pytest.raises(InvalidInput, match="不是乡镇"):
        places.add_village(db_session, "QSZ99", "村下之村", "QSZ01")
    with pytest.raises(Conflict, match="单位代码已存在：QSZ01"):
        places.add_village(db_session, "qsz01", "重复", "QSZ")


def test_a_township_with_active_villages_is_not_deactivated(db_session: Session) -> None:
    with pytest.raises(Conflict, match="还有 5 个启用的村"):
        places.set_active(db_session, "QSZ", False)
    places.add_township(db_session, "XCZ", "新城镇")
    places.add_village(db_session, "XCZ01", "新城村", "XCZ")
    places.set_active(db_session, "XCZ01", False)
    places.set_active(db_session, "XCZ", False)
    with pytest.raises(Conflict, match="请先启用乡镇"):
        places.set_active(db_session, "XCZ01", True)
    with pytest.raises(InvalidInput, match="已停用"):
        places.add_village(db_session, "XCZ02", "新村", "XCZ")
    with pytest.raises(NotFound):
        places.set_active(db_session, "CJJ", False)  # a bureau is not a place
    found = places.listing(db_session, places.PlaceFilters(search="新城"), 1).items
    assert [(r.unit.code, r.unit.active) for r in found] == [("XCZ", False), ("XCZ01", False)]


# ---- households ---------------------------------------------------------------------------


def typed(code: str = "QSZ01-101", id_no: str = ID_1, **more: str) -> households.HouseholdInput:
    return households.HouseholdInput(
        code,
        more.get("head", "王某某"),
        id_no,
        more.get("card", "6217000012345678"),
        more.get("phone", "13812345678"),
        more.get("members", "3"),
    )


def test_a_household_is_stored_encrypted_and_shown_masked(
    db_session: Session, key_file: KeyFile
) -> None:
    made = households.add_household(db_session, key_file, "QSZ01", typed())
    assert made.id_cipher and ID_1 not in made.id_cipher and made.id_last4 == ID_1[-4:]
    assert households.masked_id(made) == "*" * 14 + ID_1[-4:]
    assert households.masked_card(made) == "****5678"
    assert households.masked_phone(made) == "138****5678"
    with pytest.raises(Conflict, match="已有户编号"):
        households.add_household(db_session, key_file, "QSZ01", typed(id_no=ID_2))
    with pytest.raises(Conflict, match="身份证号已登记在青山村户 QSZ01-101"):
        households.add_household(db_session, key_file, "QSZ02", typed("QSZ02-101"))
    with pytest.raises(InvalidInput) as bad:
        households.add_household(
            db_session, key_file, "QSZ01", typed("QSZ01-102", "123", card="12ab", phone="x")
        )
    assert set(bad.value.fields) == {"id_number", "card", "phone"}
    with pytest.raises(NotFound):
        households.add_household(db_session, key_file, "QSZ", typed("QSZ-1", ID_3))
    admin = db_session.scalars(select(User).where(User.username == "admin")).one()
    shown = households.reveal(db_session, key_file, "QSZ01", "QSZ01-101", actor=admin)
    assert shown.id_number == ID_1 and shown.card == "6217000012345678"
    assert (
        db_session.scalar(select(func.count()).where(AuditEvent.action == "household.reveal")) == 1
    )


def test_an_edit_keeps_numbers_left_blank_and_a_removed_household_stays(
    db_session: Session, key_file: KeyFile
) -> None:
    households.add_household(db_session, key_file, "QSZ01", typed())
    kept = households.edit_household(
        db_session, key_file, "QSZ01", "QSZ01-101", typed(id_no="", card="", head="王某")
    )
    assert kept.head_name == "王某" and kept.id_last4 == ID_1[-4:]
    households.set_active(db_session, key_file, "QSZ01", "QSZ01-101", False)
    households.add_household(db_session, key_file, "QSZ02", typed("QSZ02-101"))  # head moved
    with pytest.raises(Conflict, match="QSZ02-101"):
        households.set_active(db_session, key_file, "QSZ01", "QSZ01-101", True)


def test_key_rotation_covers_household_numbers(db_session: Session, key_file: KeyFile) -> None:
    households.add_household(db_session, key_file, "QSZ01", typed())
    new = keyring.prepare_rotation(key_file)
    keyring.rotate(db_session, key_file, new, actor_name="tests")  # demo households: no numbers
    keyring.finish_rotation(key_file, new)
    made = db_session.scalars(select(Household).where(Household.code == "QSZ01-101")).one()
    assert keyring.protector(db_session, key_file).decrypt(made.id_cipher or "") == ID_1


# ---- Excel import -------------------------------------------------------------------------


def test_a_bad_places_sheet_names_every_row_and_stores_nothing(
    db_session: Session, key_file: KeyFile
) -> None:
    before = count(db_session, Unit)
    body = xlsx(
        ["类型", "代码", "名称", "所属乡镇代码"],
        [
            ["乡镇", "XCZ", "新城镇", ""],
            ["村", "XCZ01", "新城村", "XCZ"],  # a township of this sheet: fine
            ["村", "ZZZ01", "无乡村", "ZZZ"],  # missing township
            ["村", "QSZ01", "重复村", "QSZ"],  # duplicate code
            ["乡", "XYZ", "错类型", ""],
            ["村", "XCZ01", "表内重复", "XCZ"],
            ["村", "XCZ02", "=1+1", "XCZ"],  # formula
        ],
    )
    with pytest.raises(ListRefused) as refused:
        imported(db_session, key_file, "places", body)
    assert [(e.row, e.column) for e in refused.value.errors] == [
        (4, "所属乡镇代码"),
        (5, "代码"),
        (6, "类型"),
        (7, "代码"),
        (8, "名称"),
    ]
    assert count(db_session, Unit) == before


def test_a_good_sheet_of_each_kind_is_imported(db_session: Session, key_file: KeyFile) -> None:
    assert (
        imported(
            db_session,
            key_file,
            "places",
            xlsx(
                ["类型", "代码", "名称", "所属乡镇代码"],
                [["村", "XCZ01", "新城村", "XCZ"], ["乡镇", "XCZ", "新城镇", None]],
            ),
        )
        == 2
    )
    assert (
        imported(
            db_session,
            key_file,
            "programmes",
            xlsx(
                ["项目代码", "项目名称", "级次", "上级项目代码"],
                [["X03-1", "子项", "县级", "X03"], ["X03", "区级示例补贴", "县级", None]],
            ),
        )
        == 2
    )
    assert (
        imported(
            db_session,
            key_file,
            "households",
            xlsx(
                ["村", "户编号", "户主姓名", "身份证号", "卡号", "联系电话", "家庭人口"],
                [
                    ["新城村", "XCZ01-001", "张某", ID_1, "6217000011112222", "", 2],
                    [
                        "XCZ01",
                        "XCZ01-002",
                        "李某",
                        ID_2.lower(),
                        "6217 0000 1111 3333",
                        "13900000000",
                        None,
                    ],
                ],
            ),
        )
        == 2
    )
    rows = db_session.scalars(
        select(Household).join(Unit, Unit.id == Household.village_id).where(Unit.code == "XCZ01")
    ).all()
    assert sorted(h.card_last4 or "" for h in rows) == ["2222", "3333"]


def test_a_bad_household_sheet_is_refused_whole(db_session: Session, key_file: KeyFile) -> None:
    households.add_household(db_session, key_file, "QSZ01", typed())
    before = count(db_session, Household)
    body = xlsx(
        ["村", "户编号", "户主姓名", "身份证号", "卡号"],
        [
            ["青山村", "QSZ01-201", "甲", ID_2, "6217000011112222"],  # good
            ["青山村", "QSZ01-202", "乙", ID_1, "6217000011112223"],  # head listed already
            ["青山村", "QSZ01-201", "丙", ID_3, "6217000011112224"],  # code twice in the sheet
            ["无此村", "X-1", "", "123", "卡"],
            ["青山村", "QSZ01-203", "丁", float(ID_3[:15]) * 1000, "6217000011112225"],
        ],
    )
    with pytest.raises(ListRefused) as refused:
        imported(db_session, key_file, "households", body)
    assert [(e.row, e.column) for e in refused.value.errors] == [
        (3, "身份证号"),
        (4, "户编号"),
        (5, "村"),
        (5, "户主姓名"),
        (5, "身份证号"),
        (5, "卡号"),
        (6, "身份证号"),
    ]
    assert "文本格式" in refused.value.errors[-1].reason
    assert count(db_session, Household) == before


def test_a_missing_column_is_named(db_session: Session, key_file: KeyFile) -> None:
    with pytest.raises(ListRefused) as refused:
        imported(db_session, key_file, "programmes", xlsx(["项目代码", "项目 名称"], [["A", "B"]]))
    assert [(e.row, e.column) for e in refused.value.errors] == [(1, "项目名称"), (1, "级次")]
    assert "表头“项目 名称”应改为“项目名称”" in refused.value.errors[0].reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\x00\x01\x02binary", "UTF-16|二进制"),
        (b"", "空"),
        (b"PK\x03\x04" + b"\0" * 100, "已损坏"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "旧版 Excel"),
    ],
)
def test_hostile_files_are_refused(
    db_session: Session, key_file: KeyFile, body: bytes, reason: str
) -> None:
    with pytest.raises(FileRefused, match=reason):
        imported(db_session, key_file, "households", io.BytesIO(body))


def test_a_header_only_sheet_is_refused(db_session: Session, key_file: KeyFile) -> None:
    with pytest.raises(FileRefused, match="没有数据行"):
        imported(db_session, key_file, "places", xlsx(["类型", "代码", "名称"], []))


def test_the_templates_import_back_as_headers(db_session: Session) -> None:
    for kind in reference_import.KINDS.values():
        book = load_workbook(io.BytesIO(reference_import.write_template(kind)))
        header = [c.value for c in next(book[kind.title].iter_rows(max_row=1))]
        assert header == [*kind.required, *kind.optional]
        assert book["填写说明"].max_row >= len(header) + 1


def test_the_sample_is_drawn_from_listed_households_of_active_villages(
    db_session: Session, key_file: KeyFile
) -> None:
    from campaign import obligations
    from campaign.models import Obligation

    qsz = db_session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
    village = db_session.scalars(select(Unit).where(Unit.code == "QSZ01")).one()
    listed = db_session.scalars(
        select(Household).where(Household.village_id == village.id).order_by(Household.code)
    ).all()
    for household in listed[:8]:  # four stay on the list
        households.set_active(db_session, key_file, "QSZ01", household.code, False)
    places.set_active(db_session, "QSZ02", False)
    report = Obligation(
        campaign_id=active_campaign(db_session).id,
        deadline_code="spot_check",
        period="2099",
        unit_id=qsz.id,
        due_on=date(2022, 7, 31),
    )
    db_session.add(report)
    db_session.flush()
    drawn = obligations.draw_sample(db_session, report, 7)
    in_qsz01 = {s.household_id for s in drawn if s.village_id == village.id}
    assert in_qsz01 == {h.id for h in listed[8:]}
    villages = {s.village_id for s in drawn}
    qsz02 = db_session.scalars(select(Unit).where(Unit.code == "QSZ02")).one()
    assert qsz02.id not in villages and len(villages) == 4
