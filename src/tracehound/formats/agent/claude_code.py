"""Claude Code session transcripts (`~/.claude/projects/<project>/<session>.jsonl`) -> events.

One JSON record a line: `type` user / assistant (also summary, system and bookkeeping types,
which carry no tool calls), `uuid`, `parentUuid`, `sessionId`, `timestamp`, `cwd` and a
`message` {role, content}. A user `content` that is plain text (or text blocks) is the human
prompt; assistant `tool_use` blocks {id, name, input} are tool calls; user `tool_result` blocks
{tool_use_id, content, is_error} (with the richer `toolUseResult` beside them) are their
results. The parent of a call is the previous tool call up its `parentUuid` chain. An
assistant text block of the same message, just before the call, is its stated intent.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ...model import Event, ParseIssue, line_ref
from .builder import ToolCall, ToolResult, TraceBuilder, nearest_call
from .common import as_dict, as_list, as_text, text_of, utc_iso
from ..base import Parser, Sample, Source
from ..readers import iter_ndjson
from ..registry import register

RUNTIME = "claude-code"
CONVERSATION_TYPES = ("user", "assistant")
_TEXT_HINT = re.compile(r'"type"\s*:\s*"(?:user|assistant)"')


@register
class ClaudeCodeParser(Parser):
    name = "claude-code"
    version = "1"
    description = "Claude Code session JSONL (~/.claude/projects/*/SESSION.jsonl)"

    def sniff(self, sample: Sample) -> str | None:
        for record in sample.records:
            if (record.get("type") in CONVERSATION_TYPES and "sessionId" in record
                    and "uuid" in record and isinstance(record.get("message"), dict)):
                return "Claude Code session JSONL: user/assistant records with sessionId, " \
                       "uuid and message"
            if record.get("type") == "summary" and "leafUuid" in record:
                return "Claude Code session JSONL: opens with a summary record (leafUuid)"
        text = sample.text
        if (not sample.records and text.lstrip().startswith("{") and '"parentUuid"' in text
                and '"sessionId"' in text and _TEXT_HINT.search(text)):
            return "Claude Code session JSONL: parentUuid/sessionId records (first record " \
                   "longer than the sample)"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        builder = TraceBuilder(RUNTIME)
        records: list[tuple[int, dict[str, Any]]] = []
        for item in iter_ndjson(source.data, source.path):
            if isinstance(item, ParseIssue):
                builder.add(item)
            else:
                records.append(item)
        parent_of, call_of = _links(records)
        reader = _SessionReader(source, builder, parent_of, call_of)
        for number, record in records:
            reader.record(number, record)
        yield from builder.build()


def _call_key(block: dict[str, Any], number: int, position: int) -> str:
    return as_text(block.get("id")) or f"line {number} block {position}"


def _tool_uses(record: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    content = as_dict(record.get("message")).get("content")
    return [(position, block) for position, block in enumerate(as_list(content))
            if isinstance(block, dict) and block.get("type") == "tool_use"]


def _links(records: list[tuple[int, dict[str, Any]]]
           ) -> tuple[dict[str, str | None], dict[str, str]]:
    """uuid -> parentUuid, and uuid -> key of the last tool call the record holds."""
    parent_of: dict[str, str | None] = {}
    call_of: dict[str, str] = {}
    for number, record in records:
        uuid = as_text(record.get("uuid"))
        if not uuid:
            continue
        parent_of.setdefault(uuid, as_text(record.get("parentUuid")))
        uses = _tool_uses(record) if record.get("type") == "assistant" else []
        if uses:
            call_of[uuid] = _call_key(uses[-1][1], number, uses[-1][0])
    return parent_of, call_of


class _SessionReader:
    """Turns one record at a time into builder items; remembers stated intents by message."""

    def __init__(self, source: Source, builder: TraceBuilder,
                 parent_of: dict[str, str | None], call_of: dict[str, str]):
        self.source = source
        self.builder = builder
        self.parent_of = parent_of
        self.call_of = call_of
        self.intents: dict[str, str] = {}

    def issue(self, number: int, problem: str) -> None:
        self.builder.add(ParseIssue(self.source.path, f"line {number}", problem))

    def record(self, number: int, record: dict[str, Any]) -> None:
        kind = record.get("type")
        if not isinstance(kind, str) or not kind:
            self.issue(number, "record has no type")
            return
        if kind not in CONVERSATION_TYPES:
            return                      # summary, system, snapshots: no calls, no prompts
        message = record.get("message")
        if not isinstance(message, dict):
            self.issue(number, f"{kind} record has no message object")
            return
        content = message.get("content")
        if not isinstance(content, (str, list)):
            self.issue(number, f"{kind} message content is neither text nor a list of blocks")
            return
        context = {"time": utc_iso(record.get("timestamp")),
                   "session": as_text(record.get("sessionId")),
                   "actor_id": as_text(record.get("agentId")) if record.get("isSidechain")
                   else RUNTIME}
        if kind == "user":
            self.user(number, record, content, context)
        else:
            self.assistant(number, record, message, context)

    def user(self, number: int, record: dict[str, Any], content: str | list,
             context: dict[str, Any]) -> None:
        ref = line_ref(self.source.sha256, number)
        human = not record.get("isMeta")
        if isinstance(content, str):
            if human:
                self.builder.prompt(ref, content, "user", time=context["time"],
                                    session=context["session"], raw=record)
            return
        texts = []
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_result":
                self.builder.add(ToolResult(
                    ref=ref, tool_call_id=as_text(block.get("tool_use_id")),
                    result=_result_payload(block, record),
                    is_error=bool(block.get("is_error")), raw=record, **context))
            elif block.get("type") == "text" and isinstance(block.get("text"), str):
                texts.append(block["text"])
        if texts and human:
            self.builder.prompt(ref, "\n".join(texts), "user", time=context["time"],
                                session=context["session"], raw=record)

    def assistant(self, number: int, record: dict[str, Any], message: dict[str, Any],
                  context: dict[str, Any]) -> None:
        ref = line_ref(self.source.sha256, number)
        message_id = as_text(message.get("id")) or f"line {number}"
        parent = nearest_call(as_text(record.get("parentUuid")), self.parent_of, self.call_of)
        extra = {"cwd": record["cwd"]} if isinstance(record.get("cwd"), str) else {}
        for position, block in enumerate(as_list(message.get("content"))):
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text" and isinstance(block.get("text"), str):
                self.intents[message_id] = block["text"]
            if block.get("type") != "tool_use":
                continue
            tool = as_text(block.get("name"))
            if not tool:
                self.issue(number, "tool_use block without a tool name")
                continue
            self.builder.add(ToolCall(
                ref=ref, tool=tool, tool_call_id=as_text(block.get("id")),
                arguments=block.get("input"), model=as_text(message.get("model")),
                key=_call_key(block, number, position), parent_key=parent,
                stated_intent=self.intents.get(message_id), extra=dict(extra), raw=record,
                **context))


def _result_payload(block: dict[str, Any], record: dict[str, Any]) -> Any:
    """The tool_result content, or the record's toolUseResult when the block is empty."""
    content = block.get("content")
    if text_of(content):
        return content
    detail = record.get("toolUseResult")
    if isinstance(detail, dict) and ("stdout" in detail or "stderr" in detail):
        parts = [detail.get("stdout"), detail.get("stderr")]
        return "\n".join(p for p in parts if isinstance(p, str) and p) or content
    return detail if detail not in ("", None, {}, []) else content
