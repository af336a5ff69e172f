"""Tiny builders for agent-runtime events, so a test reads like the trace it checks.

    events = [config(actions=["list"], resources=["arn:aws:s3:::kepler-*"]),
              tool_call(1, "aws.s3.list-buckets", target="arn:aws:s3:::*"),
              tool_call(2, "aws.s3.get-object", target="arn:aws:s3:::payments/x.csv"),
              network(2, bytes_out=5_000_000, dest_host="s3.amazonaws.com")]
    findings = run("exfiltration-detector", events)

Each kind of record lives in its own pretend file (its sha256 is the hash of the kind name),
and its locator is `line N` with N the step unless given.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tracehound.analyzers import Context, get
from tracehound.model import Event, Finding, line_ref
from tracehound.taxonomy import classify_action

SESSION = "sess-1"
AGENT = "agent-1"


def sha(kind: str) -> str:
    return hashlib.sha256(kind.encode()).hexdigest()


def at(second: int) -> str:
    return f"2026-04-12T14:{second // 60:02d}:{second % 60:02d}Z"


def tool_call(step: int, tool: str, target: str | None = None, *, approver: str | None = None,
              parent: int | None = None, args: Any = None, result: str | None = None,
              action_class: str | None = None, call_id: str | None = None,
              session: str = SESSION, agent: str = AGENT, line: int | None = None,
              bytes_out: int | None = None, credential: str | None = None,
              stated_intent: str | None = None, time: str | None = None) -> Event:
    attrs: dict[str, Any] = {"tool_call_id": call_id or f"call-{step}", "tool": tool,
                             "runtime": "test"}
    optional = {"arguments": args, "result_text": result, "credential": credential,
                "stated_intent": stated_intent}
    attrs.update({k: v for k, v in optional.items() if v is not None})
    return Event(ref=line_ref(sha("trace"), line or step), source="agent:tool_call",
                 time=time or at(step * 10), action=tool,
                 action_class=action_class or classify_action(tool), actor_id=agent,
                 actor_kind="agent", target_id=target, outcome="success", session=session,
                 step=step, parent_step=parent, approver=approver, bytes_out=bytes_out,
                 attrs=attrs)


def approval(step: int, approver: str | None = None, *, status: str | None = None,
             deployer: str = "taylor.keel", deployer_status: str | None = "offline",
             session: str = SESSION, line: int | None = None) -> Event:
    return Event(ref=line_ref(sha("accountability"), line or step), source="agent:approval",
                 time=at(step * 10), action="approval", session=session, step=step,
                 approver=approver, attrs={"tool_call_id": f"call-{step}",
                                           "approver_status": status, "deployer": deployer,
                                           "deployer_status": deployer_status})


def intent(step: int, stated: str, actual: str, divergence: Any = None, *,
           session: str = SESSION, line: int | None = None) -> Event:
    return Event(ref=line_ref(sha("intent"), line or step), source="agent:intent",
                 time=at(step * 10), action=actual, session=session, step=step,
                 attrs={"tool_call_id": f"call-{step}", "stated_intent": stated,
                        "actual_action": actual, "divergence": divergence})


def config(*, actions: list[str] | None = None, resources: list[str] | None = None,
           tools: list[str] | None = None, scope_text: str | None = None,
           env: dict | None = None, agent: str = AGENT, line: int = 1,
           time: str | None = None, scope_tools: list[str] | None = None) -> Event:
    attrs: dict[str, Any] = {"scope_actions": actions, "scope_resources": resources,
                             "tool_allowlist": tools, "scope_text": scope_text, "env": env,
                             "scope_tools": scope_tools}
    return Event(ref=line_ref(sha("config"), line), source="agent:config",
                 time=time or at(0), action="config", actor_id=agent,
                 actor_kind="service-principal",
                 attrs={k: v for k, v in attrs.items() if v is not None})


def prompt(text: str, role: str = "user", *, session: str = SESSION, line: int = 1) -> Event:
    return Event(ref=line_ref(sha(f"prompt-{role}"), line), source="agent:prompt", time=at(0),
                 action=f"{role}-prompt", actor_kind="human" if role == "user"
                 else "service-principal", session=session,
                 attrs={"text": text, "role": role})


def grant(permissions: list[str], resources: list[str], *, intended: bool | None = None,
          intent_text: str | None = None, role: str = "AgentRole", kind: str = "iam-policy",
          effect: str = "Allow", line: int = 1, file: str = "grants") -> Event:
    return Event(ref=line_ref(sha(file), line), source="agent:grant", time=at(0),
                 action="grant", actor_id=AGENT, actor_kind="agent",
                 target_id=resources[0] if resources else None,
                 attrs={"grant_kind": kind, "permissions": permissions,
                        "resources": resources, "effect": effect, "intended": intended,
                        "intent_text": intent_text, "role_name": role})


def network(step: int, bytes_out: int, dest_host: str, *, object_key: str | None = None,
            bucket: str | None = None, url: str | None = None, session: str = SESSION,
            line: int | None = None) -> Event:
    attrs = {"tool_call_id": f"call-{step}", "dest_host": dest_host, "object_key": object_key,
             "bucket": bucket, "url": url}
    return Event(ref=line_ref(sha("network"), line or step), source="agent:network",
                 time=at(step * 10 + 1), action="network", actor_id=AGENT, session=session,
                 step=step, bytes_out=bytes_out,
                 attrs={k: v for k, v in attrs.items() if v is not None})


def persistence(mechanism: str, target: str, *, installed_via: str | None = None,
                step: int | None = None, schedule: str | None = None,
                session: str = SESSION, line: int = 1) -> Event:
    attrs = {"mechanism": mechanism, "installed_via": installed_via,
             "schedule_expression": schedule}
    if step is not None:
        attrs["tool_call_id"] = f"call-{step}"
    return Event(ref=line_ref(sha("persistence"), line), source="agent:persistence",
                 time=at((step or 0) * 10 + 2), action=mechanism, action_class="persistence",
                 actor_id=AGENT, target_id=target, session=session, step=step,
                 attrs={k: v for k, v in attrs.items() if v is not None})


def mcp_node(node_id: str, parent: str | None, tool: str, *, depth: int | None = None,
             scope: str | None = None, step: int | None = None, target: str | None = None,
             session: str = SESSION, line: int = 1) -> Event:
    attrs = {"node_id": node_id, "parent_node_id": parent, "depth": depth, "tool": tool,
             "server": "aws-mcp", "scope": scope}
    if step is not None:
        attrs["tool_call_id"] = f"call-{step}"
    return Event(ref=line_ref(sha("mcp-graph"), line), source="agent:mcp_node", time=None,
                 action=tool, target_id=target, session=session,
                 attrs={k: v for k, v in attrs.items() if v is not None})


def mcp_message(source: str, line: int, *, method: str, tool: str | None = None,
                jsonrpc_id: Any = None, arguments: Any = None, result: str | None = None,
                tools: list[dict] | None = None, server: str = "files",
                session: str = "mcp-1") -> Event:
    attrs = {"method": method, "tool": tool, "jsonrpc_id": jsonrpc_id, "arguments": arguments,
             "result_text": result, "tools": tools, "server": server}
    klass = classify_action(tool) if tool and source == "mcp:request" else "other"
    return Event(ref=line_ref(sha("mcp-log"), line), source=source, time=at(line),
                 action=method, action_class=klass, actor_id="mcp-client", session=session,
                 attrs={k: v for k, v in attrs.items() if v is not None})


def run(tool: str, events: list[Event], **settings: Any) -> list[Finding]:
    ctx = Context(settings=settings)
    return sorted(get(tool).run(events, ctx), key=Finding.sort_key)


def categories(findings: list[Finding]) -> list[tuple[str, int | None]]:
    return [(f.category, f.step) for f in findings]
