"""One OpenHands event list (a conversation's event stream, or an output record's `history`)
-> TraceBuilder items.

OpenHands (V0 event model) serializes every event as {id, timestamp, source (user | agent |
environment), message, cause, tool_call_metadata, ...} plus either `action` + `args` or
`observation` + `content` + `extras` (+ `success`). Read here:

- agent actions that act (`run`, `read`, `write`, `edit`, `browse`, `browse_interactive`,
  `run_ipython`, `call_tool_mcp`, `delegate`, `think`, `finish`, and any action type not
  known to carry nothing) are steps: tool = the action type (an MCP call: the MCP tool's
  name), arguments = `args` as recorded without `thought`, which is the stated intent;
- observations are their results, matched by `cause` (the action's event id);
  `user_rejected` is a rejection, `error` and `success: false` are failures;
- approval from `confirmation_state`: an action recorded `awaiting_confirmation` and then
  again `confirmed` / `rejected` (OpenHands re-adds the action once the human decides) is
  one step, approved or rejected, with the human's `change_agent_state` record as its ref; a
  `confirmed` action that was never awaiting ran without asking (auto-approved); no field,
  unknown. `security_risk` is kept;
- user `message` actions are turns: a harness task wrapper is a framework template whose
  task text is the instance's problem statement (or the text inside the wrapper); user
  `run` actions (the web terminal) are commands the human ran; the `system` action is the
  system prompt; a workspace `recall` observation's `repo_instructions` are the project's
  instructions.
Older resolver output keeps each event as its dataclass fields (no `args` / `extras`, no id,
source or cause): such an observation answers the action just before it. Records without
`action` or `observation` (the V1 SDK's `kind` events) are counted, not read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from ...model import EvidenceRef
from .builder import ToolCall, ToolResult, TraceBuilder
from .common import as_dict, as_text
from .templates import task_in_template

RUNTIME = "openhands"
# action types that are not steps: talk, bookkeeping, state changes
NOT_STEPS = frozenset({"message", "system", "recall", "change_agent_state", "null",
                       "condensation", "condensation_request", "pause", "resume", "stop",
                       "start", "summarize"})
VOLATILE_ARGS = ("thought", "confirmation_state", "security_risk")
ENVELOPE = ("id", "timestamp", "source", "message", "cause", "tool_call_metadata",
            "llm_metrics", "timeout")
QUIET = ("agent_state_changed", "recall", "null")    # observations that answer no step
DECISIONS = {"user_confirmed": "approved", "user_rejected": "rejected"}

Item = tuple[Any, EvidenceRef]


@dataclass
class Context:
    """What the record around the event list says about the session."""

    session: str
    task_text: str | None = None      # the human's task the harness wrapped (issue body)
    instruction: str | None = None    # the instruction the harness sent, when recorded
    model: str | None = None
    agent_class: str | None = None
    # one event of a per-event folder: a state change is then the file's only record and is
    # kept as a session record (in a stream, the events around it already tell the state)
    single_event: bool = False


def flatten(history: list[Any], at: Callable[..., EvidenceRef]) -> list[Item]:
    """(event, ref) pairs; older evaluation output keeps [action, observation] pairs."""
    items: list[Item] = []
    for index, entry in enumerate(history):
        if isinstance(entry, list) and entry and all(isinstance(e, dict) for e in entry):
            items += [(event, at(index, inner)) for inner, event in enumerate(entry)]
        else:
            items.append((entry, at(index)))
    return items


def event_id(event: dict[str, Any]) -> str | None:
    return as_text(event.get("id"))


def normalized(event: Any) -> Any:
    """An event in event_to_dict's layout; a flat one (its dataclass fields at the top,
    older resolver output) gets its `args` / `extras` gathered."""
    if not isinstance(event, dict):
        return event
    kept = {key: event[key] for key in ENVELOPE if key in event}
    if "action" in event and "args" not in event:
        return {**kept, "action": event["action"], "args": {
            k: v for k, v in event.items() if k not in ENVELOPE and k != "action"}}
    if "observation" in event and "extras" not in event and "action" not in event:
        rest = ("observation", "content", "success")
        kept.update({key: event[key] for key in rest if key in event})
        return {**kept, "extras": {k: v for k, v in event.items()
                                   if k not in ENVELOPE and k not in rest}}
    return event


def is_step(event: dict[str, Any]) -> bool:
    kind = event.get("action")
    return isinstance(kind, str) and bool(kind) and kind not in NOT_STEPS and not (
        event.get("source") == "user" and kind == "run")


def _stated(value: Any) -> str | None:
    """`thought` as text: a string, or the newer {text, reasoning_content} object."""
    if isinstance(value, dict):
        value = value.get("text") or value.get("reasoning_content")
    return value if isinstance(value, str) and value.strip() else None


def _confirm_key(event: dict[str, Any]) -> str:
    meta_id = as_text(as_dict(event.get("tool_call_metadata")).get("tool_call_id"))
    if meta_id:
        return f"call:{meta_id}"
    args = {k: v for k, v in as_dict(event.get("args")).items() if k not in VOLATILE_ARGS}
    try:
        return f"{event.get('action')}:{json.dumps(args, sort_keys=True, default=str)}"
    except (TypeError, ValueError, RecursionError):
        return f"{event.get('action')}:{args!r}"


class HistoryReader:
    """Reads one session's events into the builder."""

    def __init__(self, builder: TraceBuilder, context: Context, items: list[Item]):
        self.builder = builder
        self.ctx = context
        self.items: list[Item] = []
        self.originals: dict[int, Any] = {}     # id(normalized event) -> record as written
        for event, ref in items:
            new = normalized(event)
            if new is not event:
                self.originals[id(new)] = event
            self.items.append((new, ref))
        self.actions: dict[str, int] = {}                  # event id -> action position
        self.results: dict[str, Item] = {}                 # cause -> first observation
        self.absorbed: set[int] = set()                    # awaiting copies of a decided call
        self.decided: dict[int, tuple[str, EvidenceRef]] = {}
        self.unknown: dict[str, tuple[int, EvidenceRef]] = {}
        self.answers: dict[int, int] = {}       # flat observation position -> its action's
        self.cwd: str | None = None
        self._index()

    def original(self, event: dict[str, Any]) -> Any:
        return self.originals.get(id(event), event)

    # ------------------------------------------------------------------ first pass

    def _index(self) -> None:
        pending: dict[str, int] = {}
        decision: tuple[str, EvidenceRef] | None = None
        unanswered: list[int] = []              # flat step actions still without an answer
        for position, (event, ref) in enumerate(self.items):
            if not isinstance(event, dict):
                continue
            key = event_id(event)
            if "action" in event:
                if key is not None:
                    self.actions.setdefault(key, position)
                elif is_step(event):
                    unanswered.append(position)
                decision = self._confirmation(position, event, ref, pending, decision)
            elif "observation" in event:
                cause = as_text(event.get("cause"))
                if cause is not None:
                    self.results.setdefault(cause, (event, ref))
                elif key is None and unanswered and event.get("observation") not in QUIET:
                    self.answers[position] = unanswered.pop()

    def _confirmation(self, position: int, event: dict[str, Any], ref: EvidenceRef,
                      pending: dict[str, int], decision: tuple[str, EvidenceRef] | None
                      ) -> tuple[str, EvidenceRef] | None:
        """Pairs an action recorded awaiting confirmation with its decided copy."""
        args = as_dict(event.get("args"))
        if event.get("action") == "change_agent_state" and event.get("source") == "user":
            value = DECISIONS.get(as_text(args.get("agent_state")) or "")
            return (value, ref) if value else decision
        state = args.get("confirmation_state")
        if state == "awaiting_confirmation":
            pending[_confirm_key(event)] = position
            return None
        earlier = pending.pop(_confirm_key(event), None) if state in ("confirmed",
                                                                      "rejected") else None
        if earlier is not None:
            self.absorbed.add(earlier)
            value = "approved" if state == "confirmed" else "rejected"
            self.decided[position] = (value, decision[1] if decision and decision[0] == value
                                      else ref)
            return None
        return decision

    # ------------------------------------------------------------------ reading

    def read(self) -> None:
        for position, (event, ref) in enumerate(self.items):
            if not isinstance(event, dict):
                self.builder.issue(ref.locator, "history entry is not an event object")
            elif "action" in event:
                self.action(position, event, ref)
            elif "observation" in event:
                self.observation(position, event, ref)
            else:
                kind = as_text(event.get("kind")) or "without action or observation"
                count, first = self.unknown.get(kind, (0, ref))
                self.unknown[kind] = (count + 1, first)
        for kind, (count, first) in self.unknown.items():
            self.builder.issue(first.locator, f"{count} records of unknown type {kind} "
                                              "(not read)")

    def action(self, position: int, event: dict[str, Any], ref: EvidenceRef) -> None:
        kind = event.get("action")
        if not isinstance(kind, str) or not kind:
            self.builder.issue(ref.locator, "action event without an action type")
            return
        if event.get("args") is not None and not isinstance(event.get("args"), dict):
            self.builder.issue(ref.locator, f"{kind} action whose args are not an object")
            return
        time = self.builder.time(event.get("timestamp"), ref)
        if kind == "message":
            self.message(event, ref, time)
        elif kind == "system":
            text = as_text(as_dict(event.get("args")).get("content")) or \
                as_text(event.get("message"))
            self.builder.prompt(ref, text, "system", time=time, session=self.ctx.session,
                                actor_id=RUNTIME, record_id=event_id(event),
                                raw=self.original(event))
        elif kind in NOT_STEPS or position in self.absorbed:
            return
        elif not is_step(event):                # a command the human ran in the terminal
            self.human_command(event, ref, time)
        else:
            self.call(position, event, ref, kind, time)

    def message(self, event: dict[str, Any], ref: EvidenceRef, time: str | None) -> None:
        """A user message is a turn; one with no source (older resolver output) only when
        it is the harness's task; the agent's messages are neither turns nor steps."""
        source = event.get("source")
        text = as_text(as_dict(event.get("args")).get("content")) or \
            as_text(event.get("message"))
        if not text or source not in ("user", None):
            return
        task = self._task(text)
        if source is None and task is None:
            return
        self.builder.prompt(ref, text, "user", time=time, session=self.ctx.session,
                            turn_kind="framework-template" if task else "human-typed",
                            task_text=task, record_id=event_id(event),
                            raw=self.original(event))

    def _task(self, text: str) -> str | None:
        known = self.ctx.task_text
        if known and (text == self.ctx.instruction or known.strip() in text):
            return known.strip()
        return task_in_template(text)

    def human_command(self, event: dict[str, Any], ref: EvidenceRef,
                      time: str | None) -> None:
        args = as_dict(event.get("args"))
        found = self.results.get(event_id(event) or "")
        self.builder.human_command(
            ref, as_text(args.get("command")) or "", time=time, session=self.ctx.session,
            result=found[0].get("content") if found else None, record_id=event_id(event),
            raw=self.original(event))

    def call(self, position: int, event: dict[str, Any], ref: EvidenceRef, kind: str,
             time: str | None) -> None:
        args = as_dict(event.get("args"))
        arguments: Any = {k: v for k, v in args.items() if k != "thought"}
        tool, describe = kind, None
        if kind == "call_tool_mcp" and as_text(args.get("name")):
            tool, arguments = as_text(args["name"]), args.get("arguments")
        elif kind == "edit" and "command" in arguments:
            describe = ("edit", {k: v for k, v in arguments.items() if k != "command"})
        meta = as_dict(event.get("tool_call_metadata"))
        response = as_dict(meta.get("model_response"))
        approval, approval_ref = self._approval(position, args, ref)
        extra = {key: value for key, value in (
            ("openhands_action", kind if tool != kind else None),
            ("function_name", as_text(meta.get("function_name"))),
            ("security_risk", args.get("security_risk")),
            ("confirmation_state", as_text(args.get("confirmation_state")))) if value is not None}
        self.builder.add(ToolCall(
            ref=ref, tool=tool, time=time, session=self.ctx.session,
            tool_call_id=self.call_id(event, position), arguments=arguments,
            actor_id=self.ctx.agent_class or RUNTIME,
            model=as_text(response.get("model")) or self.ctx.model,
            stated_intent=_stated(args.get("thought")), cwd=self.cwd, approval=approval,
            approval_ref=approval_ref, record_id=event_id(event), describe_as=describe,
            extra=extra, raw=self.original(event)))

    def _approval(self, position: int, args: dict[str, Any], ref: EvidenceRef
                  ) -> tuple[str | None, EvidenceRef | None]:
        if position in self.decided:
            return self.decided[position]
        state = args.get("confirmation_state")
        if state == "confirmed":
            return "auto-approved", ref
        if state == "rejected":
            return "rejected", ref
        return None, None

    def call_id(self, event: dict[str, Any], position: int) -> str:
        """The model's tool call id, else the event id, else the entry's position."""
        meta_id = as_text(as_dict(event.get("tool_call_metadata")).get("tool_call_id"))
        key = event_id(event)
        return meta_id or (f"event:{key}" if key is not None else f"entry:{position}")

    def observation(self, position: int, event: dict[str, Any], ref: EvidenceRef) -> None:
        kind = as_text(event.get("observation")) or ""
        extras = as_dict(event.get("extras"))
        if kind == "recall":
            self.recall(event, ref, extras)
        elif kind == "agent_state_changed" and self.ctx.single_event and \
                as_text(extras.get("agent_state")):
            # loading, running, awaiting confirmation, finished, stopped: when the agent ran
            self.builder.session_meta(ref, self.ctx.session,
                                      time=self.builder.time(event.get("timestamp"), ref),
                                      agent_state=as_text(extras.get("agent_state")),
                                      reason=as_text(extras.get("reason")),
                                      raw=self.original(event))
        call_id = self._answered(position, event)
        if call_id is None or kind in QUIET:
            return
        self.builder.add(ToolResult(
            ref=ref, tool_call_id=call_id, result=event.get("content"),
            is_error=_failed(kind, event, extras), rejected=kind == "user_rejected",
            time=self.builder.time(event.get("timestamp"), ref), session=self.ctx.session,
            actor_id=self.ctx.agent_class or RUNTIME, record_id=event_id(event),
            raw=self.original(event)))
        working_dir = as_text(as_dict(extras.get("metadata")).get("working_dir"))
        self.cwd = working_dir or self.cwd

    def _answered(self, position: int, event: dict[str, Any]) -> str | None:
        """The call id an observation answers: by `cause`, or (flat output) the action just
        before it; None when it answers no step (a message, a command the human ran)."""
        if position in self.answers:
            before = self.answers[position]
            return self.call_id(self.items[before][0], before)
        cause = as_text(event.get("cause"))
        if cause is None:
            return None
        if cause not in self.actions:       # its action is not in this file: an orphan
            meta_id = as_dict(event.get("tool_call_metadata")).get("tool_call_id")
            return as_text(meta_id) or f"event:{cause}"
        position = self.actions[cause]
        action = self.items[position][0]
        return self.call_id(action, position) if is_step(action) else None

    def recall(self, event: dict[str, Any], ref: EvidenceRef, extras: dict[str, Any]) -> None:
        text = as_text(extras.get("repo_instructions"))
        if text and text.strip():
            self.builder.instructions(ref, text, session=self.ctx.session,
                                      time=self.builder.time(event.get("timestamp"), ref),
                                      raw=self.original(event))


def _failed(kind: str, event: dict[str, Any], extras: dict[str, Any]) -> bool:
    """What the runtime says about the outcome: an error observation, `success`, or the
    command's exit code."""
    if kind in ("error", "user_rejected"):
        return True
    if isinstance(event.get("success"), bool):
        return not event["success"]
    code = as_dict(extras.get("metadata")).get("exit_code", extras.get("exit_code"))
    if isinstance(code, int) and not isinstance(code, bool):
        return code != 0
    return False


def session_facts(items: list[Item]) -> dict[str, Any]:
    """runtime_version, agent class, model and start time the events themselves record."""
    facts: dict[str, Any] = {}
    for event, _ in items:
        if not isinstance(event, dict):
            continue
        args = as_dict(event.get("args"))
        if event.get("action") == "system":
            facts.setdefault("runtime_version", as_text(args.get("openhands_version")))
            facts.setdefault("agent_class", as_text(args.get("agent_class")))
        model = as_dict(as_dict(event.get("tool_call_metadata")).get("model_response"))
        if as_text(model.get("model")):
            facts.setdefault("model", as_text(model["model"]))
        if event.get("timestamp") is not None:
            facts.setdefault("start", event.get("timestamp"))
    return {k: v for k, v in facts.items() if v is not None}
