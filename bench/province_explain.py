"""The key queries of a page: every statement a request sends, timed, and the plan of the
slowest reads (EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite), run
again with the request's own parameters in a transaction that is rolled back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from sqlalchemy import event

from core.db import Database


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: Any
    ms: float

    @property
    def reads(self) -> bool:
        """A plain read, safe to run again under EXPLAIN ANALYZE (no lock, no write)."""
        head = self.sql.lstrip().upper()
        return head.startswith(("SELECT", "WITH")) and "FOR UPDATE" not in head


@dataclass(frozen=True)
class Plan:
    page: str
    statement: Statement
    lines: list[str]

    def figures(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "ms": round(self.statement.ms, 2),
            "sql": self.statement.sql,
            "plan": self.lines,
        }


@contextmanager
def capturing(database: Database) -> Iterator[list[Statement]]:
    """Every statement sent to the database meanwhile, with its parameters and its time."""
    statements: list[Statement] = []
    started: list[float] = []

    def before(conn: Any, cursor: Any, sql: str, parameters: Any, *args: Any) -> None:
        started.append(perf_counter())

    def after(conn: Any, cursor: Any, sql: str, parameters: Any, *args: Any) -> None:
        began = started.pop() if started else perf_counter()
        statements.append(Statement(sql, parameters, (perf_counter() - began) * 1000))

    event.listen(database.engine, "before_cursor_execute", before)
    event.listen(database.engine, "after_cursor_execute", after)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", before)
        event.remove(database.engine, "after_cursor_execute", after)


def slowest_reads(statements: list[Statement], top: int) -> list[Statement]:
    return sorted((s for s in statements if s.reads), key=lambda s: -s.ms)[:top]


def explain(database: Database, page: str, statement: Statement) -> Plan:
    """The plan of one captured read, run again with its parameters; nothing it does stays."""
    if database.dialect == "postgresql":
        prefix = "EXPLAIN (ANALYZE, BUFFERS) "
    else:
        prefix = "EXPLAIN QUERY PLAN "
    with database.reading() as session:  # rolled back, and on SQLite takes no write lock
        connection = session.connection()
        rows = connection.exec_driver_sql(prefix + statement.sql, statement.parameters).all()
    if database.dialect == "postgresql":
        lines = [str(row[0]) for row in rows]
    else:  # (id, parent, notused, detail): indent each step under its parent
        depth: dict[int, int] = {}
        lines = []
        for node, parent, _unused, detail in rows:
            depth[node] = depth.get(parent, -1) + 1
            lines.append("  " * depth[node] + str(detail))
    return Plan(page, statement, lines)


def plan_lines(plans: list[Plan]) -> list[str]:
    out: list[str] = []
    for plan in plans:
        out += [
            "",
            f"  {plan.page}: {plan.statement.ms:.1f} ms in the request",
            *("    " + line for line in _shown(plan.statement.sql).splitlines()),
            "    --",
            *("    " + line for line in plan.lines),
        ]
    return out


_COLUMNS = re.compile(r"SELECT (?:[\w.]+(?: AS \w+)?, ){3,}[\w.]+(?: AS \w+)?\s")


def _shown(sql: str, limit: int = 2000) -> str:
    """The statement with its long column lists cut (`SELECT … FROM`)."""
    sql = _COLUMNS.sub("SELECT … ", sql)
    return sql if len(sql) <= limit else sql[:limit] + " …"
