"""OpenTelemetry GenAI spans (OTLP JSON export, or NDJSON of OTLP export lines) -> events.

`resourceSpans[].scopeSpans[].spans[]` (older exporters: `instrumentationLibrarySpans`), each
span with traceId, spanId, parentSpanId, name, start/end nanos, attributes as
`[{key, value: {stringValue | intValue | ...}}]` and a status. An `execute_tool` span is one
tool call; `invoke_agent` / `chat` spans carry the agent, conversation, model and prompts.
Both generations of the GenAI attribute names are read (gen_ai.provider.name / gen_ai.system,
gen_ai.input.messages / gen_ai.prompt, gen_ai.usage.input_tokens / prompt_tokens...). The
parent of a call is the nearest execute_tool span above it; agent, session and model come
from the span or its ancestors. An HTTP client span under a tool span gives its URL and bytes.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue
from .actions import byte_count
from .builder import ToolCall, TraceBuilder, nearest_call
from .common import (Ref, as_dict, as_list, as_text, epoch_iso, first_of, json_documents,
                     line_documents, time_key)
from ..base import Parser, Sample, Source
from ..readers import detect_encoding, iter_ndjson_file
from ..registry import register

RUNTIME = "otel"
TOOL_OPERATION = "execute_tool"
MODEL_OPERATIONS = ("chat", "text_completion", "generate_content")
SCOPE_KEYS = ("scopeSpans", "instrumentationLibrarySpans")
ARGUMENT_KEYS = ("gen_ai.tool.call.arguments", "gen_ai.tool.arguments", "input.value")
RESULT_KEYS = ("gen_ai.tool.call.result", "gen_ai.tool.result", "output.value")
SESSION_KEYS = ("gen_ai.conversation.id", "session.id", "gen_ai.session.id")
AGENT_KEYS = ("gen_ai.agent.id", "gen_ai.agent.name")
USER_KEYS = ("user.id", "enduser.id")
MODEL_KEYS = ("gen_ai.response.model", "gen_ai.request.model")
URL_KEYS = ("url.full", "http.url")
METHOD_KEYS = ("http.request.method", "http.method")
SENT_KEYS = ("http.request.body.size", "http.request_content_length")
RECEIVED_KEYS = ("http.response.body.size", "http.response_content_length")
ERROR_CODES = (2, "2", "STATUS_CODE_ERROR", "ERROR")


@dataclass
class Span:
    ref: EvidenceRef
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    start: str | None
    attrs: dict[str, Any]
    resource: dict[str, Any]
    status: dict[str, Any]
    events: list[Any] = field(default_factory=list)
    raw: Any = None                       # None for a span that gives no event (see speaks)
    at: Ref | None = None                 # ref of a part: at("attributes", 3)

    def ref_of_attribute(self, key: str) -> EvidenceRef:
        if self.at is None:
            return self.ref
        # the position of the attribute in the span's list (the last of a repeated key, as
        # the attrs dict keeps it); looked up only for a prompt's ref
        found = None
        for position, item in enumerate(as_list(as_dict(self.raw).get("attributes"))):
            if isinstance(item, dict) and item.get("key") == key:
                found = position
        return self.ref if found is None else self.at("attributes", found)

    @property
    def speaks(self) -> bool:
        """True when the span can give an event (a tool call or a prompt): only then is its
        raw record kept, so the spans that only give context (chat spans without messages,
        HTTP client spans) cost their attributes, not their whole record."""
        attrs = self.attrs
        return (self.operation == TOOL_OPERATION or bool(self.events)
                or "gen_ai.system_instructions" in attrs or "gen_ai.input.messages" in attrs
                or any(key.startswith("gen_ai.prompt") for key in attrs))

    @property
    def key(self) -> str:
        return f"{self.trace_id}/{self.span_id}"

    @property
    def parent_key(self) -> str | None:
        return f"{self.trace_id}/{self.parent_id}" if self.parent_id else None

    @property
    def operation(self) -> str | None:
        op = as_text(self.attrs.get("gen_ai.operation.name"))
        if op:
            return op
        if "gen_ai.tool.name" in self.attrs or self.name.startswith(TOOL_OPERATION):
            return TOOL_OPERATION
        return None


@register
class OtelGenAIParser(Parser):
    name = "otel-genai"
    version = "1"
    description = "OpenTelemetry GenAI spans: OTLP JSON (resourceSpans) or NDJSON of exports"

    def sniff(self, sample: Sample) -> str | None:
        genai = " with gen_ai attributes" if "gen_ai." in sample.text else ""
        doc = sample.document
        if isinstance(doc, dict) and "resourceSpans" in doc:
            return f"OTLP JSON trace export (resourceSpans){genai}"
        if any("resourceSpans" in item for item in sample.list_items()[:3]):
            return f"JSON list of OTLP trace exports (resourceSpans){genai}"
        if any("resourceSpans" in record for record in sample.records):
            return f"NDJSON of OTLP trace exports (resourceSpans){genai}"
        if doc is None and sample.text.lstrip().startswith("{") and \
                '"resourceSpans"' in sample.text[:4096]:
            return f"OTLP JSON trace export (resourceSpans, larger than the sample){genai}"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        builder = TraceBuilder(RUNTIME)
        spans: list[Span] = []
        for export, make_ref in _exports(source, builder):
            _collect_spans(export, make_ref, source.path, spans, builder)
        _SpanTree(source.path, spans, builder).emit()
        yield from builder.build()


def _exports(source: Source, builder: TraceBuilder) -> Iterator[tuple[Any, Ref]]:
    """(OTLP export object, ref maker): the document, each item of a list, or each line.
    An NDJSON file not yet read whole is read from disk a line at a time (the same items)."""
    issues: list[ParseIssue] = []
    documents = _lines_on_disk(source, issues) if "data" not in vars(source) and \
        _ndjson_on_disk(source.fs_path) else json_documents(source, issues)
    for value, at in documents:
        if isinstance(value, list):
            for position, export in enumerate(value):
                yield export, (lambda *tokens, p=position, a=at: a(p, *tokens))
        else:
            yield value, at
    for issue in issues:
        builder.add(issue)


def _ndjson_on_disk(fs_path: Any) -> bool:
    """common.is_ndjson's answer from the file's first lines, when they tell it for sure
    (a UTF-8 file whose lines end in \\n): its first non-blank line is a JSON object and
    something follows. False means only "read the whole file to tell"."""
    with open(fs_path, "rb") as handle:
        if detect_encoding(handle.read(4))[0] != "utf-8":
            return False
        handle.seek(0)
        first = None
        for line in handle:
            if b"\r" in line.rstrip(b"\r\n"):
                return False                 # a line end other than \n and \r\n
            if not line.strip():
                continue
            if first is not None:
                return True
            try:
                if not isinstance(json.loads(line), dict):
                    return False
            except (ValueError, RecursionError):
                return False
            first = line
    return False


def _lines_on_disk(source: Source, issues: list[ParseIssue]) -> Iterator[tuple[Any, Ref]]:
    """json_documents' NDJSON items, read from disk a line at a time."""
    return line_documents(iter_ndjson_file(source.fs_path, source.path), source, issues)


def otlp_value(value: Any, depth: int = 0) -> Any:
    """An OTLP AnyValue ({stringValue: ...}, {arrayValue: {values: [...]}} ...) as Python."""
    if not isinstance(value, dict) or depth > 16:
        return value
    for key in ("stringValue", "boolValue", "doubleValue", "bytesValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        raw = value["intValue"]
        try:
            return int(raw)
        except (TypeError, ValueError):
            return raw
    if "arrayValue" in value:
        return [otlp_value(v, depth + 1) for v in as_list(as_dict(value["arrayValue"])
                                                           .get("values"))]
    if "kvlistValue" in value:
        return attributes(as_dict(value["kvlistValue"]).get("values"), depth + 1)
    return None


def attributes(items: Any, depth: int = 0) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in as_list(items):
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            found[item["key"]] = otlp_value(item.get("value"), depth)
    return found


def _collect_spans(export: Any, make_ref: Ref, path: str, spans: list[Span],
                   builder: TraceBuilder) -> None:
    for r, resource_spans in enumerate(as_list(as_dict(export).get("resourceSpans"))):
        resource_spans = as_dict(resource_spans)
        resource = attributes(as_dict(resource_spans.get("resource")).get("attributes"))
        for scope_key in SCOPE_KEYS:
            for s, scope in enumerate(as_list(resource_spans.get(scope_key))):
                for k, span in enumerate(as_list(as_dict(scope).get("spans"))):
                    tokens = ("resourceSpans", r, scope_key, s, "spans", k)
                    ref = make_ref(*tokens)
                    read = _read_span(span, ref, resource)
                    if isinstance(read, str):
                        builder.add(ParseIssue(path, ref.locator, read))
                        continue
                    if read.speaks:
                        read.at = lambda *more, t=tokens: make_ref(*t, *more)
                    else:
                        read.raw = None
                    spans.append(read)


def _read_span(span: Any, ref: EvidenceRef, resource: dict[str, Any]) -> Span | str:
    """A Span, or the problem that makes it unreadable."""
    if not isinstance(span, dict):
        return f"span is a {type(span).__name__}, not an object"
    span_id = as_text(span.get("spanId"))
    trace_id = as_text(span.get("traceId"))
    if not span_id or not trace_id:
        return "span has no traceId or spanId"
    if "attributes" in span and not isinstance(span["attributes"], list):
        return "span attributes are not a list of {key, value}"
    return Span(ref=ref, trace_id=trace_id, span_id=span_id,
                parent_id=as_text(span.get("parentSpanId")) or None,
                name=as_text(span.get("name")) or "",
                start=epoch_iso(span.get("startTimeUnixNano"), "ns"),
                attrs=attributes(span.get("attributes")), resource=resource,
                status=as_dict(span.get("status")), events=as_list(span.get("events")),
                raw=span)


class _SpanTree:
    """The spans of one file with their parent links; emits prompts and tool calls."""

    def __init__(self, path: str, spans: list[Span], builder: TraceBuilder):
        self.path = path
        self.spans = spans
        self.builder = builder
        self.by_key = {span.key: span for span in spans}
        self.parent_of = {span.key: span.parent_key for span in spans}
        self.call_of = {span.key: span.key for span in spans
                        if span.operation == TOOL_OPERATION}
        self.children: dict[str, list[Span]] = {}
        for span in spans:
            if span.parent_key:
                self.children.setdefault(span.parent_key, []).append(span)
        # trace id -> (time keys, models) of its model spans in time order (file order for
        # ties): the model of a call is found by bisection, not by a walk of every span
        self.model_spans: dict[str, tuple[list[str], list[str]]] = {}
        for model_span in sorted(
                (s for s in spans if s.operation in MODEL_OPERATIONS + (None,)
                 and _model(s.attrs)), key=lambda s: time_key(s.start)):
            keys, models = self.model_spans.setdefault(model_span.trace_id, ([], []))
            keys.append(time_key(model_span.start))
            models.append(_model(model_span.attrs))

    def ancestors(self, span: Span) -> Iterator[Span]:
        seen = {span.key}
        key = span.parent_key
        while key and key in self.by_key and key not in seen:
            seen.add(key)
            yield self.by_key[key]
            key = self.by_key[key].parent_key

    def inherited(self, span: Span, keys: tuple[str, ...]) -> Any:
        for holder in (span, *self.ancestors(span)):
            value = first_of(holder.attrs, *keys)
            if value is not None:
                return value
        return None

    def in_start_order(self) -> list[Span]:
        """The spans in the order they started (file order for ties). A batch exporter writes
        a span when it ends, so an agent's root span, which holds the human's prompt, comes
        after the tool calls it asked for; in file order every turn's calls would be judged
        against the previous prompt. A file with an untimed span keeps file order."""
        if any(not span.start for span in self.spans):
            return self.spans
        return sorted(self.spans, key=lambda span: time_key(span.start))

    def emit(self) -> None:
        for span in self.in_start_order():
            context = {"session": as_text(self.inherited(span, SESSION_KEYS)) or span.trace_id,
                       "actor_id": as_text(self.inherited(span, AGENT_KEYS))
                       or as_text(span.resource.get("service.name"))}
            user = as_text(self.inherited(span, USER_KEYS))
            for role, text, ref in span_messages(span):
                self.builder.prompt(ref, text, role, time=span.start, raw=span.raw,
                                    user_id=user, **context)
            if span.operation == TOOL_OPERATION and not self.duplicate(span):
                self.tool_call(span, context)

    def duplicate(self, span: Span) -> bool:
        """An MCP client span under an execute_tool span for the same call id is that call."""
        call_id = as_text(span.attrs.get("gen_ai.tool.call.id"))
        parent = nearest_call(span.parent_key, self.parent_of, self.call_of)
        return bool(call_id and parent and as_text(
            self.by_key[parent].attrs.get("gen_ai.tool.call.id")) == call_id)

    def tool_call(self, span: Span, context: dict[str, Any]) -> None:
        attrs = span.attrs
        tool = as_text(first_of(attrs, "gen_ai.tool.name", "tool.name")) or \
            span.name[len(TOOL_OPERATION):].strip()
        if not tool:
            self.builder.add(ParseIssue(self.path, span.ref.locator,
                                        "execute_tool span without a tool name"))
            return
        http = self.http_detail(span)
        self.builder.add(ToolCall(
            ref=span.ref, tool=tool, time=span.start,
            tool_call_id=as_text(attrs.get("gen_ai.tool.call.id")),
            arguments=first_of(attrs, *ARGUMENT_KEYS), result=first_of(attrs, *RESULT_KEYS),
            is_error=_failed(span), model=_model(attrs) or self.model_before(span),
            key=span.key, parent_key=nearest_call(span.parent_key, self.parent_of,
                                                  self.call_of),
            url=as_text(first_of(http, *URL_KEYS)), method=as_text(first_of(http, *METHOD_KEYS)),
            bytes_out=byte_count(first_of(http, *SENT_KEYS)),
            bytes_in=byte_count(first_of(http, *RECEIVED_KEYS)),
            extra={"trace_id": span.trace_id, "span_id": span.span_id}, raw=span.raw,
            **context))

    def http_detail(self, span: Span) -> dict[str, Any]:
        """URL, method and body sizes from the tool span or its first HTTP client child."""
        if first_of(span.attrs, *URL_KEYS):
            return span.attrs
        for child in self.children.get(span.key, ()):
            if first_of(child.attrs, *URL_KEYS):
                return child.attrs
        return {}

    def model_before(self, span: Span) -> str | None:
        """The model of the last chat span of the same trace that started before the call."""
        keys, models = self.model_spans.get(span.trace_id, ([], []))
        before = bisect_right(keys, time_key(span.start))    # those that start no later
        found = models[before - 1] if before else None
        return found or as_text(self.inherited(span, MODEL_KEYS))


def _model(attrs: dict[str, Any]) -> str | None:
    return as_text(first_of(attrs, *MODEL_KEYS))


def _failed(span: Span) -> bool:
    return span.status.get("code") in ERROR_CODES or bool(span.attrs.get("error.type"))


# ----------------------------------------------------------------------------- prompts


def span_messages(span: Span) -> list[tuple[str, str, EvidenceRef]]:
    """(role, text, ref) of the user and system prompts a span records, in either
    convention; the ref points at the attribute (or span event) that holds the text."""
    found: list[tuple[str, str, EvidenceRef]] = []
    attrs = span.attrs
    if attrs.get("gen_ai.system_instructions") is not None:
        text = _parts_text(_decoded(attrs["gen_ai.system_instructions"]))
        if text:
            found.append(("system", text, span.ref_of_attribute("gen_ai.system_instructions")))
    for key in ("gen_ai.input.messages", "gen_ai.prompt"):
        if key in attrs:
            found += [(role, text, span.ref_of_attribute(key)) for role, text in
                      _role_texts(_decoded(attrs[key]), default_role="user")]
    found += [(role, text, span.ref_of_attribute(key))
              for role, text, key in _indexed_prompts(attrs)]
    for position, event in enumerate(span.events):
        event = as_dict(event)
        role = {"gen_ai.user.message": "user", "gen_ai.system.message": "system",
                "gen_ai.content.prompt": "user"}.get(as_text(event.get("name")) or "")
        if role:
            values = attributes(event.get("attributes"))
            text = first_of(values, "content", "gen_ai.prompt")
            ref = span.at("events", position) if span.at else span.ref
            found += [(r, t, ref) for r, t in _role_texts(_decoded(text), default_role=role)]
    return [item for item in found if item[0] in ("user", "system") and item[1]]


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _parts_text(value: Any) -> str | None:
    """Text of a message body: a string, a parts list [{type: text, content}], or blocks."""
    if isinstance(value, str):
        return value
    texts = []
    for part in as_list(value):
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict) and part.get("type", "text") == "text":
            text = first_of(part, "content", "text")
            if isinstance(text, str):
                texts.append(text)
    return "\n".join(texts) or None


def _role_texts(value: Any, default_role: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(default_role, value)]
    if isinstance(value, dict):
        value = [value]
    found = []
    for message in as_list(value):
        message = as_dict(message)
        role = as_text(message.get("role")) or default_role
        text = _parts_text(message.get("parts") if "parts" in message
                           else message.get("content"))
        if text:
            found.append(("system" if role in ("system", "developer") else role, text))
    return found


def _indexed_prompts(attrs: dict[str, Any]) -> list[tuple[str, str, str]]:
    """OpenLLMetry's flattened form: gen_ai.prompt.0.role / gen_ai.prompt.0.content."""
    found = []
    index = 0
    while f"gen_ai.prompt.{index}.content" in attrs or f"gen_ai.prompt.{index}.role" in attrs:
        role = as_text(attrs.get(f"gen_ai.prompt.{index}.role")) or "user"
        key = f"gen_ai.prompt.{index}.content"
        text = attrs.get(key)
        if isinstance(text, str) and text:
            found.append(("system" if role in ("system", "developer") else role, text, key))
        index += 1
    return found
