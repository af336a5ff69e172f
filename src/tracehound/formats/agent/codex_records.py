"""The layouts of a Codex rollout's records, and a first pass over it: what later records
say about each call.

Codex writes a call's approval, working directory and MCP server in records of their own
(`exec_command_begin`, `patch_apply_begin`, `exec_approval_request`, `mcp_tool_call_*`),
and its output after it. Reading them first lets each call be built whole, in file order.
The first pass also notes the last line that can still change each call (`settled_at`), so
the second can hand events out as it reads instead of keeping every record.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Iterable

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
    # for reading in one stream: the last line naming each call id, the line of each call
    # record, whether a call id is used by more than one call (copied history), the lines of
    # turn_aborted events (they reject the calls still waiting), and the last session_meta
    # and turn_context lines (the session event learns from both)
    named_until: dict[str, int] = field(default_factory=dict)
    call_line: dict[str, int] = field(default_factory=dict)
    repeated: bool = False
    aborts: list[int] = field(default_factory=list)
    last_meta: int = 0
    last_context: int = 0

    def get(self, call_id: str | None) -> CallInfo:
        return self.calls.get(call_id or "", CallInfo())

    def info(self, call_id: str) -> CallInfo:
        return self.calls.setdefault(call_id, CallInfo())

    def call_settled(self, line: int, call_id: str | None) -> int | None:
        """The last line whose records can change the call at `line`: the last naming its
        id, and for a call that has no output record the first turn_aborted after it."""
        if not call_id:
            return None
        until = max(line, self.named_until.get(call_id, line))
        if not self.get(call_id).answered:
            at = bisect_right(self.aborts, line)
            if at < len(self.aborts):
                until = max(until, self.aborts[at])
        return until

    def result_settled(self, line: int, call_id: str | None) -> int | None:
        """A result waits for its call when the call comes later in the file."""
        return max(line, self.call_line.get(call_id, line)) if call_id else None


CALL_TYPES = ("function_call", "custom_tool_call", "local_shell_call", "web_search_call",
              "tool_search_call", "image_generation_call")


def index_calls(records: Iterable[tuple[int, dict[str, Any]]], sha256: str) -> CallIndex:
    index = CallIndex()
    asked: dict[str, EvidenceRef] = {}
    for number, record in records:
        kind, payload, _ = envelope(record)
        if not isinstance(payload, dict):
            continue
        if kind == "session_meta":
            index.last_meta = number
            if index.session is None:
                index.session = as_text(payload.get("id"))
        elif kind == "turn_context":
            index.last_context = number
        item = payload.get("type") if kind in ("response_item", "event_msg") else None
        if item == "turn_aborted" and kind == "event_msg":
            index.aborts.append(number)
        call_id = as_text(payload.get("call_id"))
        if kind == "response_item" and item in CALL_TYPES:
            key = call_id or (as_text(payload.get("id")) if item == "local_shell_call"
                              else None)
            if key:
                index.repeated = index.repeated or key in index.call_line
                index.call_line[key] = number
        if not call_id:
            continue
        index.named_until[call_id] = number
        kind = item
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
