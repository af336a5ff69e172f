"""Langfuse trace exports -> events.

A trace {id, name, sessionId, userId, input, output, metadata, observations[]} where each
observation has id, traceId, type (TOOL / SPAN / GENERATION / AGENT / EVENT ...), name,
startTime, endTime, input, output, parentObservationId, metadata, level and statusMessage.
Accepted containers: one trace, a list of traces, an API page {"data": [...], "meta": {...}}
of traces or of observations, and NDJSON of either. A TOOL observation is one tool call; its
parent is the nearest TOOL observation up the parentObservationId chain. User and system
messages in the trace input and in GENERATION / AGENT inputs are prompts. The agent is the
nearest AGENT observation above the call (or the trace name); the model is that of the last
GENERATION of the trace that started before the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue
from .builder import ToolCall, TraceBuilder, nearest_call
from .common import (
    Ref, any_time, as_dict, as_list, as_text, first_of, json_documents, text_of, time_key,
)
from ..base import Parser, Sample, Source
from ..registry import register

RUNTIME = "langfuse"
OBSERVATION_TYPES = ("TOOL", "SPAN", "GENERATION", "AGENT", "EVENT", "CHAIN", "RETRIEVER",
                     "EVALUATOR", "EMBEDDING", "GUARDRAIL")
PROMPT_KEYS = ("input", "query", "question", "prompt", "message", "task")

def _is_observation(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") in OBSERVATION_TYPES and \
        "traceId" in value and ("startTime" in value or "id" in value)


def _is_trace(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("observations"), list) and \
        "id" in value


@dataclass
class Observation:
    ref: EvidenceRef
    at: Ref
    body: dict[str, Any]
    trace: dict[str, Any]          # the trace object it came in ({} for observation pages)

    @property
    def key(self) -> str:
        return str(self.body.get("id"))

    @property
    def parent_key(self) -> str | None:
        return as_text(self.body.get("parentObservationId"))

    @property
    def kind(self) -> str:
        return str(self.body.get("type"))

    @property
    def start(self) -> str | None:
        return any_time(self.body.get("startTime"))

    @property
    def trace_id(self) -> str:
        return as_text(self.body.get("traceId")) or as_text(self.trace.get("id")) or ""


@register
class LangfuseParser(Parser):
    name = "langfuse"
    version = "1"
    description = "Langfuse trace exports: a trace, a list of traces, API pages, NDJSON"

    def sniff(self, sample: Sample) -> str | None:
        doc = sample.document
        if _is_trace(doc):
            return "Langfuse trace with observations[]"
        items = as_list(as_dict(doc).get("data")) if isinstance(doc, dict) else \
            sample.list_items()
        for item in items[:3]:
            if _is_trace(item):
                return "Langfuse traces with observations[]" + \
                    (" in an API page (data)" if isinstance(doc, dict) else "")
            if _is_observation(item):
                return "Langfuse observations (type, traceId, startTime)" + \
                    (" in an API page (data)" if isinstance(doc, dict) else "")
        for record in sample.records[:3]:
            if _is_trace(record) or _is_observation(record):
                return "NDJSON of Langfuse traces / observations"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        builder = TraceBuilder(RUNTIME)
        tree = _ObservationTree(source.path, builder)
        for record, at in _records(source, builder):
            tree.collect(record, at)
        tree.emit()
        yield from builder.build()


def _records(source: Source, builder: TraceBuilder) -> Iterator[tuple[Any, Ref]]:
    """(trace or observation, ref maker) from any of the accepted containers."""
    issues: list[ParseIssue] = []
    for doc, at in json_documents(source, issues):
        if isinstance(doc, dict) and isinstance(doc.get("data"), list) and not _is_trace(doc):
            for position, item in enumerate(doc["data"]):
                yield item, (lambda *t, p=position, a=at: a("data", p, *t))
        elif isinstance(doc, list):
            for position, item in enumerate(doc):
                yield item, (lambda *t, p=position, a=at: a(p, *t))
        else:
            yield doc, at
    for issue in issues:
        builder.add(issue)


class _ObservationTree:
    """The observations of one file with their parent links; emits prompts and tool calls."""

    def __init__(self, path: str, builder: TraceBuilder):
        self.path = path
        self.builder = builder
        self.traces: list[tuple[dict[str, Any], Ref]] = []
        self.observations: list[Observation] = []

    def issue(self, ref: EvidenceRef, problem: str) -> None:
        self.builder.add(ParseIssue(self.path, ref.locator, problem))

    def collect(self, record: Any, at: Ref) -> None:
        if _is_trace(record):
            self.traces.append((record, at))
            for position, item in enumerate(record["observations"]):
                if not isinstance(item, str):       # the list API gives bare ids: skip them
                    self.observation(item, lambda *t, p=position: at("observations", p, *t),
                                     record)
        elif isinstance(record, dict) and "type" in record and "traceId" in record:
            self.observation(record, at, {})
        else:
            self.issue(at(), "record is neither a Langfuse trace nor an observation")

    def observation(self, item: Any, at: Ref, trace: dict[str, Any]) -> None:
        ref = at()
        if not isinstance(item, dict):
            self.issue(ref, "observation is not an object")
        elif not as_text(item.get("id")) or not as_text(item.get("type")):
            self.issue(ref, "observation has no id or type")
        else:
            self.observations.append(Observation(ref, at, item, trace))

    def emit(self) -> None:
        self.by_key = {o.key: o for o in self.observations}
        self.parent_of = {o.key: o.parent_key for o in self.observations}
        self.call_of = {o.key: o.key for o in self.observations if o.kind == "TOOL"}
        self.generations = sorted((o for o in self.observations if o.kind == "GENERATION"
                                   and as_text(o.body.get("model"))),
                                  key=lambda o: time_key(o.start))
        for trace, at in self.traces:
            session = as_text(trace.get("sessionId")) or as_text(trace.get("id"))
            for role, text, ref in _prompts(trace.get("input"), lambda *t: at("input", *t)):
                self.builder.prompt(ref, text, role, time=any_time(trace.get("timestamp")),
                                    session=session, user_id=as_text(trace.get("userId")),
                                    actor_id=as_text(trace.get("name")), raw=trace)
        for item in self.observations:
            context = {"session": self.session_of(item), "actor_id": self.agent_of(item),
                       "time": item.start}
            if item.kind in ("GENERATION", "AGENT"):
                for role, text, ref in _prompts(item.body.get("input"),
                                                lambda *t, o=item: o.at("input", *t)):
                    self.builder.prompt(ref, text, role, raw=item.body,
                                        user_id=as_text(item.trace.get("userId")), **context)
            elif item.kind == "TOOL":
                self.tool_call(item, context)

    def ancestors(self, item: Observation) -> Iterator[Observation]:
        seen = {item.key}
        key = item.parent_key
        while key and key in self.by_key and key not in seen:
            seen.add(key)
            yield self.by_key[key]
            key = self.by_key[key].parent_key

    def session_of(self, item: Observation) -> str:
        return as_text(item.trace.get("sessionId")) or as_text(item.body.get("sessionId")) \
            or item.trace_id

    def agent_of(self, item: Observation) -> str | None:
        for holder in (item, *self.ancestors(item)):
            agent = as_text(as_dict(holder.body.get("metadata")).get("agent_id"))
            if agent:
                return agent
            if holder is not item and holder.kind == "AGENT" and as_text(holder.body.get("name")):
                return as_text(holder.body.get("name"))
        return as_text(as_dict(item.trace.get("metadata")).get("agent_id")) or \
            as_text(item.trace.get("name"))

    def model_before(self, item: Observation) -> str | None:
        found = None
        for generation in self.generations:
            if generation.trace_id != item.trace_id:
                continue
            if time_key(generation.start) > time_key(item.start):
                break
            found = as_text(generation.body.get("model"))
        return as_text(item.body.get("model")) or found

    def tool_call(self, item: Observation, context: dict[str, Any]) -> None:
        body = item.body
        tool = as_text(body.get("name"))
        if not tool:
            self.issue(item.ref, "TOOL observation without a name")
            return
        metadata = as_dict(body.get("metadata"))
        self.builder.add(ToolCall(
            ref=item.ref, tool=tool, tool_call_id=as_text(
                first_of(metadata, "tool_call_id", "toolCallId")) or item.key,
            arguments=_arguments(body.get("input")),
            result=first_of(body, "output", "statusMessage"),
            is_error=body.get("level") == "ERROR", model=self.model_before(item),
            key=item.key, parent_key=nearest_call(item.parent_key, self.parent_of,
                                                  self.call_of),
            stated_intent=as_text(metadata.get("stated_intent")),
            extra={"observation_id": item.key, "trace_id": item.trace_id}, raw=body,
            **context))


def _arguments(value: Any) -> Any:
    """A decorator's {args, kwargs} capture -> the call's own arguments."""
    if isinstance(value, dict) and set(value) <= {"args", "kwargs"} and value:
        kwargs = as_dict(value.get("kwargs"))
        args = as_list(value.get("args"))
        if kwargs and not args:
            return kwargs
        if len(args) == 1 and not kwargs:
            return args[0]
    return value


def _prompts(value: Any, at: Ref) -> list[tuple[str, str, EvidenceRef]]:
    """(role, text, ref) of the user / system messages in a trace or generation input."""
    if isinstance(value, str):
        return [("user", value, at())]
    if isinstance(value, dict):
        if isinstance(value.get("messages"), list):
            return _prompts(value["messages"], lambda *t: at("messages", *t))
        text = first_of(value, *PROMPT_KEYS)
        if isinstance(text, str):
            key = next(k for k in PROMPT_KEYS if value.get(k) == text)
            return [("user", text, at(key))]
        return []
    found = []
    for position, message in enumerate(as_list(value)):
        message = as_dict(message)
        role = as_text(message.get("role"))
        text = text_of(message.get("content"))
        if role in ("user", "system", "developer") and text:
            found.append(("user" if role == "user" else "system", text, at(position)))
    return found
