"""What an entry's statistics category demands of its figures, one rule for the registration
form, its correction, the API and the Excel import.

附件2 counts an entry in exactly one cell: the cards of a 违规代管“一卡通” entry, the amount of
any other. An entry whose cell figure is missing would be counted nowhere, so a category
counted in cards needs at least one card and a category counted in money an amount above
zero."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import StatCategory

FORMS = frozenset({"register_problem", "correct_registration"})
CARDS_LABEL = "违规代管“一卡通”数量（张）"
AMOUNT_LABEL = "涉及金额（元）"


def measures(session: Session) -> dict[str, tuple[str, str]]:
    """Each category's code → (measure, name)."""
    return {
        code: (measure, name)
        for code, measure, name in session.execute(
            select(StatCategory.code, StatCategory.measure, StatCategory.name)
        )
    }


def refusals(categories: Mapping[str, tuple[str, str]], data: Mapping[str, Any]) -> dict[str, str]:
    """Per field, why clean register-form values break their category's rule ({} if none)."""
    known = categories.get(str(data.get("stat_category") or ""))
    if known is None:
        return {}  # the form itself refuses an unknown category
    measure, name = known
    if measure == "cards":
        if int(data.get("cards") or 0) < 1:
            return {"cards": f"{CARDS_LABEL}：{name}按张数统计，至少填写 1 张"}
        return {}
    if int(data.get("amount") or 0) <= 0:
        return {"amount": f"{AMOUNT_LABEL}：“{name}”类问题按金额统计，涉及金额须大于 0 元"}
    return {}
