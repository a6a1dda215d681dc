"""`ykt demo province` from the command line: refusals, progress, and a small province."""

from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from campaign.models import Problem
from cli.main import ykt
from core.db import Database
from tests.databases import initialised_env


@pytest.fixture
def empty_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with initialised_env(tmp_path_factory.mktemp("province")) as env:
        yield env


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(ykt, ["demo", "province", *args], env=env)


def test_a_small_province_is_built_with_its_progress_shown_and_not_twice(
    empty_env: dict[str, str],
) -> None:
    refused = run(empty_env, "--scale", "1.5")
    assert refused.exit_code == 1 and "规模" in refused.output
    result = run(empty_env, "--scale", "0.0005")
    assert result.exit_code == 0, result.output
    assert "示例省已建立：问题台账 500 条" in result.output
    for phase in ("基础数据完成", "各阶段模板完成", "台账与任务记录写入完成", "提交完成"):
        assert phase in result.output
    database = Database(empty_env["YKT_DATABASE_URL"])
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Problem)) == 500
    database.dispose()
    again = run(empty_env, "--scale", "0.0005", "--force")
    assert again.exit_code == 1 and "已有示例省" in again.output


def test_a_database_with_entries_is_refused_and_sqlite_only_takes_a_small_province(
    empty_env: dict[str, str],
) -> None:
    demo = CliRunner().invoke(ykt, ["init", "--demo"], env=empty_env)
    assert demo.exit_code == 0, demo.output
    refused = run(empty_env, "--scale", "0.0005")
    assert refused.exit_code == 1 and "--force" in refused.output
    if empty_env["YKT_DATABASE_URL"].startswith("sqlite"):
        full = run(empty_env, "--force")
        assert full.exit_code == 1 and "PostgreSQL" in full.output
