"""Cline and Roo Code task histories (`tasks/<id>/api_conversation_history.json`) -> events.

The file is the conversation as the runtime sent it to the model: a JSON array of
Anthropic-style messages `{role, content}` (Roo Code adds `ts`, epoch ms, and `isSummary` on a
condensed-context summary; Cline adds `modelInfo` and `metrics`). Tool calls are XML in
assistant text (cline_text.xml_calls) or, in newer versions, `tool_use` blocks; a result is
the next user message's text under `[tool for 'arg'] Result:` (paired with the earliest
unanswered call of that tool) or a `tool_result` block with `tool_use_id`. `The user denied
this operation` is a rejection; the human's words come from `<task>`, `<feedback>`,
`<answer>` and `<user_message>`; `<environment_details>` is injected by the runtime and gives
the workspace folder and time of each user message.

XML calls get the id `m<message index>.<n>`: the ui_messages file of the task names the
message a tool ask belongs to (`conversationHistoryIndex` + 1), so session assembly can pair
the files; both get the session id cline_text.task_session derives from the task and the
first environment details.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue, pointer_ref
from .builder import ToolCall, ToolResult, TraceBuilder, prompt_event
from .cline_text import (DENIED, INTERRUPTED, environment_fields, exit_error, human_texts,
                         is_environment, result_header, task_session, task_text, xml_calls)
from .common import as_dict, as_list, as_text, epoch_iso, text_of
from ..base import Parser, Sample, Source
from ..readers import load_json
from ..registry import register

ROLES = ("user", "assistant")
NO_CALL_ID = "result without a call id (kept as an unmatched result)"


def blocks_of(message: dict[str, Any]) -> list[Any]:
    content = message.get("content")
    return [{"type": "text", "text": content}] if isinstance(content, str) else as_list(content)


def _texts(message: dict[str, Any]) -> Iterator[str]:
    for block in blocks_of(message):
        if isinstance(block, dict) and isinstance(block.get("text"), str):
            yield block["text"]


def is_history(doc: Any) -> bool:
    """A list of role/content messages whose first user text is a Cline / Roo task."""
    if not isinstance(doc, list) or not doc or not isinstance(doc[0], dict):
        return False
    first = doc[0]
    if first.get("role") != "user" or not all(isinstance(m, dict) and m.get("role") in ROLES
                                              for m in doc[:5]):
        return False
    return any(task_text(t) is not None or is_environment(t) or t.lstrip().startswith(
        ("<task>", "[TASK RESUMPTION]")) for t in _texts(first))


def runtime_of(doc: list) -> str:
    for message in doc[:50]:
        if isinstance(message, dict) and ("ts" in message or "isSummary" in message):
            return "roo-code"
        if isinstance(message, dict) and any("<slug>" in t for t in _texts(message)):
            return "roo-code"
    return "cline"


@register
class ClineTaskHistoryParser(Parser):
    name = "cline"
    version = "1"
    description = "Cline / Roo Code task history (tasks/<id>/api_conversation_history.json)"
    example = "api_conversation_history.json"

    def sniff(self, sample: Sample) -> str | None:
        if sample.document is not None:
            return "Cline / Roo Code api_conversation_history: messages opening with a " \
                   "<task>" if is_history(sample.document) else None
        head = re.sub(r"\s+", "", sample.text[:400])
        if head.startswith('[{"role":"user","content":[{"type":"text","text":"<task>'):
            return "Cline / Roo Code api_conversation_history: opens with a <task> " \
                   "(unreadable whole)"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        doc, issues = load_json(source.data, source.path)
        runtime = runtime_of(doc) if isinstance(doc, list) else "cline"
        reader = _HistoryReader(source, TraceBuilder(runtime, source, order="file"), doc)
        for issue in issues:
            reader.builder.add(issue)
        if doc is not None and not isinstance(doc, list):
            reader.builder.issue("json:", "not a list of messages")
        for index, message in enumerate(doc if isinstance(doc, list) else []):
            reader.message(index, message)
        yield from reader.builder.build()


class _HistoryReader:
    def __init__(self, source: Source, builder: TraceBuilder, doc: Any):
        self.source = source
        self.builder = builder
        self.runtime = builder.runtime
        self.session = _session_of(doc) or f"{self.runtime}-{source.sha256[:12]}"
        self.cwd: str | None = None
        self.model: str | None = None
        self.pending: list[ToolCall] = []          # calls not yet answered, in order
        self.latest: dict[str, ToolCall] = {}      # tool -> its latest call
        self.calls: dict[str, ToolCall] = {}       # tool_use id -> call

    def ref(self, *tokens: Any) -> EvidenceRef:
        return pointer_ref(self.source.sha256, *tokens)

    def message(self, index: int, message: Any) -> None:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            self.builder.issue(self.ref(index).locator, "message has no user or assistant role")
            return
        if not isinstance(message.get("content"), (str, list)):
            self.builder.issue(self.ref(index).locator, "message content is neither text nor "
                                                       "a list of blocks")
            return
        if message.get("isSummary"):
            self.builder.add(prompt_event(
                self.ref(index), self.runtime, text_of(message.get("content")) or "", "user",
                time=epoch_iso(message.get("ts")), session=self.session,
                turn_kind="compaction-summary", raw=message))
        elif message["role"] == "assistant":
            self.assistant(index, message)
        else:
            self.user(index, message)

    # ------------------------------------------------------------------ assistant

    def assistant(self, index: int, message: dict) -> None:
        time = epoch_iso(message.get("ts"))
        self.model = as_text(as_dict(message.get("modelInfo")).get("modelId")) or self.model
        said: list[str] = []
        count = 0
        for position, block in enumerate(blocks_of(message)):
            if not isinstance(block, dict):
                continue
            ref = self.ref(index, "content", position)
            if block.get("type") == "text" and isinstance(block.get("text"), str):
                for tool, params, before in xml_calls(block["text"]):
                    said.append(before)
                    self.call(ref, tool, params, f"m{index}.{count}", time, said, message)
                    count += 1
                said.append(block["text"])
            elif block.get("type") == "tool_use":
                tool = as_text(block.get("name"))
                if not tool:
                    self.builder.issue(ref.locator, "tool_use block without a tool name")
                    continue
                call_id = as_text(block.get("id")) or f"m{index}.{count}"
                self.call(ref, tool, block.get("input"), call_id, time, said, message)
                count += 1

    def call(self, ref: EvidenceRef, tool: str, arguments: Any, call_id: str,
             time: str | None, said: list[str], message: dict) -> None:
        intent = next((text.strip() for text in reversed(said) if text.strip()), None)
        server = as_dict(arguments).get("server_name") if tool == "use_mcp_tool" else None
        call = ToolCall(ref=ref, tool=tool, time=time, session=self.session,
                        tool_call_id=call_id, arguments=arguments, actor_id=self.runtime,
                        model=self.model, stated_intent=intent, cwd=self.cwd,
                        record_id=call_id, server=as_text(server), raw=message)
        self.builder.add(call)
        self.pending.append(call)
        self.latest[tool] = call
        self.calls[call_id] = call

    # ------------------------------------------------------------------ user

    def user(self, index: int, message: dict) -> None:
        blocks = blocks_of(message)
        env = next((b["text"] for b in blocks if isinstance(b, dict)
                    and isinstance(b.get("text"), str) and is_environment(b["text"])), "")
        fields = environment_fields(env)
        self.cwd = fields.get("cwd", self.cwd)
        self.model = fields.get("model", self.model)
        ref0 = self.ref(index)
        time = epoch_iso(message.get("ts")) or self.builder.time(fields.get("time"), ref0)
        result: list[Any] = []                   # [ref, tool, header arg, body parts]
        for position, block in enumerate(blocks):
            ref = self.ref(index, "content", position)
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_result":
                self.close(result, time, message)
                self.native_result(ref, block, time, message)
                continue
            text = block.get("text")
            if block.get("type") != "text" or not isinstance(text, str):
                continue
            header = result_header(text)
            if is_environment(text) or header is not None:
                self.close(result, time, message)
            if header is not None:
                result[:] = [ref, header[0], header[1], [header[2]]]
            elif result and not is_environment(text):
                result[3].append(text)
            else:
                self.text(ref, text, time, message)
                continue
            for human in human_texts(text):
                self.prompt(ref, human, "human-typed", time, message)
        self.close(result, time, message)

    def text(self, ref: EvidenceRef, text: str, time: str | None, message: dict) -> None:
        task = task_text(text)
        humans = human_texts(text)
        if task is not None:
            self.prompt(ref, task, "human-typed", time, message)
        elif humans:
            for human in humans:
                self.prompt(ref, human, "human-typed", time, message)
        else:
            self.prompt(ref, text, "system-injected", time, message)
        if text.lstrip().startswith("[TASK RESUMPTION]"):
            for call in self.pending:            # they never ran: the task was interrupted
                call.approval, call.approval_ref = "rejected", ref
            self.pending.clear()

    def prompt(self, ref: EvidenceRef, text: str, kind: str, time: str | None,
               message: dict) -> None:
        if text.strip():
            self.builder.add(prompt_event(ref, self.runtime, text, "user", time=time,
                                          session=self.session, turn_kind=kind, raw=message))

    def close(self, result: list[Any], time: str | None, message: dict) -> None:
        """The open `[tool ...] Result:` text as the result of the call it answers."""
        if not result:
            return
        ref, tool, _arg, parts = result
        result.clear()
        call = next((c for c in self.pending if c.tool == tool), None) or self.latest.get(tool)
        if call in self.pending:
            self.pending.remove(call)
        body = "\n".join(p for p in parts if p)
        call_id = call.tool_call_id if call is not None else f"{tool}@{ref.locator}"
        self.add_result(ref, call_id, tool, body, None, time, message)

    def native_result(self, ref: EvidenceRef, block: dict, time: str | None,
                      message: dict) -> None:
        call_id = as_text(block.get("tool_use_id"))
        if not call_id:
            self.builder.issue(ref.locator, NO_CALL_ID)
        call = self.calls.get(call_id or "")
        if call in self.pending:
            self.pending.remove(call)
        body = text_of(block.get("content")) or ""
        is_error = block.get("is_error") if isinstance(block.get("is_error"), bool) else None
        self.add_result(ref, call_id, call.tool if call else None, body, is_error, time, message)

    def add_result(self, ref: EvidenceRef, call_id: str | None, tool: str | None, body: str,
                   is_error: bool | None, time: str | None, message: dict) -> None:
        rejected = DENIED in body or INTERRUPTED in body
        if is_error is None:
            is_error = rejected or body.lstrip().startswith(
                ("The tool execution failed", "[ERROR]", "<error>", "Tool [")) or \
                bool(exit_error(body))
        self.builder.add(ToolResult(ref=ref, tool_call_id=call_id, result=body,
                                    is_error=is_error, time=time, session=self.session,
                                    actor_id=self.runtime, tool=tool, rejected=rejected,
                                    raw=message))


def _session_of(doc: Any) -> str | None:
    """The task id both task files derive (cline_text.task_session)."""
    if not isinstance(doc, list) or not doc or not isinstance(doc[0], dict):
        return None
    texts = list(_texts(doc[0]))
    task = next((t for t in map(task_text, texts) if t is not None), None)
    if task is None:
        return None
    env = next((t for t in texts if is_environment(t)), None)
    return task_session(task, env)
