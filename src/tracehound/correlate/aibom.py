"""Runtime AI bill of materials (seed 002): what the agent actually loaded, read and called.

Built from the evidence only: models and versions, deployed prompts (by hash), tools and MCP
servers available vs used, data sources retrieved, identities assumed, downstream agents.
"""

from __future__ import annotations

import hashlib
from typing import Any, Sequence

from ..model import Event

READ_CLASSES = ("read", "list")
EMPTY = (None, "", [], {})
SECTIONS = ("agents", "models", "prompts", "tools_available", "tools_used", "mcp_servers",
            "data_sources", "identities", "downstream_agents")


def _add(found: set[str], value: Any) -> None:
    """Keep a value as text unless it is None, "", [] or {}."""
    if type(value) is str:
        if value:
            found.add(value)
    elif value not in EMPTY:
        found.add(str(value))


def _add_listed(found: set[str], value: Any) -> None:
    """A list attribute adds each item (a dict item by its name); a scalar adds itself."""
    if isinstance(value, (list, tuple)):
        for item in value:
            _add(found, item.get("name") if isinstance(item, dict) else item)
    elif value:
        _add(found, value)


def _prompt(event: Event) -> str | None:
    attrs = event.attrs
    text = attrs.get("deployed_prompt") or (attrs.get("text")
                                            if event.source == "agent:prompt" else None)
    digest = attrs.get("prompt_hash") or (
        hashlib.sha256(str(text).encode()).hexdigest() if text else None)
    return f"{attrs.get('role', 'deployed')}:{digest}" if digest else None


def build_aibom(events: Sequence[Event]) -> dict[str, Any]:
    """One pass over the agent and MCP records."""
    found: dict[str, set[str]] = {name: set() for name in SECTIONS}
    agents, models, prompts = found["agents"], found["models"], found["prompts"]
    servers, identities = found["mcp_servers"], found["identities"]
    for e in events:
        source = e.source
        if not source.startswith(("agent:", "mcp:")):
            continue
        attrs = e.attrs
        if e.actor_kind == "agent":
            _add(agents, e.actor_id)
        _add(models, attrs.get("model"))
        _add(prompts, _prompt(e))
        _add(servers, attrs.get("server"))
        for key in ("credential", "role_name", "principal"):
            _add(identities, attrs.get(key))
        if source == "agent:tool_call":
            _add(found["tools_used"], attrs.get("tool") or e.action)
            if e.action_class in READ_CLASSES:
                _add(found["data_sources"], e.target_id)
            if "invoke_agent" in (attrs.get("operation") or e.action):
                _add(found["downstream_agents"], e.target_id)
        elif source == "agent:config":
            _add_listed(found["tools_available"], attrs.get("tool_allowlist"))
        elif source == "mcp:tools_list":
            _add_listed(found["tools_available"], attrs.get("tools"))
    return {name: sorted(found[name]) for name in SECTIONS}
