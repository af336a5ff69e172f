"""What the agent-runtime parsers share: one tool call -> one `agent:tool_call` Event.

Each agent log shape (OpenTelemetry GenAI, MCP JSON-RPC, Claude Code, OpenAI chat, Langfuse)
finds its tool calls, prompts and results in its own way and hands them to a `TraceBuilder`.
The builder numbers steps (1-based, per session, in time order), maps the shape's own parent
link to the parent's step, classifies each call (agent_actions) and builds the Events exactly
as docs/events.md says.
Arguments that are JSON text become a dict; anything else is kept as text, never a crash.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Mapping

from ...model import Event, EvidenceRef, ParseIssue, line_ref, pointer_ref
from .actions import (CallShape, as_text, describe_call, first_of,  # noqa: F401
                            host_of, mutation_of)
from ..base import Source
from ..times import format_utc, utc_time
from ..readers import iter_ndjson, load_json

Ref = Callable[..., EvidenceRef]        # path tokens inside the record -> its EvidenceRef

# ----------------------------------------------------------------------------- small readers

# The spelling agent runtimes write nearly always: `2026-04-12T14:00:00(.fff)Z`, ASCII digits.
_CANONICAL_UTC = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                            r"(?:\.([0-9]{1,9}))?Z")


@lru_cache(maxsize=4096)
def _real_day(year: str, month: str, day: str) -> bool:
    try:
        datetime(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def utc_iso(value: Any) -> str | None:
    """m365_fields.utc_time (UTC ISO 8601 with Z, fraction only when non-zero, or None), with
    the canonical spelling read by slicing rather than through datetime: same text out."""
    match = _CANONICAL_UTC.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return utc_time(value)
    year, month, day, hour, minute, second, fraction = match.groups()
    if not (hour < "24" and minute < "60" and second < "60" and _real_day(year, month, day)):
        return utc_time(value)
    digits = (fraction or "")[:6].rstrip("0")
    return f"{year}-{month}-{day}T{hour}:{minute}:{second}{'.' + digits if digits else ''}Z"


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def epoch_iso(value: Any, unit: str = "auto") -> str | None:
    """Unix time (seconds, ms, us or ns; number or digit string) -> UTC ISO `...Z`, or None.

    With unit "auto" the magnitude decides; "ns" is OTLP's `...UnixNano`.
    """
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value <= 0:
        return None
    scale = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}.get(unit)
    if scale is None:
        scale = next(s for limit, s in ((1e11, 1), (1e14, 1_000), (1e17, 1_000_000),
                                        (float("inf"), 1_000_000_000)) if value < limit)
    if isinstance(value, float):
        value = int(value * 1_000_000 / scale)
        scale = 1_000_000
    seconds, rest = divmod(value, scale)
    try:
        moment = datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return format_utc(moment.replace(microsecond=rest * 1_000_000 // scale))


def any_time(value: Any) -> str | None:
    """An ISO text time or a Unix epoch number, normalized; None when unreadable."""
    if isinstance(value, str) and not value.strip().isdigit():
        return utc_iso(value)
    return epoch_iso(value)


def time_key(iso: str | None) -> str:
    """A sort key for normalized times that orders `...05Z` before `...05.5Z`."""
    if not iso:
        return ""
    whole, _, fraction = iso.rstrip("Z").partition(".")
    return f"{whole}.{fraction.ljust(6, '0')}"


def is_ndjson(data: bytes) -> bool:
    """True when the first non-blank line is a JSON object on its own and more follows."""
    first = next((line for line in data.splitlines() if line.strip()), b"")
    try:
        return isinstance(json.loads(first), dict) and first.strip() != data.strip()
    except (ValueError, RecursionError):
        return False


def json_documents(source: Source, issues: list[ParseIssue]) -> Iterator[tuple[Any, Ref]]:
    """(value, ref maker) for each NDJSON line (refs `line N`), or once for a whole JSON
    document (refs `json:/pointer`). Unreadable lines and documents go to `issues`."""
    if is_ndjson(source.data):
        for item in iter_ndjson(source.data, source.path):
            if isinstance(item, ParseIssue):
                issues.append(item)
            else:
                number, record = item
                yield record, (lambda *_tokens, n=number: line_ref(source.sha256, n))
        return
    doc, problems = load_json(source.data, source.path)
    issues.extend(problems)
    if doc is not None:
        yield doc, (lambda *tokens: pointer_ref(source.sha256, *tokens))


# ----------------------------------------------------------------------------- values


def normalize_arguments(value: Any) -> dict[str, Any] | str:
    """Tool arguments as events.md wants them: a dict, or the text as given when not a
    JSON object (free text, a JSON list or scalar, broken JSON)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            return value
        return decoded if isinstance(decoded, dict) else value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return str(value)


def text_of(value: Any, depth: int = 0) -> str | None:
    """Tool output as text: strings as they are, content blocks joined, other JSON dumped."""
    if value is None or depth > 20:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [text_of(item, depth + 1) for item in value]
        return "\n".join(p for p in parts if p) or None
    if isinstance(value, dict):
        for key in ("text", "content"):
            if isinstance(value.get(key), (str, list)) and set(value) <= {key, "type"}:
                return text_of(value[key], depth + 1)
        if value.get("type") == "text" and isinstance(value.get("text"), str):
            return value["text"]
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return str(value)


def prompt_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()


# ----------------------------------------------------------------------------- records


@dataclass
class ToolCall:
    """One tool call as a shape found it, before steps are numbered."""

    ref: EvidenceRef
    tool: str
    time: str | None = None
    session: str | None = None
    tool_call_id: str | None = None
    arguments: Any = None
    result: Any = None                      # output when the call record itself carries it
    is_error: bool | None = None
    actor_id: str | None = None
    model: str | None = None
    key: str | None = None                  # this call's id for parent links (uuid, span id)
    parent_key: str | None = None           # the key of the parent tool call, already resolved
    approver: str | None = None
    stated_intent: str | None = None
    credential: str | None = None
    url: str | None = None                  # destination the shape itself records (HTTP span)
    method: str | None = None
    bytes_in: int | None = None
    bytes_out: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    raw: Any = None


@dataclass
class ToolResult:
    """Tool output in a record of its own (Claude Code tool_result, OpenAI role tool...)."""

    ref: EvidenceRef
    tool_call_id: str | None
    result: Any = None
    is_error: bool | None = None
    time: str | None = None
    session: str | None = None
    actor_id: str | None = None
    tool: str | None = None
    raw: Any = None


def prompt_event(ref: EvidenceRef, runtime: str, text: str, role: str, *,
                 time: str | None = None, session: str | None = None,
                 actor_id: str | None = None, user_id: str | None = None,
                 raw: Any = None) -> Event:
    """An `agent:prompt` event: a human prompt (actor: the user, when the record names
    one), or the system / deployed prompt (actor: the agent it was deployed to)."""
    human = role == "user"
    return Event(ref=ref, source="agent:prompt", time=time, action=f"{role}-prompt",
                 actor_id=user_id if human else actor_id,
                 actor_kind="human" if human else "service-principal", session=session,
                 attrs={"text": text, "role": role, "prompt_hash": prompt_hash(text),
                        "runtime": runtime}, raw=raw)


class TraceBuilder:
    """Collects a file's calls, results and ready events; numbers steps; yields Events in
    the order the file holds them."""

    def __init__(self, runtime: str):
        self.runtime = runtime
        self._items: list[ToolCall | ToolResult | Event | ParseIssue] = []
        self._prompts_seen: set[tuple[str | None, str, str]] = set()

    def add(self, item: ToolCall | ToolResult | Event | ParseIssue) -> None:
        self._items.append(item)

    def prompt(self, ref: EvidenceRef, text: str | None, role: str, **kw: Any) -> None:
        """A prompt once per (session, role, text): chat logs resend the whole history."""
        if not text or not text.strip():
            return
        seen = (kw.get("session"), role, text)
        if seen in self._prompts_seen:
            return
        self._prompts_seen.add(seen)
        self._items.append(prompt_event(ref, self.runtime, text, role, **kw))

    def build(self) -> Iterator[Event | ParseIssue]:
        """Events in file order. A call learns its outcome from a separate result record
        when it has none of its own; a result learns the step and tool of its call."""
        calls = [i for i in self._items if isinstance(i, ToolCall)]
        numbers = number_steps(calls)
        by_call_id = {(c.session, c.tool_call_id): c for c in calls if c.tool_call_id}
        for item in self._items:
            if isinstance(item, ToolResult) and item.is_error is not None:
                call = by_call_id.get((item.session, item.tool_call_id))
                if call is not None and call.is_error is None:
                    call.is_error = item.is_error
        for item in self._items:
            if isinstance(item, ToolCall):
                step, parent = numbers[id(item)]
                yield tool_call_event(item, self.runtime, step, parent)
            elif isinstance(item, ToolResult):
                call = by_call_id.get((item.session, item.tool_call_id))
                if call is not None and not item.tool:
                    item.tool = call.tool
                yield tool_result_event(item, self.runtime,
                                        numbers[id(call)][0] if call is not None else None)
            else:
                yield item


def number_steps(calls: Iterable[ToolCall]) -> dict[int, tuple[int, int | None]]:
    """id(call) -> (step, parent step): 1-based per session in time order (file order for
    ties); the parent is the step of the call whose key is the call's parent_key."""
    sessions: dict[str | None, list[tuple[str, int, ToolCall]]] = {}
    for order, call in enumerate(calls):
        sessions.setdefault(call.session, []).append((time_key(call.time), order, call))
    ordered: list[tuple[int, ToolCall]] = []
    for members in sessions.values():
        members.sort(key=lambda m: m[:2])
        ordered += [(step, call) for step, (_, _, call) in enumerate(members, start=1)]
    by_key: dict[str, int] = {}
    for step, call in ordered:
        if call.key:
            by_key.setdefault(call.key, step)
    return {id(call): (step, by_key.get(call.parent_key) if call.parent_key else None)
            for step, call in ordered}


SHAPE_CACHE_TEXT = 4096      # longer free-text arguments are read every time, not cached


@lru_cache(maxsize=65536)
def _flat_call(tool: str, items: tuple[tuple[str, str], ...]) -> tuple[CallShape, dict]:
    return describe_call(tool, dict(items)), dict(items)


@lru_cache(maxsize=16384)
def _text_call(tool: str, arguments: str) -> CallShape:
    return describe_call(tool, arguments)


def shape_of(tool: str, arguments: dict[str, Any] | str) -> tuple[CallShape, Any]:
    """describe_call(tool, arguments), and the arguments to keep. Traces repeat the same call
    over and over: a call whose arguments are a few text values is described once, and its
    events share one arguments dict (equal to the one given; nothing changes it later)."""
    if isinstance(arguments, dict):
        items = tuple(arguments.items())
        if len(items) <= 8:
            for key, value in items:
                if type(key) is not str or type(value) is not str:
                    break
            else:
                return _flat_call(tool, items)
    elif isinstance(arguments, str) and len(arguments) <= SHAPE_CACHE_TEXT:
        return _text_call(tool, arguments), arguments
    return describe_call(tool, arguments), arguments


def tool_call_event(call: ToolCall, runtime: str, step: int, parent: int | None) -> Event:
    shape, arguments = shape_of(call.tool, normalize_arguments(call.arguments))
    url = call.url or shape.url
    klass = shape.action_class
    if call.url and klass in ("other", "execute") and (call.method or "").upper() in (
            "POST", "PUT", "PATCH"):
        klass = "egress"
    attrs: dict[str, Any] = {"tool_call_id": call.tool_call_id, "tool": call.tool,
                             "arguments": arguments, "mutation": mutation_of(klass, call.tool),
                             "runtime": runtime}
    for key, value in (("result_text", text_of(call.result)),
                       ("stated_intent", call.stated_intent), ("model", call.model),
                       ("credential", call.credential), ("url", url),
                       ("dest_host", host_of(url) if url else None),
                       ("method", call.method or shape.method), ("command", shape.command),
                       ("is_error", call.is_error)):
        if value is not None:
            attrs[key] = value
    attrs.update(call.extra)
    target = shape.target_id or (url if url else None)
    return Event(
        ref=call.ref, source="agent:tool_call", time=call.time, action=call.tool,
        action_class=klass, actor_id=call.actor_id, actor_kind="agent", target_id=target,
        target_type=shape.target_type or ("url" if target and target == url else None),
        outcome=outcome_of(call.is_error), session=call.session, step=step,
        parent_step=parent, approver=call.approver, bytes_in=call.bytes_in,
        bytes_out=call.bytes_out if call.bytes_out is not None else shape.bytes_out,
        attrs=attrs, raw=call.raw)


def tool_result_event(result: ToolResult, runtime: str, step: int | None) -> Event:
    """`agent:tool_result`: step is the step of the call it answers (by tool_call_id)."""
    attrs: dict[str, Any] = {"tool_call_id": result.tool_call_id,
                             "result_text": text_of(result.result),
                             "is_error": bool(result.is_error), "runtime": runtime}
    if result.tool:
        attrs["tool"] = result.tool
    return Event(ref=result.ref, source="agent:tool_result", time=result.time,
                 action=result.tool or "tool_result", actor_id=result.actor_id,
                 actor_kind="agent" if result.actor_id else "unknown",
                 outcome=outcome_of(result.is_error), session=result.session, step=step,
                 attrs=attrs, raw=result.raw)


def outcome_of(is_error: bool | None) -> str | None:
    if is_error is None:
        return None
    return "failure" if is_error else "success"


def nearest_call(start: str | None, parent_of: Mapping[str, str | None],
                 call_of: Mapping[str, str]) -> str | None:
    """Walk parent links from `start` to the first node that is (or holds) a tool call and
    return that call's key; None when the chain ends first. Cycles end the walk."""
    seen: set[str] = set()
    node = start
    while node is not None and node not in seen:
        if node in call_of:
            return call_of[node]
        seen.add(node)
        node = parent_of.get(node)
    return None
