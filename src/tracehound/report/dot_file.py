"""Whole graphs as Graphviz DOT files (`--views DIR` writes `DIR/graphs/<kind>.dot`).

Ids and labels come from evidence (tool names, paths, session ids), so every one is written
as a double-quoted DOT string through `dot_text`: secrets scrubbed, hiding characters made
visible, backslashes doubled (no `\\N`, `\\G`, `\\l` escape of the input survives), quotes
escaped, line breaks turned into spaces. Nothing is ever written unquoted, so no input can
become DOT syntax, an attribute or an HTML-like label.
"""

from __future__ import annotations

import sys
from typing import Any, Iterator, Mapping, Sequence

from ..correlate.graph import edge_ends, out_of_scope
from ..effects.secrets import scrub
from .escaping import dot_label

LABEL_LIMIT = 200


def dot_text(value: object, limit: int | None = None) -> str:
    """The body of a DOT double-quoted string for any value."""
    return dot_label(scrub("" if value is None else str(value)),
                     sys.maxsize if limit is None else limit)


def _graph_lines(graph: Mapping[str, Any], prefix: str, indent: str) -> Iterator[str]:
    for node in graph.get("nodes") or ():
        if not isinstance(node, Mapping):
            continue
        ident = prefix + str(node.get("id"))
        label = node.get("label") or node.get("tool") or node.get("id")
        kind = node.get("kind")
        extra = f"\\n({dot_text(kind, 60)})" if kind else ""
        style = ""
        if out_of_scope(node):
            style = ', color="red", fontcolor="red"'
        yield (f'{indent}"{dot_text(ident)}" [label="{dot_text(label, LABEL_LIMIT)}{extra}"'
               f'{style}];')
    for edge in graph.get("edges") or ():
        ends = edge_ends(edge)
        if ends is None:
            continue
        kind = edge.get("kind") if isinstance(edge, Mapping) else None
        attrs = f' [label="{dot_text(kind, 60)}"]' if kind else ""
        yield (f'{indent}"{dot_text(prefix + ends[0])}" -> '
               f'"{dot_text(prefix + ends[1])}"{attrs};')


def graphs_dot(kind: str, graphs: Sequence[Mapping[str, Any]]) -> str:
    """One DOT document for every graph of one kind: a single graph as it is; several (one
    MCP call graph per session) each in a cluster, its ids prefixed `N:` so they stay apart."""
    lines = [f'digraph "{dot_text(kind)}" {{', "  rankdir=LR;",
             '  node [shape=box, fontname="Helvetica"];']
    if len(graphs) == 1:
        if graphs[0].get("session"):
            lines.append(f'  label="{dot_text(graphs[0]["session"], LABEL_LIMIT)}";')
        lines.extend(_graph_lines(graphs[0], "", "  "))
    else:
        for number, graph in enumerate(graphs, start=1):
            lines.append(f'  subgraph "cluster_{number}" {{')
            title = graph.get("session") or f"{kind} {number}"
            lines.append(f'    label="{dot_text(title, LABEL_LIMIT)}";')
            lines.extend(_graph_lines(graph, f"{number}:", "    "))
            lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"
