"""Personal numbers: never stored in the clear, matched through keyed hashes, shown masked;
the keys live outside the database, are made once, and rotate without losing a match."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bench.comparison_data import generate
from campaign.comparison import keyring
from campaign.comparison.protection import KeyFile, KeyringBroken, id_problem
from campaign.comparison.run import list_discrepancies, run_comparison
from campaign.models import ComparisonKeyring, RollRow
from tests.comparison.conftest import load, village_names


def test_the_raw_tables_never_hold_a_plain_number(db_session: Session, key_file: KeyFile) -> None:
    data = generate(11, 15, village_names(db_session))
    load(db_session, key_file, data)
    numbers = {row[1] for rows in data.rolls.values() for row in rows}
    cards = {row[4] for rows in data.rolls.values() for row in rows}
    dumped = []
    for table in ("roll_row", "ref_deceased", "ref_payroll", "ref_beneficiary"):
        for raw in db_session.execute(text(f"SELECT * FROM {table}")):
            dumped.append(" ".join(str(value) for value in raw))
    everything = "\n".join(dumped)
    assert dumped
    for number in numbers | cards:
        assert number not in everything
        assert number[-8:] not in everything  # not even a long tail of it
    protector = keyring.protector(db_session, key_file)
    first = db_session.scalars(select(RollRow).order_by(RollRow.id)).first()
    assert first is not None and protector.decrypt(first.id_cipher) in numbers


def test_the_list_shows_people_masked(db_session: Session, key_file: KeyFile) -> None:
    data = generate(12, 5, village_names(db_session), kinds=["R05"])
    load(db_session, key_file, data)
    run_comparison(db_session, actor_name="tests")
    page = list_discrepancies(db_session, key_file)
    assert page.total == 1
    item = page.items[0].as_json()
    shown = json.dumps(item, ensure_ascii=False)
    numbers = {row[1] for rows in data.rolls.values() for row in rows}
    assert not any(number in shown for number in numbers)
    assert "**********" in item["person"] and "某" in item["person"]


def test_the_key_file_is_made_once_private_and_readable_again(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "comparison.json"
    first = KeyFile(path).protector()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = KeyFile(path).protector()
    assert second.digest("x") == first.digest("x")
    assert second.decrypt(first.encrypt("420")) == "420"
    assert list(path.parent.iterdir()) == [path]  # nothing left aside


def test_a_lost_or_wrong_key_is_a_clear_refusal(tmp_path: Path) -> None:
    token = KeyFile(tmp_path / "a.json").protector().encrypt("420704")
    other = KeyFile(tmp_path / "b.json").protector()
    with pytest.raises(KeyringBroken, match="密钥不符"):
        other.decrypt(token)
    (tmp_path / "c.json").write_text("{not json")
    with pytest.raises(KeyringBroken, match="无法读取"):
        KeyFile(tmp_path / "c.json").protector()


def test_rotation_re_encrypts_and_keeps_every_match(db_session: Session, key_file: KeyFile) -> None:
    data = generate(13, 10, village_names(db_session), kinds=["R01", "R03"])
    load(db_session, key_file, data)
    before = {r.id: (r.id_cipher, r.id_hash) for r in db_session.scalars(select(RollRow))}
    old = keyring.protector(db_session, key_file)
    plain = {r.id: old.decrypt(r.id_cipher) for r in db_session.scalars(select(RollRow))}
    new = keyring.prepare_rotation(key_file)
    done = keyring.rotate(db_session, key_file, new, actor_name="tests")
    keyring.finish_rotation(key_file, done.new)
    assert (done.old, done.new) == (1, 2)
    assert set(key_file.generations()) == {2}
    assert db_session.scalar(select(ComparisonKeyring.generation)) == 2
    fresh = keyring.protector(db_session, key_file)
    db_session.expire_all()
    for row in db_session.scalars(select(RollRow)):
        assert (row.id_cipher, row.id_hash) != before[row.id]
        assert fresh.decrypt(row.id_cipher) == plain[row.id]
    assert run_comparison(db_session, actor_name="tests").total == 2  # both still found


def test_id_numbers_are_checked() -> None:
    assert id_problem("11010519491231002X") is None
    assert id_problem("110105194912310021") == "校验位不符"
    assert id_problem("110105194913310021") == "出生日期无效"
    assert id_problem("1101051949") is not None


def test_a_lost_or_foreign_key_file_is_refused_once_data_exists(
    db_session: Session, key_file: KeyFile, tmp_path: Path
) -> None:
    load(db_session, key_file, generate(14, 3, village_names(db_session), kinds=["R05"]))
    key_file.path.unlink()
    with pytest.raises(KeyringBroken, match="不存在"):
        keyring.protector(db_session, key_file)
    with pytest.raises(KeyringBroken, match="不存在"):
        run_import_again(db_session, key_file)
    KeyFile(key_file.path).protector()  # a new file, with keys of its own
    with pytest.raises(KeyringBroken, match="不符"):
        keyring.protector(db_session, key_file)


def run_import_again(session: Session, key_file: KeyFile) -> None:
    from campaign.comparison.references import import_list

    body = "身份证号,死亡日期\n".encode()
    import_list(session, key_file, "deceased", io.BytesIO(body), actor_name="t")
