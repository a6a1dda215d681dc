"""`ykt bench-province` on a small demo province: every figure is produced beside its target,
every page answered with its content (the benchmark stops otherwise), the completions really
completed their tasks, and the key queries' plans come out. No timing is asserted: speed is
measured on the full province, never in tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench import province_pages
from campaign import province_build
from campaign.models import Problem
from cli.main import ykt
from core.config import Settings
from core.db import Database
from core.errors import InvalidInput, NotFound
from engine.models import WorkItem

SCALE = 0.0002  # one county, one township, 200 entries (60 of them run through the services)
TINY = province_pages.Sizes(requests=2, warmup=1, repeats=1, completions=2, explain_top=1)
FIGURES = {
    "inbox_officer", "inbox_reviewer", "inbox_office", "ledger_text", "ledger_number",
    "ledger_unit", "ledger_status", "ledger_programme", "ledger_overdue", "ledger_all",
    "monitor", "reports_page", "attachment2_xlsx", "attachment3_xlsx", "problem_page",
    "completion_median", "completion_p95",
}  # fmt: skip


def test_every_page_of_a_small_province_is_measured_beside_its_target(
    db_session: Session, bound_database: Database, settings: Settings, tmp_path: Path
) -> None:
    province_build.build(db_session, tmp_path, SCALE, force=True, say=lambda _line: None)
    db_session.commit()
    said: list[str] = []
    result = province_pages.measure(bound_database, settings, TINY, said.append, plans=True)
    figures = result.as_dict()["figures"]
    assert set(figures) == FIGURES
    for key, figure in figures.items():
        expected = TINY.completions if key.startswith("completion") else TINY.requests
        if key in ("monitor", "reports_page", "attachment2_xlsx", "attachment3_xlsx"):
            expected = TINY.repeats
        assert figure["samples"] == expected, key
        assert figure["ms"] > 0 and figure["met"] == (figure["ms"] <= figure["target_ms"])
    assert result.township == "X001T01" and result.entries == 200
    # The completions approved registered entries: their tasks are done, the entries are
    # being rectified, and each took its statements.
    # The first (TINY.warmup) untimed, as the pages' first requests are.
    assert len(result.completed) == TINY.completions + TINY.warmup
    assert len(result.statements) == TINY.completions
    assert all(count > 0 for count in result.statements)
    db_session.expire_all()
    for item_id in result.completed:
        item = db_session.get(WorkItem, item_id)
        assert item is not None and item.state == "completed"
        problem = db_session.scalars(select(Problem).where(Problem.case_id == item.case_id)).one()
        assert problem.status == "rectifying" and problem.responsible_person == "基准测试责任人"
    # Each page once more with its slowest read explained, with the request's parameters.
    assert {plan.page for plan in result.plans} == {f.label for f in result.figures[:-2]}
    assert all(plan.lines for plan in result.plans)
    shown = "\n".join(province_pages.lines(result, plans=True))
    assert shown.count("target ≤") == len(FIGURES)
    assert "MISSED" in shown or "met" in shown
    assert "EXPLAIN of the slowest reads" in shown
    # What one statement waits at least, and the server's memory settings (PostgreSQL),
    # are printed with the figures they shaped.
    assert result.round_trips is not None and result.round_trips.after_work_ms > 0
    assert result.round_trips.line() in shown
    if bound_database.dialect == "postgresql":
        assert set(result.server) == set(province_pages.SERVER_SETTINGS)
        assert f"shared_buffers {result.server['shared_buffers']}" in shown
    else:
        assert result.server == {} and "server:" not in shown
    with pytest.raises(InvalidInput, match="X999T99"):
        province_pages.measure(
            bound_database, settings, province_pages.Sizes(township="X999T99"), said.append,
            plans=False,
        )  # fmt: skip


def test_a_database_without_the_province_is_refused(database: Database, settings: Settings) -> None:
    with pytest.raises(NotFound, match="ykt demo province"):
        province_pages.measure(database, settings, TINY, print, plans=False)
    env = {"YKT_DATABASE_URL": database.url, "YKT_INSTANCE_DIR": str(settings.instance_dir)}
    refused = CliRunner().invoke(ykt, ["bench-province", "--requests", "1"], env=env)
    assert refused.exit_code == 1
    assert "没有示例省" in refused.output and "Traceback" not in refused.output
    bad = CliRunner().invoke(ykt, ["bench-province", "--requests", "0"], env=env)
    assert bad.exit_code == 2
