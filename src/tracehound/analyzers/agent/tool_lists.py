"""Tool lists that change under a running agent: MCP tools/list answers that differ from the
previous answer of the same server in the same session (tools added, removed, or described
differently: the "rug pull"), and runtime-config tool allowlists that change for an agent."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from ...model import EvidenceRef, Event
from .steps import NO_SESSION


@dataclass(frozen=True)
class ToolListChange:
    what: str
    session: str | None
    server: str | None
    agent: str | None
    time: str | None
    refs: tuple[EvidenceRef, ...]
    added: list[str]
    removed: list[str]
    changed_descriptions: list[str]

    def describe(self) -> str:
        parts = []
        if self.added:
            parts.append("added " + ", ".join(self.added))
        if self.removed:
            parts.append("removed " + ", ".join(self.removed))
        if self.changed_descriptions:
            parts.append("new description for " + ", ".join(self.changed_descriptions))
        return "; ".join(parts)


def _tools_of(event: Event) -> dict[str, str]:
    tools: dict[str, str] = {}
    for tool in event.attrs.get("tools") or ():
        if isinstance(tool, dict) and tool.get("name"):
            tools[str(tool["name"])] = str(tool.get("description") or "")
        elif isinstance(tool, str):
            tools[tool] = ""
    return tools


def _order(event: Event) -> tuple:
    return (event.time or "", event.ref)


def tool_list_changes(events: Sequence[Event]) -> Iterator[ToolListChange]:
    lists: dict[tuple, list[Event]] = defaultdict(list)
    notices: dict[tuple, list[Event]] = defaultdict(list)
    configs: dict[Any, list[Event]] = defaultdict(list)
    for event in events:
        if event.source in ("mcp:tools_list", "mcp:list_changed"):
            key = (event.session or NO_SESSION, str(event.attrs.get("server") or event.actor_id))
            (lists if event.source == "mcp:tools_list" else notices)[key].append(event)
        elif event.source == "agent:config" and event.attrs.get("tool_allowlist") is not None:
            configs[event.actor_id or ""].append(event)
    for key in sorted(lists):
        yield from _server_changes(key, sorted(lists[key], key=_order), notices.get(key, []))
    for agent in sorted(configs):
        yield from _allowlist_changes(agent or None, sorted(configs[agent], key=_order))


def _server_changes(key: tuple, answers: list[Event],
                    notices: list[Event]) -> Iterator[ToolListChange]:
    session, server = key
    for before, after in zip(answers, answers[1:]):
        old, new = _tools_of(before), _tools_of(after)
        added = sorted(set(new) - set(old))
        removed = sorted(set(old) - set(new))
        described = sorted(n for n in set(old) & set(new) if old[n] != new[n])
        if not (added or removed or described):
            continue
        between = [n.ref for n in notices
                   if (before.time or "") <= (n.time or "") <= (after.time or "\uffff")]
        yield ToolListChange(
            what=f"The tool list of MCP server {server}", session=session, server=server,
            agent=after.actor_id, time=after.time,
            refs=(before.ref, after.ref, *between), added=added, removed=removed,
            changed_descriptions=described)


def _allowlist_changes(agent: str | None, configs: list[Event]) -> Iterator[ToolListChange]:
    for before, after in zip(configs, configs[1:]):
        old = {str(t) for t in before.attrs.get("tool_allowlist") or ()}
        new = {str(t) for t in after.attrs.get("tool_allowlist") or ()}
        if old == new:
            continue
        yield ToolListChange(
            what=f"The tool allowlist of agent {agent or 'unnamed'}", session=after.session,
            server=None, agent=agent, time=after.time, refs=(before.ref, after.ref),
            added=sorted(new - old), removed=sorted(old - new), changed_descriptions=[])
