"""`ykt export ...` and `ykt import-ledger`, run in-process against a database of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import openpyxl
import pytest
from click.testing import CliRunner, Result

from cli.main import ykt
from cli.reports import export, import_ledger_command
from tests.databases import fresh_database_url
from tests.reports.sheets import good_row, records, workbook


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("reports-cli")
    with fresh_database_url(tmp) as url:
        env = {"YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp / "instance")}
        result = CliRunner().invoke(ykt, ["init", "--demo"], env=env)
        assert result.exit_code == 0, result.output
        yield env


# The commands under a group like `ykt` (whose callback closes the database at the end),
# however cli/main.py registers them.
group = click.Group("ykt", commands=[export, import_ledger_command], callback=ykt.callback)


def run(env: dict[str, str], command: click.Command, *args: str) -> Result:
    assert command.name is not None
    return CliRunner().invoke(group, [command.name, *args], env=env)


def saved(path: Path, rows: list[list[object]]) -> Path:
    path.write_bytes(workbook(rows).getvalue())
    return path


def test_a_refused_import_lists_every_error_and_exits_1(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    bad = saved(
        tmp_path / "bad.xlsx",
        [good_row(), good_row(**{"补贴项目": "不存在的补贴", "涉及金额（元）": -1})],
    )
    result = run(cli_env, import_ledger_command, str(bad), "--as", "ldxz_ban")
    assert result.exit_code == 1
    assert "导入被拒绝：共 2 处错误，未导入任何数据" in result.stderr
    assert "第 3 行“补贴项目”：“不存在的补贴”不是可选的补贴项目" in result.stderr
    assert "第 3 行“涉及金额（元）”：金额不能为负数" in result.stderr
    not_xlsx = tmp_path / "ledger.xlsx"
    not_xlsx.write_text("问题来源,乡镇（单位）\n", encoding="utf-8")
    result = run(cli_env, import_ledger_command, str(not_xlsx), "--as", "ldxz_ban")
    assert result.exit_code == 1 and "错误：文件不是 Excel 工作簿" in result.stderr


def test_dry_run_then_import_then_export(cli_env: dict[str, str], tmp_path: Path) -> None:
    good = saved(
        tmp_path / "good.xlsx",
        [
            good_row(**{"乡镇（单位）": "柳河乡", "村（社区）": "柳河村"}),
            good_row(**{"乡镇（单位）": "石桥镇", "村（社区）": "石桥社区"}),
        ],
    )  # townships the demo's own entries leave alone
    result = run(cli_env, import_ledger_command, str(good), "--as", "ldxz_ban", "--dry-run")
    assert result.exit_code == 0 and "校验通过：共 2 行" in result.output
    result = run(cli_env, import_ledger_command, str(good), "--as", "ldxz_ban")
    assert result.exit_code == 0, result.output
    assert "已导入 2 条问题" in result.output and "均已进入待审核" in result.output

    ledger = tmp_path / "ledger.xlsx"
    june = ["--from", "2022/6/1", "--to", "2022年6月30日"]  # as every form reads days
    result = run(cli_env, export, "ledger", "-o", str(ledger), "--unit", "LHX", *june)
    assert result.exit_code == 0 and "已导出问题台账 1 条" in result.output
    [entry] = records(openpyxl.load_workbook(ledger)["问题台账"])
    assert entry["村（社区）"].value == "柳河村" and entry["状态"].value == "待审核"
    result = run(cli_env, import_ledger_command, str(ledger), "--as", "ldxz_ban", "--dry-run")
    assert result.exit_code == 0 and "以下列不导入：台账编号、整改类型" in result.output

    table = tmp_path / "a2.xlsx"
    result = run(cli_env, export, "attachment2", "-o", str(table), "--unit", "LHX", *june)
    assert result.exit_code == 0, result.output
    assert "统计时段：2022-06-01 至 2022-06-30" in result.output
    sheet = openpyxl.load_workbook(table).active
    total = next(r for r in sheet.iter_rows(min_row=5) if r[1].value == "合计")
    # The imported entries wait for their review: they do not count yet (截留挪用 column).
    assert total[3].value == 0

    summary = tmp_path / "a3.xlsx"
    result = run(cli_env, export, "attachment3", "-o", str(summary), "--by-township", *june)
    assert result.exit_code == 0 and "按乡镇分行" in result.output
    names = [c.value for c in openpyxl.load_workbook(summary).active["B"][4:]]
    assert names[:2] == ["青山镇", "白沙镇"] and names[-1] == "合计"


def test_the_template_and_refusals_of_bad_options(cli_env: dict[str, str], tmp_path: Path) -> None:
    template = tmp_path / "template.xlsx"
    result = run(cli_env, export, "template", "-o", str(template), "--unit", "QSZ")
    assert result.exit_code == 0, result.output
    lists = openpyxl.load_workbook(template)["选项"]
    assert [c.value for c in lists["B"] if c.value] == ["乡镇（单位）", "青山镇"]
    result = run(cli_env, export, "attachment2", "-o", str(tmp_path / "x.xlsx"), "--unit", "NOPE")
    assert result.exit_code == 1 and "单位代码不存在：NOPE" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()
    result = run(cli_env, export, "attachment2", "-o", str(tmp_path / "x.xlsx"), "--campaign", "9")
    assert result.exit_code == 1 and "专项治理活动不存在：9" in result.stderr
    result = run(cli_env, import_ledger_command, str(template), "--as", "nobody")
    assert result.exit_code == 1


def test_a_day_that_is_no_day_is_refused_and_nothing_written(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    table = tmp_path / "a2.xlsx"
    for day, said in (("2022-W24-5", "须为日期，如 2022-06-10"), ("2022-02-30", "没有这一天")):
        result = run(cli_env, export, "attachment2", "-o", str(table), "--from", day)
        assert result.exit_code == 2 and said in result.stderr, result.output
    assert not table.exists()
