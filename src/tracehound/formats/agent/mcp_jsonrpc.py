"""MCP JSON-RPC client/server logs -> events.

Messages are JSON-RPC 2.0: requests {jsonrpc, id, method, params}, notifications (no id) and
responses {jsonrpc, id, result | error}. Logs hold them one a line, bare or wrapped in an
envelope ({timestamp, direction, session, server, message: {...} or its JSON text}), or after
a text prefix (`2026-03-24T02:14:05Z [client->server] {...}`), or as a JSON array. Responses
pair with their request by (session, id). Every message is an `mcp:*` event; a tools/call is
also an `agent:tool_call` and its response an `agent:tool_result`, so the trace and the other
tools see them. The client named by `initialize` is the actor; the server it names is `server`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue, line_ref, pointer_ref
from ...taxonomy import classify_action
from .actions import named_object
from .builder import ToolCall, ToolResult, TraceBuilder
from .common import any_time, as_dict, as_list, as_text, first_of, normalize_arguments, text_of
from ..base import Parser, Sample, Source
from ..readers import iter_text_lines, load_json
from ..registry import register

RUNTIME = "mcp"
MESSAGE_KEYS = ("message", "msg", "payload", "data", "body", "jsonrpc_message", "rpc")
TIME_KEYS = ("timestamp", "ts", "time", "@timestamp", "date", "logged_at")
SESSION_KEYS = ("session", "session_id", "sessionId", "mcp_session_id", "mcp-session-id",
                "conversation_id")
SERVER_KEYS = ("server", "server_name", "serverName", "mcp_server")
CLIENT_KEYS = ("client", "client_name", "clientName", "agent", "agent_id", "agentId")
DIRECTION_KEYS = ("direction", "dir", "stream", "flow")
MCP_METHODS = ("initialize", "ping", "tools/", "resources/", "prompts/", "notifications/",
               "logging/", "sampling/", "completion/", "roots/", "elicitation/")
TOOL_CALL = "tools/call"
LIST_CHANGED = "notifications/tools/list_changed"
_PREFIX_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?")
# `<time> [server] [info] Message from client: {...}`: Claude Desktop's own log shape
DESKTOP_MARK = re.compile(r"\] Message from (?:client|server): $")
_PREFIX_DIRECTION = re.compile(r"(-->|<--|->|<-|=>|<=|\bsend\b|\brecv\b|\bin\b|\bout\b|"
                               r"client\s*->\s*server|server\s*->\s*client)", re.IGNORECASE)


@dataclass
class Message:
    """One JSON-RPC message with what its envelope says about it."""

    ref: EvidenceRef
    body: dict[str, Any]
    time: str | None
    session: str | None
    server: str | None
    client: str | None
    direction: str | None
    channel: str | None = None      # one connection of a log that holds several (ids restart)
    record_id: str | None = None    # the message's own id across copies of the log


def is_mcp_message(value: Any) -> bool:
    """A JSON-RPC 2.0 message that speaks MCP (method or result shape)."""
    if not isinstance(value, dict) or value.get("jsonrpc") != "2.0":
        return False
    method = value.get("method")
    if isinstance(method, str):
        return method.startswith(MCP_METHODS)
    result = value.get("result")
    return isinstance(result, dict) and bool(
        {"content", "tools", "protocolVersion", "serverInfo", "resources", "prompts",
         "isError", "structuredContent"} & set(result)) or "error" in value


def unwrap(record: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the JSON-RPC message, the envelope around it or {}); message None when absent."""
    if not isinstance(record, dict):
        return None, {}
    if "jsonrpc" in record or "method" in record and ("id" in record or "params" in record):
        return record, {}
    for key in MESSAGE_KEYS:
        inner = record.get(key)
        if isinstance(inner, str) and inner.lstrip().startswith("{"):
            try:
                inner = json.loads(inner)
            except (ValueError, RecursionError):
                return None, record
        if isinstance(inner, dict) and ("jsonrpc" in inner or "method" in inner
                                        or "result" in inner):
            return inner, record
    return None, record


@register
class McpJsonRpcParser(Parser):
    name = "mcp-jsonrpc"
    version = "1"
    description = "MCP JSON-RPC client/server logs (bare, enveloped or text-prefixed)"

    def sniff(self, sample: Sample) -> str | None:
        candidates = sample.records or sample.list_items()[:5]
        for record in candidates:
            message, envelope = unwrap(record)
            if is_mcp_message(message):
                kind = "in a log envelope" if envelope else "one a line" if sample.records \
                    else "in a JSON array"
                return f"MCP JSON-RPC 2.0 messages {kind} ({_what(message)})"
        lines = sample.text.splitlines()[:10]
        for line in lines:
            brace = line.find("{")
            if brace > 0 and DESKTOP_MARK.search(line[:brace]):
                continue                    # a Claude Desktop log line: mcp_client_log.py
            if brace > 0 and _PREFIX_TIME.search(line[:brace]) and '"jsonrpc"' in line:
                try:
                    message, _ = unwrap(json.loads(line[brace:]))
                except (ValueError, RecursionError):
                    continue
                if is_mcp_message(message):
                    return f"MCP JSON-RPC 2.0 messages after a timestamp prefix " \
                           f"({_what(message)})"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        builder = TraceBuilder(RUNTIME)
        messages: list[Message] = []
        for item in _records(source):
            if isinstance(item, ParseIssue):
                builder.add(item)
            else:
                messages.append(item)
        McpSession(source, builder, messages).emit()
        yield from builder.build()


def _what(message: dict[str, Any]) -> str:
    method = message.get("method")
    return f"method {method}" if isinstance(method, str) else "a result"


def _records(source: Source) -> Iterator[Message | ParseIssue]:
    data = source.data
    if data.lstrip()[:1] == b"[":
        doc, issues = load_json(data, source.path)
        if isinstance(doc, list):
            for position, record in enumerate(doc):
                ref = pointer_ref(source.sha256, position)
                yield from _messages(record, ref, source.path, {})
            return
        if issues and b"\n" not in data.strip():
            yield from issues
            return
    for item in iter_text_lines(data, source.path):
        if isinstance(item, ParseIssue):
            yield item
            continue
        number, line = item
        if line.strip():
            yield from _line(line, line_ref(source.sha256, number), source.path)


def _line(line: str, ref: EvidenceRef, path: str) -> Iterator[Message | ParseIssue]:
    text = line.strip()
    prefix: dict[str, Any] = {}
    if text[:1] not in ("{", "["):
        brace = text.find("{")
        if brace < 0:
            yield ParseIssue(path, ref.locator, "line holds no JSON-RPC message")
            return
        head, text = text[:brace], text[brace:]
        when = _PREFIX_TIME.search(head)
        way = _PREFIX_DIRECTION.search(head)
        prefix = {"timestamp": when.group(0) if when else None,
                  "direction": way.group(0) if way else None}
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        yield ParseIssue(path, ref.locator, f"invalid JSON: {exc.msg} at column {exc.colno}")
        return
    except RecursionError:
        yield ParseIssue(path, ref.locator, "JSON nested too deeply to read")
        return
    if record == []:
        yield ParseIssue(path, ref.locator, "empty JSON-RPC batch")
    for member in (record if isinstance(record, list) else [record]):   # JSON-RPC batch
        yield from _messages(member, ref, path, prefix)


def _messages(record: Any, ref: EvidenceRef, path: str,
              prefix: dict[str, Any]) -> Iterator[Message | ParseIssue]:
    message, envelope = unwrap(record)
    if message is None:
        yield ParseIssue(path, ref.locator, "record is not a JSON-RPC message "
                                            "(nor an envelope around one)")
        return
    if not isinstance(message.get("method"), str) and "result" not in message \
            and "error" not in message:
        yield ParseIssue(path, ref.locator, "JSON-RPC message with neither a method nor a "
                                            "result nor an error")
        return
    context = {**prefix, **envelope}
    yield Message(ref=ref, body=message, time=any_time(first_of(context, *TIME_KEYS)),
                  session=as_text(first_of(context, *SESSION_KEYS)),
                  server=as_text(first_of(context, *SERVER_KEYS)),
                  client=as_text(first_of(context, *CLIENT_KEYS)),
                  direction=as_text(first_of(context, *DIRECTION_KEYS)))


class McpSession:
    """Pairs responses with requests and turns messages into events."""

    def __init__(self, source: Source, builder: TraceBuilder, messages: list[Message],
                 runtime: str = RUNTIME):
        self.runtime = runtime
        self.source = source
        self.builder = builder
        self.messages = messages
        self.default_session = f"mcp-{source.sha256[:12]}"
        self.clients: dict[str, str] = {}
        self.servers: dict[str, str] = {}
        self.pending: dict[tuple[str, str], tuple[str, str | None]] = {}
        self._learn_names()

    def session_of(self, message: Message) -> str:
        return message.session or self.default_session

    def _learn_names(self) -> None:
        """Client and server names per session, from initialize and its response."""
        asked: dict[tuple[str, str], bool] = {}
        for message in self.messages:
            session = self.session_of(message)
            body = message.body
            if body.get("method") == "initialize":
                name = as_text(as_dict(as_dict(body.get("params")).get("clientInfo")).get("name"))
                if name:
                    self.clients.setdefault(session, name)
                asked[(session, str(body.get("id")))] = True
            info = as_dict(as_dict(body.get("result")).get("serverInfo"))
            if as_text(info.get("name")) and (session, str(body.get("id"))) in asked:
                self.servers.setdefault(session, as_text(info.get("name")) or "")

    def emit(self) -> None:
        for message in self.messages:
            body = message.body
            if isinstance(body.get("method"), str):
                self.request(message, body["method"])
            else:
                self.response(message)

    def context(self, message: Message) -> dict[str, Any]:
        session = self.session_of(message)
        return {"time": message.time, "session": session,
                "actor_id": message.client or self.clients.get(session)}

    def base_attrs(self, message: Message) -> dict[str, Any]:
        session = self.session_of(message)
        attrs = {"jsonrpc_id": message.body.get("id"), "runtime": self.runtime,
                 "server": message.server or self.servers.get(session)}
        if message.direction:
            attrs["direction"] = message.direction
        if message.record_id:
            attrs["record_id"] = message.record_id
        return attrs

    def pair_key(self, message: Message) -> tuple[str, str | None, str]:
        return (self.session_of(message), message.channel, str(message.body.get("id")))

    def request(self, message: Message, method: str) -> None:
        body = message.body
        params = as_dict(body.get("params"))
        context = self.context(message)
        attrs = {**self.base_attrs(message), "method": method}
        klass = classify_action(method) if "id" in body else "other"
        source = "mcp:list_changed" if method == LIST_CHANGED else "mcp:request"
        tool = target = None
        if method == TOOL_CALL:
            tool = as_text(params.get("name"))
            if not tool:
                self.builder.add(ParseIssue(self.source.path, message.ref.locator,
                                            "tools/call request without a tool name"))
                return
            attrs.update(tool=tool, arguments=params.get("arguments"))
            target = named_object(normalize_arguments(params.get("arguments")))[0]
            klass = "other"                   # what a call does is the effects layer's
        self.builder.add(Event(ref=message.ref, source=source, action=method,
                               action_class=klass, target_id=target,
                               actor_kind="agent" if context["actor_id"] else "unknown",
                               attrs=attrs, raw=body, **context))
        if "id" not in body:
            return
        self.pending[self.pair_key(message)] = (method, tool)
        if tool:
            self.builder.add(ToolCall(
                ref=message.ref, tool=tool, tool_call_id=self.call_id(message),
                arguments=params.get("arguments"), record_id=message.record_id,
                extra={"server": attrs["server"], "jsonrpc_id": body["id"]}, raw=body,
                **context))

    def call_id(self, message: Message) -> str:
        channel = f"{message.channel}#" if message.channel else ""
        return f"{self.session_of(message)}#{channel}{message.body.get('id')}"

    def response(self, message: Message) -> None:
        body = message.body
        context = self.context(message)
        method, tool = self.pending.pop(self.pair_key(message), (None, None))
        result = as_dict(body.get("result"))
        error = body.get("error")
        is_error = error is not None or bool(result.get("isError"))
        text = text_of(as_dict(error).get("message") or error) if error is not None \
            else text_of(result.get("content")) if "content" in result else None
        attrs = {**self.base_attrs(message), "method": method, "tool": tool,
                 "result_text": text, "is_error": is_error}
        source = "mcp:result"
        if method == "tools/list" and not error:
            source = "mcp:tools_list"
            attrs["tools"] = [{"name": as_text(t.get("name")),
                               "description": as_text(t.get("description"))}
                              for t in as_list(result.get("tools")) if isinstance(t, dict)]
        if method == "prompts/get" and not error:
            self.prompts(message, result, context)
        if method == "initialize":
            attrs["server"] = as_text(as_dict(result.get("serverInfo")).get("name")) \
                or attrs["server"]
        self.builder.add(Event(ref=message.ref, source=source, action=method or "response",
                               outcome="failure" if is_error else "success",
                               actor_kind="agent" if context["actor_id"] else "unknown",
                               attrs=attrs, raw=body, **context))
        if method == TOOL_CALL or (method is None and "content" in result):
            # a tool result whose request is not in the file is kept (and reported: orphan)
            self.builder.add(ToolResult(
                ref=message.ref, tool_call_id=self.call_id(message),
                result=text, is_error=is_error, tool=tool, record_id=message.record_id,
                raw=body, **context))

    def prompts(self, message: Message, result: dict[str, Any], context: dict[str, Any]) -> None:
        """A prompt the user picked (prompts/get): its messages are the user's request."""
        for item in as_list(result.get("messages")):
            item = as_dict(item)
            role = as_text(item.get("role"))
            text = text_of(item.get("content"))
            if role in ("user", "system") and text:
                self.builder.prompt(message.ref, text, role, time=context["time"],
                                    session=context["session"], raw=message.body)
