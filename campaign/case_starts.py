"""Starting a case of any deployed process by hand (the 发起流程 page, `POST /api/v1/cases`,
`ykt case start`) and on schedule (timer start events), with their audit records.

Who may start a process: its plain start event lies in a lane, and the person holds, in the
unit the case is started for, the role that lane gives for a case of that unit (the same
answer the lane gives for a task there: `lanes.assign`, `CampaignHost.may_act`). A process
without a plain start event in a lane is not started by people. The shipped processes are
started by their own services (registering a problem, a report falling due, a clue, a key
check, a report from the public, a 数据比对 疑点, an order of 专项督办, an unannounced visit,
a 问责, a follow-up visit), since a case of them without its record would serve nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign import (
    accountability,
    audit,
    clues,
    evaluations,
    inspections,
    key_checks,
    lanes,
    notifications,
    obligations,
    supervision,
    tip_off_intake,
)
from campaign.actors import actor_for
from campaign.comparison import verification
from campaign.models import Unit, User
from campaign.org import unit_by_code
from campaign.problem_status import PROCESS_KEY as PROBLEM_PROCESS
from core import clock
from core.errors import AppError, InvalidInput, NotAllowed, NotFound
from engine import cases, definitions, starts
from engine.host import SYSTEM, CaseContext, EngineHost
from engine.models import Case, ProcessDefinition, TimerStart
from forms import registry
from forms.definition import Form

SERVICE_STARTED = frozenset(
    {
        PROBLEM_PROCESS,
        clues.PROCESS_KEY,
        key_checks.PROCESS_KEY,
        tip_off_intake.PROCESS_KEY,
        verification.PROCESS_KEY,
        supervision.PROCESS_KEY,
        inspections.PROCESS_KEY,
        accountability.PROCESS_KEY,
        evaluations.PROCESS_KEY,
        *obligations.PROCESS_FOR.values(),
    }
)
MAX_DATA_CHARACTERS = 65_536
MAX_DATA_FIELDS = 200


@dataclass(frozen=True)
class Startable:
    """A process a person may start, with the units they may start it for."""

    definition: ProcessDefinition
    start: starts.StartEvent
    units: list[Unit]

    @property
    def form(self) -> Form | None:
        return registry.get(self.start.form_key) if self.start.form_key else None


def person_start(definition: ProcessDefinition) -> starts.StartEvent | None:
    """The start event people start the process through: its one plain start event."""
    plain = [s for s in starts.start_events(definition) if s.kind == "none"]
    return plain[0] if len(plain) == 1 else None


def _may_start(
    session: Session, host: EngineHost, user: User, start: starts.StartEvent, unit: Unit
) -> bool:
    if start.lane not in lanes.LANES:
        return False
    assignment = lanes.assign(session, start.lane, CaseContext(owning_unit_id=unit.id), {})
    return host.may_act(session, actor_for(user), assignment)


def startable(session: Session, host: EngineHost, user: User) -> list[Startable]:
    """The processes the person may start, each with the units they may start it for."""
    own_units = sorted({r.unit_id: r.unit for r in user.roles}.values(), key=lambda u: u.code)
    found = []
    for key, _version in definitions.versions(session):
        if key in SERVICE_STARTED:
            continue
        definition = definitions.require_latest(session, key)
        start = person_start(definition)
        if start is None:
            continue
        units = [u for u in own_units if _may_start(session, host, user, start, u)]
        if units:
            found.append(Startable(definition, start, units))
    return found


def may_start_any(session: Session, host: EngineHost, user: User) -> bool:
    """Whether the person may start at least one process (the menu's 发起流程): the rule of
    `startable`, stopping at the first; one query when only service-started processes exist."""
    own_units = sorted({r.unit_id: r.unit for r in user.roles}.values(), key=lambda u: u.code)
    for key, _version in definitions.versions(session):
        if key in SERVICE_STARTED:
            continue
        start = person_start(definitions.require_latest(session, key))
        if start is not None and any(_may_start(session, host, user, start, u) for u in own_units):
            return True
    return False


def check_plain_data(data: Any) -> dict[str, Any]:
    """Data given without a form: a JSON object of plain values, named like variables, and
    never the names lanes read to route work (those come from forms that check them)."""
    if not isinstance(data, dict):
        raise InvalidInput(
            "数据须为 JSON 对象", {"data": '数据须为 JSON 对象，例如 {"编号": "A1"}'}
        )
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidInput("数据只能含字符串、数字、布尔值、null、列表和对象") from None
    if len(text) > MAX_DATA_CHARACTERS or len(data) > MAX_DATA_FIELDS:
        raise InvalidInput(f"数据过大（至多 {MAX_DATA_FIELDS} 项、{MAX_DATA_CHARACTERS} 个字符）")
    bad = [k for k in data if not k.isidentifier() or k.startswith("_") or k in lanes.DATA_KEYS]
    if bad:
        names, routed = "、".join(bad[:5]), "、".join(lanes.DATA_KEYS)
        raise InvalidInput(
            f"数据项名称无效或不允许：{names}（须为变量名，不以 _ 开头，不能是{routed}）",
            {"data": "数据项名称无效或不允许"},
        )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def start(
    session: Session,
    host: EngineHost,
    user: User,
    key: str,
    unit_code: str,
    data: Mapping[str, Any] | None,
    *,
    source: str = "",
) -> Case:
    """Start a case of the latest version of `key` for the unit; refusals are audited."""
    try:
        case = _start(session, host, user, key, unit_code, data)
    except AppError as refused:
        audit.record_refusal(
            session,
            "case.start",
            actor=user,
            target=f"process:{key[:64]}",
            source=source,
            unit=unit_code[:32],
            reason=str(refused),
        )
        raise
    audit.record(
        session,
        "case.start",
        actor=user,
        target=f"case:{case.id}",
        source=source,
        process=case.definition.label,
        unit=unit_code,
    )
    return case


def _start(
    session: Session,
    host: EngineHost,
    user: User,
    key: str,
    unit_code: str,
    data: Mapping[str, Any] | None,
) -> Case:
    definition = definitions.require_latest(session, key)
    if key in SERVICE_STARTED:
        raise NotAllowed(
            f"流程“{definition.name}”由系统在登记问题、移送线索或报送期开始时发起，不能手动发起"
        )
    begin = person_start(definition)
    if begin is None:
        raise NotAllowed(
            f"流程“{definition.name}”没有可由人发起的开始事件（须有且仅有一个无类型的开始事件）"
        )
    if begin.lane not in lanes.LANES:
        raise NotAllowed(f"流程“{definition.name}”的开始事件不在泳道中，无法确定谁可以发起")
    try:
        unit = unit_by_code(session, unit_code.strip().upper())
    except NotFound as unknown:
        raise InvalidInput(str(unknown), {"unit": str(unknown)}) from None
    if not _may_start(session, host, user, begin, unit):
        raise NotAllowed(
            f"您不能为“{unit.name}”发起“{definition.name}”：须在该单位担任“{begin.lane}”泳道的角色"
        )
    context = CaseContext(owning_unit_id=unit.id)
    if begin.form_key:
        clean = host.clean_submission(session, begin.form_key, dict(data or {}), context)
    else:
        clean = check_plain_data(
            dict(data or {}) if data is None or isinstance(data, dict) else data
        )
    case = cases.start_case(session, host, key, data=clean, context=context, actor=actor_for(user))
    notifications.for_new_work(session, case.id)
    return case


def start_due_timers(session: Session, host: EngineHost) -> list[int]:
    """Start one case per due time of every timer start event (the scheduler's job). The
    row of the due time is inserted first: a second scheduler reaching the same due time
    fails on its unique key and starts nothing."""
    started = []
    now = clock.now()
    for definition, event in starts.timer_starts(session):
        if definition.key in SERVICE_STARTED:
            continue
        due = starts.latest_due(event, definition.deployed_at, now)
        if due is None:
            continue
        row = TimerStart(process_key=definition.key, definition_id=definition.id, due_at=due)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue  # this due time has its case already
        case = cases.start_case(
            session,
            host,
            definition.key,
            data={},
            context=CaseContext(),
            actor=SYSTEM,
            trigger=starts.timer_trigger,
            how=f"由定时开始事件启动（{due.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M}）",
        )
        row.case_id = case.id
        notifications.for_new_work(session, case.id)
        audit.record(
            session,
            "case.start",
            target=f"case:{case.id}",
            source="scheduler",
            process=definition.label,
            due_at=due,
        )
        started.append(case.id)
    return started
