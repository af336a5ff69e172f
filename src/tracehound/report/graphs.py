"""MCP call graphs and execution graphs as inline SVG.

Layout comes from Graphviz `dot -Tjson`, run on DOT text we generate (node ids are our own
`n0, n1...`; labels are escaped and shortened), never on evidence. Only coordinates are read
back: the SVG is drawn here, with every label escaped, so nothing dot echoes reaches the
report. When `dot` is missing or fails, a small layered layout in pure Python takes over.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .escaping import dot_label, shorten
from .svg import Svg

MAX_NODES = 160
LABEL_SIZE = 9                  # px, the node labels (and dot's fontsize)
WIDE_LAYER = 6                  # more siblings than this: lay out left to right
DOT_TIMEOUT = 20
FILL = {"out-of-scope": ("#fde3e1", "#c0392b"), "in-scope": ("#e6eef8", "#4e79a7"),
        "enumeration": ("#e6eef8", "#4e79a7"), "scope creep": ("#fdebd9", "#d9720f"),
        "exfiltration": ("#fde3e1", "#c0392b"), "persistence": ("#f1e4ef", "#8e5a86"),
        "other": ("#f2f2f2", "#7f7f7f"), None: ("#f7f7f7", "#666666")}


@dataclass
class Node:
    key: str                # the graph's own id (never put in DOT)
    label: str
    kind: str | None = None
    tone: str | None = None          # a FILL key
    anchor: str | None = None
    refs: list = field(default_factory=list)
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0


@dataclass
class Layout:
    nodes: list[Node]
    edges: list[tuple[int, int, list[tuple[float, float]]]]
    width: float
    height: float
    engine: str


def _first(item: Mapping[str, Any], *keys: str) -> Any:
    return next((item[k] for k in keys if item.get(k) not in (None, "")), None)


def _scope_tone(node: Mapping[str, Any]) -> str | None:
    scope = str(node.get("scope") or "").lower()
    if scope in ("out-of-scope", "in-scope"):
        return scope
    if node.get("out_of_scope") is True or node.get("in_scope") is False:
        return "out-of-scope"
    if node.get("in_scope") is True:
        return "in-scope"
    return None


def normalize(graph: Mapping[str, Any], tone_by_ref: Mapping[tuple[str, str], str],
              anchor_by_ref: Mapping[tuple[str, str], str]) -> tuple[list[Node], list[tuple]]:
    """Nodes and edges in a fixed order whatever shape the producer used."""
    nodes: dict[str, Node] = {}
    for item in graph.get("nodes") or ():
        if not isinstance(item, Mapping):
            continue
        key = str(_first(item, "id", "node_id", "name"))
        label = _first(item, "label", "tool", "name") or key
        refs = [(r["sha256"], r["locator"]) for r in item.get("refs") or ()
                if isinstance(r, Mapping) and r.get("sha256") and r.get("locator")]
        tone = _scope_tone(item) or next((tone_by_ref[r] for r in refs if r in tone_by_ref),
                                         None)
        anchor = next((anchor_by_ref[r] for r in refs if r in anchor_by_ref), None)
        nodes[key] = Node(key, str(label), _first(item, "kind", "type"), tone, anchor, refs)
    edges = []
    for item in graph.get("edges") or ():
        if isinstance(item, Mapping):
            a, b = _first(item, "from", "source", "parent"), _first(item, "to", "target",
                                                                  "child")
        elif isinstance(item, (list, tuple)) and len(item) >= 2:
            a, b = item[0], item[1]
        else:
            continue
        if a is None or b is None:
            continue
        for end in (str(a), str(b)):
            nodes.setdefault(end, Node(end, end))
        edges.append((str(a), str(b)))
    order = sorted(nodes)
    index = {key: i for i, key in enumerate(order)}
    return [nodes[k] for k in order], sorted({(index[a], index[b]) for a, b in edges})


def _layers(count: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """Depth of each node from the roots (nodes with no incoming edge); cycles cut."""
    children: dict[int, list[int]] = {i: [] for i in range(count)}
    incoming = {i: 0 for i in range(count)}
    for a, b in edges:
        if a != b:
            children[a].append(b)
            incoming[b] += 1
    depth = [-1] * count
    queue = [i for i in range(count) if incoming[i] == 0] or [0]
    for root in queue:
        depth[root] = 0
    position = 0
    while position < len(queue):
        node = queue[position]
        position += 1
        for child in children[node]:
            if depth[child] == -1:
                depth[child] = depth[node] + 1
                queue.append(child)
    return [d if d >= 0 else 0 for d in depth]


def _wide(count: int, edges: Sequence[tuple[int, int]]) -> bool:
    depth = _layers(count, edges)
    sizes: dict[int, int] = {}
    for d in depth:
        sizes[d] = sizes.get(d, 0) + 1
    return max(sizes.values(), default=0) > WIDE_LAYER


def _box(label: str) -> tuple[float, float]:
    return max(54.0, min(5.4 * len(shorten(label, 44)) + 16.0, 250.0)), 22.0


def dot_source(nodes: Sequence[Node], edges: Sequence[tuple[int, int]], left_right: bool) -> str:
    lines = ["digraph G {",
             f'  graph [rankdir={"LR" if left_right else "TB"}, nodesep=0.18, ranksep=0.35, '
             'margin=0];',
             f'  node [shape=box, fontname="DejaVu Sans", fontsize={LABEL_SIZE}, height=0.3, '
             'margin="0.08,0.03"];', "  edge [arrowsize=0.6];"]
    for i, node in enumerate(nodes):
        lines.append(f'  n{i} [label="{dot_label(node.label, 44)}"];')
    lines += [f"  n{a} -> n{b};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _point(text: str) -> tuple[float, float]:
    x, y = text.split(",")[:2]
    return float(x), float(y)


def dot_layout(nodes: list[Node], edges: Sequence[tuple[int, int]], left_right: bool
               ) -> Layout | None:
    """Coordinates from `dot -Tjson`, or None when dot is not there or fails."""
    binary = shutil.which("dot")
    if binary is None:
        return None
    try:
        done = subprocess.run([binary, "-Tjson"], input=dot_source(nodes, edges, left_right),
                              capture_output=True, encoding="utf-8", timeout=DOT_TIMEOUT,
                              check=True)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return _read_layout(nodes, done.stdout)


def _read_layout(nodes: list[Node], output: str) -> Layout | None:
    """The layout in dot's JSON output (node sizes and positions set on `nodes`), or None
    when the output is not what dot writes."""
    try:
        data = json.loads(output)
        _, _, right, top = (float(v) for v in data["bb"].split(","))
        for item in data.get("objects") or ():
            if "pos" not in item:
                continue
            node = nodes[int(item["name"][1:])]
            x, y = _point(item["pos"])
            node.w, node.h = float(item["width"]) * 72, float(item["height"]) * 72
            node.x, node.y = x + 4, top - y + 4
        routes = []
        for item in data.get("edges") or ():
            routes.append((int(item["tail"]), int(item["head"]),
                           _route(item.get("pos", ""), top)))
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return Layout(nodes, sorted(routes, key=lambda r: (r[0], r[1])), right + 8, top + 8, "dot")


class DotRun:
    """`dot -Tjson` started on one graph's DOT text before the graph is drawn, so that it runs
    while the caller does other work (`start_dot`); `graph_picture(..., started=run)` reads
    it. The layout is the one `dot_layout` gives: same input, same program."""

    def __init__(self, binary: str, source: str) -> None:
        self.source = source
        self._process: subprocess.Popen | None = None
        try:
            with tempfile.TemporaryFile() as text:
                text.write(source.encode("utf-8"))
                text.seek(0)
                self._process = subprocess.Popen([binary, "-Tjson"], stdin=text,
                                                 stdout=subprocess.PIPE,
                                                 stderr=subprocess.PIPE)
        except (OSError, ValueError, subprocess.SubprocessError):
            self._process = None

    def output(self) -> str | None:
        """dot's output, or None when it failed or ran past DOT_TIMEOUT."""
        process, self._process = self._process, None
        if process is None:
            return None
        try:
            out, _ = process.communicate(timeout=DOT_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return None
        if process.returncode != 0:
            return None
        try:
            return out.decode("utf-8")
        except UnicodeDecodeError:
            return None


def start_dot(graphs: Sequence[Any]) -> list[DotRun | None]:
    """A `DotRun` for each graph of a case document that `graph_picture` will lay out with
    dot (None for the others), all started at once."""
    binary = shutil.which("dot")
    runs: list[DotRun | None] = []
    for graph in graphs:
        run = None
        if binary and isinstance(graph, Mapping) and not graph.get("summarized"):
            nodes, edges = normalize(graph, {}, {})
            if nodes and len(nodes) <= MAX_NODES:
                run = DotRun(binary, dot_source(nodes, edges, _wide(len(nodes), edges)))
        runs.append(run)
    return runs


def _route(pos: str, top: float) -> list[tuple[float, float]]:
    """dot's spline: control points, then the arrow tip last (y flipped, shifted by 4)."""
    points, tip = [], None
    for token in pos.split():
        if token.startswith("e,"):
            tip = _point(token[2:])
        elif not token.startswith("s,"):
            points.append(_point(token))
    if tip is not None:
        points.append(tip)
    return [(x + 4, top - y + 4) for x, y in points]


def simple_layout(nodes: list[Node], edges: Sequence[tuple[int, int]], left_right: bool
                  ) -> Layout:
    """Layered layout without Graphviz: depth from the roots, siblings side by side."""
    depth = _layers(len(nodes), edges)
    layers: dict[int, list[int]] = {}
    for i, d in enumerate(depth):
        layers.setdefault(d, []).append(i)
    for i, node in enumerate(nodes):
        node.w, node.h = _box(node.label)
    gap_across, gap_along, cursor = 10.0, 34.0, 8.0
    extent = 0.0
    for d in sorted(layers):
        members = layers[d]
        along = max((nodes[i].w if left_right else nodes[i].h) for i in members)
        offset = 8.0
        for i in members:
            node = nodes[i]
            size = node.h if left_right else node.w
            if left_right:
                node.x, node.y = cursor + along / 2, offset + size / 2
            else:
                node.x, node.y = offset + size / 2, cursor + along / 2
            offset += size + gap_across
        extent = max(extent, offset)
        cursor += along + gap_along
    routes = [(a, b, _straight(nodes[a], nodes[b], left_right)) for a, b in edges]
    width, height = (cursor, extent) if left_right else (extent, cursor)
    return Layout(nodes, routes, width, height, "python")


def _straight(a: Node, b: Node, left_right: bool) -> list[tuple[float, float]]:
    if left_right:
        return [(a.x + a.w / 2, a.y), (b.x - b.w / 2, b.y)]
    return [(a.x, a.y + a.h / 2), (b.x, b.y - b.h / 2)]


def _path(points: Sequence[tuple[float, float]]) -> str:
    if len(points) >= 5 and (len(points) - 2) % 3 == 0:
        body, tip = points[:-1], points[-1]
        text = f"M{body[0][0]:.2f},{body[0][1]:.2f}"
        for i in range(1, len(body), 3):
            c = body[i:i + 3]
            text += " C" + " ".join(f"{x:.2f},{y:.2f}" for x, y in c)
        return text + f" L{tip[0]:.2f},{tip[1]:.2f}"
    return "M" + " L".join(f"{x:.2f},{y:.2f}" for x, y in points)


def _arrow(points: Sequence[tuple[float, float]]) -> str:
    (x1, y1), (x2, y2) = points[-2], points[-1]
    angle = math.atan2(y2 - y1, x2 - x1)
    left = (x2 - 6 * math.cos(angle - 0.45), y2 - 6 * math.sin(angle - 0.45))
    right = (x2 - 6 * math.cos(angle + 0.45), y2 - 6 * math.sin(angle + 0.45))
    return " ".join(f"{x:.2f},{y:.2f}" for x, y in ((x2, y2), left, right))


def render(layout: Layout, label: str) -> str:
    svg = Svg(layout.width, layout.height, label, "th-chart th-graph")
    for _, _, points in layout.edges:
        if len(points) < 2:
            continue
        svg.add("path", d=_path(points), fill="none", stroke="#777777", stroke_width=1.0)
        svg.add("polygon", points=_arrow(points), fill="#777777")
    for node in layout.nodes:
        fill, stroke = FILL.get(node.tone, FILL[None])
        title = node.label + (f" ({node.kind})" if node.kind else "") + (
            f" [{node.tone}]" if node.tone else "")
        opened = svg.open_link(f"#{node.anchor}" if node.anchor else None, title)
        svg.add("rect", x=node.x - node.w / 2, y=node.y - node.h / 2, width=node.w,
                height=node.h, rx=4.0, fill=fill, stroke=stroke, stroke_width=1.0)
        svg.text(node.x, node.y + 3.2, shorten(node.label, 44), size=LABEL_SIZE,
                 anchor="middle")
        svg.close_link(opened)
    return svg.render()


def graph_picture(graph: Mapping[str, Any], tone_by_ref: Mapping[tuple[str, str], str],
                  anchor_by_ref: Mapping[tuple[str, str], str],
                  started: DotRun | None = None) -> dict[str, Any]:
    """{'svg', 'nodes', 'edges', 'engine', 'note'} for one graph of the case document; with
    `started` (`start_dot` on this graph), dot's layout is read from that run."""
    kind = str(graph.get("kind") or "graph")
    if graph.get("summarized"):          # past SUMMARY_NODES: the case JSON keeps a summary
        totals = graph.get("totals") or {}
        return {"kind": kind, "nodes": totals.get("nodes"), "edges": totals.get("edges"),
                "svg": None, "engine": None,
                "note": summarized_note(kind, graph)}
    nodes, edges = normalize(graph, tone_by_ref, anchor_by_ref)
    info: dict[str, Any] = {"kind": kind, "nodes": len(nodes), "edges": len(edges),
                            "svg": None, "engine": None, "note": ""}
    if not nodes:
        info["note"] = "the graph has no nodes"
        return info
    if len(nodes) > MAX_NODES:
        info["note"] = (f"{len(nodes)} nodes are too many to draw legibly on a page; the "
                        "graph is in the JSON output")
        return info
    left_right = _wide(len(nodes), edges)
    if started is not None and started.source == dot_source(nodes, edges, left_right):
        output = started.output()
        layout = _read_layout(nodes, output) if output is not None else None
    else:
        layout = dot_layout(nodes, edges, left_right)
    layout = layout or simple_layout(nodes, edges, left_right)
    info["svg"], info["engine"] = render(layout, f"{kind}: {len(nodes)} nodes"), layout.engine
    return info


def summarized_note(kind: str, graph: Mapping[str, Any]) -> str:
    """What the report says instead of a picture of a summarized graph."""
    totals = graph.get("totals") or {}
    kinds = graph.get("node_kinds") or {}
    counted = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    return (f"{totals.get('nodes')} nodes and {totals.get('edges')} edges ({counted}): too "
            "many to draw; the case JSON keeps a summary (the nodes of highest degree and "
            "every out-of-scope branch), and tracehound analyze --views DIR writes the whole "
            f"graph as DIR/graphs/{kind}.dot")
