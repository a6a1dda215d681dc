"""Rows by id, taking first what the session already holds: a completion names the case,
record and unit it has just worked on, and reading them back cost a statement each."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key


def by_ids(session: Session, model: type[Any], ids: Iterable[int]) -> dict[int, Any]:
    """The rows of `model` with these ids (absent ones left out): those the session holds
    loaded without a statement, the others in one."""
    found: dict[int, Any] = {}
    missing: list[int] = []
    columns = {attribute.key for attribute in inspect(model).column_attrs}
    for row_id in set(ids):
        held = session.identity_map.get(identity_key(model, row_id))
        # Expired columns (after a commit, a rollback, an expire) would each cost a refresh.
        if held is not None and not inspect(held).expired_attributes & columns:
            found[row_id] = held
        else:
            missing.append(row_id)
    if missing:
        for row in session.scalars(select(model).where(model.id.in_(missing))):
            found[row.id] = row
    return found
