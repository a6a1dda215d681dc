"""`ykt supervise|inspection|accountability|evaluation`: the office's flows from the command
line on the demo, as the person named with --as; refusals are a Chinese message and a
non-zero exit, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from campaign.models import Problem, ProblemStatus
from cli.main import ykt
from core import clock, paging
from core.db import Database
from tests.databases import fresh_database_url


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("cli-office")
    with fresh_database_url(tmp) as url:
        env = {"YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp / "instance")}
        result = CliRunner().invoke(ykt, ["init", "--demo"], env=env)
        assert result.exit_code == 0, result.output
        yield env


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(ykt, list(args), env=env)


def _later(days: int) -> str:
    return (clock.local_now().date() + timedelta(days=days)).isoformat()


def test_an_order_is_issued_and_listed_as_each_person_sees_it(cli_env: dict[str, str]) -> None:
    order = ["supervise", "issue", "--source", "media_exposure", "--summary", "媒体报道代领补贴"]
    past = run(cli_env, *order, "--unit", "QSZ", "--deadline", "2020-01-01", "--as", "ldxz_ban")
    assert past.exit_code != 0 and "办理期限" in past.output and "Traceback" not in past.output
    officer = run(cli_env, *order, "--unit", "QSZ", "--deadline", _later(10), "--as", "qsz_jbr")
    assert officer.exit_code != 0 and "只有领导小组办公室" in officer.output
    unknown = run(cli_env, *order, "--unit", "NOPE", "--deadline", _later(10), "--as", "ldxz_ban")
    assert unknown.exit_code != 0 and "Traceback" not in unknown.output
    made = run(
        cli_env,
        *order,
        "--unit",
        "QSZ",
        "--unit",
        "BSZ",
        "--deadline",
        _later(10),
        "--as",
        "ldxz_ban",
    )
    assert made.exit_code == 0, made.output
    assert "已下发督办单 DB-" in made.output and "青山镇" in made.output
    mine = run(cli_env, "supervise", "list", "--as", "qsz_jbr", "--json")
    assert mine.exit_code == 0, mine.output
    rows = json.loads(mine.output[: mine.output.rindex("]") + 1])
    assert [r["unit"] for r in rows] == ["QSZ"] and rows[0]["state"] == "feedback"
    everyone = run(cli_env, "supervise", "list", "--as", "ldxz_ban")
    assert "共 2 项" in everyone.output and "待反馈" in everyone.output
    assert "只列出了" not in everyone.output


def test_a_list_cut_short_says_so(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    order = ["supervise", "issue", "--source", "media_exposure", "--summary", "另一篇报道"]
    two = ["--unit", "QSZ", "--unit", "BSZ", "--deadline", _later(9), "--as", "ldxz_ban"]
    made = run(cli_env, *order, *two)
    assert made.exit_code == 0, made.output
    monkeypatch.setattr(paging, "LISTED_IN_FULL", 1)
    cut = CliRunner().invoke(ykt, ["supervise", "list", "--as", "ldxz_ban"], env=cli_env)
    assert cut.exit_code == 0 and "共 1 项" in cut.stdout and "另一篇报道" in cut.stdout
    assert "只列出了最新的 1 项" in cut.stderr
    as_json = run(cli_env, "supervise", "list", "--as", "ldxz_ban", "--json")
    assert len(json.loads(as_json.stdout)) == 1


def test_an_inspection_is_started_and_listed_by_the_office(cli_env: dict[str, str]) -> None:
    start = ["inspection", "start", "--places", "青山镇青山村", "--team", "区纪委、区财政局"]
    future = run(cli_env, *start, "--date", _later(30), "--as", "ldxz_ban")
    assert future.exit_code != 0 and "暗访日期" in future.output
    yesterday = date.fromisoformat(_later(-1))
    typed = f"{yesterday.year}年{yesterday.month}月{yesterday.day}日 9:30"  # as officers write
    made = run(cli_env, *start, "--date", typed, "--as", "ldxz_ban")
    assert made.exit_code == 0 and "已登记明察暗访 AF-" in made.output, made.output
    assert f"（{yesterday.isoformat()}）" in made.output  # the day stored, not the text typed
    listed = run(cli_env, "inspection", "list", "--as", "ldxz_ban")
    assert "青山镇青山村，发现问题 0 个" in listed.output
    refused = run(cli_env, "inspection", "list", "--as", "qsz_jbr")
    assert refused.exit_code != 0 and "只有领导小组办公室" in refused.output


def test_a_proposal_without_grounds_is_refused(cli_env: dict[str, str]) -> None:
    proposal = [
        "accountability",
        "propose",
        "--unit",
        "QSZ",
        "--conduct",
        "buck_passing",
        "--measure",
        "interview",
        "--grounds",
        "推诿扯皮",
        "--as",
        "ldxz_ban",
    ]
    refused = run(cli_env, *proposal)
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "依据" in refused.output
    bad = run(cli_env, *proposal, "--overdue-item", "999999999")
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    listed = run(cli_env, "accountability", "list", "--as", "ldxz_ban")
    assert listed.exit_code == 0 and "共 0 项" in listed.output


def test_a_closed_problem_is_sent_for_a_visit_once(cli_env: dict[str, str]) -> None:
    database = Database(cli_env["YKT_DATABASE_URL"])
    try:
        with database.transaction() as session:
            number = session.scalars(
                select(Problem.number).where(Problem.status == ProblemStatus.CLOSED.value)
            ).first()
    finally:
        database.dispose()
    assert number is not None, "the demo has a closed problem"
    ask = ["evaluation", "request", "--method", "household", "--due", _later(7), "--as", "ldxz_ban"]
    unknown = run(cli_env, *ask[:2], "2022-NOPE-0001", *ask[2:])
    assert unknown.exit_code != 0 and "没有编号为 2022-NOPE-0001" in unknown.output
    sent = run(cli_env, *ask[:2], number, *ask[2:])
    assert sent.exit_code == 0 and f"已安排回访：{number}" in sent.output, sent.output
    twice = run(cli_env, *ask[:2], number, *ask[2:])
    assert twice.exit_code != 0 and "已安排回访，尚未完成" in twice.output
    listed = run(cli_env, "evaluation", "list", "--status", "visiting", "--as", "ldxz_ban")
    assert number in listed.output and "待回访" in listed.output
