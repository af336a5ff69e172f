"""Runtime AI bill of materials (seed 002): what the agent actually loaded, read and called.

Built from the evidence only: models and versions, deployed prompts (by hash), tools and MCP
servers available vs used, data sources retrieved, identities assumed, downstream agents.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, Sequence

from ..model import Event

READ_CLASSES = ("read", "list")


def _sorted(values: Iterable[Any]) -> list[str]:
    return sorted({str(v) for v in values if v not in (None, "", [], {})})


def _list_attr(events: Iterable[Event], key: str) -> list[str]:
    out = []
    for event in events:
        value = event.attrs.get(key)
        if isinstance(value, (list, tuple)):
            out.extend(v.get("name") if isinstance(v, dict) else v for v in value)
        elif value:
            out.append(value)
    return out


def build_aibom(events: Sequence[Event]) -> dict[str, Any]:
    agent = [e for e in events if e.source.startswith(("agent:", "mcp:"))]
    calls = [e for e in agent if e.source == "agent:tool_call"]
    configs = [e for e in agent if e.source == "agent:config"]
    prompts = []
    for e in agent:
        text = e.attrs.get("deployed_prompt") or (e.attrs.get("text")
                                                  if e.source == "agent:prompt" else None)
        digest = e.attrs.get("prompt_hash") or (
            hashlib.sha256(str(text).encode()).hexdigest() if text else None)
        if digest:
            prompts.append(f"{e.attrs.get('role', 'deployed')}:{digest}")
    return {
        "agents": _sorted(e.actor_id for e in agent if e.actor_kind == "agent"),
        "models": _sorted(e.attrs.get("model") for e in agent),
        "prompts": _sorted(prompts),
        "tools_available": _sorted(_list_attr(configs, "tool_allowlist")
                                   + _list_attr([e for e in agent
                                                 if e.source == "mcp:tools_list"], "tools")),
        "tools_used": _sorted(e.attrs.get("tool") or e.action for e in calls),
        "mcp_servers": _sorted(e.attrs.get("server") for e in agent),
        "data_sources": _sorted(e.target_id for e in calls if e.action_class in READ_CLASSES),
        "identities": _sorted([e.attrs.get("credential") for e in agent]
                              + [e.attrs.get("role_name") for e in agent]
                              + [e.attrs.get("principal") for e in agent]),
        "downstream_agents": _sorted(e.target_id for e in calls
                                     if "invoke_agent" in (e.attrs.get("operation") or e.action)),
    }
