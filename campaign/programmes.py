"""补贴项目 administered in the product: central, provincial, city and county programmes of a
campaign and their sub-programmes (子项目), added, renamed and deactivated by the system
administrator from the page, `ykt programme` or an Excel sheet (campaign.reference_import).

A programme's code is its identity in the ledger, the Excel sheets and 数据比对, so it never
changes. A programme that any record names is deactivated, never deleted: it leaves the lists
new entries choose from and stays on the entries, tables and rolls that name it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from campaign import audit
from campaign.models import Campaign, Problem, Programme, User
from core import paging
from core.errors import Conflict, InvalidInput, NotFound

LEVELS = {"central": "中央", "province": "省级", "city": "市级", "county": "县级"}
# Attachment 2 prints 中央和省级 first, then 市级, then 县级.
LEVEL_RANK = {"central": 0, "province": 0, "city": 1, "county": 2}
CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
CODE_RULE = "项目代码须为 1–32 位大写字母、数字或连字符"
MAX_NAME = 200


def level_of(text: str) -> str:
    """A level from its code (central) or its Chinese name (中央, 省级, 市级, 县级)."""
    value = text.strip()
    if value in LEVELS:
        return value
    for code, label in LEVELS.items():
        if value in (label, label.removesuffix("级")):
            return code
    raise InvalidInput(f"级次须为{'、'.join(LEVELS.values())}之一", fields={"level": "请选择级次"})


def clean_code(text: str) -> str:
    code = text.strip().upper()
    if not CODE.fullmatch(code):
        raise InvalidInput(CODE_RULE, fields={"code": CODE_RULE})
    return code


def clean_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise InvalidInput("请填写项目名称", fields={"name": "不能为空"})
    if len(name) > MAX_NAME:
        raise InvalidInput(f"项目名称超过 {MAX_NAME} 个字", fields={"name": "过长"})
    return name


@dataclass(frozen=True)
class ProgrammeFilters:
    search: str = ""
    level: str = ""
    include_inactive: bool = True


def listing(
    session: Session, campaign: Campaign, filters: ProgrammeFilters, page: int, per_page: int = 50
) -> paging.Page[Programme]:
    query = select(Programme).where(Programme.campaign_id == campaign.id)
    if filters.search:
        text = filters.search.strip()
        query = query.where(
            or_(
                Programme.code.icontains(text, autoescape=True),
                Programme.name.icontains(text, autoescape=True),
            )
        )
    if filters.level in LEVELS:
        query = query.where(Programme.level == filters.level)
    if not filters.include_inactive:
        query = query.where(Programme.active.is_(True))
    return paging.fetch(session, query.order_by(Programme.sort_order, Programme.id), page, per_page)


def programme_by_code(session: Session, campaign: Campaign, code: str) -> Programme:
    found = session.scalar(
        select(Programme).where(
            Programme.campaign_id == campaign.id, Programme.code == code.strip().upper()
        )
    )
    if found is None:
        raise NotFound(f"补贴项目代码不存在：{code}")
    return found


def parent_for(session: Session, campaign: Campaign, code: str, level: str) -> Programme | None:
    """The programme a sub-programme belongs to: a top-level programme of the same level."""
    if not code.strip():
        return None
    parent = session.scalar(
        select(Programme).where(
            Programme.campaign_id == campaign.id, Programme.code == code.strip().upper()
        )
    )
    if parent is None:
        raise InvalidInput(f"上级项目不存在：{code}", fields={"parent": "上级项目不存在"})
    if parent.parent_id is not None:
        raise InvalidInput("子项目之下不能再设子项目", fields={"parent": "只能选一级项目"})
    if LEVEL_RANK[parent.level] != LEVEL_RANK[level]:
        raise InvalidInput(
            f"子项目的级次须与上级项目（{LEVELS[parent.level]}）相同",
            fields={"level": "与上级项目不同"},
        )
    return parent


def add_programme(
    session: Session,
    campaign: Campaign,
    code: str,
    name: str,
    level: str,
    parent_code: str = "",
    *,
    actor: User | None = None,
    actor_name: str = "",
) -> Programme:
    code, name, level = clean_code(code), clean_name(name), level_of(level)
    if session.scalar(
        select(Programme.id).where(Programme.campaign_id == campaign.id, Programme.code == code)
    ):
        raise Conflict(f"项目代码已存在：{code}")
    parent = parent_for(session, campaign, parent_code, level)
    programme = Programme(
        campaign_id=campaign.id,
        code=code,
        name=name,
        level=level,
        sort_order=10**6,
        parent_id=parent.id if parent else None,
    )
    session.add(programme)
    session.flush()
    renumber(session, campaign)
    audit.record(
        session,
        "programme.create",
        actor=actor,
        actor_name=actor_name or None,
        target=f"programme:{code}",
        name=name,
        level=level,
        parent=parent.code if parent else "",
    )
    return programme


def edit_programme(
    session: Session,
    campaign: Campaign,
    code: str,
    *,
    name: str,
    level: str,
    parent_code: str = "",
    actor: User | None = None,
    actor_name: str = "",
) -> Programme:
    programme = programme_by_code(session, campaign, code)
    name, level = clean_name(name), level_of(level)
    parent = parent_for(session, campaign, parent_code, level)
    if parent is not None and parent.id == programme.id:
        raise InvalidInput("项目不能是自己的上级", fields={"parent": "不能选自己"})
    children = _children(session, programme)
    if parent is not None and children:
        raise InvalidInput("此项目有子项目，不能再设为子项目", fields={"parent": "有子项目"})
    if LEVEL_RANK[level] != LEVEL_RANK[programme.level] and children:
        raise InvalidInput("此项目有子项目，须先改子项目的级次", fields={"level": "有子项目"})
    programme.name, programme.level = name, level
    programme.parent_id = parent.id if parent else None
    session.flush()
    renumber(session, campaign)
    audit.record(
        session,
        "programme.update",
        actor=actor,
        actor_name=actor_name or None,
        target=f"programme:{programme.code}",
        name=name,
        level=level,
        parent=parent.code if parent else "",
    )
    return programme


def set_active(
    session: Session,
    campaign: Campaign,
    code: str,
    active: bool,
    *,
    actor: User | None = None,
    actor_name: str = "",
) -> Programme:
    """Deactivate (or bring back) a programme. A programme with active sub-programmes is not
    deactivated (they would be left under a programme nobody can choose), nor is a
    sub-programme brought back under an inactive one."""
    programme = programme_by_code(session, campaign, code)
    if not active and any(c.active for c in _children(session, programme)):
        raise Conflict(f"“{programme.name}”还有启用的子项目，请先停用子项目")
    if active and programme.parent_id is not None:
        parent = session.get(Programme, programme.parent_id)
        if parent is not None and not parent.active:
            raise Conflict(f"上级项目“{parent.name}”已停用，请先启用上级项目")
    programme.active = active
    session.flush()
    audit.record(
        session,
        "programme.activate" if active else "programme.deactivate",
        actor=actor,
        actor_name=actor_name or None,
        target=f"programme:{programme.code}",
        entries=references(session, programme),
    )
    return programme


def references(session: Session, programme: Programme) -> int:
    """How many ledger entries name the programme."""
    return (
        session.scalar(select(func.count(Problem.id)).where(Problem.programme_id == programme.id))
        or 0
    )


def _children(session: Session, programme: Programme) -> list[Programme]:
    return list(session.scalars(select(Programme).where(Programme.parent_id == programme.id)))


def renumber(session: Session, campaign: Campaign) -> None:
    """Sort orders so that Attachment 2 and every list print 中央和省级, 市级, 县级 in turn,
    each sub-programme right after its programme, the rest in the order they were added."""
    rows = list(
        session.scalars(
            select(Programme)
            .where(Programme.campaign_id == campaign.id)
            .order_by(Programme.sort_order, Programme.id)
        )
    )
    position = {p.id: index for index, p in enumerate(rows)}
    by_id = {p.id: p for p in rows}

    def key(p: Programme) -> tuple[int, int, int, int]:
        head = by_id.get(p.parent_id) if p.parent_id is not None else None
        top = head or p
        return (
            LEVEL_RANK.get(top.level, 2),
            position[top.id],
            0 if head is None else 1,
            position[p.id],
        )

    for order, programme in enumerate(sorted(rows, key=key), start=1):
        base = 1000 * LEVEL_RANK.get(programme.level, 2)
        programme.sort_order = base + order
    session.flush()
