"""The list of accounts on 账户和角色: searched by 用户名, 姓名 or 单位, a page at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from campaign.models import RoleAssignment, Unit, User
from core import paging

ACCOUNTS_PER_PAGE = 50


def account_query(search: str) -> Select[Any]:
    """Accounts whose user name or name contains `search`, or who hold a role in a unit whose
    name or code contains it; every account when it is blank. By user name."""
    query = select(User).order_by(User.username)
    search = search.strip()
    if not search:
        return query
    in_unit = (
        select(RoleAssignment.user_id)
        .join(Unit, Unit.id == RoleAssignment.unit_id)
        .where(
            or_(
                Unit.name.contains(search, autoescape=True),
                Unit.code.contains(search.upper(), autoescape=True),
            )
        )
    )
    return query.where(
        or_(
            User.username.contains(search, autoescape=True),
            User.full_name.contains(search, autoescape=True),
            User.id.in_(in_unit),
        )
    )


def accounts_page(session: Session, search: str, number: int) -> paging.Page[User]:
    load = [selectinload(User.roles).selectinload(RoleAssignment.unit)]
    return paging.fetch(session, account_query(search), number, ACCOUNTS_PER_PAGE, load=load)


def accounts_named(session: Session, usernames: set[str]) -> dict[str, User]:
    """The accounts of these user names (those the pending requests name), by user name."""
    if not usernames:
        return {}
    found = session.scalars(select(User).where(User.username.in_(usernames)))
    return {user.username: user for user in found}
