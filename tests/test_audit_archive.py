"""Retention: records stay at least six months; `ykt audit archive` moves older ones to a
signed file, checks it, removes them and leaves an anchor; `ykt audit verify` goes on from
the anchor, and `--file` checks an archive."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from campaign import audit
from campaign.models import AuditAnchor, AuditEvent, AuditPermit
from core import clock
from tests.audit_helpers import Env, as_attacker, opened, run
from tests.databases import fresh_database_url

JANUARY = datetime(2022, 1, 10, 2, 0, tzinfo=UTC)
SEPTEMBER = datetime(2022, 9, 1, 2, 0, tzinfo=UTC)
OCTOBER = datetime(2022, 10, 1, 2, 0, tzinfo=UTC)  # "today" when archiving


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    """A log begun in January 2022 (init and five records) with three records of September."""
    with fresh_database_url(tmp_path) as url:
        env = {"YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp_path / "instance")}
        with clock.frozen_at(JANUARY):
            assert run(env, "init").exit_code == 0
            _record(url, "test.old", 5)
        with clock.frozen_at(SEPTEMBER):
            _record(url, "test.new", 3)
        clock.freeze(OCTOBER)
        yield env


def _record(url: str, action: str, count: int) -> None:
    with opened(url) as db, db.transaction() as session:
        for n in range(count):
            audit.record(session, action, actor_name="tester", n=n)


def _actions(env: Env) -> list[tuple[str, bool]]:
    with opened(env["YKT_DATABASE_URL"]) as db, db.transaction() as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.success).order_by(AuditEvent.id)
        )
        return [(action, success) for action, success in rows]


def _count(env: Env, model: type) -> int:
    with opened(env["YKT_DATABASE_URL"]) as db, db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_date_less_than_six_months_ago_is_refused_and_the_refusal_recorded(
    env: Env, tmp_path: Path
) -> None:
    before = _actions(env)
    result = run(env, "audit", "archive", "--before", "2022-04-02", "-o", str(tmp_path / "a"))
    assert result.exit_code == 1
    assert "至少保存 6 个月" in result.output and "2022-04-01" in result.output
    assert "Traceback" not in result.output
    assert _actions(env)[: len(before)] == before
    assert _actions(env)[-1] == ("audit.archive", False)
    assert not (tmp_path / "a").exists()


def test_old_records_go_to_a_signed_file_and_the_rest_verifies_from_the_anchor(
    env: Env, tmp_path: Path
) -> None:
    old = [a for a in _actions(env) if a[0] != "test.new"]
    out = tmp_path / "archives"
    result = run(env, "audit", "archive", "--before", "2022-04-01", "-o", str(out))
    assert result.exit_code == 0, result.output
    (archive_file,) = out.iterdir()
    assert f"已归档 {len(old)} 条审计记录" in result.output and str(archive_file) in result.output
    assert [a for a, _ in _actions(env)] == ["test.new"] * 3 + ["audit.archive"]
    assert _count(env, AuditAnchor) == 1 and _count(env, AuditPermit) == 0
    assert len(archive_file.read_text(encoding="utf-8").splitlines()) == len(old) + 2

    verified = run(env, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert f"自归档锚点 #{len(old)} 起" in verified.output
    checked = run(env, "audit", "verify", "--file", str(archive_file))
    assert checked.exit_code == 0, checked.output
    assert f"{len(old)} 条记录（#1–#{len(old)}）" in checked.output

    # The log goes on after the anchor; a later run archives everything, the log starts
    # again from the newest anchor.
    clock.freeze(datetime(2023, 6, 2, 2, 0, tzinfo=UTC))
    again = run(env, "audit", "archive", "--before", "2022-12-01", "-o", str(out))
    assert again.exit_code == 0, again.output
    assert [a for a, _ in _actions(env)] == ["audit.archive"]
    assert _count(env, AuditAnchor) == 2
    assert run(env, "audit", "verify").exit_code == 0
    for made in out.iterdir():
        assert run(env, "audit", "verify", "--file", str(made)).exit_code == 0


def test_nothing_old_enough_is_said_so(env: Env, tmp_path: Path) -> None:
    result = run(env, "audit", "archive", "--before", "2022-01-01", "-o", str(tmp_path))
    assert result.exit_code == 1 and "没有早于 2022-01-01 的审计记录" in result.output


@pytest.fixture
def archive_file(env: Env, tmp_path: Path) -> Path:
    out = tmp_path / "archives"
    assert run(env, "audit", "archive", "--before", "2022-04-01", "-o", str(out)).exit_code == 0
    (made,) = out.iterdir()
    return made


def test_a_changed_archive_file_is_refused(env: Env, archive_file: Path) -> None:
    text_before = archive_file.read_text(encoding="utf-8")
    changed = text_before.replace('{\\"n\\": 2}', '{\\"n\\": 3}')
    assert changed != text_before and len(changed) == len(text_before)
    archive_file.write_text(changed, encoding="utf-8")
    result = run(env, "audit", "verify", "--file", str(archive_file))
    assert result.exit_code == 1 and "签名不符" in result.output


def test_an_archive_cut_short_is_refused(env: Env, archive_file: Path) -> None:
    lines = archive_file.read_text(encoding="utf-8").splitlines(keepends=True)
    archive_file.write_text("".join(lines[:-2] + lines[-1:]), encoding="utf-8")
    result = run(env, "audit", "verify", "--file", str(archive_file))
    assert result.exit_code == 1 and "签名不符" in result.output


def test_an_archive_checked_with_another_key_is_refused(env: Env, archive_file: Path) -> None:
    other = env | {"YKT_SECRET_KEY": "another-instance-" + "k" * 20}
    result = run(other, "audit", "verify", "--file", str(archive_file))
    assert result.exit_code == 1 and "签名不符" in result.output


def test_what_is_not_an_archive_is_refused(env: Env, tmp_path: Path) -> None:
    stray = tmp_path / "stray.jsonl"
    stray.write_text("hello\n", encoding="utf-8")
    result = run(env, "audit", "verify", "--file", str(stray))
    assert result.exit_code == 1 and "不是审计归档文件" in result.output
    missing = run(env, "audit", "verify", "--file", str(tmp_path / "missing.jsonl"))
    assert missing.exit_code == 1 and "无法读取归档文件" in missing.output


def test_a_broken_chain_is_not_archived(env: Env, tmp_path: Path) -> None:
    with as_attacker(env) as conn:
        conn.execute(text("UPDATE audit_event SET detail = 'forged' WHERE action = 'test.old'"))
    out = tmp_path / "archives"
    result = run(env, "audit", "archive", "--before", "2022-04-01", "-o", str(out))
    assert result.exit_code == 1
    assert "未删除任何记录" in result.output and "被修改" in result.output
    assert list(out.iterdir()) == []
    assert sum(1 for a, _ in _actions(env) if a == "test.old") == 5
