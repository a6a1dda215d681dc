"""What each conformance diagram must do: the work items a case shows, step by step, and where
it ends; or, for a diagram the engine does not run, the element and the reason it is refused.

Steps (all times from 2025-06-02 00:00 UTC):
- ("open", "a b")          the open work items are exactly these (BPMN ids, any order)
- ("do", "a", {data})      the first open item "a" is completed with this data
- ("later", hours)         the clock moves on and the case's due timers fire
- ("timers", "t")          the waiting timers are exactly these
- ("lane", "a", "审核人")    the open item "a" is in this lane
- ("due", "a")             the open item "a" has a due time
- ("form", "a", "")        the open item "a" has this form key ("" is a confirmation)
- ("status", "completed")  the case's status"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Run:
    steps: list[tuple[Any, ...]]
    data: dict[str, Any] = field(default_factory=dict)


def done(*names: str) -> list[tuple[Any, ...]]:
    """Complete each named item in turn, with no data."""
    return [("do", name, {}) for name in names]


COMPLETED = ("status", "completed")
WAITING = ("status", "waiting")
RUNNING = ("status", "running")

RUNS: dict[str, Run] = {
    # start and end events
    "start_none": Run([("open", "u"), *done("u"), COMPLETED]),
    "end_terminate": Run([("open", "u1 u2"), *done("u1"), ("open", ""), COMPLETED]),
    "end_none_two": Run(
        [("open", "u1 u2"), *done("u1"), RUNNING, ("open", "u2"), *done("u2"), COMPLETED]
    ),
    # started by the scheduler when the timer is due: the case starts past its start event
    "start_timer_duration": Run([("open", "u"), *done("u"), COMPLETED]),
    "start_timer_date": Run([("open", "u"), *done("u"), COMPLETED]),
    "start_timer_python": Run([("open", "u"), *done("u"), COMPLETED]),
    # timers in every position, in Camunda's and in Python's form
    "timer_catch_duration": Run(
        [
            WAITING,
            ("timers", "wait"),
            ("later", 0.5),
            WAITING,
            ("later", 1),
            ("open", "u"),
            ("timers", ""),
            *done("u"),
            COMPLETED,
        ]
    ),
    "timer_catch_date": Run(
        [WAITING, ("later", 9), WAITING, ("later", 2), ("open", "u"), *done("u"), COMPLETED]
    ),
    "timer_catch_variable": Run(
        [WAITING, ("later", 3), WAITING, ("later", 2), ("open", "u")],
        {"deadline": "2025-06-02T12:00:00+08:00"},
    ),
    "timer_catch_template": Run(
        [WAITING, ("later", 1), WAITING, ("later", 2), ("open", "u")], {"hours": 2}
    ),
    "timer_catch_python": Run([WAITING, ("later", 11), ("open", "u")], {"due_on": "2025-06-02"}),
    "timer_catch_cycle": Run(
        [
            WAITING,
            ("later", 1.5),
            ("open", "u"),
            ("later", 1),
            ("open", "u u"),
            *done("u", "u"),
            COMPLETED,
        ]
    ),
    "timer_boundary_interrupting": Run(
        [
            ("open", "u"),
            ("due", "u"),
            ("later", 3),
            ("open", "escalate"),
            ("lane", "escalate", "审核人"),
            *done("escalate"),
            COMPLETED,
        ]
    ),
    "timer_boundary_noninterrupting": Run(
        [
            ("open", "u"),
            ("later", 1.5),
            RUNNING,
            ("open", "u"),
            ("later", 1),
            ("open", "u"),
            ("timers", ""),
            *done("u"),
            COMPLETED,
        ]
    ),
    "timer_boundary_deadline": Run(
        [("open", "u"), ("due", "u"), ("later", 5), ("open", ""), COMPLETED],
        {"deadline": "2025-06-02T12:00:00+08:00"},
    ),
    "timer_event_gateway": Run(
        [WAITING, ("timers", "g"), ("later", 2), ("open", "u"), *done("u"), COMPLETED]
    ),
    "timer_subprocess_boundary": Run(
        [
            ("open", "inner"),
            ("timers", "late"),
            ("later", 25),
            ("open", "after"),
            *done("after"),
            COMPLETED,
        ]
    ),
    "timer_multiple_catch": Run(
        [WAITING, ("timers", "either"), ("later", 2), ("open", "u"), *done("u"), COMPLETED]
    ),
    # tasks
    "task_manual": Run([("open", "m"), ("form", "m", ""), *done("m"), COMPLETED]),
    "task_none": Run([("open", "u"), *done("u"), COMPLETED]),
    "task_none_only": Run([COMPLETED]),
    "task_script": Run([("open", "big_one"), *done("big_one"), COMPLETED], {"price": 60}),
    "task_script_python_format": Run([("open", "u"), *done("u"), COMPLETED]),
    "task_user_lanes": Run(
        [
            ("open", "u1"),
            ("lane", "u1", "经办人"),
            *done("u1"),
            ("open", "u2"),
            ("lane", "u2", "审核人"),
            *done("u2"),
            COMPLETED,
        ]
    ),
    "task_manual_in_subprocess": Run([("open", "m"), ("form", "m", ""), *done("m"), COMPLETED]),
    # gateways
    "xor_python": Run([("open", "yes"), *done("yes"), COMPLETED], {"approved": True}),
    "xor_default": Run([("open", "no"), *done("no"), COMPLETED], {"score": 50}),
    "xor_juel": Run([("open", "no"), *done("no"), COMPLETED], {"approved": False}),
    "xor_juel_compare": Run(
        [("open", "big"), *done("big"), COMPLETED], {"amount": 150, "kind": "loan"}
    ),
    "xor_loop_back": Run(
        [
            ("open", "draft"),
            ("do", "draft", {"measures": "整改"}),
            ("open", "check"),
            ("do", "check", {"review_decision": "return"}),
            ("open", "draft"),
            ("do", "draft", {"measures": "再整改"}),
            ("do", "check", {"review_decision": "approve"}),
            COMPLETED,
        ]
    ),
    "and_split_join": Run(
        [
            ("open", "a b"),
            *done("a"),
            ("open", "b"),
            *done("b"),
            ("open", "c"),
            *done("c"),
            COMPLETED,
        ]
    ),
    "or_split_join": Run(
        [("open", "a b"), *done("a", "b"), ("open", "last"), *done("last"), COMPLETED],
        {"want_a": True, "want_b": True, "want_c": False},
    ),
    "or_default": Run([("open", "other"), *done("other"), COMPLETED], {"want_a": False}),
    # sub-processes and calls
    "sub_embedded": Run(
        [
            ("open", "inner"),
            ("lane", "inner", "经办人"),
            *done("inner"),
            ("open", "after"),
            *done("after"),
            COMPLETED,
        ]
    ),
    "sub_own_lane": Run(
        [("open", "inner"), ("lane", "inner", "审核人"), *done("inner"), COMPLETED]
    ),
    "sub_nested": Run([("open", "deep"), *done("deep"), COMPLETED]),
    "sub_error_boundary": Run(
        [("open", "inner"), *done("inner"), ("open", "repair"), *done("repair"), COMPLETED],
        {"broken": True},
    ),
    "sub_escalation_boundary": Run(
        [
            ("open", "inner notice"),
            ("lane", "notice", "审核人"),
            *done("notice", "inner"),
            COMPLETED,
        ]
    ),
    "sub_transaction": Run([("open", "inner"), *done("inner"), COMPLETED]),
    "sub_transaction_cancel": Run(
        [
            ("open", "inner"),
            *done("inner"),
            ("open", "after_cancel"),
            *done("after_cancel"),
            COMPLETED,
        ],
        {"cancel": True},
    ),
    "call_activity": Run(
        [
            ("open", "called_task"),
            ("lane", "called_task", "经办人"),
            *done("called_task"),
            COMPLETED,
        ]
    ),
    # multi-instance and loops
    "mi_parallel_cardinality": Run(
        [("open", "u u u"), *done("u", "u"), ("open", "u"), *done("u"), COMPLETED]
    ),
    "mi_sequential_cardinality": Run(
        [("open", "u"), *done("u"), ("open", "u"), *done("u"), ("open", ""), COMPLETED], {"n": 2}
    ),
    "mi_parallel_collection": Run(
        [("open", "u u"), *done("u", "u"), ("open", "after"), *done("after"), COMPLETED],
        {"reviewers": ["甲", "乙"]},
    ),
    "mi_sequential_collection": Run(
        [("open", "u"), *done("u"), ("open", "u"), *done("u"), COMPLETED],
        {"reviewers": ["甲", "乙"]},
    ),
    "mi_standard_input": Run(
        [("open", "u u u"), *done("u", "u", "u"), COMPLETED], {"towns": ["东城", "西城", "南城"]}
    ),
    "mi_completion_condition": Run(
        [("open", "u u u"), *done("u", "u"), ("open", "after"), *done("after"), COMPLETED]
    ),
    "mi_subprocess": Run([("open", "inner inner"), *done("inner", "inner"), COMPLETED]),
    "mi_sequential_subprocess": Run(
        [("open", "inner"), *done("inner"), ("open", "inner"), *done("inner", "inner"), COMPLETED],
        {"towns": ["东城", "西城", "南城"]},
    ),
    "mi_script": Run([("open", "big"), *done("big"), COMPLETED], {"prices": [1, 5, 9]}),
    "mi_twice": Run(
        [
            ("open", "u u"),
            *done("u", "u"),
            ("open", "u u"),
            ("do", "u", {"again": False}),
            ("do", "u", {"again": False}),
            COMPLETED,
        ],
        {"towns": ["东城", "西城"], "again": True},
    ),
    "standard_loop": Run([("open", "u"), *done("u"), ("open", "u"), *done("u"), COMPLETED]),
    # other events
    "signal_in_case": Run([("open", "u1"), *done("u1"), ("open", "u2"), *done("u2"), COMPLETED]),
    "signal_boundary": Run(
        [("open", "u1 u2"), *done("u1"), ("open", "u3"), *done("u3"), COMPLETED]
    ),
    "conditional_catch": Run(
        [("open", "u"), ("do", "u", {"ready": True}), ("open", "u2"), *done("u2"), COMPLETED]
    ),
    "event_subprocess_signal": Run(
        [
            ("open", "u1"),
            *done("u1"),
            ("open", "u2 handle"),
            ("lane", "handle", "审核人"),
            *done("u2"),
            RUNNING,
            ("open", "handle"),
            *done("handle"),
            COMPLETED,
        ]
    ),
    "link_events": Run([("open", "u"), *done("u"), COMPLETED]),
    "link_in_subprocess": Run([("open", "inner"), *done("inner"), COMPLETED]),
    "throw_none": Run([("open", "u"), *done("u"), COMPLETED]),
    "data_object": Run([("open", "u"), *done("u"), COMPLETED]),
    # in the style of the MIWG reference set
    "miwg_a1_0": Run([COMPLETED]),
    "miwg_a1_1": Run([COMPLETED]),
    "miwg_a2_0": Run(
        [
            ("open", "task1"),
            *done("task1"),
            ("open", "task2"),
            ("lane", "task2", "审核人"),
            *done("task2"),
            COMPLETED,
        ],
        {"ok": True},
    ),
    "miwg_a3_0": Run(
        [
            ("open", "task1"),
            ("due", "task1"),
            ("timers", "b_timer b_remind"),
            ("later", 3),
            ("open", "task1"),
            ("timers", "b_timer"),
            ("later", 6),
            ("open", "task2"),
            *done("task2"),
            COMPLETED,
        ]
    ),
    "miwg_a4_0": Run(
        [("open", "task1"), *done("task1"), ("open", "task2"), *done("task2"), COMPLETED]
    ),
    "miwg_b1_0": Run(
        [
            ("open", "receive"),
            *done("receive"),
            ("open", "assess"),
            ("lane", "assess", "审核人"),
            *done("assess"),
            ("open", "archive"),
            ("form", "archive", ""),
            *done("archive"),
            COMPLETED,
        ]
    ),
    "miwg_b2_0": Run(
        [
            ("open", "draft"),
            ("timers", "wait_gw overdue"),
            ("later", 25),
            ("timers", "overdue"),
            ("do", "draft", {"measures": "整改"}),
            ("open", "check"),
            ("lane", "check", "审核人"),
            *done("check"),
            COMPLETED,
        ]
    ),
    "miwg_c1_0": Run(
        [
            ("open", "called_manual"),
            *done("called_manual"),
            ("open", "per_town per_town"),
            *done("per_town", "per_town"),
            COMPLETED,
        ]
    ),
}

# Refused at deploy: the element named and a part of the reason.
REFUSALS: dict[str, tuple[str, str]] = {
    "refuse_service_task": ("call_api", "服务任务不受支持"),
    "refuse_send_task": ("send", "未指定有名称的消息"),
    "refuse_decision_missing": ("decide", "业务规则任务引用的决策“d”未部署"),
    "refuse_groovy_script": ("calc", "脚本语言 groovy 不受支持"),
    "refuse_javascript_condition": ("f1", "表达式语言 javascript 不受支持"),
    "refuse_juel_method": ("f1", "方法调用 execution.getVariable() 不受支持"),
    "refuse_collection_expression": ("u", "须是一个数据字段名"),
    "refuse_link_unmatched": ("go_to", "找不到同名的捕获事件"),
    "refuse_flow_without_id": ("c_refuse_flow_without_id", "sequenceFlow（s → u） 没有 id"),
    "refuse_two_timers_gateway": ("g", "只能有一个定时器"),
    "refuse_complex_gateway": ("cg", "复杂网关不受支持"),
    "refuse_adhoc": ("adhoc", "自由子流程"),
    "refuse_manual_outside_lane": ("m", "人工任务须放在某个泳道中"),
    "refuse_cron_timer": ("wait", "cron 表达式"),
    "refuse_execution_listener": ("t", "执行监听器"),
    "refuse_call_missing": ("call", "未部署，也不在本次部署的文件中"),
    "refuse_script_resource": ("calc", "外部脚本文件"),
    "refuse_user_task_no_form": ("u", "camunda:formKey"),
    "refuse_compensation": ("undo_hook", "边界事件不支持补偿事件"),
    "refuse_error_start_event": ("es", "开始事件不支持错误事件"),
    "refuse_timer_event_subprocess": ("ts", "定时开始的事件子流程不受支持"),
    "refuse_interrupting_event_subprocess": ("es", "中断型事件子流程不受支持"),
}
