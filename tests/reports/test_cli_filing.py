"""`ykt report file|filings|download|verify|changes`, in-process against a database of their
own with the demo data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import ykt
from tests.databases import fresh_database_url


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("filing-cli")
    with fresh_database_url(tmp) as url:
        env = {"YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp / "instance")}
        result = CliRunner().invoke(ykt, ["init", "--demo"], env=env)
        assert result.exit_code == 0, result.output
        yield env


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(ykt, ["report", *args], env=env)


def test_file_list_download_verify(cli_env: dict[str, str], tmp_path: Path) -> None:
    filed = run(cli_env, "file", "attachment2", "--as", "ldxz_ban", "--reviewer", "ldxz_fzr")
    assert filed.exit_code == 0, filed.output
    assert "已报送：#1 附件2 问题统计表" in filed.output and "第 1 次报送" in filed.output
    assert "审核人：领导小组办公室负责人（示例）" in filed.output

    again = run(cli_env, "file", "attachment2", "--as", "ldxz_ban", "--reviewer", "ldxz_fzr")
    assert again.exit_code == 1 and "数字没有变化，无需重复报送" in again.stderr

    listed = run(cli_env, "filings")
    assert listed.exit_code == 0 and "#1 附件2 问题统计表" in listed.output
    assert "共 1 份" in listed.output

    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for target in (first, second):
        result = run(cli_env, "download", "1", "-o", str(target))
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes() and first.read_bytes()[:2] == b"PK"

    checked = run(cli_env, "verify")
    assert checked.exit_code == 0 and "#1 校验通过" in checked.output
    unchanged = run(cli_env, "changes", "1")
    assert unchanged.exit_code == 0 and "没有变化" in unchanged.output


def test_refusals_are_one_line_and_exit_1(cli_env: dict[str, str], tmp_path: Path) -> None:
    not_office = run(cli_env, "file", "attachment2", "--as", "qsz_fzr", "--reviewer", "ldxz_ban")
    assert not_office.exit_code == 1
    assert not_office.stderr.strip() == "错误：只有领导小组办公室可以报送统计表"
    self_review = run(cli_env, "file", "attachment3", "--as", "ldxz_ban", "--reviewer", "ldxz_ban")
    assert self_review.exit_code == 1 and "审核人不能是填表人本人" in self_review.stderr
    township = run(
        cli_env, "file", "attachment2", "--by-township", "--as", "ldxz_ban", "--reviewer", "x"
    )
    assert township.exit_code == 2 and "--by-township 只适用于 attachment3" in township.output
    missing = run(cli_env, "download", "999", "-o", str(tmp_path / "x.xlsx"))
    assert missing.exit_code == 1 and "报送记录不存在：999" in missing.stderr
    assert "Traceback" not in missing.output
