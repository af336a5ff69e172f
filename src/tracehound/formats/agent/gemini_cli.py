"""Gemini CLI session recordings (`~/.gemini/tmp/<project hash>/chats/session-*.json[l]`)
-> events.

Until early 2026 a session is one JSON document `{sessionId, projectHash, startTime,
lastUpdated, messages: [...], summary?, directories?, kind?}`; since then the same record is
written as JSON lines: the metadata record, then each message record every time it changes
(the last copy of an id is the complete one; a call some copy holds is never dropped),
`{"$set": {...}}` metadata updates (a `$set` of `messages` is a checkpoint) and
`{"$rewindTo": id}` when the human rewinds (the rewound messages are still read: they ran).

A message is `{id, timestamp, type: user | gemini | info | error | warning, content,
displayContent?}`; gemini messages add `toolCalls: [{id, name, args, result, status,
timestamp, agentId?, resultDisplay, ...}]`, `thoughts`, `tokens` and `model`. Each tool call
is a step holding its own result; status `error` is a failure and `cancelled` (the human
denied it, or cancelled the run) is rejected. User text wrapped in `<session_context>` or
`<hook_context>` is injected by the CLI, and the project's GEMINI.md files appear inside it as
`--- Context from: PATH --- ... --- End of Context from: PATH ---`. A subagent's session
(`kind: subagent`) marks its calls as sidechain calls of that agent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue
from .builder import ToolCall, TraceBuilder, prompt_event
from .common import Ref, as_dict, as_list, as_text, json_documents, text_of
from .unknown_types import UnknownTypes
from ..base import Parser, Sample, Source
from ..registry import register

RUNTIME = "gemini-cli"
MESSAGE_TYPES = ("user", "gemini", "info", "error", "warning")
INJECTED = ("<session_context>", "<hook_context>")
_CONTEXT = re.compile(r"--- Context from: (.+?) ---\n(.*?)\n--- End of Context from: \1 ---",
                      re.S)
_HEAD = re.compile(r'^\s*\{\s*"sessionId"\s*:\s*"[^"]*"\s*,\s*"projectHash"\s*:')


def is_session(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("sessionId"), str) and \
        isinstance(value.get("projectHash"), str)


@register
class GeminiCliSessionParser(Parser):
    name = "gemini-cli"
    version = "1"
    description = "Gemini CLI chat recordings (~/.gemini/tmp/<project>/chats/session-*.json[l])"
    example = "session-2026-03-16T19-31-d937f1d4.json"

    def sniff(self, sample: Sample) -> str | None:
        doc = sample.document
        if is_session(doc) and isinstance(doc.get("messages"), list):
            return "Gemini CLI session: sessionId, projectHash and messages"
        first = sample.records[0] if sample.records else None
        if is_session(first) and len(sample.records) > 1 and "role" not in first:
            return "Gemini CLI session JSONL: a sessionId/projectHash record, then messages"
        if doc is None and not sample.records and _HEAD.match(sample.text):
            return "Gemini CLI session: opens with sessionId and projectHash (unreadable whole)"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        reader = _SessionReader(source)
        issues: list[ParseIssue] = []
        for value, at in json_documents(source, issues):
            reader.document(value, at)
        for issue in issues:
            reader.builder.add(issue)
        reader.finish()
        yield from reader.builder.build()


@dataclass
class _Message:
    ref: Ref                    # ref maker of the copy that is read
    record: dict[str, Any]
    calls: dict[str, tuple[Any, EvidenceRef]] = field(default_factory=dict)  # id -> call, ref


@dataclass
class _Session:
    meta: dict[str, Any] = field(default_factory=dict)
    meta_ref: EvidenceRef | None = None
    messages: dict[str, _Message] = field(default_factory=dict)   # by id, first-seen order


class _SessionReader:
    def __init__(self, source: Source):
        self.source = source
        self.builder = TraceBuilder(RUNTIME, source, order="file")
        self.session = _Session()
        self.unknown = UnknownTypes(source.path)

    def issue(self, ref: EvidenceRef, problem: str) -> None:
        self.builder.issue(ref.locator, problem)

    def document(self, value: Any, at: Ref) -> None:
        """A whole session document, or one line of a JSONL session."""
        if not isinstance(value, dict):
            self.issue(at(), "not a session record (expected a JSON object)")
        elif is_session(value):
            self.metadata(value, at)
            for position, message in enumerate(as_list(value.get("messages"))):
                self.message(message, lambda *t, p=position: at("messages", p, *t))
        elif isinstance(value.get("$set"), dict):
            self.metadata(value["$set"], at)
            for position, message in enumerate(as_list(value["$set"].get("messages"))):
                self.message(message, lambda *t, p=position: at("$set", "messages", p, *t))
        elif "$rewindTo" in value:
            return                      # the runtime hides later messages; they happened
        elif isinstance(value.get("id"), str):
            self.message(value, at)
        else:
            self.issue(at(), "record is neither session metadata nor a message")

    def metadata(self, meta: dict[str, Any], at: Ref) -> None:
        if self.session.meta_ref is None and is_session(meta):
            self.session.meta_ref = at()
        self.session.meta.update({k: v for k, v in meta.items() if k != "messages"})

    def message(self, message: Any, at: Ref) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("id"), str):
            self.issue(at(), "message has no id")
            return
        previous = self.session.messages.get(message["id"])
        calls = dict(previous.calls) if previous else {}   # a copy never loses a call
        for position, call in enumerate(as_list(message.get("toolCalls"))):
            call_id = as_dict(call).get("id")
            key = call_id if isinstance(call_id, str) else f"{at().locator}#{position}"
            calls[key] = (call, at("toolCalls", position))
        self.session.messages[message["id"]] = _Message(at, message, calls)

    # ------------------------------------------------------------------ events

    def finish(self) -> None:
        meta = self.session.meta
        session = as_text(meta.get("sessionId")) or f"gemini-{self.source.sha256[:12]}"
        messages = list(self.session.messages.values())
        if self.session.meta_ref is not None:
            model = next((as_text(m.record.get("model")) for m in messages
                          if m.record.get("model")), None)
            self.builder.session_meta(
                self.session.meta_ref, session,
                time=self.builder.time(meta.get("startTime"), self.session.meta_ref),
                raw=meta, agent_kind="coding", model=model,
                project_hash=as_text(meta.get("projectHash")), summary=as_text(
                    meta.get("summary")), directories=as_list(meta.get("directories")),
                session_kind=as_text(meta.get("kind")))
        subagent = session if meta.get("kind") == "subagent" else None
        intent: list[str | None] = [None]
        for message in messages:
            self.read_message(message, session, subagent, intent)
        for issue in self.unknown.issues():
            self.builder.add(issue)

    def read_message(self, message: _Message, session: str, subagent: str | None,
                     intent: list[str | None]) -> None:
        record, at = message.record, message.ref
        kind = record.get("type")
        ref = at()
        time = self.builder.time(record.get("timestamp"), ref)
        if kind == "user":
            intent[0] = None
            self.user(record, ref, time, session)
        elif kind == "gemini":
            intent[0] = text_of(record.get("content")) or intent[0]
            for call, call_ref in message.calls.values():
                self.call(call, record, call_ref, time, session, subagent, intent[0])
        elif kind not in MESSAGE_TYPES:
            self.unknown.count(f"message/{kind}", ref.locator)

    def user(self, record: dict, ref: EvidenceRef, time: str | None, session: str) -> None:
        shown = _typed(record.get("displayContent"))
        text = text_of(record.get("content"))
        if shown and shown.strip() and shown != text:
            self.builder.add(prompt_event(ref, RUNTIME, shown, "user", time=time,
                                          session=session, turn_kind="human-typed",
                                          record_id=record["id"], raw=record))
            kind = "system-injected"             # what the CLI expanded the typed text to
        else:
            kind = "system-injected" if (text or "").lstrip().startswith(INJECTED) \
                else "human-typed"
        if not text or not text.strip():
            return
        for path, body in _CONTEXT.findall(text):
            self.builder.instructions(ref, body, path=path.strip(), time=time, session=session,
                                      raw=record)
        self.builder.add(prompt_event(ref, RUNTIME, text, "user", time=time, session=session,
                                      turn_kind=kind, record_id=record["id"], raw=record))

    def call(self, call: Any, message: dict, ref: EvidenceRef, time: str | None, session: str,
             subagent: str | None, intent: str | None) -> None:
        if not isinstance(call, dict) or not as_text(call.get("name")):
            self.issue(ref, "tool call without a name")
            return
        status = call.get("status")
        rejected = status == "cancelled"
        self.builder.add(ToolCall(
            ref=ref, tool=call["name"], time=self.builder.time(call.get("timestamp"), ref) or time,
            session=session, tool_call_id=as_text(call.get("id")), arguments=call.get("args"),
            result=_result(call), is_error={"success": False, "error": True,
                                            "cancelled": True}.get(status),
            actor_id=subagent or RUNTIME, model=as_text(message.get("model")),
            stated_intent=intent, approval="rejected" if rejected else None,
            approval_ref=ref if rejected else None, agent_id=subagent,
            sidechain=subagent is not None, spawns=as_text(call.get("agentId")),
            record_id=as_text(message.get("id")), extra=_status(status), raw=call))


def _status(status: Any) -> dict[str, Any]:
    return {"status": status} if isinstance(status, str) else {}


def _result(call: dict) -> Any:
    """The tool's output as the model got it (functionResponse output or error), else what
    the CLI displayed."""
    texts = []
    for part in as_list(call.get("result")):
        response = as_dict(as_dict(part).get("functionResponse")).get("response")
        if isinstance(response, dict):
            value = response.get("output", response.get("error", response))
            texts.append(text_of(value))
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            texts.append(part["text"])
    joined = "\n".join(t for t in texts if t)
    if joined:
        return joined
    display = call.get("resultDisplay")
    return display if isinstance(display, str) and display else None


def _typed(display: Any) -> str | None:
    """What the human typed, as the CLI displayed it: its text parts. A display of function
    responses (a tool's output the CLI showed back, e.g. the human's edit of a proposed
    change) is no typed text."""
    parts = display if isinstance(display, list) else [display]
    if any(isinstance(p, dict) and ("functionResponse" in p or "functionCall" in p)
           for p in parts):
        return None
    return text_of(display)
