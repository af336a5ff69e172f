"""Step 5 of the agent-runaway path: the MCP tool-call graph, and the branches that left scope.

Nodes and edges come from MCP server call-graph exports (`agent:mcp_node`) and from MCP
JSON-RPC logs (`mcp:request` tools/call under a node per server under the session). A node is
out of scope when the export says so, else when its step (or its tool) leaves the agent's
envelope. One `mcp-tool-escalation` finding per branch that leaves scope: the topmost
out-of-scope node of each path, with everything beneath it, not one per leaf. Changes to a
server's tool list or tool descriptions mid-session (tools/list answers that differ, after
notifications/tools/list_changed) and to the runtime's tool allowlist are findings too.

The graph goes out as the CONTRACT.md `graphs` section and as Graphviz DOT (`to_dot`).
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from ...model import Event, Finding, SEVERITY_RANK
from ..registry import Analyzer, Context, register
from .impact import step_severity, techniques_for
from ...effects.secrets import scrub
from .mcp_nodes import Graph, Node, build_graphs
from .steps import AGENT_SOURCES, NO_SESSION, TraceSet, traces_of
from .tool_lists import ToolListChange, tool_list_changes

__all__ = ["McpCallGraph", "to_dot"]


@register
class McpCallGraph(Analyzer):
    NAME = "mcp-call-graph"
    VERSION = "1"
    FAMILY = "agent"
    TITLE = "MCP tool-call graph; one finding per branch that leaves scope; tool-list changes"
    CONSUMES = AGENT_SOURCES

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        traces = traces_of(events, ctx)
        for graph in _graphs(events, ctx, traces):
            for branch in graph.branches_out_of_scope():
                yield self.branch_finding(graph, branch, traces)
        for change in tool_list_changes(events):
            yield self.tool_list_finding(change, traces)

    def artifacts(self, events: Sequence[Event], ctx: Context) -> Mapping[str, list]:
        graphs = _graphs(events, ctx, traces_of(events, ctx))
        return {"graphs": [g.to_json() for g in graphs]} if graphs else {}

    def branch_finding(self, graph: Graph, branch: list[Node], traces: TraceSet) -> Finding:
        top = branch[0]
        steps = sorted({id(s): s for n in branch for s in n.steps}.values(),
                       key=lambda s: s.index)
        severity = max((step_severity(s) for s in steps), key=SEVERITY_RANK.__getitem__,
                       default="medium")
        severity = max(severity, "medium", key=SEVERITY_RANK.__getitem__)
        tools = list(dict.fromkeys(n.label for n in branch))
        deepest = max(n.depth for n in branch)
        why = top.scope_reason or "the call-graph export marks it out of scope"
        anchor = steps[0].anchor() if steps else {"time": top.time, "step": None,
                                                  "session": graph.session, "actor": None,
                                                  "target": top.target}
        techniques = sorted({t for s in steps for t in techniques_for(s)})
        return Finding(
            rule="TH-AGENT-MCP-BRANCH", tool=self.NAME, category="mcp-tool-escalation",
            severity=severity, title="MCP call-graph branch outside the allowed scope",
            statement=f"The MCP branch from {top.label} (depth {top.depth}) leaves the allowed "
                      f"scope ({why}): {len(branch)} node{'s' if len(branch) != 1 else ''} "
                      f"down to depth {deepest} ({', '.join(tools[:6])}"
                      f"{', …' if len(tools) > 6 else ''}).",
            refs=tuple(r for n in branch for r in n.refs) + tuple(
                r for s in steps for r in s.refs),
            techniques=tuple(techniques), engine_version=self.engine_version,
            details={"branch_root": top.id, "nodes": [n.id for n in branch],
                     "steps": [s.index for s in steps], "depth": deepest},
            **anchor)

    def tool_list_finding(self, change: ToolListChange, traces: TraceSet) -> Finding:
        trace = traces.traces.get(change.session)       # (NO_SESSION for a session-less change)
        scope = trace.scope if trace is not None else traces.scope_of(change.agent)
        risky = [t for t in change.added
                 if scope is not None and scope.leaves_tool(t) is not None]
        severity = "high" if change.changed_descriptions or risky else \
            "medium" if change.added else "low"
        return Finding(
            rule="TH-AGENT-MCP-TOOLS-CHANGED", tool=self.NAME, category="mcp-tool-escalation",
            severity=severity, title=f"{change.what} changed mid-session",
            statement=f"{change.what} changed mid-session: {change.describe()}.",
            refs=change.refs, time=change.time, session=change.session, actor=change.agent,
            target=change.server, engine_version=self.engine_version,
            details={"added": change.added, "removed": change.removed,
                     "descriptions_changed": change.changed_descriptions,
                     "added_outside_scope": risky})


def _graphs(events: Sequence[Event], ctx: Context, traces: TraceSet) -> list[Graph]:
    cached = ctx.shared.get("mcp_graphs") if ctx.shared is not None else None
    if cached is not None and cached[0] == traces.key:
        return cached[1]
    graphs = build_graphs(events, traces)
    if ctx.shared is not None:
        ctx.shared["mcp_graphs"] = (traces.key, graphs)
    return graphs


def _dot_text(value: object) -> str:
    """Text safe inside a DOT double-quoted string (no escape sequence of the input survives)."""
    text = scrub(str(value))
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
        .replace("\r", "")


def to_dot(graph: Mapping) -> str:
    """Graphviz DOT text of one `graphs` entry; every label and id is quoted and escaped."""
    lines = [f'digraph "{_dot_text(graph.get("kind", "graph"))}" {{',
             "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];',
             f'  label="{_dot_text(graph.get("session") or NO_SESSION)}";']
    for node in graph.get("nodes", []):
        style = ', color="red", fontcolor="red"' if node.get("scope") == "out-of-scope" else ""
        label = _dot_text(node.get("label")) + f"\\ndepth {int(node.get('depth') or 0)}"
        lines.append(f'  "{_dot_text(node["id"])}" [label="{label}"{style}];')
    for edge in graph.get("edges", []):
        lines.append(f'  "{_dot_text(edge["from"])}" -> "{_dot_text(edge["to"])}";')
    lines.append("}")
    return "\n".join(lines) + "\n"

