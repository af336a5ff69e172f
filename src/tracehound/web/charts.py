"""Geometry for the case page's pictures: the timeline chart and the MCP / execution graph.

Pure functions from the case document to coordinates and labels; the templates draw them as
inline SVG (text through Jinja's autoescape, colours as presentation attributes, so the
Content-Security-Policy needs no inline style). Nothing here is evidence-dependent markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..model import ACTION_CLASSES, SEVERITIES
from ..report.escaping import shorten
from ..report.facts import parse_time

CLASS_COLOURS = {
    "list": "#4e79a7", "read": "#59a14f", "write": "#f28e2b", "delete": "#e15759",
    "execute": "#b07aa1", "egress": "#d62728", "permission-change": "#9c755f",
    "persistence": "#8c1c13", "authentication": "#76b7b2", "consent": "#edc948",
    "other": "#8a8a8a",
}
SEVERITY_COLOURS = {"info": "#8a8a8a", "low": "#4e79a7", "medium": "#edc948",
                    "high": "#f28e2b", "critical": "#d62728"}
WIDTH, LEFT, RIGHT, TOP, LANE, AXIS = 960, 150, 24, 16, 30, 34
NODE_W, NODE_H, COL_GAP, ROW_GAP = 190, 34, 56, 12
MAX_GRAPH_NODES = 150
MAX_COLUMN_NODES = 10
MAX_MARKS = 2000


def describe_span(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.1f} minutes"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


@dataclass
class Mark:
    x: float
    y: float
    colour: str
    title: str
    shape: str = "circle"           # circle (a trace step) | diamond (a finding)


@dataclass
class TimelineChart:
    width: int
    height: int
    lanes: list[tuple[str, float]] = field(default_factory=list)     # (label, y)
    ticks: list[tuple[float, str]] = field(default_factory=list)     # (x, label)
    marks: list[Mark] = field(default_factory=list)
    start: str = ""
    end: str = ""
    span: str = ""
    omitted: int = 0


def _step_points(doc: dict[str, Any]) -> list[tuple[datetime, str, str]]:
    points = []
    for trace in doc.get("traces") or []:
        for step in trace.get("steps") or []:
            when = parse_time(step.get("time"))
            if when is None:
                continue
            klass = step.get("action_class") if step.get("action_class") in ACTION_CLASSES \
                else "other"
            title = (f"step {step.get('index')} · {step.get('time')} · {step.get('tool')} · "
                     f"{klass} · {step.get('target') or ''}")
            points.append((when, klass, title))
    return points


def _finding_points(doc: dict[str, Any]) -> list[tuple[datetime, str, str]]:
    points = []
    for finding in doc.get("findings") or []:
        when = parse_time(finding.get("time"))
        if when is not None:
            severity = finding.get("severity") if finding.get("severity") in SEVERITIES \
                else "info"
            points.append((when, severity, f"{severity} · {finding.get('category')} · "
                                            f"{finding.get('time')} · {finding.get('title')}"))
    return points


def timeline_chart(doc: dict[str, Any]) -> TimelineChart | None:
    """Trace steps in one lane per action class, findings in a lane below; None if untimed."""
    steps, findings = _step_points(doc), _finding_points(doc)
    every = [p[0] for p in steps + findings]
    if not every:
        return None
    t0, t1 = min(every), max(every)
    span = (t1 - t0).total_seconds()
    plot = WIDTH - LEFT - RIGHT
    classes = [c for c in ACTION_CLASSES if any(p[1] == c for p in steps)]
    lanes = [(c, TOP + LANE * i + LANE / 2) for i, c in enumerate(classes)]
    if findings:
        lanes.append(("findings", TOP + LANE * len(classes) + LANE / 2))
    lane_y = dict(lanes)
    height = int(TOP + LANE * len(lanes) + AXIS)

    def x_of(moment: datetime) -> float:
        return LEFT + (plot / 2 if span == 0 else (moment - t0).total_seconds() / span * plot)

    chart = TimelineChart(WIDTH, height, lanes, start=t0.strftime("%Y-%m-%d %H:%M:%S UTC"),
                          end=t1.strftime("%Y-%m-%d %H:%M:%S UTC"), span=describe_span(span))
    for i in range(5 if span else 1):
        moment = t0 + (t1 - t0) * (i / 4) if span else t0
        fmt = "%H:%M:%S" if span < 86400 else "%m-%d %H:%M"
        chart.ticks.append((round(x_of(moment), 1), moment.strftime(fmt)))
    for when, klass, title in steps:
        chart.marks.append(Mark(round(x_of(when), 1), lane_y[klass], CLASS_COLOURS[klass], title))
    for when, severity, title in findings:
        chart.marks.append(Mark(round(x_of(when), 1), lane_y["findings"],
                                SEVERITY_COLOURS[severity], title, "diamond"))
    chart.omitted = max(0, len(chart.marks) - MAX_MARKS)
    chart.marks = chart.marks[:MAX_MARKS]
    return chart


# ----------------------------------------------------------------------------- graphs

def _node_id(node: dict[str, Any]) -> str:
    for key in ("id", "node_id", "name"):
        if node.get(key) is not None:
            return str(node[key])
    return repr(sorted(node.items()))[:80]


def _node_label(node: dict[str, Any]) -> str:
    for key in ("label", "tool", "name", "action", "id", "node_id"):
        if node.get(key):
            return str(node[key])
    return "?"


def _node_colour(node: dict[str, Any]) -> str:
    scope = str(node.get("scope") or "").lower()
    if scope == "out-of-scope" or node.get("in_scope") is False or node.get("out_of_scope"):
        return "#fbe3e1"
    if scope == "in-scope" or node.get("in_scope") is True:
        return "#e3f1df"
    return "#eef0f3"


def _edge_ends(edge: dict[str, Any]) -> tuple[str, str] | None:
    source = edge.get("source", edge.get("from"))
    target = edge.get("target", edge.get("to"))
    return None if source is None or target is None else (str(source), str(target))


def _depths(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    incoming = {i: 0 for i in ids}
    children: dict[str, list[str]] = {i: [] for i in ids}
    for source, target in edges:
        if source in children and target in incoming:
            children[source].append(target)
            incoming[target] += 1
    depth: dict[str, int] = {}
    frontier = [i for i in ids if incoming[i] == 0] or ids[:1]
    level = 0
    while frontier:
        for node in frontier:
            depth.setdefault(node, level)
        frontier = [c for node in frontier for c in children[node] if c not in depth]
        level += 1
        if not frontier:
            frontier = [i for i in ids if i not in depth][:1]
    return depth


def graph_layout(graph: dict[str, Any]) -> dict[str, Any]:
    """Columns by depth from the roots; boxes with short labels, edges as curves."""
    nodes = [n for n in graph.get("nodes") or [] if isinstance(n, dict)]
    omitted = max(0, len(nodes) - MAX_GRAPH_NODES)
    nodes = nodes[:MAX_GRAPH_NODES]
    ids = list(dict.fromkeys(_node_id(n) for n in nodes))
    by_id = {_node_id(n): n for n in nodes}
    edges = [e for e in (_edge_ends(x) for x in graph.get("edges") or [] if isinstance(x, dict))
             if e and e[0] in by_id and e[1] in by_id]
    depth = _depths(ids, edges)
    by_depth: dict[int, list[str]] = {}
    for node_id in ids:
        by_depth.setdefault(depth[node_id], []).append(node_id)
    columns: dict[int, list[str]] = {}          # a deep level wraps into several columns
    for level in sorted(by_depth):
        members = by_depth[level]
        for start in range(0, len(members), MAX_COLUMN_NODES):
            columns[len(columns)] = members[start:start + MAX_COLUMN_NODES]
    boxes: dict[str, dict[str, Any]] = {}
    for column, members in sorted(columns.items()):
        for row, node_id in enumerate(members):
            node = by_id[node_id]
            details = ", ".join(f"{k}: {v}" for k, v in sorted(node.items())
                                if isinstance(v, (str, int, float, bool)))
            boxes[node_id] = {"x": 8 + column * (NODE_W + COL_GAP),
                              "y": 8 + row * (NODE_H + ROW_GAP), "w": NODE_W, "h": NODE_H,
                              "label": shorten(_node_label(node), 28),
                              "title": shorten(details, 600), "fill": _node_colour(node)}
    curves = []
    for source, target in edges:
        a, b = boxes[source], boxes[target]
        x1, y1 = a["x"] + NODE_W, a["y"] + NODE_H / 2
        x2, y2 = b["x"], b["y"] + NODE_H / 2
        middle = (x1 + x2) / 2
        curves.append(f"M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}")
    rows = max((len(m) for m in columns.values()), default=0)
    return {"kind": str(graph.get("kind") or "graph"), "boxes": list(boxes.values()),
            "curves": curves, "omitted": omitted, "nodes": len(ids), "edges": len(edges),
            "width": 16 + max(1, len(columns)) * (NODE_W + COL_GAP) - COL_GAP,
            "height": 16 + max(1, rows) * (NODE_H + ROW_GAP) - ROW_GAP}
