"""Which keys the stored values are under, and rotating them.

Rotation, in an order that survives a crash at any point:
1. the key file gets a new generation beside the old one (the file is replaced atomically);
2. one transaction re-encrypts and re-hashes every stored number under the new generation
   and records the new generation in comparison_keyring;
3. after the commit the old generation is dropped from the file.
A crash before 2 commits leaves the old values and the old generation in force (the extra
generation in the file is unused and dropped by the next rotation); a crash after leaves the
new ones, with the old key still in the file until the next rotation removes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from campaign import audit
from campaign.comparison import queries
from campaign.comparison.protection import Generation, KeyFile, KeyringBroken, Protector
from campaign.models import (
    Beneficiary,
    ComparisonKeyring,
    ComparisonRule,
    DeceasedPerson,
    Household,
    PayrollPerson,
    RollRow,
)
from core import clock

_BATCH = 5000
# (table, [(cipher column, hash column or None)])
PROTECTED = [
    (RollRow, [("id_cipher", "id_hash"), ("card_cipher", "card_hash")]),
    (DeceasedPerson, [("id_cipher", "id_hash")]),
    (PayrollPerson, [("id_cipher", "id_hash")]),
    (Beneficiary, [("id_cipher", "id_hash")]),
    # The village household lists (campaign.households); a demo household has no numbers.
    (Household, [("id_cipher", "id_hash"), ("card_cipher", "card_hash")]),
]


def protector(session: Session, key_file: KeyFile) -> Protector:
    """The protector of the generation the database is under (the file's newest for an empty
    database, recorded then)."""
    state = session.scalar(select(ComparisonKeyring))
    if state is None:
        made = key_file.protector()
        session.add(ComparisonKeyring(generation=made.generation, fingerprint=_fingerprint(made)))
        session.flush()
        return made
    if not key_file.path.exists():
        raise KeyringBroken(
            f"比对密钥文件 {key_file.path.name} 不存在，而数据库中已有加密数据："
            "请从备份恢复密钥文件"
        )
    found = key_file.protector(state.generation)
    if _fingerprint(found) != state.fingerprint:
        raise KeyringBroken("比对密钥文件中的密钥与数据库中的数据不符：请从备份恢复正确的密钥文件")
    return found


def _fingerprint(protector: Protector) -> str:
    return protector.digest("ykt comparison key check")


@dataclass(frozen=True)
class Rotated:
    old: int
    new: int
    values: int


def prepare_rotation(key_file: KeyFile) -> int:
    """Step 1: a new generation in the file; returns its number."""
    generations = key_file.generations()
    number = max(generations) + 1
    if number > 255:
        number = min(n for n in range(1, 256) if n not in generations)
    generations[number] = Generation.new(number)
    key_file.write(generations)
    return number


def rotate(
    session: Session,
    key_file: KeyFile,
    new: int,
    *,
    actor_name: str,
    progress: Callable[[str, int], None] = lambda table, done: None,
) -> Rotated:
    """Step 2, in the caller's transaction: every value under the new generation."""
    old = protector(session, key_file)
    fresh = key_file.protector(new)
    values = 0
    for model, columns in PROTECTED:
        table = cast(Table, model.__table__)
        last = 0
        while True:
            names = [name for pair in columns for name in pair]
            rows = session.execute(
                select(table.c.id, *(table.c[n] for n in names))
                .where(table.c.id > last)
                .order_by(table.c.id)
                .limit(_BATCH)
            ).all()
            if not rows:
                break
            changes = []
            for row in rows:
                change: dict[str, object] = {"b_id": row.id}
                for cipher, digest in columns:
                    if getattr(row, cipher) is None:
                        change[cipher] = change[digest] = None
                        continue
                    plain = old.decrypt(getattr(row, cipher))
                    change[cipher] = fresh.encrypt(plain)
                    change[digest] = fresh.digest(plain)
                changes.append(change)
            statement = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({n: bindparam(n) for n in names})
            )
            session.connection().execute(statement, changes)
            values += len(rows) * len(columns)
            last = rows[-1].id
            progress(table.name, values)
    for rule in session.scalars(select(ComparisonRule)):
        queries.rekey_after_rotation(session, rule.kind, rule.id)
    state = session.scalar(select(ComparisonKeyring))
    assert state is not None  # made by protector() above
    state.generation = new
    state.fingerprint = _fingerprint(fresh)
    state.rotated_at = clock.now()
    audit.record(
        session,
        "comparison.keys_rotated",
        actor_name=actor_name,
        target=f"generation:{new}",
        previous=old.generation,
        values=values,
    )
    session.flush()
    return Rotated(old.generation, new, values)


def finish_rotation(key_file: KeyFile, keep: int) -> None:
    """Step 3, after the commit: only the generation in force stays in the file."""
    generations = key_file.generations()
    key_file.write({keep: generations[keep]})
