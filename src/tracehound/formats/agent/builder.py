"""The trace builder every agent-runtime parser hands its records to.

A shape finds tool calls, results, human turns, commands the human ran, instruction files and
session metadata in its own way and gives them to a `TraceBuilder`, which
- numbers steps (1-based, per session; in time order, or in file order for conversation logs
  whose records are written as they happen) and maps parent links to step numbers;
- numbers every event it yields in file order (`attrs["seq"]`), so turns and steps of one file
  keep their order when times are missing or equal;
- marks a call `rejected` when its result says the human denied or interrupted it;
- reports orphaned results (a result whose call is not in the file) and a file it read
  nothing from, instead of dropping them;
- builds the Events exactly as docs/events.md and docs/agent-sessions.md say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

from ...model import Event, EvidenceRef, ParseIssue
from ..base import Source
from ..times import zoned_time
from .actions import first_of, host_of, named_object
from .common import normalize_arguments, prompt_hash, text_of, time_key

if TYPE_CHECKING:
    from .builder_stream import Stream

TURN_KINDS = ("human-typed", "system-injected", "compaction-summary", "framework-template")
APPROVALS = ("approved", "auto-approved", "rejected", "unknown")
CONVERSATION_SOURCES = ("agent:tool_call", "agent:prompt", "agent:human_command")

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
    cwd: str | None = None                  # working directory the runtime recorded
    approval: str | None = None             # one of APPROVALS (None: unknown)
    approval_ref: EvidenceRef | None = None # the record that shows the approval
    approval_policy: str | None = None      # the policy text as recorded
    agent_id: str | None = None             # the sub-agent that made the call
    sidechain: bool = False
    spawns: str | None = None               # the sub-agent id a Task-like call started
    record_id: str | None = None            # the runtime's id of the record holding the call
    server: str | None = None               # MCP server that ran the tool
    # (tool word, arguments) the call acts as when its own name and arguments would mislead
    # (an editor's `command` sub-command `str_replace` is no shell command; Aider's "Add file
    # to the chat?" reads the file): kept as attrs["acts_as"] for the effects layer.
    describe_as: tuple[str, Any] | None = None
    # the class the runtime's own vocabulary gives (kepler: cloud operation names through
    # taxonomy.py); conversation logs leave it None: the effects layer classes the step
    action_class: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    raw: Any = None
    # streaming (TraceBuilder.stream): the last line whose records can still change this
    # call (a result naming it, the call its parent key names); None: nothing later can
    settled_at: int | None = None


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
    rejected: bool = False                  # the human denied or interrupted the call
    record_id: str | None = None
    spawns: str | None = None               # a sub-agent id the result names (Task results)
    raw: Any = None
    extra: dict[str, Any] = field(default_factory=dict)   # further attrs (agent_id, sidechain)
    settled_at: int | None = None           # as ToolCall.settled_at: its call, other results


def prompt_event(ref: EvidenceRef, runtime: str, text: str, role: str, *,
                 time: str | None = None, session: str | None = None,
                 actor_id: str | None = None, user_id: str | None = None,
                 turn_kind: str | None = None, record_id: str | None = None,
                 task_text: str | None = None, raw: Any = None,
                 extra: Mapping[str, Any] | None = None) -> Event:
    """An `agent:prompt` event: a user-role record (actor: the user, when the record names
    one) with its `turn_kind` (docs/agent-sessions.md), or the system / deployed prompt
    (actor: the agent it was deployed to)."""
    human = role == "user"
    attrs: dict[str, Any] = {"text": text, "role": role, "prompt_hash": prompt_hash(text),
                             "runtime": runtime}
    if human:
        if turn_kind not in TURN_KINDS:
            raise ValueError(f"unknown turn kind {turn_kind!r}")
        attrs["turn_kind"] = turn_kind
    for key, value in (("record_id", record_id), ("task_text", task_text)):
        if value:
            attrs[key] = value
    for key, value in (extra or {}).items():      # further attrs never replace the above
        attrs.setdefault(key, value)
    return Event(ref=ref, source="agent:prompt", time=time, action=f"{role}-prompt",
                 actor_id=user_id if human else actor_id,
                 actor_kind="human" if human else "service-principal", session=session,
                 attrs=attrs, raw=raw)


class TraceBuilder:
    """Collects a file's calls, results and ready events; numbers steps; yields Events in
    the order the file holds them.

    `order="file"` numbers steps in file order (conversation logs, written as things
    happen); the default orders each session's calls by time (span exports, written out of
    order). `source` lets the builder report file-level issues (zone-less times, orphans,
    nothing read) with the file's name.
    """

    def __init__(self, runtime: str, source: Source | None = None, order: str = "time",
                 expect_reading: bool = True):
        self.runtime = runtime
        self.source = source
        self.order = order
        self._items: list[ToolCall | ToolResult | Event | ParseIssue] = []
        self._prompts_seen: set[tuple[str | None, str, str]] = set()
        self._zoneless: str | None = None          # locator of the first zone-less time
        self._late: list[ParseIssue] = []          # issues found while building (orphans)
        # False for a file that by design holds no step and no turn (one event of a
        # per-event folder, a metadata file): no "nothing read" issue for it
        self.expect_reading = expect_reading
        self._stream: Stream | None = None

    def add(self, item: ToolCall | ToolResult | Event | ParseIssue) -> None:
        self._items.append(item)
        if self._stream is not None:
            self._stream.added(item)

    def stream(self) -> None:
        """Hand out events while the file is read (`ready`), not all at the end: for a shape
        that numbers steps in file order and says, on each call and result, the last line
        that can still change it (`settled_at`). The events and issues are the same as
        `build` gives, in the same order; the items already handed out are let go."""
        if self.order != "file":
            raise ValueError("streaming needs steps numbered in file order")
        from .builder_stream import Stream
        self._stream = Stream(self.runtime)

    def ready(self, line: int | float) -> Iterator[Event | ParseIssue]:
        """The events (and issues) of the items, in order, up to the first call or result
        that a record after line `line` can still change."""
        stream = self._stream
        items = self._items
        done = stream.emitted
        while done < len(items):
            item = items[done]
            settled = getattr(item, "settled_at", None)
            if settled is not None and settled > line:
                break
            items[done] = None          # handed out: let it go
            done += 1
            if isinstance(item, ParseIssue):
                yield item
                continue
            event = stream.event(item, self)
            if isinstance(event.attrs, dict):
                event.attrs["seq"] = stream.seq
            stream.seq += 1
            yield event
        if done > 4096 and done * 2 > len(items):
            del items[:done]
            done = 0
        stream.emitted = done

    def issue(self, locator: str, problem: str) -> None:
        self._items.append(ParseIssue(self._path, locator, problem))

    def time(self, value: Any, ref: EvidenceRef) -> str | None:
        """A record's time as UTC ISO, or None. A time that names no zone is read in `--tz`
        when given and otherwise left empty; the file then gets one parse issue."""
        iso, zoneless = zoned_time(value, self.source.tz if self.source is not None else None)
        if zoneless and iso is None and self._zoneless is None:
            self._zoneless = ref.locator
        return iso

    def prompt(self, ref: EvidenceRef, text: str | None, role: str, **kw: Any) -> None:
        """A prompt once per (session, role, text): chat logs resend the whole history.
        A user-role prompt is human-typed unless `turn_kind` says otherwise."""
        if not text or not text.strip():
            return
        seen = (kw.get("session"), role, text)
        if seen in self._prompts_seen:
            return
        self._prompts_seen.add(seen)
        if role == "user":
            kw.setdefault("turn_kind", "human-typed")
        self._items.append(prompt_event(ref, self.runtime, text, role, **kw))

    def human_command(self, ref: EvidenceRef, command: str, *, result: Any = None,
                      time: str | None = None, session: str | None = None,
                      user_id: str | None = None, record_id: str | None = None,
                      raw: Any = None) -> None:
        """A command the human ran themselves (Claude Code `!`, Aider `/run`): an event
        with a human actor, never a step of the agent."""
        attrs: dict[str, Any] = {"command": command, "runtime": self.runtime}
        for key, value in (("result_text", text_of(result)), ("record_id", record_id)):
            if value:
                attrs[key] = value
        self._items.append(Event(ref=ref, source="agent:human_command", time=time,
                                 action="shell", actor_id=user_id, actor_kind="human",
                                 session=session, attrs=attrs, raw=raw))

    def instructions(self, ref: EvidenceRef, text: str, *, path: str | None = None,
                     time: str | None = None, session: str | None = None,
                     raw: Any = None, record_id: str | None = None) -> None:
        """A project instruction file seen in the log (CLAUDE.md, AGENTS.md, GEMINI.md)."""
        attrs: dict[str, Any] = {"text": text, "runtime": self.runtime}
        if path:
            attrs["path"] = path
        if record_id:
            attrs["record_id"] = record_id
        self._items.append(Event(ref=ref, source="agent:instructions", time=time,
                                 action="instructions", actor_kind="human", session=session,
                                 attrs=attrs, raw=raw))

    def session_meta(self, ref: EvidenceRef, session: str | None, *, time: str | None = None,
                     actor_id: str | None = None, raw: Any = None, **meta: Any) -> Event:
        """One `agent:session` event: the runtime, its version, agent kind, cwd, policies.
        Returned so a shape can add what later records of the file tell (a model, a policy)."""
        attrs = {"runtime": self.runtime, **{k: v for k, v in meta.items()
                                             if v not in (None, "", [], {})}}
        event = Event(ref=ref, source="agent:session", time=time, action="session",
                      actor_id=actor_id or self.runtime, actor_kind="agent", session=session,
                      attrs=attrs, raw=raw)
        self._items.append(event)
        return event

    def build(self) -> Iterator[Event | ParseIssue]:
        """Events in file order. A call learns its outcome from a separate result record
        when it has none of its own (and that it was rejected, when the result says so); a
        result learns the step and tool of its call."""
        if self._stream is not None:            # the rest of a streamed file
            yield from self.ready(float("inf"))
            yield from self._file_issues(self._stream.read_something)
            return
        calls = [i for i in self._items if isinstance(i, ToolCall)]
        numbers = number_steps(calls, self.order)
        by_call_id = {(c.session, c.tool_call_id): c for c in calls if c.tool_call_id}
        for item in self._items:
            if isinstance(item, ToolResult):
                inform(by_call_id.get((item.session, item.tool_call_id)), item)
        seq = 0
        read_something = False
        for item in self._items:
            if isinstance(item, ParseIssue):
                yield item
                continue
            if isinstance(item, ToolCall):
                step, parent = numbers[id(item)]
                event = tool_call_event(item, self.runtime, step, parent)
                read_something = True
            elif isinstance(item, ToolResult):
                call = by_call_id.get((item.session, item.tool_call_id))
                if call is None:
                    if item.tool_call_id:
                        self._orphan(item)
                elif not item.tool:
                    item.tool = call.tool
                event = tool_result_event(item, self.runtime,
                                          numbers[id(call)][0] if call is not None else None)
            else:
                event = item
                read_something = read_something or is_reading(event)
            if isinstance(event.attrs, dict):
                event.attrs["seq"] = seq
            seq += 1
            yield event
        yield from self._file_issues(read_something)

    def _orphan(self, result: ToolResult) -> None:
        self._late.append(ParseIssue(
            self._path, result.ref.locator, f"result for call {result.tool_call_id} whose "
            "call is not in this file (kept as an unmatched result)", notice=True))

    @property
    def _path(self) -> str:
        return self.source.path if self.source is not None else "input"

    def _file_issues(self, read_something: bool) -> Iterator[ParseIssue]:
        path = self._path
        yield from self._late
        if self._zoneless is not None:
            yield ParseIssue(path, self._zoneless, "times carry no zone; left empty (give "
                             "--tz ZONE to read them in a zone)", notice=True)
        if not read_something and self.expect_reading and self.source is not None and \
                self.source.size > 0:
            yield ParseIssue(path, "file", f"recognised as {self.runtime}, nothing read: no "
                             "tool call and no human turn", notice=True)


def inform(call: ToolCall | None, result: ToolResult) -> None:
    """What a separate result tells its call: the outcome, a rejection, a spawned agent."""
    if call is None:
        return
    if result.rejected:
        call.approval = "rejected"
        call.approval_ref = result.ref
        call.is_error = True
    elif result.is_error is not None and call.is_error is None:
        call.is_error = result.is_error
    if result.spawns and not call.spawns:
        call.spawns = result.spawns


def is_reading(event: Event) -> bool:
    """An event that counts as something read from a conversation file: a human turn or a
    command the human ran (a session record alone does not)."""
    if event.source == "agent:human_command":
        return True
    return event.source == "agent:prompt" and event.attrs.get("role") == "user" and \
        event.attrs.get("turn_kind") in ("human-typed", "framework-template")


def number_steps(calls: Iterable[ToolCall], order: str = "time"
                 ) -> dict[int, tuple[int, int | None]]:
    """id(call) -> (step, parent step): 1-based per session, in time order (file order for
    ties) or, with order "file", in file order; the parent is the step of the call whose key
    is the call's parent_key."""
    sessions: dict[str | None, list[tuple[str, int, ToolCall]]] = {}
    for position, call in enumerate(calls):
        key = time_key(call.time) if order == "time" else ""
        sessions.setdefault(call.session, []).append((key, position, call))
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


SHARED_ARGUMENTS = 65536     # distinct small argument dicts kept to share between events


@lru_cache(maxsize=SHARED_ARGUMENTS)
def _shared(items: tuple[tuple[str, str], ...]) -> dict:
    return dict(items)


def kept_arguments(arguments: dict[str, Any] | str) -> Any:
    """The arguments to keep on the event. Traces repeat the same call over and over: a call
    whose arguments are a few text values shares one dict with every equal call (equal to
    the one given; nothing changes it later)."""
    if isinstance(arguments, dict):
        items = tuple(arguments.items())
        if len(items) <= 8 and all(type(k) is str and type(v) is str for k, v in items):
            return _shared(items)
    return arguments


SHARED_TEXTS = 65536         # distinct short texts kept to share between events
SHARED_TEXT_CHARS = 256
_TEXTS: dict[str, str] = {}


def shared_text(text: Any) -> Any:
    """One string object for equal short texts (a session's tool outputs and intents repeat:
    "The file ... has been updated.", the todo list's answer); other values as they are."""
    if type(text) is not str or len(text) > SHARED_TEXT_CHARS:
        return text
    found = _TEXTS.get(text)
    if found is None:
        if len(_TEXTS) >= SHARED_TEXTS:
            _TEXTS.clear()
        _TEXTS[text] = found = text
    return found


class _CallAttrs:
    """Its instances lend their __dict__ as a tool call's attrs: the attribute dicts of one
    class share a single key table in CPython (PEP 412; see model._RefJson), so the millions
    of calls of a long session do not each hold their keys. Plain dicts to every reader."""


class _ResultAttrs:
    """As _CallAttrs, for tool results."""


def tool_call_event(call: ToolCall, runtime: str, step: int, parent: int | None) -> Event:
    arguments = kept_arguments(normalize_arguments(call.arguments))
    target, target_type, named_url = named_object(arguments)
    url = call.url or named_url
    attrs: dict[str, Any] = vars(_CallAttrs())
    attrs["tool_call_id"] = call.tool_call_id
    attrs["tool"] = call.tool
    attrs["arguments"] = arguments
    attrs["runtime"] = runtime
    for key, value in (("result_text", text_of(call.result)),
                       ("stated_intent", shared_text(call.stated_intent)),
                       ("model", call.model),
                       ("credential", call.credential), ("url", url),
                       ("dest_host", host_of(url) if url else None),
                       ("method", call.method or _method_in(arguments)),
                       ("is_error", call.is_error)):
        if value is not None:
            attrs[key] = value
    for key, value in (("cwd", call.cwd), ("approval_policy", call.approval_policy),
                       ("agent_id", call.agent_id), ("spawns", call.spawns),
                       ("record_id", call.record_id), ("server", call.server)):
        if value:
            attrs[key] = value
    if call.describe_as is not None:
        attrs["acts_as"] = {"tool": call.describe_as[0],
                            "arguments": normalize_arguments(call.describe_as[1])}
    if call.sidechain:
        attrs["sidechain"] = True
    if call.approval and call.approval != "unknown":
        attrs["approval"] = call.approval
        if call.approval_ref is not None:
            attrs["approval_ref"] = call.approval_ref.to_json()
    attrs.update(call.extra)
    outcome = "rejected" if call.approval == "rejected" else outcome_of(call.is_error)
    return Event(
        ref=call.ref, source="agent:tool_call", time=call.time, action=call.tool,
        action_class=call.action_class or "other", actor_id=call.actor_id,
        actor_kind="agent", target_id=target or url, target_type=target_type,
        outcome=outcome, session=call.session, step=step,
        parent_step=parent, approver=call.approver, bytes_in=call.bytes_in,
        bytes_out=call.bytes_out, attrs=attrs, raw=call.raw)


def _method_in(arguments: Any) -> str | None:
    """The HTTP method the arguments name, as given."""
    if isinstance(arguments, dict):
        value = first_of(arguments, "method", "http_method")
        return value if isinstance(value, str) else None
    return None


def tool_result_event(result: ToolResult, runtime: str, step: int | None) -> Event:
    """`agent:tool_result`: step is the step of the call it answers (by tool_call_id)."""
    attrs: dict[str, Any] = vars(_ResultAttrs())
    attrs["tool_call_id"] = result.tool_call_id
    attrs["result_text"] = shared_text(text_of(result.result))
    attrs["is_error"] = bool(result.is_error)
    attrs["runtime"] = runtime
    for key, value in (("tool", result.tool), ("record_id", result.record_id),
                       ("spawns", result.spawns)):
        if value:
            attrs[key] = value
    for key, value in result.extra.items():
        attrs.setdefault(key, value)
    if step is None:
        attrs["unmatched"] = True
    outcome = "rejected" if result.rejected else outcome_of(result.is_error)
    return Event(ref=result.ref, source="agent:tool_result", time=result.time,
                 action=result.tool or "tool_result", actor_id=result.actor_id,
                 actor_kind="agent" if result.actor_id else "unknown",
                 outcome=outcome, session=result.session, step=step,
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
