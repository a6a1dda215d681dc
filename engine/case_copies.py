"""Copies of a stored case: the same workflow state, work items, events and timers, with fresh
task ids and some of the case's values replaced (a demo province of a million cases, made
from one real run per lifecycle stage instead of a million runs).

A copy is exact text: the stored state is the template case's serialized workflow with every
task id replaced by a new random one and every occurrence of the given tokens (pieces of the
serialized data, e.g. `"problem_id": 17`) replaced by the copy's own text. The engine loads a
copy as it loads the template and goes on from the same step. Like engine.batch_start, the
state becomes a %-format once, so each copy is one formatting done in C."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound
from engine.batch_start import new_task_ids
from engine.models import Case, CaseEvent, MessageWait, Timer, WorkItem

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@dataclass(frozen=True)
class _Layout:
    """A text with a %s at every task id and token; `fields` picks each one's value from
    the copy's values (its task ids, then its tokens' texts)."""

    text: str
    fields: tuple[int, ...]

    def fill(self, values: Sequence[str]) -> str:
        if not self.fields:
            return self.text
        if len(self.fields) == 1:
            return self.text % (values[self.fields[0]],)
        return self.text % itemgetter(*self.fields)(values)


def _layout(text: str, pattern: re.Pattern[str], index: Mapping[str, int]) -> _Layout:
    parts = pattern.split(text)
    layout: list[str] = [parts[0].replace("%", "%%")]
    fields: list[int] = []
    for found, after in zip(parts[1::2], parts[2::2], strict=True):
        if found in index:
            layout.append("%s")
            fields.append(index[found])
        else:  # an id that is no task of the case: kept as it is
            layout.append(found.replace("%", "%%"))
        layout.append(after.replace("%", "%%"))
    return _Layout("".join(layout), tuple(fields))


@dataclass(frozen=True)
class Copy:
    """What one copy changes: the case's id, its subject, its tokens' texts (in the
    template's order of tokens) and the unit and user ids to put in place of the template's
    (ids not named stay as they are)."""

    case_id: int
    subject_id: int
    tokens: Sequence[str]
    units: Mapping[int, int]
    users: Mapping[int, int]
    user_names: Mapping[str, str]


@dataclass(frozen=True)
class CopyRows:
    case: dict[str, Any]
    work_items: list[dict[str, Any]]
    events: list[dict[str, Any]]
    timers: list[dict[str, Any]]
    message_waits: list[dict[str, Any]]


_SKIPPED = frozenset({"id", "case_id", "task_guid"})


def _columns(row: Any, skipped: frozenset[str] = _SKIPPED) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skipped}


class CaseTemplate:
    """A stored case taken as the pattern of its copies."""

    def __init__(self, session: Session, case_id: int, tokens: Sequence[str]) -> None:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"流程案件不存在：{case_id}")
        state = case.state
        task_ids = tuple(dict.fromkeys(re.findall(_UUID, state)))
        self.task_count = len(task_ids)
        index = {task_id: n for n, task_id in enumerate(task_ids)}
        index |= {token: len(task_ids) + n for n, token in enumerate(tokens)}
        # A token ending in a digit must not match the start of a longer number.
        alternatives = [_UUID] + [
            re.escape(token) + ("(?![0-9])" if token[-1:].isdigit() else "") for token in tokens
        ]
        pattern = re.compile(f"({'|'.join(alternatives)})")
        self.tokens = tuple(tokens)
        self.state = _layout(state, pattern, index)
        self.case = _columns(case, frozenset({"id", "state", "lock_version"}))
        self.lock_version = case.lock_version
        self.guid_index = index

        def rows(model: Any) -> list[Any]:
            return list(
                session.scalars(select(model).where(model.case_id == case_id).order_by(model.id))
            )

        self.work_items = [(item.task_guid, _columns(item)) for item in rows(WorkItem)]
        self.events = [
            (_layout(event.data, pattern, index), _columns(event, frozenset({"id", "case_id"})))
            for event in rows(CaseEvent)
        ]
        self.timers = [(timer.task_guid, _columns(timer)) for timer in rows(Timer)]
        self.message_waits = [(wait.task_guid, _columns(wait)) for wait in rows(MessageWait)]

    def rows_for(self, copy: Copy) -> CopyRows:
        if len(copy.tokens) != len(self.tokens):
            raise InvalidInput("复制案件时每个替换项都须给出新的内容")
        fresh = new_task_ids(self.task_count)
        values = [*fresh, *copy.tokens]
        index = self.guid_index

        def guid(old: str) -> str:
            return values[index[old]] if old in index else old

        units, users = copy.units, copy.users
        case = dict(self.case)
        case |= {
            "id": copy.case_id,
            "state": self.state.fill(values),
            "lock_version": self.lock_version,
            "subject_id": copy.subject_id,
            "owning_unit_id": units.get(case["owning_unit_id"], case["owning_unit_id"]),
            "responsible_unit_id": units.get(
                case["responsible_unit_id"], case["responsible_unit_id"]
            ),
        }
        items = []
        for task_guid, columns in self.work_items:
            item = dict(columns)
            item["case_id"] = copy.case_id
            item["task_guid"] = guid(task_guid)
            item["unit_id"] = units.get(item["unit_id"], item["unit_id"])
            for key in ("claimed_by", "completed_by"):
                item[key] = users.get(item[key], item[key])
            items.append(item)
        events = []
        for data, columns in self.events:
            event = dict(columns)
            event["case_id"] = copy.case_id
            event["data"] = data.fill(values)
            event["actor_id"] = users.get(event["actor_id"], event["actor_id"])
            event["actor_name"] = copy.user_names.get(event["actor_name"], event["actor_name"])
            events.append(event)
        timers = [
            columns | {"case_id": copy.case_id, "task_guid": guid(task_guid)}
            for task_guid, columns in self.timers
        ]
        waits = [
            columns | {"case_id": copy.case_id, "task_guid": guid(task_guid)}
            for task_guid, columns in self.message_waits
        ]
        return CopyRows(case, items, events, timers, waits)
