"""Process definitions: validate a diagram, store it as an immutable version, cache its spec."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import bundles, decisions, diagram, spiff, validation
from engine.bundles import Bundle
from engine.errors import DeploymentRefused, DiagramFinding, UnknownDefinition
from engine.host import EngineHost
from engine.models import DecisionDefinition, ProcessDefinition
from engine.xmlsafe import UnsafeXml, decode, parse_bpmn

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN}


class Checked:
    """A diagram that passed validation: its executable process and parsed specs."""

    def __init__(
        self, tree: etree._ElementTree, process_id: str, name: str, bundle: Bundle
    ) -> None:
        self.tree = tree
        self.process_id = process_id
        self.name = name
        self.bundle = bundle
        called, tables = bundle.trees()
        self.spec, self.subprocess_specs = spiff.parse_specs(
            tree, process_id, called=called, decisions=tables
        )


def check(
    xml: bytes | str,
    host: EngineHost,
    *,
    session: Session | None = None,
    called_in_bundle: frozenset[str] = frozenset(),
) -> tuple[list[DiagramFinding], Checked | None]:
    """Every finding of a diagram, each tied to its element; the parsed result when none.
    Call activities and business rule tasks resolve against what is deployed in `session`
    (none without one); `called_in_bundle` are the keys other files deployed with this one
    call, whose tasks may take the lane of the calling activity."""
    try:
        tree = parse_bpmn(xml)
    except UnsafeXml as exc:
        return [DiagramFinding("", str(exc))], None
    root = tree.getroot()
    if root.tag != f"{{{BPMN}}}definitions":
        return [DiagramFinding("", "不是 BPMN 2.0 文件（根元素应为 bpmn:definitions）")], None
    try:
        spiff.VALIDATOR.validate(root)
    except ValidationException as exc:
        return [
            DiagramFinding(exc.id or "", f"不符合 BPMN 2.0 规范（第 {exc.line_number} 行）：{exc}")
        ], None
    process_id, findings = _main_process(root)
    findings += validation.structure(root, host, borrowed=called_in_bundle)
    found, bundle = bundles.resolve(session, root, process_id or "")
    findings += found
    rewritten = diagram.normalise(root)
    named = {f.element_id for f in rewritten}  # already refused: not again as a syntax error
    findings += rewritten
    findings += [f for f in validation.code(root) if f.element_id not in named]
    if findings or process_id is None:
        return findings, None
    process = root.find(f"bpmn:process[@id='{process_id}']", NS)
    name = (process.get("name") if process is not None else None) or process_id
    try:
        return [], Checked(tree, process_id, name[:200], bundle)
    except ValidationException as exc:
        return [DiagramFinding(exc.id or "", f"流程无法解析：{exc}")], None
    except SpiffWorkflowException as exc:
        return [DiagramFinding("", f"流程无法解析：{exc}")], None
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
        # SpiffWorkflow's parser meets shapes it was not written for with plain exceptions
        return [DiagramFinding("", f"流程无法解析：{type(exc).__name__}: {exc}")], None


def _main_process(root: etree._Element) -> tuple[str | None, list[DiagramFinding]]:
    called = {  # a process calling itself is refused as such (engine.bundles), not here
        el.get("calledElement")
        for process in root.iterfind("bpmn:process", NS)
        for el in process.iterfind(".//bpmn:callActivity", NS)
        if el.get("calledElement") != process.get("id")
    }
    executable = [
        p
        for p in root.iterfind("bpmn:process", NS)
        if p.get("isExecutable") == "true" and p.get("id") not in called
    ]
    if len(executable) != 1:
        return None, [
            DiagramFinding(
                "", f"须有且仅有一个可执行的主流程（isExecutable=true），现有 {len(executable)} 个"
            )
        ]
    return executable[0].get("id"), []


def deploy(
    session: Session,
    xml: bytes | str,
    host: EngineHost,
    *,
    deployed_by: str,
    called_in_bundle: frozenset[str] = frozenset(),
) -> tuple[ProcessDefinition, bool]:
    """Store a new version; returns (definition, created). Re-deploying an unchanged diagram
    that calls the same versions returns the latest version as it is. Refuses, storing
    nothing, when any finding exists."""
    try:
        text = decode(xml)
    except UnsafeXml as exc:
        raise DeploymentRefused([DiagramFinding("", str(exc))]) from None
    findings, checked = check(text, host, session=session, called_in_bundle=called_in_bundle)
    if findings or checked is None:
        raise DeploymentRefused(findings)
    bundle = checked.bundle.dump()
    digest = text_digest(text + "\n" + bundle if bundle else text)
    latest = latest_version(session, checked.process_id)
    if latest is not None and latest.sha256 == digest:
        return latest, False
    version = (latest.version if latest else 0) + 1
    definition = ProcessDefinition(
        key=checked.process_id,
        version=version,
        name=checked.name,
        bpmn_xml=text,
        bundle=bundle,
        sha256=digest,
        deployed_by=deployed_by,
    )
    session.add(definition)
    session.flush()
    _cache_put(definition, checked.spec, checked.subprocess_specs)
    return definition, True


def text_digest(text: str) -> str:
    """What identifies a diagram's content: the SHA-256 of its text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def process_key(text: str) -> str:
    """The key a diagram deploys under (its executable process's id), or '' when it has none
    (deploying it would say why)."""
    try:
        process_id, _ = _main_process(parse_bpmn(text).getroot())
    except (UnsafeXml, ValueError):
        return ""
    return process_id or ""


def all_versions(session: Session, key: str) -> list[ProcessDefinition]:
    return list(
        session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version)
        )
    )


def latest_version(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()


def require_latest(session: Session, key: str) -> ProcessDefinition:
    definition = latest_version(session, key)
    if definition is None:
        raise UnknownDefinition(f"流程定义不存在：{key}")
    return definition


def versions(session: Session) -> list[tuple[str, int]]:
    rows = session.execute(
        select(ProcessDefinition.key, func.max(ProcessDefinition.version))
        .group_by(ProcessDefinition.key)
        .order_by(ProcessDefinition.key)
    )
    return [(key, version) for key, version in rows]


# Keyed by (id, sha256): an id can come back after a rolled-back deploy, a digest cannot lie.
_SPECS: dict[tuple[int, str], tuple[spiff.BpmnProcessSpec, dict[str, spiff.BpmnProcessSpec]]] = {}
_SPECS_LOCK = threading.Lock()


def _cache_put(
    definition: ProcessDefinition,
    spec: spiff.BpmnProcessSpec,
    subprocess_specs: dict[str, spiff.BpmnProcessSpec],
) -> None:
    with _SPECS_LOCK:
        _SPECS[(definition.id, definition.sha256)] = (spec, subprocess_specs)


def specs_for(
    definition: ProcessDefinition,
) -> tuple[spiff.BpmnProcessSpec, dict[str, spiff.BpmnProcessSpec]]:
    """The parsed spec of a stored version; versions never change, so parse once per process."""
    cached = _SPECS.get((definition.id, definition.sha256))
    if cached is None:
        tree = parse_bpmn(definition.bpmn_xml)
        diagram.normalise(tree.getroot())
        called, tables = Bundle.load(definition.bundle).trees()
        cached = spiff.parse_specs(tree, definition.key, called=called, decisions=tables)
        _cache_put(definition, *cached)
    return cached


def has_step(definition: ProcessDefinition, bpmn_id: str) -> bool:
    """Whether a stored version has the element: a case on an older version may lack a
    step its forms now offer."""
    spec, subprocesses = specs_for(definition)
    return bpmn_id in spec.task_specs or any(
        bpmn_id in sub.task_specs for sub in subprocesses.values()
    )


class Deployed:
    """One file of a deployment, as stored: a process or a decision version."""

    def __init__(self, kind: str, row: ProcessDefinition | DecisionDefinition, created: bool):
        self.kind = kind  # "process" or "decision"
        self.key = row.key
        self.version = row.version
        self.name = row.name
        self.created = created
        self.row = row


def deploy_files(
    session: Session,
    files: Sequence[tuple[str, bytes | str]],
    host: EngineHost,
    *,
    deployed_by: str,
) -> list[Deployed]:
    """Deploy BPMN and DMN files together, in the order given back: decisions first, then
    each diagram after the diagrams it calls, so that call activities and business rule tasks
    may name what the same deployment brings. Any finding in any file refuses them all,
    storing nothing; each finding names its file when there are several."""
    named = len(files) > 1
    findings: list[DiagramFinding] = []
    diagrams: list[tuple[str, str, str, set[str]]] = []  # name, text, key, called keys
    tables: list[tuple[str, decisions.CheckedDecision]] = []
    for name, xml in files:
        try:
            text = decode(xml)
            root = parse_bpmn(text).getroot()
        except UnsafeXml as exc:
            findings += _in_file(name, [DiagramFinding("", str(exc))], named)
            continue
        if etree.QName(root).namespace in decisions.DMN_SCHEMAS:
            found, table = decisions.check(text)
            findings += _in_file(name, found, named)
            if table is not None:
                if any(table.key == other.key for _, other in tables):
                    findings += _in_file(name, [DiagramFinding(table.key, "决策 id 重复")], named)
                tables.append((name, table))
        else:
            key = process_key(text)
            if key and any(key == other for _, _, other, _ in diagrams):
                findings += _in_file(
                    name, [DiagramFinding(key, "同一流程不能在一次部署中出现两次")], named
                )
            diagrams.append((name, text, key, bundles.called_keys(root)))
    if findings:
        raise DeploymentRefused(findings)
    keys = {key for _, _, key, _ in diagrams if key}
    borrowed = frozenset(k for _, _, _, called in diagrams for k in called if k in keys)
    deployed: list[Deployed] = []
    with session.begin_nested():
        for _, table in tables:
            stored, created = decisions.store(session, table, deployed_by=deployed_by)
            deployed.append(Deployed("decision", stored, created))
        placed: set[str] = set()
        waiting = list(diagrams)
        while waiting:
            ready = [d for d in waiting if not (d[3] & keys) - placed - {d[2]}]
            if not ready:  # each waits for another: they call one another in a ring
                raise DeploymentRefused(
                    [
                        DiagramFinding("", f"{name}：调用活动与同批部署的其他流程循环调用")
                        for name, *_ in waiting
                    ]
                )
            for name, text, _, _ in ready:
                try:
                    row, created = deploy(
                        session, text, host, deployed_by=deployed_by, called_in_bundle=borrowed
                    )
                except DeploymentRefused as refused:
                    findings += _in_file(name, refused.findings, named)
                    continue
                deployed.append(Deployed("process", row, created))
            placed |= {key for _, _, key, _ in ready}
            waiting = [d for d in waiting if d not in ready]
        if findings:
            raise DeploymentRefused(findings)
    return deployed


def _in_file(name: str, findings: list[DiagramFinding], named: bool) -> list[DiagramFinding]:
    if not named:
        return findings
    return [DiagramFinding(f.element_id, f"〔{name}〕{f.message}") for f in findings]
