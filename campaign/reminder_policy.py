"""The reminder policy: per process and step, when around its deadline a task's people are
reminded and to whom it is escalated, and which notices also go out by e-mail and SMS.

The policy is data an administrator edits: `workflows/reminders.json` as shipped, or the
file named by YKT_REMINDERS_FILE. It is read and checked whole; a policy with a mistake is
refused with every mistake named, and the job keeps nothing of it (docs/reminders.md)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from core import clock
from core.errors import InvalidInput

SHIPPED = Path(__file__).resolve().parent.parent / "workflows" / "reminders.json"
FILE_ENV = "YKT_REMINDERS_FILE"
ANY = "*"
RECIPIENTS = {"assignees": "办理人", "unit_head": "单位负责人", "office": "领导小组办公室"}
# The kinds of notice (campaign.notice_texts.FAMILIES) a channel may carry.
CHANNEL_KINDS = ("assigned", "returned", "reassigned", "remind", "overdue", "urge")
CHANNELS = ("email", "sms")
MAX_DAYS = 365
_OFFSET = re.compile(r"^(?:0|([+-])(\d{1,4})([dh]))$")


@dataclass(frozen=True, order=True)
class Offset:
    """A moment relative to a deadline: whole Beijing calendar days (from midnight of the
    day that many days from the deadline's day) or hours from the deadline itself."""

    sort_hours: int
    amount: int  # days or hours, negative before the deadline
    unit: str  # "d" or "h"

    @property
    def key(self) -> str:
        if self.amount == 0:
            return "0"
        return f"{self.amount:+d}{self.unit}"

    @property
    def after_deadline(self) -> bool:
        return self.amount > 0

    def bound(self, now: datetime) -> datetime:
        """A task whose deadline is before this moment is due for this reminder now."""
        if self.unit == "h":
            return now - timedelta(hours=self.amount) + timedelta(microseconds=1)
        today = now.astimezone(clock.LOCAL_TZ).date()
        return _midnight(today - timedelta(days=self.amount) + timedelta(days=1))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), clock.LOCAL_TZ)


def parse_offset(text: Any) -> Offset:
    match = _OFFSET.match(str(text).strip())
    if match is None:
        raise ValueError(f"“{text}”不是有效的提醒时间，应为 -3d、0、+1d 或 -12h 的形式")
    if match.group(1) is None:
        return Offset(0, 0, "d")
    amount = int(match.group(2)) * (-1 if match.group(1) == "-" else 1)
    unit = match.group(3)
    hours = amount * 24 if unit == "d" else amount
    if abs(hours) > MAX_DAYS * 24:
        raise ValueError(f"提醒时间“{text}”超过 {MAX_DAYS} 天")
    return Offset(hours, amount, unit)


@dataclass(frozen=True)
class Reminder:
    offset: Offset
    to: tuple[str, ...]
    until: Offset | None  # a reminder before the deadline is not sent after the next one's time


@dataclass(frozen=True)
class StepPolicy:
    process: str  # a process key, or * for every process
    step: str  # a step (BPMN element) id, or * for the process's other steps
    reminders: tuple[Reminder, ...]

    @property
    def specificity(self) -> int:
        return (self.process != ANY) * 2 + (self.step != ANY)


@dataclass(frozen=True)
class Policy:
    steps: tuple[StepPolicy, ...]
    channels: dict[str, frozenset[str]]

    def for_step(self, process: str, step: str) -> StepPolicy | None:
        """The most specific entry for a step: (process, step), then (process, *), (*, *)."""
        matching = [s for s in self.steps if s.process in (process, ANY) and s.step in (step, ANY)]
        return max(matching, key=lambda s: s.specificity, default=None)

    def sends(self, channel: str, family: str) -> bool:
        return family in self.channels.get(channel, frozenset())


def parse(document: Any) -> Policy:
    """Check a policy document whole; InvalidInput names every mistake in Chinese."""
    problems: dict[str, str] = {}
    if not isinstance(document, dict):
        raise InvalidInput("提醒策略须为一个 JSON 对象", {"policy": "格式不正确"})
    entries = document.get("steps")
    if not isinstance(entries, list) or not entries:
        problems["steps"] = "须列出至少一个流程环节的提醒"
        entries = []
    steps, seen = [], set()
    for index, entry in enumerate(entries, start=1):
        where = f"steps[{index}]"
        try:
            step = _step(entry)
        except ValueError as error:
            problems[where] = str(error)
            continue
        if (step.process, step.step) in seen:
            problems[where] = f"流程 {step.process} 环节 {step.step} 重复出现"
        seen.add((step.process, step.step))
        steps.append(step)
    channels = _channels(document.get("channels", {}), problems)
    if problems:
        words = "；".join(f"{where}：{why}" for where, why in problems.items())
        raise InvalidInput(f"提醒策略有误：{words}", problems)
    return Policy(tuple(steps), channels)


def _step(entry: Any) -> StepPolicy:
    if not isinstance(entry, dict):
        raise ValueError("每一项须为对象，含 process、step 和 reminders")
    process, step = str(entry.get("process", "")).strip(), str(entry.get("step", "")).strip()
    if not process or not step:
        raise ValueError("须写明 process（流程标识或 *）和 step（环节标识或 *）")
    if process == ANY and step != ANY:
        raise ValueError("指定环节时须同时指定流程")
    rules = entry.get("reminders")
    if not isinstance(rules, list):
        raise ValueError("reminders 须为列表（可为空，表示不提醒）")
    parsed: list[tuple[Offset, tuple[str, ...]]] = []
    for rule in rules:
        if not isinstance(rule, dict):
            raise ValueError("每条提醒须为对象，含 offset 和 to")
        offset = parse_offset(rule.get("offset", ""))
        to = rule.get("to")
        if not isinstance(to, list) or not to:
            raise ValueError(f"提醒 {offset.key} 须用 to 列出接收人")
        unknown = [str(r) for r in to if r not in RECIPIENTS]
        if unknown:
            raise ValueError(
                f"提醒 {offset.key} 的接收人“{'、'.join(unknown)}”无效，可用："
                + "、".join(f"{k}（{v}）" for k, v in RECIPIENTS.items())
            )
        parsed.append((offset, tuple(dict.fromkeys(to))))
    offsets = sorted(o for o, _ in parsed)
    if len({o.sort_hours for o in offsets}) != len(offsets):
        raise ValueError("同一环节的提醒时间重复")
    parsed.sort()
    reminders = tuple(
        Reminder(
            offset,
            to,
            parsed[i + 1][0] if i + 1 < len(parsed) and not offset.after_deadline else None,
        )
        for i, (offset, to) in enumerate(parsed)
    )
    return StepPolicy(process, step, reminders)


def _channels(value: Any, problems: dict[str, str]) -> dict[str, frozenset[str]]:
    if not isinstance(value, dict):
        problems["channels"] = '须为对象，如 {"email": ["remind"]}'
        return {}
    found = {}
    for channel, kinds in value.items():
        if channel not in CHANNELS:
            problems[f"channels.{channel}"] = f"渠道无效，可用：{'、'.join(CHANNELS)}"
        elif not isinstance(kinds, list) or any(k not in CHANNEL_KINDS for k in kinds):
            problems[f"channels.{channel}"] = f"通知类型无效，可用：{'、'.join(CHANNEL_KINDS)}"
        else:
            found[channel] = frozenset(kinds)
    return found


def load(path: Path | None = None, environ: dict[str, str] | None = None) -> Policy:
    """The policy in force: the given file, YKT_REMINDERS_FILE, or the shipped one."""
    env = os.environ if environ is None else environ
    path = path or Path(env.get(FILE_ENV) or SHIPPED)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidInput(f"无法读取提醒策略文件 {path.name}：{error.strerror}") from error
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"提醒策略文件 {path.name} 不是有效的 JSON（第 {error.lineno} 行）"
        ) from error
    return parse(document)
