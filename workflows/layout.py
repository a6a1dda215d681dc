"""Lays out a diagram for bpmn-js: writes the BPMNDiagram (shapes and edges) of a process.

The semantic part of a diagram (tasks, flows, lanes) is written by hand; this tool places it
on a grid so the modeler shows it tidily: one band per lane, one column per step along the
longest path from the start, back edges routed underneath. Run after editing by hand:

    python -m workflows.layout workflows/problem_lifecycle.bpmn
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
NS = {"bpmn": BPMN}

COLUMN = 170
LANE_LABEL = 30
ROW = 130
LEFT = 60
SIZES = {"task": (110, 80), "event": (36, 36), "gateway": (50, 50)}


def _kind(tag: str) -> str:
    local = etree.QName(tag).localname
    if local.endswith("Event"):
        return "event"
    if local.endswith("Gateway"):
        return "gateway"
    return "task"


def _columns(
    nodes: dict[str, etree._Element], flows: list[tuple[str, str, str]], starts: list[str]
) -> tuple[dict[str, int], set[str]]:
    outgoing: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for flow_id, source, target in flows:
        outgoing[source].append((flow_id, target))
    back: set[str] = set()
    state: dict[str, int] = {}  # 1 = on the DFS stack, 2 = done

    def visit(node: str) -> None:
        state[node] = 1
        for flow_id, target in outgoing[node]:
            if state.get(target) == 1:
                back.add(flow_id)
            elif target not in state:
                visit(target)
        state[node] = 2

    for start in starts:
        visit(start)
    column = {n: 0 for n in nodes}
    for _ in range(len(nodes)):  # longest path over forward edges
        for flow_id, source, target in flows:
            if flow_id not in back and column[target] < column[source] + 1:
                column[target] = column[source] + 1
    return column, back


def layout(path: Path) -> None:
    tree = etree.parse(str(path))
    root = tree.getroot()
    for old in root.findall(f"{{{BPMNDI}}}BPMNDiagram"):
        root.remove(old)
    participant = root.find(".//bpmn:participant", NS)
    process = root.find(f"bpmn:process[@id='{participant.get('processRef')}']", NS)
    lanes = process.findall(".//bpmn:lane", NS)
    lane_of = {
        ref.text.strip(): lane.get("id")
        for lane in lanes
        for ref in lane.findall("bpmn:flowNodeRef", NS)
    }
    nodes = {
        el.get("id"): el
        for el in process
        if el.get("id")
        and etree.QName(el).localname
        not in (
            "sequenceFlow",
            "laneSet",
            "boundaryEvent",
            "textAnnotation",
            "association",
            "dataObject",
            "dataObjectReference",
        )
    }
    boundaries = process.findall("bpmn:boundaryEvent", NS)
    flows = [
        (f.get("id"), f.get("sourceRef"), f.get("targetRef"))
        for f in process.findall("bpmn:sequenceFlow", NS)
    ]
    attached = {b.get("id"): b.get("attachedToRef") for b in boundaries}
    graph_flows = [(i, attached.get(s, s), t) for i, s, t in flows]
    starts = [el.get("id") for el in process.findall("bpmn:startEvent", NS)]
    column, back = _columns(
        {**nodes, **{b: nodes[a] for b, a in attached.items()}}, graph_flows, starts
    )
    for boundary, host in attached.items():  # a boundary's path starts beside its task
        column[boundary] = column[host]

    rows: dict[tuple[str, int], int] = defaultdict(int)
    slot: dict[str, int] = {}
    for node_id in sorted(nodes, key=lambda n: (column[n], n)):
        key = (lane_of.get(node_id, ""), column[node_id])
        slot[node_id] = rows[key]
        rows[key] += 1
    lane_rows = {
        lane.get("id"): max([rows[k] for k in rows if k[0] == lane.get("id")] or [1])
        for lane in lanes
    }
    lane_top: dict[str, int] = {}
    top = 40
    for lane in lanes:
        lane_top[lane.get("id")] = top
        top += lane_rows[lane.get("id")] * ROW
    width = LEFT + LANE_LABEL + (max(column.values()) + 1) * COLUMN + 40

    centers: dict[str, tuple[float, float]] = {}
    bounds: dict[str, tuple[float, float, float, float]] = {}
    for node_id, element in nodes.items():
        w, h = SIZES[_kind(element.tag)]
        cx = LEFT + LANE_LABEL + 20 + column[node_id] * COLUMN + SIZES["task"][0] / 2
        cy = lane_top.get(lane_of.get(node_id, ""), 40) + slot[node_id] * ROW + ROW / 2
        centers[node_id] = (cx, cy)
        bounds[node_id] = (cx - w / 2, cy - h / 2, w, h)
    for boundary, host in attached.items():
        hx, hy, hw, hh = bounds[host]
        bounds[boundary] = (hx + hw - 36, hy + hh - 18, 36, 36)
        centers[boundary] = (hx + hw - 18, hy + hh)

    diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", id=f"{process.get('id')}_di")
    plane = etree.SubElement(
        diagram,
        f"{{{BPMNDI}}}BPMNPlane",
        id=f"{process.get('id')}_plane",
        bpmnElement=root.find("bpmn:collaboration", NS).get("id"),
    )
    _shape(plane, participant.get("id"), (LEFT, 40, width - LEFT, top - 40), horizontal=True)
    for lane in lanes:
        _shape(
            plane,
            lane.get("id"),
            (
                LEFT + LANE_LABEL,
                lane_top[lane.get("id")],
                width - LEFT - LANE_LABEL,
                lane_rows[lane.get("id")] * ROW,
            ),
            horizontal=True,
        )
    for node_id in list(nodes) + list(attached):
        _shape(plane, node_id, bounds[node_id])
    for flow_id, source, target in flows:
        _edge(
            plane,
            flow_id,
            _route(flow_id in back, bounds[source], bounds[target], source in attached, top),
        )
    etree.indent(root, space="  ")
    path.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8") + b"\n")


def _route(
    is_back: bool,
    src: tuple[float, float, float, float],
    dst: tuple[float, float, float, float],
    from_boundary: bool,
    bottom: float,
) -> list[tuple[float, float]]:
    sx, sy, sw, sh = src
    tx, ty, tw, th = dst
    if from_boundary:
        start = (sx + sw / 2, sy + sh)
        return [start, (start[0], ty + th / 2), (tx, ty + th / 2)]
    if is_back:
        low = max(sy + sh, ty + th) + 22
        return [
            (sx + sw / 2, sy + sh),
            (sx + sw / 2, low),
            (tx + tw / 2, low),
            (tx + tw / 2, ty + th),
        ]
    start, end = (sx + sw, sy + sh / 2), (tx, ty + th / 2)
    if abs(start[1] - end[1]) < 1:
        return [start, end]
    middle = (start[0] + end[0]) / 2
    return [start, (middle, start[1]), (middle, end[1]), end]


def _shape(
    plane: etree._Element,
    element_id: str,
    box: tuple[float, float, float, float],
    horizontal: bool = False,
) -> None:
    shape = etree.SubElement(
        plane, f"{{{BPMNDI}}}BPMNShape", id=f"{element_id}_di", bpmnElement=element_id
    )
    if horizontal:
        shape.set("isHorizontal", "true")
    x, y, w, h = box
    etree.SubElement(shape, f"{{{DC}}}Bounds", x=_n(x), y=_n(y), width=_n(w), height=_n(h))


def _edge(plane: etree._Element, element_id: str, points: list[tuple[float, float]]) -> None:
    edge = etree.SubElement(
        plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{element_id}_di", bpmnElement=element_id
    )
    for x, y in points:
        etree.SubElement(edge, f"{{{DI}}}waypoint", x=_n(x), y=_n(y))


def _n(value: float) -> str:
    return str(round(value))


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        layout(Path(argument))
        print(f"laid out {argument}")
