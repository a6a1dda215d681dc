"""Demo data: fictional townships, villages and one account per role.

Everything here is invented for trying the product; none of it names a real place or person.
Demo accounts skip the first-login password change so that a demo starts at once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts
from campaign.models import Campaign, Household, Unit, User
from campaign.models.accounts import Role
from campaign.reference import add_missing_programmes, add_missing_units
from campaign.reference_data import DISCIPLINE_CODE, LEADING_OFFICE_CODE

DEMO_PASSWORD = "Demo@2022ykt"  # noqa: S105 (published demo password)

TOWNSHIPS: list[tuple[str, str, list[str]]] = [
    ("QSZ", "青山镇", ["青山村", "石门村", "桃园社区", "柳塘村", "新华村"]),
    ("BSZ", "白沙镇", ["白沙村", "河口村", "梨花村", "长岭村"]),
    ("LHX", "柳河乡", ["柳河村", "杨湾村", "东岗村", "南坪村"]),
    ("SQZ", "石桥镇", ["石桥社区", "何家村", "枫林村", "高坝村", "双井村"]),
    ("DHX", "东湖乡", ["东湖村", "渔业村", "荷塘村"]),
    ("HQZ", "红旗镇", ["红旗村", "胜利村", "团结村", "光明村"]),
]

DISTRICT_POPULATION = 186_000

CITY_AND_COUNTY_PROGRAMMES = [
    ("C01", "市级困难群众临时救助补助资金（示例）", "city"),
    ("C02", "市级农村公益性岗位补贴（示例）", "city"),
    ("X01", "区级高龄老人营养补贴（示例）", "county"),
    ("X02", "区级农村环境整治奖补资金（示例）", "county"),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    unit_code: str
    role: Role


DEMO_ACCOUNTS = [
    DemoAccount("qsz_jbr", "青山镇经办人（示例）", "QSZ", Role.OFFICER),
    DemoAccount("qsz_fzr", "青山镇负责人（示例）", "QSZ", Role.REVIEWER),
    DemoAccount("ldxz_ban", "领导小组办公室（示例）", LEADING_OFFICE_CODE, Role.SUPERVISOR),
    # The office's head: the 审核人 of the tables the office files (campaign.reports.filing).
    DemoAccount("ldxz_fzr", "领导小组办公室负责人（示例）", LEADING_OFFICE_CODE, Role.REVIEWER),
    DemoAccount("zb1_cy", "检查专班一组成员（示例）", "JCZB1", Role.INSPECTOR),
    DemoAccount("jjw_jc", "纪检监察干部（示例）", DISCIPLINE_CODE, Role.DISCIPLINE),
    DemoAccount("admin", "系统管理员（示例）", "LKQ", Role.ADMIN),
    DemoAccount("secadmin", "安全管理员（示例）", "LKQ", Role.SECURITY),
    DemoAccount("secadmin2", "安全管理员二（示例）", "LKQ", Role.SECURITY),
    DemoAccount("auditor", "审计管理员（示例）", "LKQ", Role.AUDITOR),
]


SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
GIVEN_NAMES = [
    "建国",
    "秀英",
    "志强",
    "桂兰",
    "德明",
    "春梅",
    "卫东",
    "玉兰",
    "国庆",
    "淑珍",
    "海涛",
    "红霞",
]
HOUSEHOLDS_PER_VILLAGE = 12


def demo_households(village_code: str, index: int) -> list[tuple[str, str, int]]:
    """Fictional households of a demo village: (code, head of household, members)."""
    return [
        (
            f"{village_code}-{n:03d}",
            SURNAMES[(index * 7 + n) % len(SURNAMES)] + GIVEN_NAMES[(index + n) % len(GIVEN_NAMES)],
            1 + (index + n) % 5,
        )
        for n in range(1, HOUSEHOLDS_PER_VILLAGE + 1)
    ]


def demo_unit_rows() -> list[tuple[str, str, str, str | None]]:
    rows: list[tuple[str, str, str, str | None]] = []
    for code, name, villages in TOWNSHIPS:
        rows.append((code, name, "township", "LKQ"))
        for number, village in enumerate(villages, start=1):
            rows.append((f"{code}{number:02d}", village, "village", code))
    return rows


def load_demo_data(session: Session, campaign: Campaign) -> list[DemoAccount]:
    """Adds the demo units, programmes and accounts; returns the accounts created now."""
    from campaign.reference_data import UNITS

    # Pass the reference rows too so demo units sort after them (existing rows are skipped).
    units = add_missing_units(session, UNITS + demo_unit_rows())
    if units["LKQ"].population is None:  # the district row comes with the reference data
        units["LKQ"].population = DISTRICT_POPULATION
    add_missing_programmes(session, campaign, CITY_AND_COUNTY_PROGRAMMES)
    _add_households(session, campaign)
    created = []
    for account in DEMO_ACCOUNTS:
        if session.scalar(select(User.id).where(User.username == account.username)):
            continue
        accounts.create_user(
            session,
            account.username,
            DEMO_PASSWORD,
            full_name=account.full_name,
            unit_code=account.unit_code,
            role=account.role.value,
            must_change_password=False,
        )
        created.append(account)
    return created


def _add_households(session: Session, campaign: Campaign) -> None:
    villages = session.scalars(select(Unit).where(Unit.kind == "village").order_by(Unit.code))
    for index, village in enumerate(villages):
        if session.scalar(
            select(Household.id).where(
                Household.campaign_id == campaign.id, Household.village_id == village.id
            )
        ):
            continue
        for code, head, members in demo_households(village.code, index):
            session.add(
                Household(
                    campaign_id=campaign.id,
                    village_id=village.id,
                    code=code,
                    head_name=head,
                    members=members,
                )
            )
    session.flush()
