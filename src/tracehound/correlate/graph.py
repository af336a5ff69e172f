"""Execution graph: agent identity -> session -> tool calls -> the cloud API calls they caused.

A tool call is joined to a cloud audit event (CloudTrail, Azure activity) by identity first —
the cloud principal must be the credential the agent used (same role, and a session name that
names the agent or its session when the trail records one) — then by operation (same service
and verb/noun tokens) and only then by time (within JOIN_WINDOW seconds). Time alone never
joins two events.
"""

from __future__ import annotations

import re
from datetime import datetime
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
    pairs = []
    used: set[str] = set()
    for call in calls:
        t = _seconds(call.time)
        best = None
        for cloud in clouds:
            c = _seconds(cloud.time)
            if t is None or c is None or abs(c - t) > JOIN_WINDOW or cloud.id in used:
                continue
            if _identity_matches(call, cloud) and _operation_matches(call, cloud):
                if best is None or abs(c - t) < abs(_seconds(best.time) - t):
                    best = cloud
        if best is not None:
            used.add(best.id)
            pairs.append((call, best))
    return pairs


def _node(node_id: str, kind: str, label: str, refs: Sequence = ()) -> dict[str, Any]:
    return {"id": node_id, "kind": kind, "label": label,
            "refs": [r.to_json() for r in sorted(set(refs))]}


def execution_graph(events: Sequence[Event]) -> dict[str, Any] | None:
    calls = sorted((e for e in events if e.source == "agent:tool_call"),
                   key=lambda e: (e.session or "", e.step or 0, e.id))
    if not calls:
        return None
    clouds = [e for e in events if e.source.startswith(CLOUD_SOURCES)]
    nodes: dict[str, dict] = {}
    edges: list[dict[str, str]] = []
    for call in calls:
        agent_id = f"agent:{call.actor_id or 'unknown'}"
        session_id = f"session:{call.session or 'unknown'}"
        step_id = f"step:{call.session}:{call.step}"
        nodes.setdefault(agent_id, _node(agent_id, "agent", call.actor_id or "unknown agent"))
        if session_id not in nodes:
            nodes[session_id] = _node(session_id, "session", call.session or "unknown session")
            edges.append({"from": agent_id, "to": session_id, "kind": "ran"})
        nodes[step_id] = _node(step_id, "tool-call", f"{call.step}: {call.action}", [call.ref])
        parent = (f"step:{call.session}:{call.parent_step}" if call.parent_step is not None
                  else session_id)
        edges.append({"from": parent, "to": step_id, "kind": "called"})
    for call, cloud in join_calls(calls, clouds):
        cloud_id = f"cloud:{cloud.id}"
        nodes[cloud_id] = _node(cloud_id, "cloud-api-call",
                                f"{cloud.attrs.get('event_name') or cloud.action}", [cloud.ref])
        edges.append({"from": f"step:{call.session}:{call.step}", "to": cloud_id,
                      "kind": "caused"})
    known = set(nodes)
    edges = [e for e in edges if e["from"] in known and e["to"] in known]
    return {"kind": "execution-graph", "nodes": sorted(nodes.values(), key=lambda n: n["id"]),
            "edges": sorted(edges, key=lambda e: (e["from"], e["to"], e["kind"]))}
