"""`ykt roll import`, `ykt reference import`, `ykt compare run|list|rules|rule|rotate-key`,
run in-process against a database of their own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bench.comparison_data import ROLL_HEADER, generate, to_csv
from campaign.comparison import rules
from campaign.demo import TOWNSHIPS
from cli.main import ykt
from tests.databases import fresh_database_url


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("cli")
    with fresh_database_url(tmp) as url:
        env = {"YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp / "instance")}
        result = CliRunner().invoke(ykt, ["init", "--demo"], env=env)
        assert result.exit_code == 0, result.output
        yield env


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(ykt, list(args), env=env)


def test_nothing_to_list_before_any_import(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "compare", "list")
    assert result.exit_code == 0, result.output
    assert "共 0 个疑点" in result.output
    assert "共产生新疑点 0 个" in run(cli_env, "compare", "run").output


def test_rolls_and_lists_go_in_and_the_suspicions_come_out_masked(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    villages = [village for _, _, names in TOWNSHIPS for village in names]
    data = generate(21, 20, villages, kinds=["R01", "R04", "R07"])
    for kind in ("standards", "deceased"):
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(data.list_csv(kind))
        result = run(cli_env, "reference", "import", kind, str(path))
        assert result.exit_code == 0, result.output
    for roll, programme in data.programmes.items():
        path = tmp_path / f"{roll}.csv"
        path.write_bytes(data.roll_csv(roll))
        result = run(
            cli_env, "roll", "import", str(path), "--programme", programme, "--period", "2022-06"
        )
        assert result.exit_code == 0, result.output
        assert "已导入发放名册" in result.output
    first = run(cli_env, "compare", "run")
    assert first.exit_code == 0, first.output
    assert "共产生新疑点 3 个，发起核实 3 件" in first.output  # each in its township's inbox
    second = run(cli_env, "compare", "run", "--period", "2022-06")
    assert "共产生新疑点 0 个，发起核实 0 件" in second.output
    verifying = run(cli_env, "compare", "list", "--status", "verifying", "--json")
    assert json.loads(verifying.output)["total"] == 3
    assert run(cli_env, "compare", "list", "--status", "done").exit_code == 1
    assert run(cli_env, "compare", "list", "--township", "QSZ'--").exit_code == 1
    rates = run(cli_env, "compare", "rules").output
    assert "R01" in rates and "疑点 1 属实 0 不属实 0 待核实 1 命中率 —" in rates
    listed = run(cli_env, "compare", "list", "--json")
    assert listed.exit_code == 0, listed.output
    body = json.loads(listed.output)
    assert body["total"] == 3
    assert {item["rule"] for item in body["items"]} == {"R01", "R04", "R07"}
    numbers = {row[1] for rows in data.rolls.values() for row in rows}
    assert not any(number in listed.output for number in numbers)
    plain = run(cli_env, "compare", "list", "--rule", "R01")
    assert "共 1 个疑点" in plain.output and "**********" in plain.output
    rotated = run(cli_env, "compare", "rotate-key")
    assert rotated.exit_code == 0 and "第 1 代 → 第 2 代" in rotated.output
    assert "共产生新疑点 0 个" in run(cli_env, "compare", "run").output
    again = run(cli_env, "compare", "list", "--json")
    assert json.loads(again.output)["items"] == body["items"]  # decrypted under the new key


def test_a_refused_roll_names_its_rows_and_exits_1(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    good = ["张三", "11010519491231002X", "青山村", "湖北农信", "6217000000000000001"]
    path.write_bytes(to_csv(ROLL_HEADER, [[*good, "abc", "2022-06-01", ""]]))
    result = run(cli_env, "roll", "import", str(path), "--programme", "P01", "--period", "2022-06")
    assert result.exit_code == 1
    assert "共 1 处错误" in result.output and "第 2 行“金额”" in result.output
    assert "Traceback" not in result.output
    hostile = tmp_path / "x.csv"
    hostile.write_bytes("姓名".encode("utf-16"))
    refused = run(
        cli_env, "roll", "import", str(hostile), "--programme", "P01", "--period", "2022-06"
    )
    assert refused.exit_code == 1 and "UTF-16" in refused.output


def test_rules_are_listed_and_changed_by_version(cli_env: dict[str, str]) -> None:
    listed = run(cli_env, "compare", "rules")
    assert listed.exit_code == 0
    assert len(listed.output.splitlines()) == len(rules.DEFAULT_RULES) == 10
    changed = run(cli_env, "compare", "rule", "R04", "--set", "max_people=3")
    assert changed.exit_code == 0 and "第 2 版" in changed.output
    refused = run(cli_env, "compare", "rule", "R04", "--set", "max_people=0")
    assert refused.exit_code == 1 and "每卡（账户）最多人数须为" in refused.output
    unknown = run(cli_env, "compare", "rule", "R01", "--set", "days=3")
    assert unknown.exit_code == 1 and "不是此类规则的参数" in unknown.output
    assert run(cli_env, "compare", "rule", "R99", "--disable").exit_code == 1
    assert run(cli_env, "compare", "run", "--period", "2022-13").exit_code == 1
