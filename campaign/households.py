"""Village household lists (农户名单) administered in the product: head of household,
身份证号, 卡号 (the household's “一卡通”), phone and 户类型, added, corrected and taken off
the list by the system administrator from the page, `ykt household` or an Excel sheet
(campaign.reference_import). The spot-check sample is drawn from the active households.

Each campaign has its own list (household.campaign_id): the campaign in progress's is the one
changed; when the next campaign starts it takes a copy of the active households
(copy_to_next), and the ended campaign's list stays as its samples and checks saw it.

身份证号 and 卡号 are kept as 数据比对 keeps them (campaign.comparison.protection): encrypted,
with a keyed hash to find a number given twice, and the last four digits to show. Every list
and page shows them masked; the full numbers are shown only to the administrator who asks
for one household's, and each time is recorded in the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import insert, literal, or_, select
from sqlalchemy.orm import Session

from campaign import audit
from campaign.comparison import keyring
from campaign.comparison.household_types import household_type_problem
from campaign.comparison.protection import (
    KeyFile,
    Protector,
    card_problem,
    id_problem,
    normalise_card,
    normalise_id,
)
from campaign.current import active_campaign, shown_id
from campaign.models import Household, Unit, User
from campaign.models.org import UnitKind
from core import paging
from core.errors import Conflict, InvalidInput, NotFound
from core.numbers import whole

CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
PHONE = re.compile(r"\+?[0-9][0-9-]{5,18}")
MAX_NAME = 64
MAX_MEMBERS = 99


@dataclass(frozen=True)
class HouseholdInput:
    """What is typed for one household; blank 身份证号 or 卡号 on an edit keeps the stored one."""

    code: str
    head_name: str
    id_number: str = ""
    card: str = ""
    phone: str = ""
    members: str = "1"
    household_type: str = ""  # 户类型, blank: 未登记


@dataclass(frozen=True)
class Clean:
    code: str
    head_name: str
    id_number: str
    card: str
    phone: str
    members: int
    household_type: str


def check(typed: HouseholdInput, *, numbers_required: bool = True) -> Clean:
    """The typed values, or InvalidInput naming every field at fault."""
    problems: dict[str, str] = {}
    code = typed.code.strip().upper()
    if not CODE.fullmatch(code):
        problems["code"] = "户编号须为 1–32 位字母、数字或连字符"
    head = " ".join(typed.head_name.split())
    if not head:
        problems["head_name"] = "请填写户主姓名"
    elif len(head) > MAX_NAME:
        problems["head_name"] = f"户主姓名超过 {MAX_NAME} 个字"
    id_number = normalise_id(typed.id_number)
    if id_number or numbers_required:
        reason = id_problem(id_number) if id_number else "请填写身份证号"
        if reason:
            problems["id_number"] = f"身份证号{reason}" if id_number else reason
    card = normalise_card(typed.card)
    if card or numbers_required:
        reason = card_problem(card) if card else "请填写“一卡通”卡号"
        if reason:
            problems["card"] = f"卡号{reason}" if card else reason
    phone = typed.phone.strip().replace(" ", "")
    if phone and not PHONE.fullmatch(phone):
        problems["phone"] = "联系电话须为 6–20 位数字（可含连字符）"
    members_text = typed.members.strip() or "1"
    members = whole(members_text) or 0
    if not 1 <= members <= MAX_MEMBERS:
        problems["members"] = f"家庭人口须为 1 至 {MAX_MEMBERS} 之间的整数"
    household_type = typed.household_type.strip()
    reason = household_type_problem(household_type)
    if reason:
        problems["household_type"] = reason
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    return Clean(code, head, id_number, card, phone, members, household_type)


def masked_id(household: Household) -> str:
    return f"{'*' * 14}{household.id_last4}" if household.id_last4 else "未登记"


def masked_card(household: Household) -> str:
    return f"****{household.card_last4}" if household.card_last4 else "未登记"


def type_shown(household: Household) -> str:
    return household.household_type or "未登记"


def masked_phone(household: Household) -> str:
    phone = household.phone or ""
    if len(phone) < 7:
        return phone
    return f"{phone[:3]}****{phone[-4:]}"


def village_by_code(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code.strip().upper()))
    if unit is None or unit.kind != UnitKind.VILLAGE.value:
        raise NotFound(f"村（社区）代码不存在：{code}")
    return unit


def listing(
    session: Session,
    village: Unit,
    search: str = "",
    page: int = 1,
    per_page: int = 50,
    *,
    campaign_id: int | None = None,
) -> paging.Page[Household]:
    """A village's list in a campaign (None: the one in progress), searched by 户编号, head
    of household or the last digits of the 身份证号; households taken off the list last."""
    query = select(Household).where(
        Household.campaign_id == shown_id(session, campaign_id),
        Household.village_id == village.id,
    )
    text = search.strip()
    if text:
        query = query.where(
            or_(
                Household.code.icontains(text, autoescape=True),
                Household.head_name.icontains(text, autoescape=True),
                Household.id_last4 == text[-4:].upper(),
            )
        )
    query = query.order_by(Household.active.desc(), Household.code)
    return paging.fetch(session, query, page, per_page)


def household_of(
    session: Session, village: Unit, code: str, campaign_id: int | None = None
) -> Household:
    """A household of a campaign's list (None: the one in progress, the only list changed)."""
    found = session.scalar(
        select(Household).where(
            Household.campaign_id == shown_id(session, campaign_id),
            Household.village_id == village.id,
            Household.code == code.strip().upper(),
        )
    )
    if found is None:
        raise NotFound(f"{village.name}没有户编号为 {code} 的农户")
    return found


def listed_elsewhere(
    session: Session, protector: Protector, id_number: str, but: int | None = None
) -> Household | None:
    """The active household of the campaign in progress whose head has this 身份证号 (a
    person heads one household)."""
    query = select(Household).where(
        Household.campaign_id == active_campaign(session).id,
        Household.id_hash == protector.digest(id_number),
        Household.active.is_(True),
    )
    if but is not None:
        query = query.where(Household.id != but)
    return session.scalars(query).first()


def duplicate_reason(session: Session, household: Household) -> str:
    village = session.get(Unit, household.village_id)
    place = village.name if village else ""
    return f"身份证号已登记在{place}户 {household.code}（{household.head_name}）"


def add_household(
    session: Session,
    key_file: KeyFile,
    village_code: str,
    typed: HouseholdInput,
    *,
    actor: User | None = None,
    actor_name: str = "",
) -> Household:
    village = village_by_code(session, village_code)
    if not village.active:
        raise InvalidInput(f"{village.name}已停用，不能再添加农户")
    clean = check(typed)
    protector = keyring.protector(session, key_file)
    campaign_id = active_campaign(session).id
    if session.scalar(
        select(Household.id).where(
            Household.campaign_id == campaign_id,
            Household.village_id == village.id,
            Household.code == clean.code,
        )
    ):
        raise Conflict(f"{village.name}已有户编号 {clean.code}")
    other = listed_elsewhere(session, protector, clean.id_number)
    if other is not None:
        raise Conflict(duplicate_reason(session, other))
    household = Household(
        campaign_id=campaign_id, village_id=village.id, code=clean.code, active=True
    )
    _store(household, clean, protector)
    session.add(household)
    session.flush()
    _record(session, "household.create", household, village, actor, actor_name)
    return household


def edit_household(
    session: Session,
    key_file: KeyFile,
    village_code: str,
    code: str,
    typed: HouseholdInput,
    *,
    actor: User | None = None,
    actor_name: str = "",
) -> Household:
    village = village_by_code(session, village_code)
    household = household_of(session, village, code)
    clean = check(
        HouseholdInput(
            household.code,
            typed.head_name,
            typed.id_number,
            typed.card,
            typed.phone,
            typed.members,
            typed.household_type,
        ),
        numbers_required=household.id_cipher is None,
    )
    protector = keyring.protector(session, key_file)
    if clean.id_number:
        other = listed_elsewhere(session, protector, clean.id_number, but=household.id)
        if other is not None:
            raise Conflict(duplicate_reason(session, other))
    _store(household, clean, protector)
    session.flush()
    _record(session, "household.update", household, village, actor, actor_name)
    return household


def _store(household: Household, clean: Clean, protector: Protector) -> None:
    household.head_name, household.members = clean.head_name, clean.members
    household.phone = clean.phone or None
    household.household_type = clean.household_type
    if clean.id_number:
        household.id_cipher = protector.encrypt(clean.id_number)
        household.id_hash = protector.digest(clean.id_number)
        household.id_last4 = clean.id_number[-4:]
    if clean.card:
        household.card_cipher = protector.encrypt(clean.card)
        household.card_hash = protector.digest(clean.card)
        household.card_last4 = clean.card[-4:]


def set_active(
    session: Session,
    key_file: KeyFile,
    village_code: str,
    code: str,
    active: bool,
    *,
    actor: User | None = None,
    actor_name: str = "",
) -> Household:
    """Take a household off the list (it stays for the samples and results naming it), or
    put it back unless its head now heads another active household."""
    village = village_by_code(session, village_code)
    household = household_of(session, village, code)
    if active and not household.active and household.id_cipher is not None:
        protector = keyring.protector(session, key_file)
        number = protector.decrypt(household.id_cipher)
        other = listed_elsewhere(session, protector, number, but=household.id)
        if other is not None:
            raise Conflict(duplicate_reason(session, other))
    household.active = active
    session.flush()
    action = "household.activate" if active else "household.deactivate"
    _record(session, action, household, village, actor, actor_name)
    return household


@dataclass(frozen=True)
class Revealed:
    id_number: str
    card: str


def reveal(
    session: Session,
    key_file: KeyFile,
    village_code: str,
    code: str,
    *,
    actor: User,
    campaign_id: int | None = None,
) -> Revealed:
    """One household's full numbers, for the administrator who asks: recorded each time."""
    village = village_by_code(session, village_code)
    household = household_of(session, village, code, campaign_id)
    protector = keyring.protector(session, key_file)
    shown = Revealed(
        protector.decrypt(household.id_cipher) if household.id_cipher else "",
        protector.decrypt(household.card_cipher) if household.card_cipher else "",
    )
    _record(session, "household.reveal", household, village, actor, "")
    return shown


def copy_to_next(session: Session, previous_id: int, next_id: int) -> int:
    """The next campaign's list: a copy of the previous one's active households, numbers and
    all (one statement, however long the lists). Returns how many were copied."""
    columns = [
        "village_id", "code", "head_name", "members", "id_cipher", "id_hash", "id_last4",
        "card_cipher", "card_hash", "card_last4", "phone", "household_type", "active",
    ]  # fmt: skip
    copied = session.execute(
        insert(Household).from_select(
            ["campaign_id", *columns],
            select(literal(next_id), *(getattr(Household, column) for column in columns)).where(
                Household.campaign_id == previous_id, Household.active.is_(True)
            ),
        )
    )
    return int(getattr(copied, "rowcount", 0) or 0)


def _record(
    session: Session,
    action: str,
    household: Household,
    village: Unit,
    actor: User | None,
    actor_name: str,
) -> None:
    audit.record(
        session,
        action,
        actor=actor,
        actor_name=actor_name or None,
        target=f"household:{village.code}/{household.code}",
    )
