"""`ykt backup` on the database under test: restored the way docs/operations.md says, the
copy holds the same rows and the same evidence; --keep prunes only old backups; failures
leave nothing behind."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from campaign import audit, files
from campaign.models import Attachment, AuditEvent, Problem, User
from cli.main import ykt
from core import clock, schema
from core.backup import create_backup, pg_dump_command
from core.db import Database
from tests.databases import backend_name, fresh_database_url

Env = Mapping[str, str | None]
BACKUP_NAME = re.compile(r"ykt-backup-\d{8}-\d{6}")
# Starts like a PNG, so the upload check takes it; the rest makes it unlike the demo's PDF.
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


@contextmanager
def initialised_env(tmp: Path) -> Iterator[dict[str, str | None]]:
    """A database of its own with the demo data and two distinct evidence files."""
    with fresh_database_url(tmp) as url:
        env: dict[str, str | None] = {
            "YKT_DATABASE_URL": url,
            "YKT_INSTANCE_DIR": str(tmp / "instance"),
            "YKT_DATA_DIR": str(tmp / "instance" / "data"),
            "YKT_SECRET_KEY": None,  # the key file in the instance dir is what gets backed up
        }
        result = run(env, "init", "--demo")
        assert result.exit_code == 0, result.output
        with opened(url) as db, db.transaction() as session:
            officer = session.scalars(select(User).where(User.username == "qsz_jbr")).one()
            case_id = session.scalars(select(Problem.case_id).order_by(Problem.id)).first()
            assert case_id is not None
            data_dir = Path(str(env["YKT_DATA_DIR"]))
            files.store(session, data_dir, officer, case_id, "现场照片.png", io.BytesIO(PHOTO))
        yield env


@pytest.fixture(scope="module")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with initialised_env(tmp_path_factory.mktemp("backup")) as env:
        yield env


def run(env: Env, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(ykt, list(args), env=env, input=stdin)


@contextmanager
def opened(url: str) -> Iterator[Database]:
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()


def row_counts(url: str) -> dict[str, int]:
    with opened(url) as db, db.transaction() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Problem, User, AuditEvent, Attachment)
        }


def libpq_url(url: str) -> str:
    """What pg_restore understands: the URL without SQLAlchemy's driver name."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backups_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if BACKUP_NAME.fullmatch(p.name))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def restore(backup: Path, database_url: str, data_dir: Path) -> None:
    """The restore procedure of docs/operations.md, with the service stopped."""
    if backend_name() == "sqlite":
        live = Path(str(make_url(database_url).database))
        for leftover in (live, Path(f"{live}-wal"), Path(f"{live}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copy2(backup / "database.sqlite3", live)
    else:
        dump = str(backup / "database.dump")
        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "-d", libpq_url(database_url), dump],
            check=True,
            capture_output=True,
        )
    shutil.rmtree(data_dir / "attachments", ignore_errors=True)
    shutil.copytree(backup / "files", data_dir / "attachments")


def test_a_restored_backup_has_the_same_rows_and_evidence(tmp_path: Path) -> None:
    with initialised_env(tmp_path / "live") as env:
        url = str(env["YKT_DATABASE_URL"])
        instance = Path(str(env["YKT_INSTANCE_DIR"]))
        before = row_counts(url)
        assert before["problem"] >= 6 and before["attachment"] >= 2

        result = run(env, "backup", "-o", str(tmp_path / "backups"))
        assert result.exit_code == 0, result.output
        (backup,) = backups_in(tmp_path / "backups")
        assert f"备份完成：{backup}" in result.output
        assert [p.name for p in (tmp_path / "backups").iterdir()] == [backup.name]
        assert stat.S_IMODE(backup.stat().st_mode) == 0o700

        manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["database"]["kind"] == backend_name()
        assert manifest["database"]["revision"] == schema.head_revision()
        assert manifest["file_count"] == 2  # the demo's PDF (stored once) and the photo
        for part in manifest["parts"].values():
            listed = part.get("listing", part["path"])
            assert sha256(backup / listed) == part["sha256"]
        assert (backup / "secret_key").read_bytes() == (instance / "secret_key").read_bytes()
        assert stat.S_IMODE((backup / "secret_key").stat().st_mode) == 0o600

        with opened(url) as db, db.transaction() as session:
            event = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "system.backup")
            ).one()
            assert (event.actor_id, event.actor_name, event.target) == (None, "系统", backup.name)
        assert row_counts(url)["audit_event"] == before["audit_event"] + 1

        # Into a new, empty database (a new file on SQLite), with a data dir of its own.
        with fresh_database_url(tmp_path) as other_url:
            restored_data = tmp_path / "restored" / "data"
            restored_data.mkdir(parents=True)
            restore(backup, other_url, restored_data)
            assert row_counts(other_url) == before
            with opened(other_url) as db, db.transaction() as session:
                attachments = list(session.scalars(select(Attachment)))
            for attachment in attachments:
                original = files.open_file(Path(str(env["YKT_DATA_DIR"])), attachment)
                copied = files.open_file(restored_data, attachment)
                assert copied.read_bytes() == original.read_bytes()
                assert sha256(copied) == attachment.sha256
            assert PHOTO in {files.open_file(restored_data, a).read_bytes() for a in attachments}

        # Over the live database, as after a mistake: what came later is gone.
        add = ["user", "add", "later", "--unit", "QSZ", "--role", "officer", "--password-stdin"]
        assert run(env, *add, stdin="Rectify#2022\n").exit_code == 0
        assert row_counts(url)["app_user"] == before["app_user"] + 1
        restore(backup, url, Path(str(env["YKT_DATA_DIR"])))
        assert row_counts(url) == before


def audit_table_of(backup: Path) -> str:
    """The audit_event rows in a backup, as text."""
    if backend_name() == "sqlite":
        with closing(sqlite3.connect(backup / "database.sqlite3")) as copy:
            return repr(copy.execute("SELECT * FROM audit_event").fetchall())
    dump = str(backup / "database.dump")
    done = subprocess.run(
        ["pg_restore", "--data-only", "--table=audit_event", "--file=-", dump],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def test_a_backup_taken_during_a_write_has_what_was_committed_before_it(
    shared_env: Env, tmp_path: Path
) -> None:
    url = str(shared_env["YKT_DATABASE_URL"])
    with opened(url) as db:
        with db.transaction() as session:
            audit.record(session, "test.committed", target="before the backup")
        with db.transaction() as writer:  # the server, in the middle of a request
            audit.record(writer, "test.in_flight", target="not committed yet")
            writer.flush()
            with opened(url) as other:
                made = create_backup(other, tmp_path, at=clock.local_now())
    rows = audit_table_of(made.path)
    assert "test.committed" in rows
    assert "test.in_flight" not in rows


def test_keep_removes_only_the_oldest_backups(shared_env: Env, tmp_path: Path) -> None:
    out = tmp_path / "backups"
    out.mkdir()
    strangers = [out / "notes", out / "ykt-backup-old", out / ".ykt-backup-20220101-000000-x"]
    for path in strangers:
        path.mkdir()
    (out / "ykt-backup-20220101-000000").write_text("a file, not a backup", encoding="utf-8")
    strangers.append(out / "ykt-backup-20220101-000000")

    start = datetime(2022, 6, 1, 0, 0, tzinfo=UTC)  # 08:00 in Beijing
    for minute in range(3):
        with clock.frozen_at(start + timedelta(minutes=minute)):
            assert run(shared_env, "backup", "-o", str(out)).exit_code == 0
    with clock.frozen_at(start + timedelta(minutes=3)):
        result = run(shared_env, "backup", "-o", str(out), "--keep", "2")
    assert result.exit_code == 0, result.output

    assert [p.name for p in backups_in(out) if p.is_dir()] == [
        "ykt-backup-20220601-080200",
        "ykt-backup-20220601-080300",
    ]
    assert "已删除较早的备份：ykt-backup-20220601-080000" in result.output
    assert "已删除较早的备份：ykt-backup-20220601-080100" in result.output
    assert all(path.exists() for path in strangers)
    assert len(list(out.iterdir())) == 2 + len(strangers)
    with opened(str(shared_env["YKT_DATABASE_URL"])) as db, db.transaction() as session:
        pruned = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "system.backup_prune")
        ).one()
    assert json.loads(pruned)["removed"] == [
        "ykt-backup-20220601-080000",
        "ykt-backup-20220601-080100",
    ]


def test_keep_must_be_at_least_one(shared_env: Env, tmp_path: Path) -> None:
    result = run(shared_env, "backup", "-o", str(tmp_path), "--keep", "0")
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_without_pg_dump_postgresql_fails_cleanly_and_sqlite_needs_nothing(
    shared_env: Env, tmp_path: Path
) -> None:
    out = tmp_path / "backups"
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run({**shared_env, "PATH": str(empty)}, "backup", "-o", str(out))
    if backend_name() == "postgresql":
        assert result.exit_code == 1
        assert "错误：找不到 pg_dump" in result.output
        assert list(out.iterdir()) == []
    else:
        assert result.exit_code == 0, result.output
        assert len(backups_in(out)) == 1


def _small_files_only() -> None:
    # Like a full disk: writes past 64 KB fail with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_full_disk_gives_a_message_exit_1_and_no_partial_directory(
    shared_env: Env, tmp_path: Path
) -> None:
    out = tmp_path / "backups"
    env = {k: v for k, v in {**os.environ, **shared_env}.items() if v is not None}
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "backup", "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=_small_files_only,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    expected = "SQLite 备份失败" if backend_name() == "sqlite" else "pg_dump 导出数据库失败"
    assert f"错误：{expected}" in done.stderr
    assert list(out.iterdir()) == []  # the half-written copy went with its directory


def test_an_output_path_that_is_a_file_is_refused(shared_env: Env, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x", encoding="utf-8")
    for target in (blocker, blocker / "sub"):
        result = run(shared_env, "backup", "-o", str(target))
        assert result.exit_code == 1
        assert "错误：无法创建备份目录" in result.output
    assert [p.name for p in tmp_path.iterdir()] == [blocker.name]


def test_two_backups_in_the_same_second_do_not_mix(shared_env: Env, tmp_path: Path) -> None:
    with clock.frozen_at(datetime(2022, 6, 1, 0, 0, tzinfo=UTC)):
        assert run(shared_env, "backup", "-o", str(tmp_path)).exit_code == 0
        second = run(shared_env, "backup", "-o", str(tmp_path))
    assert second.exit_code == 1
    assert "错误：备份已存在" in second.output
    assert [p.name for p in tmp_path.iterdir()] == ["ykt-backup-20220601-080000"]


def test_an_uninitialised_database_is_not_backed_up(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        env = {"YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp_path / "instance")}
        result = run(env, "backup", "-o", str(tmp_path / "backups"))
    assert result.exit_code == 1
    assert "数据库尚未初始化" in result.output
    assert list((tmp_path / "backups").iterdir()) == []


def test_the_password_goes_to_pg_dump_in_the_environment_only() -> None:
    url = "postgresql+psycopg://ykt:s%40cret@db.example:5433/ykt?sslmode=require"
    argv, env = pg_dump_command(url, "pg_dump", Path("out.dump"))
    assert not any("s@cret" in arg or "s%40cret" in arg for arg in argv)
    assert env["PGPASSWORD"] == "s@cret"
    assert argv[-1] == "postgresql://ykt@db.example:5433/ykt?sslmode=require"
    assert "--format=custom" in argv and "--no-password" in argv


def test_a_database_of_an_older_schema_is_backed_up_before_it_is_upgraded(
    tmp_path: Path,
) -> None:
    """The order operations.md gives: back up, then `ykt init`. The backup cannot be written
    to an older audit table, and says so instead of failing."""
    with fresh_database_url(tmp_path) as url:
        with opened(url) as db:
            schema.upgrade(db, "0010")
        env = {"YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp_path / "instance")}
        result = run(env, "backup", "-o", str(tmp_path / "backups"))
        assert result.exit_code == 0, result.output
        assert "未写入审计日志" in result.output
        assert len(list((tmp_path / "backups").iterdir())) == 1
