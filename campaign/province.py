"""A fictional province for trying the product at size: 103 county-level units (the reference
district and 102 invented ones), 1,257 townships, about 25,000 villages, an officer and a
reviewer for every township. Its ledger is made by campaign.province_templates and
campaign.province_ledger.

Every name made here is invented. A `scale` below 1 makes a proportionally smaller province
(at least one county, one township and one village)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, demo, passwords
from campaign.models import RoleAssignment, Unit, User
from campaign.models.accounts import Role
from campaign.reference_data import DISTRICT
from core import bulk, clock

PROVINCE_CODE = "SHENG"
PROVINCE_NAME = "示例省（虚构）"
# The reference district and its six demo townships (25 villages) are one county of these.
NEW_COUNTIES = 102
NEW_TOWNSHIPS = 1251
NEW_VILLAGES = 24975

Say = Callable[[str], None]

_FIRST = "青白红黄金银松柏桃李杏梅兰竹菊石玉泉河湖山川平安永福兴隆丰和"
_SECOND = "阳溪岭坪湾塘桥岗冈坝铺店口沟林源庄寨营关台洲"


def _name(n: int, suffix: str) -> str:
    first, rest = divmod(n, len(_SECOND))
    return _FIRST[first % len(_FIRST)] + _SECOND[rest] + suffix


def _spread(total: int, over: int) -> list[int]:
    """`total` spread over `over` parts as evenly as can be (each at least 1)."""
    base, extra = divmod(max(total, over), over)
    return [base + (1 if n < extra else 0) for n in range(over)]


@dataclass
class Province:
    """What was made: ids by code, and each new township's villages and people."""

    county_ids: dict[str, int] = field(default_factory=dict)
    township_ids: dict[str, int] = field(default_factory=dict)
    villages: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # (code, id)
    officers: dict[str, tuple[int, str]] = field(default_factory=dict)  # township → (id, name)
    reviewers: dict[str, tuple[int, str]] = field(default_factory=dict)


def sizes(scale: float) -> tuple[int, int, int]:
    """New counties, townships and villages at this scale."""
    counties = max(1, round(NEW_COUNTIES * scale))
    townships = max(counties, round(NEW_TOWNSHIPS * scale))
    return counties, townships, max(townships, round(NEW_VILLAGES * scale))


def exists(session: Session) -> bool:
    return session.scalar(select(Unit.id).where(Unit.code == PROVINCE_CODE)) is not None


def build_units(session: Session, scale: float, say: Say) -> Province:
    """The province above the reference district, its new counties, townships, villages and
    township accounts (all with the demo password)."""
    district = session.scalars(select(Unit).where(Unit.code == DISTRICT[0])).one()
    province_id = bulk.insert_returning_ids(
        session,
        Unit,
        [{"code": PROVINCE_CODE, "name": PROVINCE_NAME, "kind": "district", "sort_order": -1}],
    )[0]
    district.parent_id = province_id
    counties, townships, villages = sizes(scale)
    made = Province()
    county_rows: list[dict[str, Any]] = [
        {
            "code": f"X{n:03d}",
            "name": _name(n, "县"),
            "kind": "district",
            "parent_id": province_id,
            "sort_order": n,
            "population": 300_000 + (n * 7919) % 600_000,
        }
        for n in range(1, counties + 1)
    ]
    for row, unit_id in zip(
        county_rows, bulk.insert_returning_ids(session, Unit, county_rows), strict=True
    ):
        made.county_ids[row["code"]] = unit_id
    township_rows: list[dict[str, Any]] = []
    for county, count in zip(county_rows, _spread(townships, counties), strict=True):
        for n in range(1, count + 1):
            township_rows.append(
                {
                    "code": f"{county['code']}T{n:02d}",
                    "name": _name(len(township_rows), "镇" if n % 3 else "乡"),
                    "kind": "township",
                    "parent_id": made.county_ids[county["code"]],
                    "sort_order": n,
                }
            )
    for row, unit_id in zip(
        township_rows, bulk.insert_returning_ids(session, Unit, township_rows), strict=True
    ):
        made.township_ids[row["code"]] = unit_id
    say(f"单位：新建县级单位 {counties} 个、乡镇 {townships} 个")
    village_rows: list[dict[str, Any]] = []
    for township, count in zip(township_rows, _spread(villages, townships), strict=True):
        for n in range(1, count + 1):
            village_rows.append(
                {
                    "code": f"{township['code']}V{n:02d}",
                    "name": _name(len(village_rows) * 7, "村" if n % 5 else "社区"),
                    "kind": "village",
                    "parent_id": made.township_ids[township["code"]],
                    "sort_order": n,
                }
            )
    village_ids = bulk.insert_returning_ids(session, Unit, village_rows)
    for row, unit_id in zip(village_rows, village_ids, strict=True):
        township_code = row["code"].rsplit("V", 1)[0]
        made.villages.setdefault(township_code, []).append((row["code"], unit_id))
    say(f"单位：新建村（社区） {len(village_rows)} 个")
    _accounts(session, made)
    say(f"账户：每个新乡镇经办人、负责人各 1 个，共 {2 * len(made.township_ids)} 个")
    return made


def _accounts(session: Session, made: Province) -> None:
    """Two accounts per township. One password hash serves them all: hashing the same demo
    password 2,500 times over would take minutes and give the same check."""
    password_hash = passwords.hash_password(demo.DEMO_PASSWORD)
    now = clock.now()
    people: list[tuple[str, str, Role]] = []
    for code in made.township_ids:
        people.append((code, f"{code.lower()}_jbr", Role.OFFICER))
        people.append((code, f"{code.lower()}_fzr", Role.REVIEWER))
    user_rows = [
        {
            "username": username,
            "full_name": f"{username}（示例）",
            "password_hash": password_hash,
            "must_change_password": False,
            "password_changed_at": now,
        }
        for _code, username, _role in people
    ]
    user_ids = bulk.insert_returning_ids(session, User, user_rows)
    bulk.insert_rows(
        session,
        RoleAssignment,
        [
            {"user_id": user_id, "unit_id": made.township_ids[code], "role": role.value}
            for user_id, (code, _name, role) in zip(user_ids, people, strict=True)
        ],
    )
    for user_id, (code, username, role) in zip(user_ids, people, strict=True):
        target = made.officers if role is Role.OFFICER else made.reviewers
        target[code] = (user_id, username)
    audit.record(session, "demo.province_accounts", target="units", accounts=len(user_ids))
