"""户类型: the few household types a village household list records and a programme's
standard may be restricted to, in the same words on both sides, so that the household type
rule (household_type_outside) compares them as they are stored.

A household records one type or none (未登记: the rule never flags it). A standard records
the types it is for, one or several, stored in the list's order joined by 、 (低保户、特困户),
or nothing (the programme is not restricted)."""

from __future__ import annotations

import re

HOUSEHOLD_TYPES = ("一般户", "低保户", "特困户", "脱贫户", "监测户")
SEPARATOR = "、"
_SPLIT = re.compile(r"[、，,;；/\s]+")
LISTED = SEPARATOR.join(HOUSEHOLD_TYPES)


def household_type_problem(value: str) -> str | None:
    """Why a household's 户类型 is refused, or None (blank is allowed: 未登记)."""
    text = value.strip()
    if text and text not in HOUSEHOLD_TYPES:
        return f"户类型须为{LISTED}之一，或不填"
    return None


def standard_types(value: str) -> str:
    """A standard's 户类型 as stored (the list's order, joined by 、), or ValueError saying
    which word is not a household type."""
    words = [word for word in _SPLIT.split(value.strip()) if word]
    unknown = [word for word in words if word not in HOUSEHOLD_TYPES]
    if unknown:
        raise ValueError(
            f"“{'、'.join(unknown)}”不是户类型；可填{LISTED}中的一个或几个（以、分隔）"
        )
    return SEPARATOR.join(kind for kind in HOUSEHOLD_TYPES if kind in words)
