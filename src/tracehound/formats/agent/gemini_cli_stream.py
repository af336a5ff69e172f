"""Gemini CLI headless output (`gemini --output-format stream-json`) -> events.

One JSON event a line: `init` {session_id, model}, `message` {role: user | assistant,
content, delta?}, `tool_use` {tool_name, tool_id, parameters}, `tool_result` {tool_id, status:
success | error, output?, error?}, `error` {severity, message} and `result` {status, stats},
each with a `timestamp`. Assistant text arrives in pieces (`delta`); the pieces before a call
are its stated intent. Headless runs ask no one: what the CLI was allowed to run comes from
its settings, which the stream does not record (approval unknown).
"""

from __future__ import annotations

from typing import Any, Iterator

from ...model import Event, ParseIssue, line_ref
from .builder import ToolCall, ToolResult, TraceBuilder, prompt_event
from .common import as_dict, as_text, text_of
from .unknown_types import UnknownTypes
from ..base import Parser, Sample, Source
from ..readers import iter_ndjson
from ..registry import register

RUNTIME = "gemini-cli"
EVENT_TYPES = ("init", "message", "tool_use", "tool_result", "error", "result")


@register
class GeminiCliStreamParser(Parser):
    name = "gemini-cli-stream"
    version = "1"
    description = "Gemini CLI headless stream-json output (gemini --output-format stream-json)"
    example = "figma-eval-010ac575-transcript.jsonl"

    def sniff(self, sample: Sample) -> str | None:
        for record in sample.records:
            kind = record.get("type")
            if kind == "init" and "session_id" in record and "model" in record:
                return "Gemini CLI stream-json: an init event with session_id and model"
            if kind == "tool_use" and {"tool_name", "tool_id", "parameters"} <= set(record):
                return "Gemini CLI stream-json: tool_use events (tool_name, tool_id, parameters)"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        reader = _StreamReader(source)
        records: list[tuple[int, dict[str, Any]]] = []
        for item in iter_ndjson(source.data, source.path):
            if isinstance(item, ParseIssue):
                reader.builder.add(item)
            else:
                records.append(item)
        sessions = _sessions(records, reader.session)
        for number, record in records:
            reader.session = sessions[number]
            reader.record(number, record)
        for issue in reader.unknown.issues():
            reader.builder.add(issue)
        yield from reader.builder.build()


def _sessions(records: list[tuple[int, dict[str, Any]]], default: str) -> dict[int, str]:
    """line -> session: the run an `init` opens, including the user messages just before it
    (a wrapper may write the prompt it sends first), up to the next run's."""
    found: dict[int, str | None] = {}
    current: str | None = None
    waiting: list[int] = []                   # user messages not yet followed by anything
    for number, record in records:
        if record.get("type") == "message" and record.get("role") == "user":
            waiting.append(number)
            continue
        if record.get("type") == "init":
            current = as_text(record.get("session_id")) or default
        found.update((n, current) for n in waiting)
        waiting = []
        found[number] = current
    found.update((n, current) for n in waiting)
    first = next((s for s in found.values() if s), default)
    return {number: session or first for number, session in found.items()}


class _StreamReader:
    def __init__(self, source: Source):
        self.source = source
        self.builder = TraceBuilder(RUNTIME, source, order="file")
        self.unknown = UnknownTypes(source.path)
        self.session = f"gemini-{source.sha256[:12]}"
        self.model: str | None = None
        self.said: list[str] = []              # assistant text since the last call

    def record(self, number: int, record: dict[str, Any]) -> None:
        ref = line_ref(self.source.sha256, number)
        kind = record.get("type")
        time = self.builder.time(record.get("timestamp"), ref)
        if kind == "init":
            self.model = as_text(record.get("model"))
            self.builder.session_meta(ref, self.session, time=time, raw=record,
                                      agent_kind="coding", model=self.model, headless=True)
        elif kind == "message":
            self.message(ref, record, time)
        elif kind == "tool_use":
            self.tool_use(ref, record, time)
        elif kind == "tool_result":
            if not as_text(record.get("tool_id")):
                self.builder.issue(ref.locator, "result without a call id (kept as an "
                                                "unmatched result)")
            error = as_dict(record.get("error"))
            output = record.get("output")
            self.builder.add(ToolResult(
                ref=ref, tool_call_id=as_text(record.get("tool_id")),
                result=output if output not in (None, "") else error.get("message"),
                is_error={"success": False, "error": True}.get(record.get("status")),
                time=time, session=self.session, actor_id=RUNTIME, raw=record))
        elif kind not in ("error", "result"):
            self.unknown.count(kind, ref.locator)

    def message(self, ref: Any, record: dict, time: str | None) -> None:
        text = text_of(record.get("content"))
        if not text or not text.strip():
            return
        if record.get("role") == "assistant":
            self.said.append(text)
        elif record.get("role") == "user":
            self.said = []
            self.builder.add(prompt_event(ref, RUNTIME, text, "user", time=time,
                                          session=self.session, turn_kind="human-typed",
                                          raw=record))
        else:
            self.builder.issue(ref.locator, f"message with unknown role {record.get('role')!r}")

    def tool_use(self, ref: Any, record: dict, time: str | None) -> None:
        tool = as_text(record.get("tool_name"))
        if not tool:
            self.builder.issue(ref.locator, "tool_use without a tool_name")
            return
        intent = "".join(self.said).strip() or None
        self.said = []
        self.builder.add(ToolCall(
            ref=ref, tool=tool, time=time, session=self.session,
            tool_call_id=as_text(record.get("tool_id")), arguments=record.get("parameters"),
            actor_id=RUNTIME, model=self.model, stated_intent=intent,
            record_id=as_text(record.get("tool_id")), raw=record))
