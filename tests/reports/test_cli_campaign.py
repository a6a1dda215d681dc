"""`--campaign` on the command line's lists, once a 2023 campaign has started beside 2022:
without it the campaign in progress (2023, nothing yet), with it 2022 as it was."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from campaign import jobs
from cli.main import ykt
from core.db import Database
from tests.databases import fresh_database_url


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("campaign-cli")
    with fresh_database_url(tmp) as url:
        env = {"YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp / "instance")}
        assert CliRunner().invoke(ykt, ["init", "--demo"], env=env).exit_code == 0
        database = Database(url)
        try:
            jobs.start_obligations(database)
        finally:
            database.dispose()
        yield env


def run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(ykt, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_lists_take_the_campaign_asked_for(cli_env: dict[str, str]) -> None:
    before = run(cli_env, "report", "status", "--as", "ldxz_ban")
    assert "共 0 项" not in before
    run(cli_env, "campaign", "new", "2023-HTK", "--year", "2023")
    run(cli_env, "campaign", "start", "2023-HTK")

    assert run(cli_env, "report", "status", "--as", "ldxz_ban").strip().endswith("共 0 项")
    assert run(cli_env, "report", "status", "--as", "ldxz_ban", "--campaign", "2022-HTK") == before
    assert "没有报送留档" in run(cli_env, "report", "filings", "--campaign", "2022-HTK")
    refused = CliRunner().invoke(ykt, ["report", "filings", "--campaign", "1999-X"], env=cli_env)
    assert refused.exit_code == 1 and "专项治理活动不存在" in refused.output
