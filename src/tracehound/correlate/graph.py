"""Execution graph: agent identity -> session -> tool calls -> the cloud API calls they caused.

A tool call is joined to a cloud audit event (CloudTrail, Azure activity) by identity first —
the cloud principal must be the credential the agent used (same role, and a session name that
names the agent or its session when the trail records one) — then by operation (same service
and verb/noun tokens) and only then by time (within JOIN_WINDOW seconds). Time alone never
joins two events.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from datetime import datetime
from operator import eq, itemgetter
from typing import Any, Sequence

from ..model import Event
from ..taxonomy import tokens

JOIN_WINDOW = 300
CLOUD_SOURCES = ("aws:cloudtrail", "azure:activity")
_ROLE = re.compile(r"(?:assumed-role|:role)/([^/]+)")
_API_VERSION = re.compile(r"\d{8}(?:v\d+)?$")     # UpdateFunctionConfiguration20150331v2


def _seconds(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _role(value: Any) -> str | None:
    if not value:
        return None
    text = str(value)
    match = _ROLE.search(text)
    return (match.group(1) if match else text.rsplit("/", 1)[-1]).lower()


def _identity_matches(call: Event, cloud: Event) -> bool:
    used = _role(call.attrs.get("credential"))
    principal = cloud.attrs.get("principal_arn") or cloud.attrs.get("principal") or cloud.actor_id
    if not used or _role(principal) != used:
        return False
    session_name = str(cloud.attrs.get("session_name") or "").lower()
    if not session_name:
        return True
    names = {n.lower() for n in (call.actor_id, call.session) if n}
    return any(n in session_name or session_name in n for n in names)


def _operation_tokens(call: Event) -> tuple[str, set[str]]:
    parts = (call.attrs.get("tool") or call.action).split(".")
    if len(parts) >= 3 and parts[0] in ("aws", "azure", "gcp"):
        return parts[1].lower(), set(tokens(".".join(parts[2:]))) - {"v2"}
    return "", set(tokens(call.action))


def _operation_matches(call: Event, cloud: Event) -> bool:
    service, verbs = _operation_tokens(call)
    source = str(cloud.attrs.get("event_source") or "").split(".")[0].lower()
    event_name = _API_VERSION.sub("", str(cloud.attrs.get("event_name") or cloud.action))
    name = set(tokens(event_name)) - {"v2"}
    if not verbs or (service and source and service != source):
        return False
    return verbs == name or verbs <= name or name <= verbs


def join_calls(calls: Sequence[Event], clouds: Sequence[Event]) -> list[tuple[Event, Event]]:
    """(call, cloud event) pairs: for each call in turn, the unused cloud event within
    JOIN_WINDOW seconds that matches its identity and operation, the nearest in time (the
    first in `clouds` order among equals). Only the clouds inside the window are looked at."""
    timed = sorted((c, position) for position, cloud in enumerate(clouds)
                   if (c := _seconds(cloud.time)) is not None)
    if not calls or not timed:
        return []
    moments = [c for c, _ in timed]
    pairs = []
    used: set[str] = set()
    for call in calls:
        t = _seconds(call.time)
        if t is None:
            continue
        window = timed[bisect_left(moments, t - JOIN_WINDOW - 1):     # a second of slack:
                       bisect_right(moments, t + JOIN_WINDOW + 1)]    # the test below decides
        best, best_gap = None, 0.0
        for c, position in sorted(window, key=itemgetter(1)):
            cloud = clouds[position]
            if abs(c - t) > JOIN_WINDOW or cloud.id in used:
                continue
            if _identity_matches(call, cloud) and _operation_matches(call, cloud):
                if best is None or abs(c - t) < best_gap:
                    best, best_gap = cloud, abs(c - t)
        if best is not None:
            used.add(best.id)
            pairs.append((call, best))
    return pairs


class _NodeJson:
    """Lends its __dict__ as one graph node; the dicts of its instances share one key table
    (see model._RefJson): a graph with a node per step of a long trace stays small."""

    def __init__(self, node_id: str, kind: str, label: str, refs: list) -> None:
        self.id = node_id
        self.kind = kind
        self.label = label
        self.refs = refs


class _EdgeJson:
    """Lends its __dict__ as one graph edge ({"from", "to", "kind"}), like _NodeJson."""

    def __init__(self, source: str, target: str, kind: str) -> None:
        setattr(self, "from", source)       # a keyword, so not `self.from`
        self.to = target
        self.kind = kind


def _node(node_id: str, kind: str, label: str, refs: Sequence = ()) -> dict[str, Any]:
    listed = [refs[0].to_json()] if len(refs) == 1 else [r.to_json() for r in sorted(set(refs))]
    return vars(_NodeJson(node_id, kind, label, listed))


def _edge(source: str, target: str, kind: str) -> dict[str, str]:
    return vars(_EdgeJson(source, target, kind))


def _graph_order(calls: list[Event]) -> list[Event]:
    """Calls by (session, step, event id); the id (a hash) is computed only to break ties."""
    keys = [(e.session or "", e.step or 0) for e in calls]
    order = sorted(range(len(calls)), key=keys.__getitem__)
    calls = [calls[i] for i in order]
    keys = [keys[i] for i in order]
    if not any(map(eq, keys, keys[1:])):
        return calls
    start = 0
    for end in range(1, len(calls) + 1):
        if end == len(calls) or keys[end] != keys[start]:
            if end - start > 1:
                calls[start:end] = sorted(calls[start:end], key=lambda e: e.id)
            start = end
    return calls


class _TraceRefs:
    """The `refs` list of a call's step in the `traces` output, when it is exactly the call's
    own ref: the graph node then uses that list instead of a copy (a long trace holds each
    step's ref once, not once per output). Calls come in session order, so only one
    session's steps are indexed at a time."""

    def __init__(self, traces: Sequence[dict]):
        self._by_session = {t.get("session"): t for t in traces}
        self._session: Any = None
        self._steps: dict = {}

    def of(self, call: Event) -> list | None:
        if call.session is None:
            return None
        if call.session != self._session:
            trace = self._by_session.get(call.session) or {}
            self._session = call.session
            self._steps = {s.get("index"): s for s in trace.get("steps") or ()}
        step = self._steps.get(call.step)
        refs = step.get("refs") if step is not None else None
        if not (isinstance(refs, list) and len(refs) == 1 and isinstance(refs[0], dict)):
            return None
        only = refs[0]
        same = (len(only) == 2 and only.get("sha256") == call.ref.sha256
                and only.get("locator") == call.ref.locator)
        return refs if same else None


def execution_graph(events: Sequence[Event], traces: Sequence[dict] = ()
                    ) -> dict[str, Any] | None:
    """The graph; `traces` (the case's `traces` output, optional) lends its refs lists."""
    calls = _graph_order([e for e in events if e.source == "agent:tool_call"])
    if not calls:
        return None
    clouds = [e for e in events if e.source.startswith(CLOUD_SOURCES)]
    nodes, edges = _call_nodes(calls, _TraceRefs(traces))
    for call, cloud in join_calls(calls, clouds):
        cloud_id = f"cloud:{cloud.id}"
        nodes[cloud_id] = _node(cloud_id, "cloud-api-call",
                                f"{cloud.attrs.get('event_name') or cloud.action}", [cloud.ref])
        edges.append(_edge(f"step:{call.session}:{call.step}", cloud_id, "caused"))
    edges = [e for e in edges if e["from"] in nodes and e["to"] in nodes]
    # By (from, to, kind): two stable sorts on one text each, without a key tuple per edge.
    # The kind follows from the target node (a session was run, a step called, a cloud call
    # caused), so edges with equal (from, to) are equal and need no sort by kind.
    edges.sort(key=itemgetter("to"))
    edges.sort(key=itemgetter("from"))
    # two calls with one step number (a log that repeats an index) are one node: one edge
    edges = [e for i, e in enumerate(edges) if not i or e["from"] != edges[i - 1]["from"]
             or e["to"] != edges[i - 1]["to"]]
    return {"kind": "execution-graph", "nodes": [nodes[key] for key in sorted(nodes)],
            "edges": edges}


def _call_nodes(calls: list[Event], shared: _TraceRefs) -> tuple[dict[str, dict], list[dict]]:
    """Agent, session and step nodes with the edges between them, by node id."""
    nodes: dict[str, dict] = {}
    edges: list[dict[str, str]] = []
    labels: dict[tuple, str] = {}        # "N: tool" repeats across sessions: one text each
    agent_id = session_id = ""
    last: tuple = (object(), object())
    for call in calls:
        if (call.actor_id, call.session) != last:     # calls come session by session
            last = (call.actor_id, call.session)
            agent_id = f"agent:{call.actor_id or 'unknown'}"
            session_id = f"session:{call.session or 'unknown'}"
        if agent_id not in nodes:
            nodes[agent_id] = _node(agent_id, "agent", call.actor_id or "unknown agent")
        if session_id not in nodes:
            nodes[session_id] = _node(session_id, "session", call.session or "unknown session")
            edges.append(_edge(agent_id, session_id, "ran"))
        label = labels.get((call.step, call.action))
        if label is None:
            label = labels[(call.step, call.action)] = f"{call.step}: {call.action}"
        step_id = f"step:{call.session}:{call.step}"
        refs = shared.of(call)
        nodes[step_id] = (vars(_NodeJson(step_id, "tool-call", label, refs)) if refs is not None
                          else _node(step_id, "tool-call", label, (call.ref,)))
        parent = session_id
        if call.parent_step is not None:
            parent = f"step:{call.session}:{call.parent_step}"
            known = nodes.get(parent)
            parent = known["id"] if known is not None else parent     # one text per id
        edges.append(_edge(parent, step_id, "called"))
    return nodes, edges


# -- the case JSON's form of a large graph ----------------------------------------------------

SUMMARY_NODES = 2_000        # a graph with more nodes than this is summarized in the case JSON
TOP_NODES = 50               # the nodes of highest degree a summary keeps


def out_of_scope(node: Any) -> bool:
    """How graph nodes mark scope: `scope: out-of-scope` (the MCP call graph), or the flags
    `out_of_scope: true` / `in_scope: false`."""
    if not isinstance(node, dict):
        return False
    return (str(node.get("scope") or "").lower() == "out-of-scope"
            or node.get("out_of_scope") is True or node.get("in_scope") is False)


def edge_ends(edge: Any) -> tuple[str, str] | None:
    if isinstance(edge, dict):
        a, b = edge.get("from"), edge.get("to")
    elif isinstance(edge, (list, tuple)) and len(edge) >= 2:
        a, b = edge[0], edge[1]
    else:
        return None
    return None if a is None or b is None else (str(a), str(b))


def summarize_graph(graph: dict[str, Any], limit: int = SUMMARY_NODES, top: int = TOP_NODES
                    ) -> dict[str, Any]:
    """The graph as the case JSON keeps it: whole up to `limit` nodes; past that its counts
    by node kind, every out-of-scope branch whole (the topmost out-of-scope node and every
    node beneath it), the `top` nodes of highest degree (ties by id) and the edges among the
    kept nodes, flagged `summarized` with the totals. The whole graph is written as DOT
    under `--views DIR` (report/dot_file.py)."""
    nodes = [n for n in graph.get("nodes") or () if isinstance(n, dict)]
    if len(nodes) <= limit:
        return graph
    edges = list(graph.get("edges") or ())
    ends = _all_ends(edges)
    keys = [n.get("id") for n in nodes]
    if not all(type(key) is str for key in keys):
        keys = [str(key) for key in keys]
    ids = dict(zip(keys, nodes))
    degree = Counter(a for a, _ in filter(None, ends))
    degree.update(b for _, b in filter(None, ends))
    kept = set(_top_degree(ids, degree, top)) | _branches(ids, ends)
    kinds = Counter(str(n.get("kind") or "unknown") for n in nodes)
    summary = {key: value for key, value in graph.items() if key not in ("nodes", "edges")}
    summary.update({
        "summarized": True,
        "totals": {"nodes": len(nodes), "edges": len(edges)},
        "node_kinds": dict(sorted(kinds.items())),
        "nodes": [n for key, n in zip(keys, nodes) if key in kept],
        "edges": [e for e, pair in zip(edges, ends)
                  if pair is not None and pair[0] in kept and pair[1] in kept],
    })
    return summary


def _all_ends(edges: list) -> list[tuple[str, str] | None]:
    """(from, to) of every edge, None for one without both; plain {"from", "to"} dicts of
    str (every graph tracehound builds) without a call per edge."""
    try:
        pairs = [(e["from"], e["to"]) for e in edges]
    except (KeyError, TypeError):
        return [edge_ends(e) for e in edges]
    if all(type(a) is str and type(b) is str for a, b in pairs):
        return pairs
    return [edge_ends(e) for e in edges]


def _top_degree(ids: dict[str, Any], degree: Counter, top: int) -> list[str]:
    """The `top` node ids of highest degree, ties by id; only the ids at or above the
    top-th degree are sorted."""
    values = heapq.nlargest(top, degree.values())   # (an edge may name a node not listed)
    floor = values[-1] if len(values) == top else 0
    candidates = [key for key, n in degree.items() if n >= floor and key in ids] \
        if floor else []
    if len(candidates) < top:
        candidates = list(ids)
    return sorted(candidates, key=lambda key: (-degree[key], key))[:top]


def _branches(ids: dict[str, Any], ends: Sequence[tuple[str, str] | None]) -> set[str]:
    """Every out-of-scope node with every node it leads to."""
    pending = [key for key, node in ids.items() if ("scope" in node or "out_of_scope" in node
                                                    or "in_scope" in node) and out_of_scope(node)]
    if not pending:
        return set()
    children: dict[str, list[str]] = {}
    for pair in ends:
        if pair is not None:
            children.setdefault(pair[0], []).append(pair[1])
    found: set[str] = set()
    while pending:
        key = pending.pop()
        if key in ids and key not in found:
            found.add(key)
            pending.extend(children.get(key, ()))
    return found
