"""What a process version calls outside its own file, fixed when the version is deployed.

A call activity may name a process in its own file or any deployed process key; a business
rule task names a deployed decision (camunda:decisionRef). At deploy, each name is resolved
to the version that is latest then (the files deployed together are stored first, so "latest"
includes them), and that version's text is copied into the caller's version
(ProcessDefinition.bundle), with whatever the called version itself calls. The version policy
is therefore: pinned at deploy. A case runs the called process and decisions its own version
was deployed with, from start to end, and a stored case stays loadable whatever is deployed
later; deploying the caller again takes up the newer versions (its content then counts as
changed, so a new version is made)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import decisions
from engine.diagram import BPMN, CAMUNDA, NS, finding
from engine.errors import DiagramFinding
from engine.models import ProcessDefinition

# Camunda's ways of binding a business rule task that are not a DMN decision of ours
REFUSED_RULE_ATTRIBUTES = {
    "class": "业务规则任务须引用 DMN 决策（camunda:decisionRef），不支持 Java 类",
    "expression": "业务规则任务须引用 DMN 决策（camunda:decisionRef），不支持表达式实现",
    "delegateExpression": "业务规则任务须引用 DMN 决策（camunda:decisionRef），不支持委托表达式",
    "resultVariable": "camunda:resultVariable 不受支持：决策表的输出按输出列名写入案件数据",
    "mapDecisionResult": "camunda:mapDecisionResult 不受支持：决策表的输出按输出列名写入案件数据",
    "decisionRefTenantId": "camunda:decisionRefTenantId 不受支持",
}


@dataclass
class Bundle:
    """The called processes' and decisions' texts, by key, with the version each came from."""

    processes: dict[str, dict[str, Any]] = field(default_factory=dict)
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.processes or self.decisions)

    def dump(self) -> str:
        if not self:
            return ""
        return json.dumps(
            {"processes": self.processes, "decisions": self.decisions},
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def load(cls, text: str) -> Bundle:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(data.get("processes", {}), data.get("decisions", {}))

    def merge(self, other: Bundle) -> None:
        self.processes.update(other.processes)
        self.decisions.update(other.decisions)

    def trees(self) -> tuple[list[etree._ElementTree], list[etree._Element]]:
        """The called diagrams (normalised) and the decision tables, parsed."""
        from engine import diagram
        from engine.xmlsafe import parse_bpmn

        called = []
        for entry in self.processes.values():
            tree = parse_bpmn(entry["bpmn"])
            diagram.normalise(tree.getroot())
            called.append(tree)
        tables = [parse_bpmn(entry["dmn"]).getroot() for entry in self.decisions.values()]
        return called, tables


def summary(text: str) -> list[str]:
    """What a version calls, for people: "流程 part_review 第1版", "决策 grade 第2版"."""
    bundle = Bundle.load(text)
    return [
        *(f"流程 {key} 第{entry['version']}版" for key, entry in sorted(bundle.processes.items())),
        *(f"决策 {key} 第{entry['version']}版" for key, entry in sorted(bundle.decisions.items())),
    ]


def resolve(
    session: Session | None, root: etree._Element, own_key: str
) -> tuple[list[DiagramFinding], Bundle]:
    """The bundle a diagram calls for, or the findings of what it names that does not exist."""
    findings: list[DiagramFinding] = []
    bundle = Bundle()
    in_file = {p.get("id") for p in root.iterfind("bpmn:process", NS)}
    for call in root.iterfind(".//bpmn:callActivity", NS):
        key = call.get("calledElement") or ""
        binding = call.get(f"{{{CAMUNDA}}}calledElementBinding") or "latest"
        if binding not in ("latest", "deployment"):
            findings.append(
                finding(
                    call,
                    f"调用绑定方式 {binding} 不受支持：部署时取被调用流程的最新版本并固定下来",
                )
            )
        if not key:
            findings.append(finding(call, "调用活动须指定被调用流程（calledElement）"))
        elif key == own_key:
            findings.append(finding(call, "调用活动不能调用本流程自身"))
        elif key in in_file:
            continue
        else:
            called = _latest_process(session, key)
            if called is None:
                findings.append(
                    finding(call, f"调用活动调用的流程“{key}”未部署，也不在本次部署的文件中")
                )
                continue
            inner = Bundle.load(called.bundle)
            if own_key in inner.processes or own_key == called.key:
                findings.append(finding(call, f"调用活动与流程“{key}”循环调用"))
                continue
            bundle.merge(inner)
            bundle.processes[key] = {"version": called.version, "bpmn": called.bpmn_xml}
    for task in root.iterfind(".//bpmn:businessRuleTask", NS):
        findings += [
            finding(task, message)
            for name, message in REFUSED_RULE_ATTRIBUTES.items()
            if task.get(f"{{{CAMUNDA}}}{name}") is not None
        ]
        binding = task.get(f"{{{CAMUNDA}}}decisionRefBinding") or "latest"
        if binding not in ("latest", "deployment"):
            findings.append(
                finding(
                    task,
                    f"决策绑定方式 {binding} 不受支持：部署时取该决策的最新版本并固定下来",
                )
            )
        ref = task.get(f"{{{CAMUNDA}}}decisionRef") or ""
        if not ref:
            findings.append(finding(task, "业务规则任务须指定决策（camunda:decisionRef）"))
            continue
        decision = decisions.latest_version(session, ref) if session is not None else None
        if decision is None:
            findings.append(
                finding(task, f"业务规则任务引用的决策“{ref}”未部署，也不在本次部署的文件中")
            )
            continue
        bundle.decisions[ref] = {"version": decision.version, "dmn": decision.dmn_xml}
    return findings, bundle


def called_keys(root: etree._Element) -> set[str]:
    """The process keys a diagram's call activities name outside its own file."""
    in_file = {p.get("id") for p in root.iterfind("bpmn:process", NS)}
    return {
        key
        for call in root.iter(f"{{{BPMN}}}callActivity")
        if (key := call.get("calledElement") or "") and key not in in_file
    }


def _latest_process(session: Session | None, key: str) -> ProcessDefinition | None:
    if session is None:
        return None
    return session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()
