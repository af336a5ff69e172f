"""OpenAI chat-completions bodies -> events.

Reads request bodies {model, messages, metadata...}, response bodies {id, object:
"chat.completion", created, model, choices[{message}]}, bare message arrays, request/response
pairs ({request, response}), Batch API lines ({custom_id, body} / {custom_id, response:
{body}}) and NDJSON of any of these. Assistant `tool_calls` [{id, function: {name,
arguments}}] (and the legacy `function_call`) are tool calls, with `arguments` a JSON string
or an object; `role: tool` messages with `tool_call_id` (legacy `role: function`) are their
results; user and system/developer messages are prompts. Chat logs resend the whole history
with every request, so a call, result or prompt is taken once, where it first appears. The
parent of a call is the call whose result came last before the assistant turn that made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue
from .builder import ToolCall, ToolResult, TraceBuilder
from .common import Ref, any_time, as_dict, as_list, as_text, first_of, json_documents, text_of
from ..base import Parser, Sample, Source
from ..registry import register

RUNTIME = "openai"
ROLES = ("system", "developer", "user", "assistant", "tool", "function")
SESSION_KEYS = ("session_id", "conversation_id", "thread_id", "session")
AGENT_KEYS = ("agent_id", "agent", "assistant_id")
TIME_KEYS = ("timestamp", "created_at", "time", "ts")

def _is_message(value: Any) -> bool:
    return isinstance(value, dict) and value.get("role") in ROLES


def _is_request(value: Any) -> bool:
    """A request body: chat messages (or none yet, with a model). A list of other records
    under `messages` (a Gemini CLI session's) is not one."""
    if not isinstance(value, dict) or not isinstance(value.get("messages"), list):
        return False
    messages = value["messages"]
    return _is_message(messages[0]) if messages else "model" in value


# Block types of Anthropic-style content that OpenAI chat messages never carry, and keys the
# Cline / Roo Code task history adds to its messages: such a list is another runtime's.
FOREIGN_BLOCKS = ("tool_use", "tool_result", "thinking", "redacted_thinking")
FOREIGN_KEYS = ("ts", "isSummary", "modelInfo", "metrics", "conversationHistoryIndex")


def _is_foreign(messages: list) -> bool:
    for message in messages[:8]:
        if any(key in message for key in FOREIGN_KEYS):
            return True
        content = message.get("content")
        blocks = content if isinstance(content, list) else [{"text": content}]
        for block in blocks:
            if not isinstance(block, dict):
                continue
            text = block.get("text")
            if block.get("type") in FOREIGN_BLOCKS or (
                    isinstance(text, str) and text.lstrip().startswith(("<task>",
                                                                       "<environment_details>"))):
                return True
    return False


def _is_response(value: Any) -> bool:
    return isinstance(value, dict) and (value.get("object") == "chat.completion"
                                        or isinstance(value.get("choices"), list)
                                        and "id" in value)


def _body(value: Any) -> Any:
    """A Batch API wrapper's body ({body: ...} or {status_code, body: ...}), else the value."""
    if isinstance(value, dict) and isinstance(value.get("body"), dict):
        return value["body"]
    return value


def kind_of(record: Any) -> str | None:
    """request | response | pair | messages, or None when it is none of them."""
    if isinstance(record, list):
        if record and all(_is_message(m) for m in record[:5]) and not _is_foreign(record):
            return "messages"
        return None
    if not isinstance(record, dict):
        return None
    inner = _body(record)
    if _is_request(inner):
        return "request"
    if _is_response(inner):
        return "response"
    if _is_response(_body(record.get("response"))) or _is_request(_body(record.get("request"))):
        return "pair"
    return None


@register
class OpenAIChatParser(Parser):
    name = "openai-chat"
    version = "1"
    description = "OpenAI chat-completions requests/responses, message arrays, NDJSON pairs"

    def sniff(self, sample: Sample) -> str | None:
        doc = sample.document
        kind = kind_of(doc)
        if kind is None and isinstance(doc, list) and doc:
            kind = kind_of(doc[0])
            kind = f"list of {kind}s" if kind else None
        if kind is None and sample.records:
            kind = kind_of(sample.records[0])
            kind = f"NDJSON of {kind}s" if kind else None
        if kind is None:
            return None
        return f"OpenAI chat-completions {kind} (messages / choices with tool_calls)"

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        reader = _ChatReader(source)
        issues: list[ParseIssue] = []
        for value, at in json_documents(source, issues):
            reader.document(value, at)
        for issue in issues:
            reader.builder.add(issue)
        yield from reader.builder.build()


@dataclass
class _Turn:
    """What one request/response pair says about where it happened."""

    session: str
    actor_id: str | None
    time: str | None
    model: str | None
    user_id: str | None = None


class _ChatReader:
    def __init__(self, source: Source):
        self.source = source
        self.builder = TraceBuilder(RUNTIME)
        self.default_session = f"openai-{source.sha256[:12]}"
        self.calls_seen: set[tuple[str, str]] = set()
        self.results_seen: set[tuple[str, str]] = set()
        self.last_answered: dict[str, str | None] = {}  # session -> latest result's call id

    def issue(self, ref: EvidenceRef, problem: str) -> None:
        self.builder.add(ParseIssue(self.source.path, ref.locator, problem))

    def document(self, doc: Any, at: Ref) -> None:
        """One record, or a list of records (a message list is one record)."""
        if kind_of(doc) is not None or not isinstance(doc, list):
            self.record(doc, at)
            return
        for position, item in enumerate(doc):
            self.record(item, lambda *tokens, p=position: at(p, *tokens))

    def record(self, record: Any, at: Ref) -> None:
        kind = kind_of(record)
        if kind is None:
            self.issue(at(), "not a chat-completions request, response, pair or message list")
            return
        if kind == "messages":
            turn = _Turn(self.default_session, None, None, None)
            self.messages(record, turn, at)
            return
        envelope = as_dict(record)
        if kind == "pair":
            request, response = _body(envelope.get("request")), _body(envelope.get("response"))
            req_at = _nested(at, envelope, "request")
            res_at = _nested(at, envelope, "response")
        else:
            request = _body(envelope) if kind == "request" else None
            response = _body(envelope) if kind == "response" else None
            req_at = res_at = _nested(at, envelope, None)
        turn = self.turn(envelope, as_dict(request), as_dict(response))
        if _is_request(request):
            self.messages(request["messages"], turn, lambda *t: req_at("messages", *t))
        if _is_response(response):
            self.response(response, turn, res_at)

    def turn(self, envelope: dict, request: dict, response: dict) -> _Turn:
        metadata = as_dict(request.get("metadata"))
        session = as_text(first_of(envelope, *SESSION_KEYS)) or \
            as_text(first_of(metadata, *SESSION_KEYS)) or self.default_session
        actor = as_text(first_of(envelope, *AGENT_KEYS)) or as_text(first_of(metadata,
                                                                             *AGENT_KEYS))
        when = any_time(first_of(envelope, *TIME_KEYS)) or any_time(response.get("created"))
        model = as_text(response.get("model")) or as_text(request.get("model"))
        return _Turn(session, actor, when, model, as_text(request.get("user")))

    def messages(self, messages: list, turn: _Turn, at: Ref) -> None:
        last_answered: str | None = None
        for position, message in enumerate(messages):
            ref = at(position)
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                self.issue(ref, "message has no known role")
                continue
            role = message["role"]
            if role in ("user", "system", "developer"):
                self.builder.prompt(ref, text_of(message.get("content")),
                                    "user" if role == "user" else "system", time=turn.time,
                                    session=turn.session, actor_id=turn.actor_id,
                                    user_id=turn.user_id, raw=message)
            elif role in ("tool", "function"):
                last_answered = self.result(message, turn, ref) or last_answered
            else:
                self.assistant(message, turn, lambda *t, p=position: at(p, *t), last_answered)

    def response(self, response: dict, turn: _Turn, at: Ref) -> None:
        choices = as_list(response.get("choices"))
        if not choices:
            return
        choice = choices[0]
        message = as_dict(choice).get("message")
        if not isinstance(message, dict):
            self.issue(at("choices", 0), "choice has no message object")
            return
        time = any_time(response.get("created")) or turn.time
        turn = _Turn(turn.session, turn.actor_id, time, turn.model, turn.user_id)
        parent = self.last_answered.get(turn.session)
        self.assistant(message, turn, lambda *t: at("choices", 0, "message", *t), parent)

    def assistant(self, message: dict, turn: _Turn, at: Ref, parent: str | None) -> None:
        intent = text_of(message.get("content"))
        calls = message.get("tool_calls")
        if calls is not None and not isinstance(calls, list):
            self.issue(at("tool_calls"), "tool_calls is not a list")
            return
        items = [(at("tool_calls", i), call) for i, call in enumerate(as_list(calls))]
        if isinstance(message.get("function_call"), dict):
            items.append((at("function_call"), {"function": message["function_call"]}))
        for ref, call in items:
            function = as_dict(as_dict(call).get("function"))
            name = as_text(function.get("name"))
            if not name:
                self.issue(ref, "tool call without a function name")
                continue
            call_id = as_text(as_dict(call).get("id")) or f"{name}:{function.get('arguments')}"
            if (turn.session, call_id) in self.calls_seen:
                continue
            self.calls_seen.add((turn.session, call_id))
            self.builder.add(ToolCall(
                ref=ref, tool=name, time=turn.time, session=turn.session,
                tool_call_id=as_text(as_dict(call).get("id")),
                arguments=function.get("arguments"), actor_id=turn.actor_id, model=turn.model,
                key=f"{turn.session}/{call_id}",
                parent_key=f"{turn.session}/{parent}" if parent else None,
                stated_intent=intent, raw=call))

    def result(self, message: dict, turn: _Turn, ref: EvidenceRef) -> str | None:
        """A tool / function result once per call; returns the call key it answers."""
        call_id = as_text(message.get("tool_call_id"))
        key = call_id or f"{message.get('name')}:{message.get('content')}"
        self.last_answered[turn.session] = call_id
        if (turn.session, key) in self.results_seen:
            return call_id
        self.results_seen.add((turn.session, key))
        self.builder.add(ToolResult(
            ref=ref, tool_call_id=call_id, result=message.get("content"), time=turn.time,
            session=turn.session, actor_id=turn.actor_id, tool=as_text(message.get("name")),
            raw=message))
        return call_id


def _nested(at: Ref, envelope: dict, key: str | None) -> Ref:
    """Ref maker for the part of a record: under `key`, then under a Batch `body`."""
    tokens: tuple = (key,) if key else ()
    inner = envelope.get(key) if key else envelope
    if isinstance(inner, dict) and isinstance(inner.get("body"), dict):
        tokens += ("body",)
    return lambda *more: at(*tokens, *more)
