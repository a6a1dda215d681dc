"""Which ledger entries count in the statutory tables, stated once for every figure.

An entry counts from the moment its unit's reviewer approved its registration until it is
voided (核实不属实 / 作废). Entries still waiting for review or being corrected are not yet
facts the district signs; a voided entry stays in the ledger and its history but leaves both
tables, the public list and the reconciliation. Everything that belongs to an entry (the
money recovered in its rectification, the clues transferred about it) counts exactly when
the entry does."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from campaign.models import Problem

RULE = (
    "统计口径：只统计登记已经本单位负责人审核通过、且未作废的台账问题；"
    "待审核、待补正和已作废（核实不属实）的问题不计入附件2、附件3。"
    "问题的整改追缴、返还资金和移送的问题线索随问题一并计入或不计入。"
)


def counted() -> list[ColumnElement[bool]]:
    """The entries that count, as SQL conditions on Problem."""
    return [Problem.reviewed_at.is_not(None), Problem.voided_at.is_(None)]
