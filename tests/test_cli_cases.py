"""`ykt case start` and `ykt case message`: one line and exit 0, or one line saying why not."""

from __future__ import annotations

import json
from pathlib import Path

from tests.campaign import case_diagrams
from tests.test_cli import _events, cli_env, run

__all__ = ["cli_env"]
MATTER = json.dumps({"subject": "核实", "reference": "R-1"}, ensure_ascii=False)


def _deploy(env: dict[str, str], tmp_path: Path) -> None:
    diagram = tmp_path / "waiter.bpmn"
    diagram.write_text(case_diagrams.waiter("cli_waiter"), encoding="utf-8")
    assert run(env, "deploy", str(diagram)).exit_code == 0


def test_case_start_and_message(cli_env: dict[str, str], tmp_path: Path) -> None:
    _deploy(cli_env, tmp_path)
    started = run(
        cli_env, "case", "start", "cli_waiter", "--unit", "QSZ", "--data", MATTER, "--as", "qsz_jbr"
    )
    assert started.exit_code == 0, started.output
    assert started.output.startswith("已发起案件 #") and "状态：waiting" in started.output

    for args, reason in [
        (("nope", "--unit", "QSZ", "--as", "qsz_jbr"), "流程定义不存在：nope"),
        (("cli_waiter", "--unit", "QSZ", "--as", "qsz_fzr"), "须在该单位担任"),
        (("cli_waiter", "--unit", "QSZ", "--as", "nobody"), "用户不存在：nobody"),
        (("cli_waiter", "--unit", "QSZ", "--data", "{bad", "--as", "qsz_jbr"), "不是有效的 JSON"),
    ]:
        refused = run(cli_env, "case", "start", *args)
        assert refused.exit_code == 1 and reason in refused.output, refused.output
        assert len(refused.output.strip().splitlines()) == 1 and "Traceback" not in refused.output

    nobody = run(cli_env, "case", "message", "资金已退回", "--key", "R-404")
    assert nobody.exit_code == 3 and "无人等待" in nobody.output
    bad = run(cli_env, "case", "message", "资金已退回", "--key", "R-1", "--data", "[1]")
    assert bad.exit_code == 1 and "JSON 对象" in bad.output
    delivered = run(
        cli_env,
        "case",
        "message",
        "资金已退回",
        "--key",
        "R-1",
        "--data",
        '{"n": 1}',
        "--as",
        "张工",
    )
    assert delivered.exit_code == 0 and "已送达 1 个案件" in delivered.output, delivered.output
    twice = run(cli_env, "case", "message", "资金已退回", "--key", "R-1")
    assert twice.exit_code == 3

    records = _events(cli_env, "message.deliver")
    assert [(r.actor_name, r.success, r.source) for r in records] == [
        ("命令行", False, "cli"),
        ("命令行", False, "cli"),
        ("张工", True, "cli"),
        ("命令行", False, "cli"),
    ]
    starts = _events(cli_env, "case.start")
    assert (starts[0].actor_name, starts[0].success) == ("qsz_jbr", True)
    assert len([s for s in starts if not s.success]) >= 2


def test_deploy_takes_several_files_and_refuses_them_all_for_one_problem(
    cli_env: dict[str, str],
) -> None:
    bundles = Path(__file__).parent / "engine" / "conformance" / "bundles"
    tables = [str(bundles / "grade_unique.dmn"), str(bundles / "route_first.dmn")]
    deployed = run(cli_env, "deploy", *tables)
    assert deployed.exit_code == 0, deployed.output
    assert deployed.output.splitlines() == ["决策 grade_unique v1", "决策 route_first v1"]
    again = run(cli_env, "deploy", *tables)
    assert "决策 grade_unique v1（内容未变化，未生成新版本）" in again.output

    refused = run(cli_env, "deploy", tables[0], str(bundles / "hostile_cells.dmn"))
    assert refused.exit_code == 2
    assert "未部署：grade_unique.dmn、hostile_cells.dmn 有 3 处问题" in refused.output
    assert "r0_hostile_cells_in0：〔hostile_cells.dmn〕第 1 行的条件" in refused.output
    attempt = _events(cli_env, "definition.deploy")[-1]
    assert attempt.success is False and "hostile_cells.dmn" in attempt.detail
    assert [e.target for e in _events(cli_env, "decision.deploy")] == [
        "decision:grade_unique",
        "decision:route_first",
        "decision:grade_unique",
        "decision:route_first",
    ]
