"""What a 核实 task page shows of its 疑点: the rule, scope and roll rows, masked; the rows
in full only after 查看完整号码, for the officer who verifies it (audited by the service)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from campaign.comparison import disclosure, rules, verification
from campaign.comparison.protection import KeyFile
from campaign.models import Discrepancy, Problem, Programme, Unit, User


def panel(
    session: Session, data_dir: Path, user: User, subject: Any, full_numbers: bool
) -> dict[str, Any] | None:
    if not isinstance(subject, Discrepancy):
        return None
    key_file = KeyFile.for_data_dir(data_dir)
    rows = (
        disclosure.rows_in_full(session, key_file, user, subject)
        if full_numbers
        else disclosure.rows_masked(session, key_file, subject)
    )
    programme = session.get(Programme, subject.programme_id) if subject.programme_id else None
    township = session.get(Unit, subject.township_id) if subject.township_id else None
    village = session.get(Unit, subject.village_id) if subject.village_id else None
    return {
        "found": subject,
        "rule_kind": rules.KINDS[subject.rule.kind],
        "programme": programme.name if programme else "（多个项目）",
        "place": " ".join(
            [township.name if township else "（多个乡镇）", village.name if village else ""]
        ).strip(),
        "status": verification.STATUS_LABELS.get(subject.status, subject.status),
        "rows": rows,
        "full": full_numbers,
        "may_reveal": disclosure.may_reveal(user, subject),
        "problem": session.get(Problem, subject.problem_id) if subject.problem_id else None,
    }
