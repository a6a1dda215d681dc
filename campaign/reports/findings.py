"""What the reconciliation of 附件2, 附件3 and the ledger finds: each finding a Chinese
sentence naming the table, row and column (or the record) and both figures, with the records
concerned, so that a person can open them and see which figure is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    # The tables and the ledger disagree, or a record is counted in one and not the other:
    # the figures cannot be signed as they are (`ykt check-figures` exits 1).
    ERROR = "error"
    # Worth a look but not a disagreement of the tables: a monthly report's own count
    # against the ledger, a clue waiting for its entry's review. Printed, exit 0 (1 with
    # --strict).
    WARNING = "warning"

    @property
    def label(self) -> str:
        return {"error": "不一致", "warning": "提示"}[self.value]


class Code(StrEnum):
    """The kinds of finding (stable names for tests, grouping and documentation)."""

    CARDS_2_VS_3 = "cards_2_vs_3"  # 附件2 合计 违规代管 ≠ 附件3 合计 违规代管
    TOTAL_2 = "total_2"  # 附件2 合计 ≠ the sum of its programme rows
    TOTAL_3 = "total_3"  # 附件3 合计 ≠ the sum (or largest) of its rows
    CELL_2 = "cell_2"  # a cell of 附件2 ≠ the ledger's counted entries
    ROW_3 = "row_3"  # a row of 附件3 ≠ the ledger (entries, rectification money, clues)
    OUTSIDE_2 = "outside_2"  # counted entries of a programme that has no row in 附件2
    OUTSIDE_3 = "outside_3"  # counted entries of a unit that no row of 附件3 holds
    CATEGORY_RULE = "category_rule"  # a counted entry breaks its category's rule
    MONEY_EXCEEDS = "money_exceeds"  # recovered or returned more than the entry's amount
    CLUE_UNCOUNTED = "clue_uncounted"  # a clue of a voided entry: counted nowhere
    CLUE_WAITING = "clue_waiting"  # a clue of an entry not yet reviewed: counts once it is
    MONEY_UNCOUNTED = "money_uncounted"  # rectification money on an entry that does not count
    MONTHLY_CARDS = "monthly_cards"  # a monthly report's 违规代管 cards ≠ the ledger's


@dataclass(frozen=True)
class RecordRef:
    kind: str  # "problem", "clue" or "obligation"
    id: int
    reference: str  # what people call it: 2022-QSZ-0001, XS-2022-0001, QSZ 2022-06
    problem_id: int | None = None  # the ledger entry a link opens (a clue's entry)


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: Code
    message: str
    records: tuple[RecordRef, ...] = ()
    more_records: int = 0  # records concerned beyond those listed


@dataclass(frozen=True)
class Reconciliation:
    scope_label: str
    findings: tuple[Finding, ...] = ()
    # Findings about single records beyond the limit asked for, by kind (the page lists a
    # bounded number; `ykt check-figures` lists them all).
    omitted: dict[Code, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def error_count(self) -> int:
        """Errors, listed or omitted."""
        omitted = (n for code, n in self.omitted.items() if SEVERITY_OF[code] is Severity.ERROR)
        return len(self.errors) + sum(omitted)

    @property
    def consistent(self) -> bool:
        """No error (warnings do not make the figures inconsistent)."""
        return self.error_count == 0

    @property
    def omitted_count(self) -> int:
        return sum(self.omitted.values())


# The severity of each kind of finding about a single record (for the omitted counts).
SEVERITY_OF = {
    Code.CATEGORY_RULE: Severity.ERROR,
    Code.MONEY_EXCEEDS: Severity.ERROR,
    Code.MONEY_UNCOUNTED: Severity.ERROR,
    Code.CLUE_UNCOUNTED: Severity.ERROR,
    Code.CLUE_WAITING: Severity.WARNING,
    Code.MONTHLY_CARDS: Severity.WARNING,
}


def yuan(fen: int) -> str:
    """Exact 分 as 元 with thousands separators: 1,234.56 元."""
    fen = int(fen)  # PostgreSQL sums bigint as numeric
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d} 元"


def figure(value: int, measure: str) -> str:
    """A figure as a sentence names it: money in 元, cards in 张, others as they are."""
    value = int(value)
    if measure == "money":
        return yuan(value)
    if measure == "cards":
        return f"{value} 张"
    return str(value)
