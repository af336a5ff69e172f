"""Agent-session artifacts in the kepler reference shape (seed 001): the MCP call graph and the
persistence-mechanism snapshot.

The call graph export lists tool nodes (`id`, `parent_id`, `depth`, `server`, `tool`, the steps
and tool_call_ids they served); each node is one `agent:mcp_node` Event. The persistence
snapshot lists installed mechanisms (schedule, target, the call that installed it); each is
one `agent:persistence` Event. Locators are RFC 6901 pointers to the record.
"""

from __future__ import annotations

from typing import Any, Iterator

from ...model import Event, ParseIssue, pointer_ref
from ...taxonomy import classify_action
from ..base import Sample, Source
from .kepler import as_int, as_str
from .kepler_documents import DocumentParser, document_items, listed, map_items, time_of
from ..registry import register

MECHANISM_NAMES = {
    "eventbridge-schedule": "eventbridge-schedule", "eventbridge-rule": "eventbridge-schedule",
    "cloudwatch-events-rule": "eventbridge-schedule", "cron": "cron", "crontab": "cron",
    "lambda-trigger": "lambda-trigger", "webhook": "webhook",
    "mcp-server-registration": "mcp-server-registration", "stored-prompt": "stored-prompt",
    "systemd-unit": "systemd-unit", "launch-agent": "launch-agent", "shell-rc": "shell-rc",
    "authorized-keys": "authorized-keys",
}


def _node_like(item: Any) -> bool:
    return isinstance(item, dict) and {"id", "tool", "server"} <= set(item)


@register
class McpCallGraphParser(DocumentParser):
    name = "mcp-call-graph-json"
    version = "1"
    priority = 60
    description = "MCP tool-call graph export: tool nodes with server, parent and depth"

    def sniff(self, sample: Sample) -> str | None:
        doc = sample.document
        if (isinstance(doc, dict) and isinstance(doc.get("nodes"), list)
                and isinstance(doc.get("edges"), list) and doc["nodes"]
                and all(_node_like(n) for n in doc["nodes"][:5])):
            return "JSON graph whose nodes carry id, tool and server (MCP call graph)"
        return None

    def parse_document(self, source: Source, doc: dict[str, Any]
                       ) -> Iterator[Event | ParseIssue]:
        agent, session = as_str(doc.get("agent_id")), as_str(doc.get("session_id"))
        known: set[str] = set()
        nodes: list[tuple[int, dict[str, Any]]] = []
        for item in document_items(source, doc, "nodes"):
            if isinstance(item, ParseIssue):
                yield item
            elif item[1].get("id") in (None, ""):
                yield ParseIssue(source.path, f"json:/nodes/{item[0]}", "node has no id")
            else:
                nodes.append(item)
                known.add(str(item[1]["id"]))
        for index, node in nodes:
            parent = as_str(node.get("parent_id"))
            if parent is not None and parent not in known:
                yield ParseIssue(source.path, f"json:/nodes/{index}/parent_id",
                                 f"parent node {parent!r} is not in the graph")
            yield self.node(source, index, node, agent, session)

    @staticmethod
    def node(source: Source, index: int, node: dict[str, Any], agent: str | None,
             session: str | None) -> Event:
        tool = as_str(node.get("tool")) or ""
        steps = [s for s in (as_int(v) for v in listed(node.get("steps"))) if s is not None]
        targets = [str(t) for t in listed(node.get("targets"))]
        return Event(
            ref=pointer_ref(source.sha256, "nodes", index), source="agent:mcp_node",
            time=time_of(node.get("first_call")), action=tool,
            action_class=classify_action(tool) if tool else "other",
            actor_id=agent, actor_kind="agent" if agent else "unknown",
            target_id=targets[0] if len(targets) == 1 else None,
            session=as_str(node.get("session_id")) or session,
            step=steps[0] if steps else None,
            attrs={"node_id": str(node["id"]), "parent_node_id": as_str(node.get("parent_id")),
                   "depth": as_int(node.get("depth")), "tool": tool,
                   "server": as_str(node.get("server")), "scope": as_str(node.get("scope")),
                   "steps": steps,
                   "tool_call_ids": [str(t) for t in listed(node.get("tool_call_ids"))],
                   "targets": targets, "calls": as_int(node.get("calls"))},
            raw=node)


@register
class AgentPersistenceParser(DocumentParser):
    name = "agent-persistence-json"
    version = "1"
    priority = 60
    description = "Persistence artifacts an agent installed: schedules, triggers, registrations"

    def sniff(self, sample: Sample) -> str | None:
        doc = sample.document
        if isinstance(doc, dict) and isinstance(doc.get("mechanisms"), list) and any(
                isinstance(m, dict) and ({"schedule_expression", "installed_via"} & set(m))
                for m in doc["mechanisms"]):
            return "JSON with persistence mechanisms (schedule_expression / installed_via)"
        return None

    def parse_document(self, source: Source, doc: dict[str, Any]
                       ) -> Iterator[Event | ParseIssue]:
        agent, session = as_str(doc.get("agent_id")), as_str(doc.get("session_id"))
        yield from map_items(source, doc, "mechanisms",
                             lambda i, item: self.mechanism(source, i, item, agent, session))

    @staticmethod
    def mechanism(source: Source, index: int, item: dict[str, Any], agent: str | None,
                  session: str | None) -> Event:
        kind = str(item.get("type") or item.get("mechanism") or "").lower()
        rule = item.get("rule") if isinstance(item.get("rule"), dict) else {}
        target = item.get("target") if isinstance(item.get("target"), dict) else {}
        installed_via = as_str(item.get("installed_via"))
        records = [r for r in listed(item.get("install_records")) if isinstance(r, dict)]
        schedule = as_str(item.get("schedule_expression")) or as_str(
            rule.get("ScheduleExpression"))
        actor = as_str(item.get("agent_id")) or agent
        return Event(
            ref=pointer_ref(source.sha256, "mechanisms", index), source="agent:persistence",
            time=time_of(item.get("installed_at")), action=installed_via or kind or "persistence",
            action_class="persistence", actor_id=actor,
            actor_kind="agent" if actor else "unknown",
            target_id=as_str(target.get("Arn")) or as_str(target.get("FunctionName")),
            target_type="lambda-function" if target.get("FunctionName") else None,
            session=as_str(item.get("session_id")) or session,
            step=as_int(item.get("step_index")),
            attrs={"mechanism": MECHANISM_NAMES.get(kind, kind or None),
                   "schedule_expression": schedule, "installed_via": installed_via,
                   "tool_call_id": as_str(item.get("tool_call_id")),
                   "principal": as_str(item.get("installed_by")),
                   "rule_name": as_str(rule.get("Name")), "rule_arn": as_str(rule.get("Arn")),
                   "state": as_str(rule.get("State")), "mechanism_id": as_str(
                       item.get("mechanism_id")),
                   "install_steps": [s for s in (as_int(r.get("step_index")) for r in records)
                                     if s is not None],
                   "install_tool_call_ids": [str(r["tool_call_id"]) for r in records
                                             if r.get("tool_call_id")],
                   "next_invocations": [str(t) for t in listed(item.get("next_invocations"))]},
            raw=item)
