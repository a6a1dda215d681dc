"""`ykt check-figures`, in-process against a demo database of its own: 数字一致 and exit 0,
every finding and exit 1, a bad option one line and exit 2."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from cli.figures import check_figures_command
from cli.main import ykt
from tests.databases import fresh_database_url

group = click.Group("ykt", commands=[check_figures_command], callback=ykt.callback)


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("check-figures")
    with fresh_database_url(tmp) as url:
        env = {"YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp / "instance")}
        result = CliRunner().invoke(ykt, ["init", "--demo"], env=env)
        assert result.exit_code == 0, result.output
        yield env


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(group, ["check-figures", *args], env=env)


def sql(env: dict[str, str], statement: str) -> None:
    engine = create_engine(env["YKT_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def test_the_demo_figures_agree(cli_env: dict[str, str]) -> None:
    result = run(cli_env)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "数字一致"
    for args in (["--unit", "qsz"], ["--from", "2022-06-01", "--to", "2022-06-30"]):
        assert run(cli_env, *args).exit_code == 0


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--from", "2022-13-01"], "错误：--from 没有这一天：2022 年 13 月 1 日，收到“2022-13-01”"),
        (["--from", "2022-W24-5"], "错误：--from 须为日期，如 2022-06-10，收到“2022-W24-5”"),
        (["--unit", "NOPE"], "错误：单位代码不存在：NOPE"),
        (["--campaign", "9999"], "错误：专项治理活动不存在：9999"),
        (["--from", "2022-07-01", "--to", "2022-06-01"], "错误：开始日期不能晚于结束日期"),
        (["--bogus"], "错误：No such option '--bogus'."),
    ],
)
def test_a_bad_option_is_one_line_and_exit_2(
    cli_env: dict[str, str], args: list[str], said: str
) -> None:
    result = run(cli_env, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [said]


def test_a_corrupted_ledger_is_listed_and_exits_1(cli_env: dict[str, str]) -> None:
    sql(cli_env, "UPDATE problem SET cards = 0 WHERE number = '2022-QSZ-0003'")
    try:
        result = run(cli_env)
        assert result.exit_code == 1, result.output
        lines = result.stdout.splitlines()
        assert lines[0] == "发现 1 处不一致（核对范围：鄂州市临空经济区）："
        assert lines[1].startswith("  1. [不一致] 问题 2022-QSZ-0003（青山镇，")
        assert "违规代管“一卡通”数量为 0 张" in lines[1]
        assert lines[2] == "     涉及记录：2022-QSZ-0003"
        assert run(cli_env, "--unit", "BSZ").exit_code == 0  # another township's scope
    finally:
        sql(cli_env, "UPDATE problem SET cards = 5 WHERE number = '2022-QSZ-0003'")


def test_warnings_are_printed_and_fail_only_with_strict(cli_env: dict[str, str]) -> None:
    # A clue transferred while its entry still waits for review (退回补正 with a clue).
    sql(
        cli_env,
        "INSERT INTO clue (problem_id, campaign_id, number, summary, from_step, transferred_by, "
        "transferred_at, status, disposal, case_filed, persons_named, party_sanctioned, "
        "government_sanctioned, sanctions_detail, exposure_cases, exposure_persons, "
        "recovered_fen, returned_fen, voluntary_persons, voluntary_fen, outcome_note) "
        "SELECT id, campaign_id, 'XS-2022-9001', '线索', '审核', registered_by, registered_at, "
        "'pending', "
        "'', false, '', 0, 0, '', 0, 0, 0, 0, 0, 0, '' FROM problem "
        "WHERE number = '2022-QSZ-0004'",
    )
    try:
        result = run(cli_env)
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines()[0] == "数字一致"
        assert "提示 1 条（不影响数字一致）：" in result.stdout
        assert "线索 XS-2022-9001 所属问题 2022-QSZ-0004登记尚未审核通过" in result.stdout
        assert run(cli_env, "--strict").exit_code == 1
    finally:
        sql(cli_env, "DELETE FROM clue WHERE number = 'XS-2022-9001'")
