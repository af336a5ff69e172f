"""The layouts of a Codex rollout's records, and a first pass over it: what later records
say about each call.

Codex writes a call's approval, working directory and MCP server in records of their own
(`exec_command_begin`, `patch_apply_begin`, `exec_approval_request`, `mcp_tool_call_*`),
and its output after it. Reading them first lets each call be built whole, in file order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...model import EvidenceRef, line_ref
from .common import as_dict, as_text


def envelope(record: dict[str, Any]) -> tuple[str | None, Any, Any]:
    """(record kind, payload, time value) for the enveloped and the bare 2025 layouts."""
    kind = record.get("type")
    if "payload" in record and isinstance(kind, str):
        return kind, record["payload"], record.get("timestamp")
    if "record_type" in record:
        return "state", record, None
    if kind is None and "id" in record and "timestamp" in record:
        return "session_meta", record, record.get("timestamp")
    if isinstance(kind, str):
        return "response_item", record, record.get("timestamp")
    return None, record, None


OUTPUTS = ("function_call_output", "custom_tool_call_output", "tool_search_output")
APPROVAL_REQUESTS = ("exec_approval_request", "apply_patch_approval_request")


@dataclass
class CallInfo:
    answered: bool = False                   # an output record for the call is in the file
    cwd: str | None = None                   # exec_command_begin.cwd
    server: str | None = None                # mcp_tool_call_begin/end invocation.server
    approval: tuple[str, EvidenceRef] | None = None   # (value, the record that shows it)


@dataclass
class CallIndex:
    session: str | None = None               # the id of the file's first session record
    calls: dict[str, CallInfo] = field(default_factory=dict)

    def get(self, call_id: str | None) -> CallInfo:
        return self.calls.get(call_id or "", CallInfo())

    def info(self, call_id: str) -> CallInfo:
        return self.calls.setdefault(call_id, CallInfo())


def index_calls(records: list[tuple[int, dict[str, Any]]], sha256: str) -> CallIndex:
    index = CallIndex()
    asked: dict[str, EvidenceRef] = {}
    for number, record in records:
        kind, payload, _ = envelope(record)
        if not isinstance(payload, dict):
            continue
        if kind == "session_meta" and index.session is None:
            index.session = as_text(payload.get("id"))
        call_id = as_text(payload.get("call_id"))
        if not call_id:
            continue
        kind = payload.get("type") if kind in ("response_item", "event_msg") else None
        if kind in OUTPUTS:
            index.info(call_id).answered = True
        elif kind is not None:
            _event(index.info(call_id), kind, payload, line_ref(sha256, number), asked, call_id)
    for call_id, ref in asked.items():
        info = index.info(call_id)
        if info.approval is None and info.answered:
            info.approval = ("approved", ref)
    return index


def _event(info: CallInfo, kind: str, payload: dict, ref: EvidenceRef,
           asked: dict[str, EvidenceRef], call_id: str) -> None:
    if kind == "exec_command_begin":
        info.cwd = as_text(payload.get("cwd")) or info.cwd
    elif kind in ("mcp_tool_call_begin", "mcp_tool_call_end"):
        info.server = as_text(as_dict(payload.get("invocation")).get("server")) or info.server
    elif kind == "patch_apply_begin" and isinstance(payload.get("auto_approved"), bool):
        info.approval = ("auto-approved" if payload["auto_approved"] else "approved", ref)
    elif kind in APPROVAL_REQUESTS:
        asked.setdefault(call_id, ref)
