"""Cline and Roo Code task UI logs (`tasks/<id>/ui_messages.json`) -> approval events.

The file is what the human saw: a JSON array of `{ts (epoch ms), type: ask | say, ask?,
say?, text, partial?, ...}`. It records approvals the conversation file does not:
- Cline asks the human before a tool, command, MCP call or browser launch (`ask: tool`,
  `command`, `use_mcp_server`, `browser_action_launch`) and only *says* it (`say: tool`...)
  when its auto-approve settings let the call run without asking;
- the answer shows in what follows the ask: the next `api_req_started` carries the request
  sent to the model, whose text holds the tool's result or `The user denied this operation`;
  a `resume_task` ask before any request means the task stopped with the ask open or just
  after it was answered (approval unknown, `task_stopped`).
Roo Code writes the ask even when its auto-approve settings answer it, so a Roo Code ask
that ran is recorded with approval `unknown` (`answered: yes`), and only a denial is sure.

Each decision is an `agent:approval` event; the task (first `say: text`) and the human's
later messages (`user_feedback`) are turns. `conversation_history_index` + 1 is the message
of api_conversation_history.json that holds the call the approval answers (cline.py names
XML calls `m<index>.<n>`); both files get the session id of cline_text.task_session.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue, pointer_ref
from .builder import TraceBuilder, prompt_event
from .cline_text import DENIED, task_session
from .common import as_text, epoch_iso
from ..base import Parser, Sample, Source
from ..readers import load_json
from ..registry import register

APPROVAL_ASKS = ("tool", "command", "use_mcp_server", "browser_action_launch",
                 "use_subagents")
ROO_SAYS = ("subtask_result", "condense_context", "api_req_retry_delayed",
            "codebase_search_result", "diff_error", "rooignore_error")
STOPS = ("resume_task", "resume_completed_task")
_ENV = re.compile(r"<environment_details>.*?</environment_details>", re.S)
_HEAD = re.compile(r'^\s*\[\s*\{\s*"ts"\s*:\s*\d{12,}\s*,\s*"type"\s*:\s*"(?:ask|say)"')


def _is_ui(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("ts"), int) and \
        value.get("type") in ("ask", "say") and ("ask" in value or "say" in value)


@register
class ClineUiMessagesParser(Parser):
    name = "cline-ui"
    version = "1"
    description = "Cline / Roo Code task UI log (tasks/<id>/ui_messages.json): approvals"
    example = "ui_messages.json"

    def sniff(self, sample: Sample) -> str | None:
        items = sample.list_items()
        if items and all(_is_ui(item) for item in items[:5]):
            return "Cline / Roo Code ui_messages: ts/type ask|say records"
        if sample.document is None and _HEAD.match(sample.text):
            return "Cline / Roo Code ui_messages: opens with a ts/type ask|say record"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        doc, issues = load_json(source.data, source.path)
        records = doc if isinstance(doc, list) else []
        runtime = _runtime(records)
        builder = TraceBuilder(runtime, source, order="file")
        for issue in issues:
            builder.add(issue)
        if doc is not None and not isinstance(doc, list):
            builder.issue("json:", "not a list of UI messages")
        reader = _UiReader(source, builder, records)
        for index, record in enumerate(records):
            reader.record(index, record)
        yield from builder.build()


def _runtime(records: list) -> str:
    for record in records[:400]:
        if isinstance(record, dict) and ("isProtected" in record
                                         or record.get("say") in ROO_SAYS):
            return "roo-code"
    return "cline"


def _request(record: dict) -> str | None:
    """The request text of an `api_req_started` record."""
    if record.get("say") != "api_req_started" or not isinstance(record.get("text"), str):
        return None
    try:
        value = json.loads(record["text"])
    except (ValueError, RecursionError):
        return None
    request = value.get("request") if isinstance(value, dict) else None
    return request if isinstance(request, str) else None


class _UiReader:
    def __init__(self, source: Source, builder: TraceBuilder, records: list):
        self.source = source
        self.builder = builder
        self.runtime = builder.runtime
        self.records = records
        self.session = self._session() or f"{self.runtime}-{source.sha256[:12]}"
        self.task_seen = False

    def _session(self) -> str | None:
        task = next((r.get("text") for r in self.records if isinstance(r, dict)
                     and r.get("say") in ("text", "task") and isinstance(r.get("text"), str)),
                    None)
        request = next((q for q in map(_request, (r for r in self.records
                                                  if isinstance(r, dict))) if q), "")
        env = _ENV.search(request)
        return task_session(task, env.group(0) if env else None) if task else None

    def ref(self, index: int) -> EvidenceRef:
        return pointer_ref(self.source.sha256, index)

    def record(self, index: int, record: Any) -> None:
        ref = self.ref(index)
        if not _is_ui(record):
            self.builder.issue(ref.locator, "not a UI message (ts, type ask/say)")
            return
        if record.get("partial") is True:
            return                                  # a streaming placeholder
        time = epoch_iso(record["ts"])
        kind = record.get("ask") if record["type"] == "ask" else record.get("say")
        text = record.get("text") if isinstance(record.get("text"), str) else ""
        if record["type"] == "say" and kind in ("text", "task") and not self.task_seen:
            self.task_seen = True
            self.prompt(ref, text, time, record)
        elif record["type"] == "say" and kind == "user_feedback":
            self.prompt(ref, text, time, record)
        elif kind in APPROVAL_ASKS and record["type"] == "say":
            self.approval(ref, record, time, "auto-approved", None)
        elif kind in APPROVAL_ASKS:
            value, decided = self.decision(index)
            self.approval(ref, record, time, value, decided)

    def prompt(self, ref: EvidenceRef, text: str, time: str | None, record: dict) -> None:
        if text.strip():
            self.builder.add(prompt_event(ref, self.runtime, text, "user", time=time,
                                          session=self.session, turn_kind="human-typed",
                                          raw=record))

    def decision(self, index: int) -> tuple[str, EvidenceRef | None]:
        """What became of the ask at `index`: the next request sent to the model says."""
        for later in range(index + 1, len(self.records)):
            record = self.records[later]
            if not isinstance(record, dict):
                continue
            if record.get("type") == "ask" and record.get("ask") in STOPS:
                return "stopped", self.ref(later)
            request = _request(record)
            if request is None:
                continue
            if DENIED in request:
                return "rejected", self.ref(later)
            return ("unknown" if self.runtime == "roo-code" else "approved"), self.ref(later)
        return "unknown", None

    def approval(self, ref: EvidenceRef, record: dict, time: str | None, value: str,
                 decided: EvidenceRef | None) -> None:
        kind = record.get("ask") or record.get("say")
        text = record.get("text") if isinstance(record.get("text"), str) else ""
        details = _details(kind, text)
        stopped = value == "stopped"             # the task stopped before the next request:
        value = "unknown" if stopped else value  # the ask may or may not have been answered
        attrs: dict[str, Any] = {"approval": value, "approver_status": value,
                                 "ask": kind, "asked": record["type"] == "ask",
                                 "runtime": self.runtime, **details}
        if stopped:
            attrs["task_stopped"] = True
        elif record["type"] == "ask" and decided is not None and value == "unknown":
            attrs["answered"] = "yes"
        if decided is not None:
            attrs["approval_ref"] = decided.to_json()
        index = record.get("conversationHistoryIndex")
        if isinstance(index, int) and not isinstance(index, bool):
            attrs["conversation_history_index"] = index
        human = value in ("approved", "rejected") and record["type"] == "ask"
        self.builder.add(Event(
            ref=ref, source="agent:approval", time=time, action=details.get("tool") or kind,
            actor_kind="human" if human else "unknown", session=self.session,
            approver="user" if human else None, attrs=attrs, raw=record))


def _details(kind: str, text: str) -> dict[str, Any]:
    """The tool, arguments, command or MCP server an ask or say names."""
    if kind == "command":
        return {"tool": "execute_command", "command": text}
    try:
        value = json.loads(text) if text.strip().startswith("{") else None
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        return {"text": text} if text else {}
    details: dict[str, Any] = {"arguments": value}
    if kind == "use_mcp_server":
        details["tool"] = as_text(value.get("type")) or "use_mcp_tool"
        details["server"] = as_text(value.get("serverName"))
        details["mcp_tool"] = as_text(value.get("toolName"))
    else:
        details["tool"] = as_text(value.get("tool")) or kind
    return {k: v for k, v in details.items() if v is not None}
