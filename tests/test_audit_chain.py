"""Tamper evidence: every audit record carries the hash of the one before it, and
`ykt audit verify` walks the log and names the first broken link.

The attacker is someone with write access to the database: raw SQL on a connection of their
own, after switching off the append-only triggers as such a person could."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from campaign import audit, audit_verify, problems
from campaign.audit_chain import FIELDS, GENESIS, digest, plain
from campaign.models import AuditEvent, User
from campaign.workflow_host import CampaignHost
from core import schema
from tests.audit_helpers import Env, as_attacker, five_records, opened, run
from tests.campaign.conftest import registration
from tests.databases import fresh_database_url


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with five_records(tmp_path) as env:
        yield env


def columns(record: AuditEvent) -> dict[str, Any]:
    return {name: getattr(record, name) for name in FIELDS}


def records(env: Env) -> list[AuditEvent]:
    with opened(env["YKT_DATABASE_URL"]) as db, db.transaction() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def ours(env: Env) -> list[AuditEvent]:
    return [r for r in records(env) if r.action == "test.event"]


def test_an_untouched_log_verifies_and_names_its_last_record(env: Env) -> None:
    stored = records(env)
    result = run(env, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"已验证 {len(stored)} 条记录" in result.output
    assert f"#{stored[-1].id}" in result.output and stored[-1].hash in result.output


def test_records_are_chained_in_id_order_from_the_first(env: Env) -> None:
    stored = records(env)
    assert stored[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(stored):
        assert after.id == before.id + 1
        assert after.prev_hash == before.hash
    for record in stored:
        assert record.hash == digest(plain(columns(record)))


def test_one_changed_byte_is_found(env: Env) -> None:
    victim = ours(env)[2]
    assert victim.detail == json.dumps({"n": 2})
    with as_attacker(env) as conn:
        conn.execute(
            text("UPDATE audit_event SET detail = :d WHERE id = :id"),
            {"d": victim.detail.replace("2", "3"), "id": victim.id},
        )
    result = run(env, "audit", "verify")
    assert result.exit_code == 1
    assert f"#{victim.id}" in result.output and "修改" in result.output
    assert "Traceback" not in result.output


def test_a_change_with_its_hash_recomputed_is_found_at_the_next_link(env: Env) -> None:
    victim = ours(env)[2]
    forged = plain(columns(victim)) | {"detail": json.dumps({"n": 7})}
    with as_attacker(env) as conn:
        conn.execute(
            text("UPDATE audit_event SET detail = :d, hash = :h WHERE id = :id"),
            {"d": forged["detail"], "h": digest(forged), "id": victim.id},
        )
    result = run(env, "audit", "verify")
    assert result.exit_code == 1
    assert f"#{victim.id}" in result.output and "修改" in result.output


def test_a_removed_record_is_found(env: Env) -> None:
    victim = ours(env)[2]
    with as_attacker(env) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": victim.id})
    result = run(env, "audit", "verify")
    assert result.exit_code == 1
    assert f"#{victim.id}" in result.output and "删除" in result.output


def test_a_removed_oldest_record_is_found(env: Env) -> None:
    first = records(env)[0]
    with as_attacker(env) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": first.id})
    result = run(env, "audit", "verify")
    assert result.exit_code == 1
    assert f"#{first.id}" in result.output and "删除" in result.output


def _forged(before: AuditEvent | None, record_id: int) -> dict[str, Any]:
    """A record made by someone who knows the format and computes its hash correctly."""
    values = plain(
        {
            "id": record_id,
            "at": before.at if before is not None else datetime(2022, 1, 1, tzinfo=UTC),
            "actor_id": None,
            "actor_name": "admin",
            "action": "auth.login",
            "target": "",
            "success": True,
            "source": "web",
            "detail": "",
            "ip": "10.0.0.9",
            "user_agent": "Mozilla/5.0",
            "prev_hash": before.hash if before is not None else GENESIS,
        }
    )
    return values | {"hash": digest(values)}


INSERT = text(
    "INSERT INTO audit_event (id, at, actor_id, actor_name, action, target, success, source, "
    "detail, ip, user_agent, prev_hash, hash) VALUES (:id, :at, :actor_id, :actor_name, "
    ":action, :target, :success, :source, :detail, :ip, :user_agent, :prev_hash, :hash)"
)


def _insert(conn: Connection, values: dict[str, Any]) -> None:
    row = dict(values)
    row["at"] = datetime.fromisoformat(row["at"].replace("Z", "+00:00")).replace(tzinfo=None)
    conn.execute(INSERT, row)


def test_a_forged_record_slipped_in_before_the_first_is_found(env: Env) -> None:
    with as_attacker(env) as conn:
        _insert(conn, _forged(None, 0))
    result = run(env, "audit", "verify")
    assert result.exit_code == 1
    assert "#0" in result.output and "插入" in result.output


def test_a_forged_record_with_a_made_up_link_is_found(env: Env) -> None:
    forged = _forged(None, 0) | {"prev_hash": "ab" * 32}
    forged["hash"] = digest({k: v for k, v in forged.items() if k != "hash"})
    with as_attacker(env) as conn:
        _insert(conn, forged)
    result = run(env, "audit", "verify")
    assert result.exit_code == 1
    assert "#0" in result.output and "插入" in result.output


def test_a_record_replaced_by_a_forged_one_is_found(env: Env) -> None:
    victims = ours(env)
    with as_attacker(env) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": victims[2].id})
        _insert(conn, _forged(victims[1], victims[2].id))
    result = run(env, "audit", "verify")
    assert result.exit_code == 1
    assert f"#{victims[2].id}" in result.output


def test_concurrent_writers_do_not_fork_the_chain(env: Env) -> None:
    url = env["YKT_DATABASE_URL"]
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            with opened(url) as db:
                for n in range(5):
                    with db.transaction() as session:
                        audit.record(session, "test.parallel", actor_name=f"w{worker}", n=n)
                        session.flush()
                        audit.record(session, "test.parallel", actor_name=f"w{worker}", n=-n)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    result = run(env, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert len([r for r in records(env) if r.action == "test.parallel"]) == 40


def test_an_upgraded_database_has_its_existing_records_chained(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url, opened(url) as db:
        schema.upgrade(db, "0010")
        with db.engine.begin() as conn:
            for record_id in (3, 4, 9):  # ids of a sequence, with the gaps rollbacks leave
                conn.execute(
                    text(
                        "INSERT INTO audit_event (id, at, actor_name, action, target, success, "
                        "detail, source) VALUES (:id, :at, 'admin', 'auth.login', '', :ok, '', "
                        "'10.0.0.1')"
                    ),
                    {"id": record_id, "at": datetime(2022, 5, record_id, 1, 2, 3, 4), "ok": True},
                )
        schema.upgrade(db)
        with db.transaction() as session:
            audit.record(session, "test.after_upgrade", actor_name="tester")
        with db.transaction() as session:
            checked = audit_verify.verify(session)
            stored = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        assert checked.broken is None and checked.count == 4
        assert [r.id for r in stored] == [3, 4, 9, 10]
        assert stored[0].prev_hash == GENESIS and stored[0].source == "10.0.0.1"
        assert stored[3].prev_hash == stored[2].hash


def test_bulk_and_orm_records_share_one_chain_in_the_order_they_were_made(
    db_session: Session,
) -> None:
    officer = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    mark = db_session.scalar(select(func.max(AuditEvent.id))) or 0
    audit.record(db_session, "test.before", actor_name="tester")
    for _ in range(2):  # registration inserts its records in bulk
        problems.register(db_session, CampaignHost(), officer, "QSZ", registration())
    audit.record(db_session, "test.after", actor_name="tester")
    db_session.flush()
    made = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.id > mark).order_by(AuditEvent.id)
    ).all()
    assert made == ["test.before", "problem.register", "problem.register", "test.after"]
    checked = audit_verify.verify(db_session)
    assert checked.broken is None and checked.last_id == mark + 4


def test_walking_the_log_does_not_hold_up_the_services_writes(tmp_path: Path) -> None:
    """On SQLite every transaction takes the write lock when it begins; a verify that did so
    would stop the service's writes for as long as the walk takes (they give up at 30 s)."""
    with fresh_database_url(tmp_path) as url, opened(url) as db:
        schema.upgrade(db)
        with db.reading() as reader:
            assert audit_verify.verify(reader).broken is None
            started = time.monotonic()
            with db.transaction() as writer:  # a request of the running service, meanwhile
                audit.record(writer, "test.meanwhile", actor_name="tester")
            assert time.monotonic() - started < 5
        with db.reading() as reader:
            assert audit_verify.verify(reader).count == 1
