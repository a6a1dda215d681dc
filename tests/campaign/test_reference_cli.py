"""`ykt programme|place|household|campaign`, run in-process against a database of their own:
refusals first, then the year's settings and a 2023 campaign created from 2022's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from bench.comparison_data import id_number
from cli.main import ykt
from tests.databases import initialised_env


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("cli")
    keys = str(tmp / "keys.json")
    with initialised_env(tmp, "--demo", YKT_COMPARISON_KEY_FILE=keys) as env:
        yield env


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(ykt, list(args), env=env)


def test_refusals_are_one_line_and_exit_1(cli_env: dict[str, str]) -> None:
    cases = [
        (["programme", "add", "P01", "重复", "--level", "中央"], "项目代码已存在：P01"),
        (["programme", "add", "C09", "示例", "--level", "乡级"], "级次须为"),
        (["place", "add-village", "ZZZ01", "无乡村", "--township", "ZZZ"], "乡镇代码不存在"),
        (["place", "deactivate", "QSZ"], "还有 5 个启用的村"),
        (
            ["household", "add", "QSZ01", "X-1", "--head", "王", "--id-number", "1", "--card", "2"],
            "身份证号须为 18 位",
        ),
        (
            [
                *("household", "add", "QSZ01", "X-1", "--head", "王", "--id-number", "1"),
                *("--card", "2", "--type", "贫困户"),
            ],
            "户类型须为一般户、低保户、特困户、脱贫户、监测户之一",
        ),
        (["campaign", "deadline", "stage_summary", "--due", "2023-01-01"], "不在活动期间"),
        (["campaign", "phase", "2", "--starts", "2022-05-10"], "重叠"),
        (["campaign", "new", "2023-HTK", "--year", "2021"], "须晚于 2022"),
    ]
    for args, reason in cases:
        result = run(cli_env, *args)
        assert result.exit_code == 1, (args, result.output)
        assert reason in result.output and "Traceback" not in result.output


def test_the_administrator_keeps_the_lists_from_the_command_line(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    assert run(cli_env, "place", "add-township", "XCZ", "新城镇").exit_code == 0
    assert (
        run(cli_env, "place", "add-village", "XCZ01", "新城村", "--township", "xcz").exit_code == 0
    )
    listed = run(cli_env, "place", "list", "--township", "XCZ").output
    assert "XCZ        新城镇\t乡镇" in listed and "新城村\t村\t0 户" in listed
    added = run(
        cli_env,
        "programme",
        "add",
        "X01-1",
        "高龄营养补贴（子项）",
        "--level",
        "县级",
        "--parent",
        "X01",
    )
    assert added.exit_code == 0, added.output
    assert (
        "  高龄营养补贴（子项）\t县级"
        in run(cli_env, "programme", "list", "--search", "X01").output
    )
    template = tmp_path / "households.xlsx"
    assert run(cli_env, "household", "template", "-o", str(template)).exit_code == 0
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["村", "户编号", "户主姓名", "身份证号", "卡号", "联系电话", "户类型"])
    sheet.append(
        [
            "XCZ01",
            "XCZ01-001",
            "张某",
            id_number(5, date(1970, 1, 1)),
            "6217000011112222",
            "13912345678",
            "低保户",
        ]
    )
    sheet.append(["XCZ01", "XCZ01-002", "李某", "坏号码", "6217000011113333", ""])
    book.save(tmp_path / "bad.xlsx")
    refused = run(cli_env, "household", "import", str(tmp_path / "bad.xlsx"))
    assert refused.exit_code == 1 and "第 3 行“身份证号”" in refused.output
    sheet.delete_rows(3)
    book.save(tmp_path / "good.xlsx")
    done = run(cli_env, "household", "import", str(tmp_path / "good.xlsx"))
    assert done.exit_code == 0 and "已导入农户名单 1 行" in done.output
    shown = run(cli_env, "household", "list", "XCZ01").output
    assert "**************" in shown and "****2222" in shown and "139****5678" in shown
    assert "低保户" in shown
    assert "6217000011112222" not in shown and "13912345678" not in shown


def test_a_2023_campaign_is_made_from_2022_and_started(cli_env: dict[str, str]) -> None:
    assert run(cli_env, "campaign", "set", "--phone", "0711—1234567（区纪委）").exit_code == 0
    assert run(cli_env, "campaign", "deadline", "monthly_report", "--day", "20").exit_code == 0
    made = run(cli_env, "campaign", "new", "2023-htk", "--year", "2023")
    assert made.exit_code == 0, made.output
    assert "2023-05-01 至 2023-12-31" in made.output
    shown = run(cli_env, "campaign", "show", "2023-HTK").output
    assert "举报电话：0711—1234567（区纪委）" in shown
    assert "报送 monthly_report 自查自纠发现问题月报：每月 20 日" in shown
    assert "报送 stage_summary 阶段性工作总结：2023-07-05" in shown
    assert "2022-HTK" in run(cli_env, "campaign", "show").output  # 2022 still in progress
    assert run(cli_env, "campaign", "start", "2023-HTK").exit_code == 0
    listed = run(cli_env, "campaign", "list").output
    assert "2023-HTK     2023" in listed and "进行中" in listed.splitlines()[0]
    assert "2022-HTK" in run(cli_env, "campaign", "show", "2022-HTK").output  # still readable
    again = run(cli_env, "campaign", "start", "2022-HTK")
    assert again.exit_code == 1 and "只能开始比进行中的活动" in again.output
    # 2023 has its copy of the household lists; a household taken off 2023's stays on 2022's.
    assert "QSZ01-001" in run(cli_env, "household", "list", "QSZ01").output
    gone = run(cli_env, "household", "deactivate", "QSZ01", "QSZ01-001")
    assert gone.exit_code == 0, gone.output
    assert "（已停用）" in run(cli_env, "household", "list", "QSZ01").output.splitlines()[-1]
    in_2022 = run(cli_env, "household", "list", "QSZ01", "--campaign", "2022-HTK").output
    assert "QSZ01-001" in in_2022 and "（已停用）" not in in_2022
    unknown = run(cli_env, "household", "list", "QSZ01", "--campaign", "1999-X")
    assert unknown.exit_code == 1 and "专项治理活动不存在" in unknown.output
