"""MCP call-graph nodes: built from call-graph exports and JSON-RPC logs, scoped, branched.

One `Graph` per session. Export nodes keep their own ids, parents and depths; JSON-RPC calls
hang under a node per server under a node for the session. Each node knows the step it
records (when one matches) and whether it is inside the agent's envelope.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Sequence

from ...model import EvidenceRef, Event
from .steps import NO_SESSION, Step, TraceSet, is_mcp_call

IN, OUT, UNKNOWN = "in-scope", "out-of-scope", "unknown"


@dataclass(eq=False)
class Node:
    id: str
    label: str
    kind: str                            # session | server | tool
    parent: str | None
    depth: int | None
    tool: str | None = None
    server: str | None = None
    target: str | None = None
    time: str | None = None
    scope: str = UNKNOWN
    scope_reason: str | None = None
    refs: list[EvidenceRef] = field(default_factory=list)
    step: Step | None = None                 # the first step the node records
    steps: list[Step] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "kind": self.kind, "parent": self.parent,
                "depth": self.depth, "tool": self.tool, "server": self.server,
                "target": self.target, "scope": self.scope,
                "steps": [s.index for s in self.steps],
                "refs": [r.to_json() for r in self.refs]}


@dataclass(eq=False)
class Graph:
    session: str
    nodes: dict[str, Node] = field(default_factory=dict)

    def add(self, node: Node) -> Node:
        existing = self.nodes.get(node.id)
        if existing is not None:
            existing.refs += [r for r in node.refs if r not in existing.refs]
            return existing
        self.nodes[node.id] = node
        return node

    def children(self) -> dict[str | None, list[Node]]:
        found: dict[str | None, list[Node]] = defaultdict(list)
        for node in self.nodes.values():
            parent = node.parent if node.parent in self.nodes else None
            found[parent].append(node)
        for members in found.values():
            members.sort(key=lambda n: (n.depth or 0, n.time or "", n.id))
        return found

    def settle_depths(self) -> None:
        """Depths the export did not give: the parent's plus one; roots are 0."""
        children = self.children()
        pending = [(node, 0) for node in children[None]]
        while pending:
            node, depth = pending.pop()
            if node.depth is None:
                node.depth = depth
            pending += [(child, node.depth + 1) for child in children.get(node.id, ())]

    @property
    def depth(self) -> int:
        return max((n.depth or 0 for n in self.nodes.values()), default=0)

    def edges(self) -> list[tuple[str, str]]:
        return sorted((n.parent, n.id) for n in self.nodes.values() if n.parent in self.nodes)

    def branches_out_of_scope(self) -> list[list[Node]]:
        """[top, *everything below it] for each topmost out-of-scope node."""
        children = self.children()
        branches = []
        for node in sorted(self.nodes.values(), key=lambda n: (n.depth or 0, n.id)):
            parent = self.nodes.get(node.parent) if node.parent else None
            if node.scope == OUT and (parent is None or parent.scope != OUT):
                below, pending = [], list(children.get(node.id, ()))
                while pending:
                    child = pending.pop(0)
                    below.append(child)
                    pending += children.get(child.id, ())
                branches.append([node] + below)
        return branches

    def to_json(self) -> dict[str, Any]:
        nodes = sorted(self.nodes.values(), key=lambda n: (n.depth or 0, n.id))
        return {"kind": "mcp-call-graph", "session": self.session,
                "nodes": [n.to_json() for n in nodes],
                "edges": [{"from": a, "to": b} for a, b in self.edges()],
                "depth": self.depth}


def build_graphs(events: Sequence[Event], traces: TraceSet) -> list[Graph]:
    graphs: dict[str, Graph] = {}
    for event in events:
        if event.source == "agent:mcp_node":
            node = _export_node(event, traces)
        elif is_mcp_call(event):
            node = _jsonrpc_node(event, traces, graphs)
        else:
            continue
        session = event.session or NO_SESSION
        graphs.setdefault(session, Graph(session)).add(node)
    for graph in graphs.values():
        graph.settle_depths()
        for node in graph.nodes.values():
            _decide_scope(node, traces)
    return [graphs[s] for s in sorted(graphs)]


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _export_node(event: Event, traces: TraceSet) -> Node:
    attrs = event.attrs
    node_id = str(attrs.get("node_id") or event.ref.locator)
    parent = attrs.get("parent_node_id")
    tool = attrs.get("tool") or (event.action if event.action else None)
    node = Node(id=node_id, label=str(tool or node_id), kind="tool" if tool else "node",
                parent=str(parent) if parent not in (None, "") else None,
                depth=_int(attrs.get("depth")), tool=tool, server=attrs.get("server"),
                target=event.target_id, time=event.time, refs=[event.ref])
    node.steps = _listed_steps(event, traces)
    node.step = (node.steps[0] if node.steps else None) or traces.step_of(event) \
        or _step_by_tool(event, traces, tool)
    if node.step is not None and not node.steps:
        node.steps = [node.step]
    declared = str(attrs.get("scope") or "").lower()
    if declared:
        node.scope = OUT if "out" in declared else IN if "in" in declared else UNKNOWN
        if node.scope == OUT:
            node.scope_reason = (node.step.breach if node.step and node.step.breach
                                 else "the call-graph export marks it out of scope")
    return node


def _listed_steps(event: Event, traces: TraceSet) -> list[Step]:
    """Every step an export node says it covers (its tool_call_ids, else its step list)."""
    found = [traces.by_call_id.get(str(c)) for c in event.attrs.get("tool_call_ids") or ()]
    if not any(found):
        trace = traces.traces.get(event.session or NO_SESSION)
        found = [trace.by_index.get(i) for i in event.attrs.get("steps") or ()
                 if isinstance(i, int)] if trace is not None else []
    return sorted({id(s): s for s in found if s is not None}.values(), key=lambda s: s.index)


def _step_by_tool(event: Event, traces: TraceSet, tool: str | None) -> Step | None:
    """The one step of the session with this tool and target, when exactly one matches."""
    trace = traces.traces.get(event.session or NO_SESSION)
    if trace is None or not tool:
        return None
    matches = [s for s in trace.steps if s.tool == tool
               and (event.target_id is None or s.target == event.target_id)]
    return matches[0] if len(matches) == 1 else None


def _jsonrpc_node(event: Event, traces: TraceSet, graphs: dict[str, Graph]) -> Node:
    session = event.session or NO_SESSION
    graph = graphs.setdefault(session, Graph(session))
    root = graph.add(Node(id=f"session:{session}", label=f"session {session}", kind="session",
                          parent=None, depth=0, time=event.time, scope=IN))
    server = str(event.attrs.get("server") or event.actor_id or "mcp server")
    graph.add(Node(id=f"server:{server}", label=server, kind="server", parent=root.id,
                   depth=1, server=server, scope=IN))
    call_id = event.attrs.get("jsonrpc_id")
    tool = str(event.attrs.get("tool") or "tool")
    node = Node(id=f"call:{call_id if call_id is not None else event.ref.locator}",
                label=tool, kind="tool", parent=f"server:{server}", depth=2, tool=tool,
                server=server, target=event.target_id, time=event.time, refs=[event.ref])
    node.step = traces.step_of(event) or (
        traces.by_call_id.get(f"{session}#{call_id}") or traces.by_call_id.get(str(call_id))
        if call_id is not None else None)
    if node.step is not None:
        node.steps = [node.step]
    return node


def _decide_scope(node: Node, traces: TraceSet) -> None:
    if node.scope != UNKNOWN or node.kind in ("session", "server"):
        return
    if node.steps:
        breach = next((s.breach for s in node.steps if s.breach), None)
        node.scope = OUT if breach else IN
        node.scope_reason = breach
        return
    scope = traces.scope_of(None)
    if node.tool and scope is not None:
        reason = scope.leaves_tool(node.tool, node.target)
        node.scope = OUT if reason else IN
        node.scope_reason = reason
