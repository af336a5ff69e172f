"""What an agent / MCP client configuration declares: the servers it would start and the hook
commands it would run (claude_desktop_config.json, .mcp.json, .cursor/mcp.json,
.vscode/mcp.json, ~/.claude/settings.json hooks, ~/.codex/config.toml, .gemini/settings.json).

Reads whole JSON or TOML content, and the fragments an edit inserts (`"name": {"command":
...}`); names what content adds that `before` (the replaced text, when known) did not have.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from .command_context import Collected
from .tables import table

MAX_CONTENT = 1_000_000
_JSON_SERVER = re.compile(
    r'"([^"\\]{1,80})"\s*:\s*\{[^{}]*?"(?:command|url|serverUrl)"\s*:\s*"((?:[^"\\]|\\.)*)"'
    r'(?:[^{}]*?"args"\s*:\s*\[([^\]]*)\])?', re.DOTALL)
_TOML_SERVER = re.compile(r"^\[(?:mcp_servers|mcp\.servers)\.\"?([\w.-]+)\"?\]\s*$(.*?)(?=^\[|\Z)",
                          re.MULTILINE | re.DOTALL)
_TOML_VALUE = re.compile(r'^\s*(command|url|args)\s*=\s*(.+)$', re.MULTILINE)
_HOOK_COMMAND = re.compile(r'"command"\s*:\s*"((?:[^"\\]|\\.)*)"')


@lru_cache(maxsize=1)
def _keys() -> tuple[tuple[str, ...], tuple[str, ...]]:
    data = table("tools")["config_keys"]
    return tuple(data["servers"]), tuple(data["hooks"])


def declared(content: str, before: str | None = None) -> list[str]:
    """Short descriptions of the servers and hooks `content` declares and `before` did not:
    "mcp server NAME: COMMAND ARGS", "hook: COMMAND"."""
    if not content or len(content) > MAX_CONTENT:
        return []
    found = _declared(content)
    if before:
        old = set(_declared(before))
        found = [item for item in found if item not in old]
    return found


def _declared(content: str) -> list[str]:
    stripped = content.strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return _from_json(parsed)
    if re.search(r"^\[(?:mcp_servers|mcp\.servers)\.", content, re.MULTILINE):
        return _from_toml(content)
    return _from_fragment(content)


def _from_json(parsed: dict) -> list[str]:
    servers_keys, hooks_keys = _keys()
    found: list[str] = []
    for key in servers_keys:
        block = parsed.get(key)
        if isinstance(block, dict) and isinstance(block.get("servers"), dict):
            block = block["servers"]                  # {"mcp": {"servers": {...}}}
        if isinstance(block, dict):
            for name, server in block.items():
                if isinstance(server, dict):
                    found.append(_server(str(name), server.get("command") or server.get("url")
                                         or server.get("serverUrl"), server.get("args")))
    for key in hooks_keys:
        for command in _hook_commands(parsed.get(key)):
            found.append(f"hook: {command}"[:240])
    return found


def _server(name: str, command: object, args: object) -> str:
    words = [str(command or "")]
    if isinstance(args, list):
        words += [str(a) for a in args]
    return f"mcp server {name}: {' '.join(w for w in words if w)}"[:240]


def _hook_commands(value: object, depth: int = 0) -> list[str]:
    if depth > 8:
        return []
    if isinstance(value, dict):
        own = [str(value["command"])] if isinstance(value.get("command"), str) else []
        return own + [c for v in value.values() for c in _hook_commands(v, depth + 1)]
    if isinstance(value, list):
        return [c for v in value for c in _hook_commands(v, depth + 1)]
    return []


def _from_toml(content: str) -> list[str]:
    found = []
    for match in _TOML_SERVER.finditer(content):
        values = {m.group(1): m.group(2).strip() for m in _TOML_VALUE.finditer(match.group(2))}
        args = re.findall(r'"((?:[^"\\]|\\.)*)"', values.get("args", ""))
        command = (values.get("command") or values.get("url") or "").strip().strip('"')
        found.append(_server(match.group(1), command, args))
    return found


def _from_fragment(content: str) -> list[str]:
    found = []
    for match in _JSON_SERVER.finditer(content):
        args = re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(3) or "")
        found.append(_server(match.group(1), _unescape(match.group(2)),
                             [_unescape(a) for a in args]))
    if not found and '"hooks"' in content:
        found = [f"hook: {_unescape(m.group(1))}"[:240] for m in _HOOK_COMMAND.finditer(content)]
    return found


def _unescape(text: str) -> str:
    try:
        return json.loads(f'"{text}"')
    except ValueError:
        return text


def name_servers(got: Collected, contents: dict[str, str | None],
                    before: dict[str, str | None] | None = None) -> None:
    """A write to an MCP / agent config that adds servers or hooks: one persistence-write
    per server or hook, naming it and its command."""
    for index in range(len(got.effects) - 1, -1, -1):
        effect = got.effects[index]
        if effect.kind != "persistence-write" or effect.detail not in ("mcp-config",
                                                                        "agent-config"):
            continue
        content = contents.get(effect.object or "")
        if not content:
            continue
        found = declared(content, (before or {}).get(effect.object or ""))
        if not found:
            continue
        got.effects[index:index + 1] = [
            type(effect)(effect.kind, effect.object, effect.where, effect.direction,
                         effect.public, effect.production, item) for item in found]
