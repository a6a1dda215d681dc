"""`ykt report status|return`: 报送管理 from the command line, against a database of its own
with the demo data and the reports the scheduler starts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from campaign import jobs
from cli.main import ykt
from core.db import Database
from tests.databases import fresh_database_url


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("obligations-cli")
    with fresh_database_url(tmp) as url:
        env = {"YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp / "instance")}
        result = CliRunner().invoke(ykt, ["init", "--demo"], env=env)
        assert result.exit_code == 0, result.output
        database = Database(url)
        try:
            jobs.start_obligations(database)
        finally:
            database.dispose()
        yield env


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(ykt, ["report", *args], env=env)


def test_status_lists_and_exports_what_the_person_may_see(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    listed = run(
        cli_env, "status", "--obligation", "monthly_report", "--unit", "QSZ", "--as", "ldxz_ban"
    )
    assert listed.exit_code == 0, listed.output
    assert "青山镇（QSZ）截止 2022-05-23 逾期" in listed.output and "共 8 项" in listed.output
    own = run(cli_env, "status", "--as", "qsz_jbr")
    assert own.exit_code == 0 and "（QSZ）" in own.output
    assert all("（QSZ）" in line for line in own.output.splitlines()[:-1])

    target = tmp_path / "status.xlsx"
    exported = run(cli_env, "status", "--state", "overdue", "--as", "ldxz_ban", "-o", str(target))
    assert exported.exit_code == 0, exported.output
    sheet = load_workbook(target).active
    assert sheet is not None
    states = {row[5].value for row in sheet.iter_rows(min_row=3)}
    assert states == {"逾期"}


def test_return_refuses_clearly(cli_env: dict[str, str]) -> None:
    missing = run(cli_env, "return", "987654", "--reason", "x", "--as", "ldxz_ban")
    assert missing.exit_code == 1 and "报送记录不存在" in missing.stderr
    unfiled = run(cli_env, "return", "1", "--reason", "理由", "--as", "ldxz_ban")
    assert unfiled.exit_code == 1 and "尚未报送" in unfiled.stderr
    empty = run(cli_env, "return", "1", "--reason", " ", "--as", "ldxz_ban")
    assert empty.exit_code == 1
    bad_state = run(cli_env, "status", "--state", "nonsense", "--as", "ldxz_ban")
    assert bad_state.exit_code == 2
