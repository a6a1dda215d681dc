"""The `ykt` command, run in-process with click's runner against a database of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from campaign.models import ApiToken, AuditEvent, Unit, User
from cli.main import ykt
from core.db import Database
from tests.databases import fresh_database_url, initialised_env

GOOD = "Rectify#2022"


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with initialised_env(tmp_path_factory.mktemp("cli"), "--demo") as env:
        yield env


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(ykt, list(args), env=env, input=stdin)


def users(env: dict[str, str]) -> dict[str, User]:
    db = Database(env["YKT_DATABASE_URL"])
    try:
        with db.transaction() as session:
            return {u.username: u for u in session.scalars(select(User))}
    finally:
        db.dispose()


def test_init_reports_the_schema_and_prints_the_demo_accounts(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "init", "--demo")
    assert result.exit_code == 0
    assert "数据库结构已是最新" in result.output
    assert "本次新建示例账户 0 个" in result.output
    assert "qsz_jbr" in result.output and "Demo@2022ykt" in result.output


def test_unit_list_prints_code_name_and_kind(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "unit", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["LKQ", "鄂州市临空经济区", "district"]
    assert any(line.split() == ["JCZB1", "区直检查专班一组", "inspection_team"] for line in lines)
    assert any(line.split() == ["QSZ01", "青山村", "village"] for line in lines)


def test_unit_population_is_set_checked_and_cleared(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "unit", "population", "qsz", "23500")
    assert result.exit_code == 0 and "青山镇（QSZ）总人口数：23,500" in result.output
    refused = run(cli_env, "unit", "population", "QSZ01", "800")
    assert refused.exit_code == 1 and "不是区县或乡镇" in refused.output
    assert run(cli_env, "unit", "population", "QSZ", "-5").exit_code == 2
    cleared = run(cli_env, "unit", "population", "QSZ")
    assert cleared.exit_code == 0 and "总人口数：（空）" in cleared.output
    db = Database(cli_env["YKT_DATABASE_URL"])
    try:
        with db.transaction() as session:
            district = session.scalars(select(Unit).where(Unit.code == "LKQ")).one()
            assert district.population == 186_000  # the demo district's
            township = session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
            assert township.population is None
    finally:
        db.dispose()


def test_user_add_with_password_on_stdin(cli_env: dict[str, str]) -> None:
    result = run(
        cli_env,
        "user",
        "add",
        "zhangsan",
        "--unit",
        "QSZ",
        "--role",
        "officer",
        "--full-name",
        "张三",
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    assert result.exit_code == 0, result.output
    created = users(cli_env)["zhangsan"]
    assert created.full_name == "张三"
    assert created.must_change_password
    assert [(r.unit.code, r.role) for r in created.roles] == [("QSZ", "officer")]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--unit", "NOPE", "--role", "officer"], GOOD, "单位代码不存在：NOPE"),
        (["--unit", "QSZ", "--role", "officer"], "short1A", "密码长度至少 8 位"),
        (["--unit", "QSZ", "--role", "boss"], GOOD, "未知角色：boss"),
        (["--unit", "QSZ", "--role", "discipline"], GOOD, "不能设在"),
    ],
)
def test_user_add_refuses_bad_input_with_a_message(
    cli_env: dict[str, str], args: list[str], stdin: str, message: str
) -> None:
    result = run(cli_env, "user", "add", "badinput", *args, "--password-stdin", stdin=stdin + "\n")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert "badinput" not in users(cli_env)


def test_duplicate_user_is_refused(cli_env: dict[str, str]) -> None:
    result = run(
        cli_env,
        "user",
        "add",
        "qsz_jbr",
        "--unit",
        "QSZ",
        "--role",
        "officer",
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    assert result.exit_code == 1
    assert "用户已存在：qsz_jbr" in result.output


def test_passwd_resets_and_forces_a_change(cli_env: dict[str, str]) -> None:
    run(
        cli_env,
        "user",
        "add",
        "lisi",
        "--unit",
        "BSZ",
        "--role",
        "reviewer",
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    before = users(cli_env)["lisi"].password_hash
    result = run(cli_env, "user", "passwd", "lisi", "--password-stdin", stdin="Reset#2022a\n")
    assert result.exit_code == 0, result.output
    after = users(cli_env)["lisi"]
    assert after.password_hash != before and after.must_change_password


def test_grant_adds_a_second_role(cli_env: dict[str, str]) -> None:
    run(
        cli_env,
        "user",
        "add",
        "wangwu",
        "--unit",
        "QSZ",
        "--role",
        "officer",
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    result = run(cli_env, "user", "grant", "wangwu", "--unit", "JCZB3", "--role", "inspector")
    assert result.exit_code == 0, result.output
    assert {(r.unit.code, r.role) for r in users(cli_env)["wangwu"].roles} == {
        ("QSZ", "officer"),
        ("JCZB3", "inspector"),
    }
    result = run(cli_env, "user", "revoke", "wangwu", "--unit", "JCZB3", "--role", "inspector")
    assert result.exit_code == 0 and "已撤销 wangwu" in result.output
    assert {(r.unit.code, r.role) for r in users(cli_env)["wangwu"].roles} == {("QSZ", "officer")}
    again = run(cli_env, "user", "revoke", "wangwu", "--unit", "JCZB3", "--role", "inspector")
    assert again.exit_code == 1 and "没有角色 inspector" in again.output


def test_disable_and_token(cli_env: dict[str, str]) -> None:
    run(
        cli_env,
        "user",
        "add",
        "robot1",
        "--unit",
        "CJJ-ZHK",
        "--role",
        "supervisor",
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    token = run(cli_env, "user", "token", "robot1")
    assert token.exit_code == 0
    value = token.output.strip()
    assert value.startswith("ykt_")
    db = Database(cli_env["YKT_DATABASE_URL"])
    try:
        with db.transaction() as session:
            hashes = list(session.scalars(select(ApiToken.token_hash)))
            assert value not in hashes and len(hashes) >= 1
    finally:
        db.dispose()
    assert run(cli_env, "user", "disable", "robot1").exit_code == 0
    assert not users(cli_env)["robot1"].enabled
    refused = run(cli_env, "user", "token", "robot1")
    assert refused.exit_code == 1 and "账户已停用" in refused.output
    assert run(cli_env, "user", "enable", "robot1").exit_code == 0
    assert users(cli_env)["robot1"].enabled


def test_tokens_are_listed_and_revoked_and_live_ykt_token_days(cli_env: dict[str, str]) -> None:
    run(
        cli_env,
        "user",
        "add",
        "robot2",
        "--unit",
        "CJJ-ZHK",
        "--role",
        "supervisor",
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    value = run({**cli_env, "YKT_TOKEN_DAYS": "7"}, "user", "token", "robot2").output.strip()
    db = Database(cli_env["YKT_DATABASE_URL"])
    try:
        with db.transaction() as session:
            row = session.scalars(select(ApiToken).where(ApiToken.prefix == value[:10])).one()
            assert row.expires_at - row.created_at == timedelta(days=7)
    finally:
        db.dispose()
    listed = run(cli_env, "user", "tokens", "robot2")
    assert listed.exit_code == 0
    assert listed.output.startswith(f"{row.id}\t{value[:10]}…") and "有效" in listed.output
    assert value not in listed.output
    revoked = run(cli_env, "user", "revoke-token", str(row.id))
    assert revoked.exit_code == 0 and "已吊销 robot2 的令牌" in revoked.output
    assert "已吊销" in run(cli_env, "user", "tokens", "robot2").output
    again = run(cli_env, "user", "revoke-token", str(row.id))
    assert again.exit_code == 1 and "已于此前吊销" in again.output
    missing = run(cli_env, "user", "revoke-token", "999999")
    assert missing.exit_code == 1 and "令牌不存在" in missing.output
    bad_days = run({**cli_env, "YKT_TOKEN_DAYS": "forever"}, "user", "token", "robot2")
    assert bad_days.exit_code == 1 and "YKT_TOKEN_DAYS" in bad_days.output


def test_commands_on_an_uninitialised_database_say_to_run_init(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        result = run({"YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp_path)}, "unit", "list")
    assert result.exit_code == 1
    assert "请先运行：ykt init" in result.output


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ykt@127.0.0.1:1/ykt",
        "sqlite:////nonexistent-folder/sub/ykt.sqlite3",
        "nonsense://what",
    ],
)
def test_unreachable_database_gives_a_clear_message_and_no_traceback(
    tmp_path: Path, url: str
) -> None:
    env = {**os.environ, "YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "unit", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "错误：" in done.stderr
    assert ("无法连接数据库" in done.stderr) or ("数据库地址无法识别" in done.stderr)


# The web stack: `ykt serve` alone loads it, inside the command (see tests/test_layering.py).
WEB_STACK = {"web", "flask", "werkzeug", "flask_login", "flask_wtf"}
RUN_WITHOUT_WEB = """
import sys
from cli.main import ykt
for args in (
    ["init"], ["unit", "list"], ["user", "list"], ["export", "attachment2", "-o", sys.argv[1]]
):
    ykt.main(args, prog_name="ykt", standalone_mode=False)
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & {stack!r})
assert not loaded, f"loaded by commands that serve no pages: {{loaded}}"
"""


def test_commands_that_serve_no_pages_never_load_flask(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN_WITHOUT_WEB.format(stack=WEB_STACK),
            str(tmp_path / "attachment2.xlsx"),
        ],
        env={**os.environ, **cli_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "LKQ" in done.stdout and (tmp_path / "attachment2.xlsx").is_file()


def _events(env: dict[str, str], action: str) -> list[AuditEvent]:
    db = Database(env["YKT_DATABASE_URL"])
    try:
        with db.transaction() as session:
            query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            return list(session.scalars(query))
    finally:
        db.dispose()


def test_exports_and_refused_deploys_are_recorded_as_the_command_line(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    table = tmp_path / "附件2.xlsx"
    assert run(cli_env, "export", "attachment2", "--unit", "QSZ", "-o", str(table)).exit_code == 0
    exported = _events(cli_env, "data.export")[-1]
    assert (exported.actor_name, exported.target, exported.source) == (
        "命令行",
        "attachment2",
        "cli",
    )
    assert "系统用户" in exported.user_agent and '"unit": "QSZ"' in exported.detail

    diagram = tmp_path / "broken.bpmn"
    diagram.write_text("<not-a-diagram/>", encoding="utf-8")
    refused = run(cli_env, "deploy", str(diagram), "--as", "张工")
    assert refused.exit_code == 2, refused.output
    attempt = _events(cli_env, "definition.deploy")[-1]
    assert (attempt.actor_name, attempt.success, attempt.source) == ("张工", False, "cli")
    assert "findings" in attempt.detail
