"""OpenAI Codex CLI rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`) -> events.

One JSON record a line, `{timestamp, type, payload}`: `session_meta` (id, cwd, originator,
cli_version, instructions, git), `turn_context` (cwd, approval_policy, sandbox_policy, model),
`response_item` (message, reasoning, function_call / function_call_output, local_shell_call,
custom_tool_call / custom_tool_call_output such as apply_patch, web_search_call), `event_msg`
(user_message, agent_message, token_count, turn_aborted, and with extended persistence
exec_command_begin/end, patch_apply_begin/end, mcp_tool_call_end, approval requests) and
`compacted`. Rollouts of mid-2025 carry no envelope: a bare session record first, then bare
items and `{"record_type": "state"}` markers, without times.

A call's result is the output record with its `call_id`. Approval: the turn's policy
(codex_text.policy_approval), `patch_apply_begin.auto_approved`, an approval request followed
by the call running, a `rejected by user` output, or a `turn_aborted` before the call had an
output (it did not run). A resumed or forked rollout starts with its own session_meta and
then the parent's: the file's events carry the first id, `resumed_from` / `forked_from` the
other. Calls carry their `call_id` as `record_id`, for de-duplicating copied history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue, line_ref
from .builder import ToolCall, ToolResult, TraceBuilder, prompt_event
from .codex_records import CallIndex, envelope, index_calls
from .codex_text import (Fragment, content_texts, environment, fragment, policy_approval,
                         policy_text, read_output, sandbox_mode, workdir)
from .common import as_dict, as_text, text_of
from .unknown_types import UnknownTypes
from ..base import Parser, Sample, Source
from ..meter import metered
from ..readers import iter_ndjson, iter_ndjson_file
from ..registry import register

RUNTIME = "codex"
ENVELOPES = ("session_meta", "turn_context", "response_item", "event_msg", "compacted")
CALL_ITEMS = ("function_call", "custom_tool_call", "local_shell_call", "web_search_call",
              "tool_search_call", "image_generation_call")
OUTPUT_ITEMS = ("function_call_output", "custom_tool_call_output", "tool_search_output")
QUIET_ITEMS = ("reasoning", "ghost_snapshot", "compaction", "compaction_summary", "other")
QUIET_EVENTS = (
    "agent_reasoning", "agent_reasoning_raw_content", "token_count", "task_started",
    "task_complete", "turn_started", "turn_complete", "context_compacted",
    "entered_review_mode", "exited_review_mode", "undo_completed", "thread_rolled_back",
    "thread_name_updated", "error", "warning", "item_completed", "image_generation_end",
    "guardian_assessment", "view_image_tool_call", "plan_update", "stream_error",
    "background_event", "exec_command_begin", "patch_apply_begin", "mcp_tool_call_begin",
    "exec_approval_request", "apply_patch_approval_request", "web_search_end",
    "web_search_begin", "turn_diff", "collab_agent_spawn_end", "collab_agent_interaction_end",
    "collab_waiting_end", "collab_close_end", "collab_resume_end", "dynamic_tool_call_request",
    "dynamic_tool_call_response", "process_rolled_back")
RESULT_EVENTS = ("exec_command_end", "patch_apply_end", "mcp_tool_call_end")


@register
class CodexRolloutParser(Parser):
    name = "codex"
    version = "1"
    description = "OpenAI Codex CLI rollout JSONL (~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl)"
    example = "rollout-2025-09-16T12-47-48-9cd28a74-da7e-4458-a91a-fffec2be9d7a.jsonl"

    def sniff(self, sample: Sample) -> str | None:
        for record in sample.records[:3]:
            if (record.get("type") in ENVELOPES and isinstance(record.get("payload"), dict)
                    and "timestamp" in record):
                return "Codex CLI rollout JSONL: {timestamp, type, payload} records " \
                       f"({record['type']})"
            if ("type" not in record and {"id", "timestamp", "instructions"} <= set(record)
                    and not isinstance(record.get("payload"), dict)):
                return "Codex CLI rollout JSONL (2025 layout): opens with a bare session record"
        head = sample.text.lstrip()[:300]
        if (not sample.records and head.startswith('{"timestamp":')
                and '"type":"session_meta","payload":{' in head):
            return "Codex CLI rollout JSONL: session_meta record (longer than the sample)"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        """Two reads of the file, a line at a time: the first indexes what later records
        say about each call (codex_records.index_calls), the second turns the records into
        events, handed out as soon as no later record can change them, so no list of every
        record is kept. A file that uses a call id for more than one call (copied history)
        is handed out whole at the end, as the builder matches results to calls there."""
        builder = TraceBuilder(RUNTIME, source, order="file")

        def records_of_first_read() -> Iterator[tuple[int, dict[str, Any]]]:
            for item in _records(source):
                if isinstance(item, ParseIssue):
                    builder.add(item)
                else:
                    yield item
        with metered(None):                 # the second read is the one progress shows
            calls = index_calls(records_of_first_read(), source.sha256)
        reader = _RolloutReader(source, builder, calls)
        streaming = not calls.repeated
        if streaming:
            builder.stream()
        for item in _records(source):
            if isinstance(item, ParseIssue):
                continue                    # (reported by the first read)
            reader.record(*item)
            if streaming and reader.session_settled(item[0]):
                yield from builder.ready(item[0])
        for issue in reader.unknown.issues():
            builder.add(issue)
        yield from builder.build()


def _records(source: Source) -> Iterator[tuple[int, dict[str, Any]] | ParseIssue]:
    """The file's records, from its bytes when they are already read, else from disk a line
    at a time (the same items either way)."""
    if "data" in vars(source):
        return iter_ndjson(source.data, source.path)
    return iter_ndjson_file(source.fs_path, source.path)


@dataclass
class _Turn:
    """What the turn in force says about where and under which policy calls run."""

    cwd: str | None = None
    model: str | None = None
    approval: str | None = None
    sandbox: str | None = None
    policy_ref: EvidenceRef | None = None

    _policy: tuple[Any, str | None] = (None, None)    # (approval, sandbox) -> its text

    @property
    def policy(self) -> str | None:
        """`approval / sandbox`: one string while they stay the same, not one per call."""
        if self._policy[0] != (self.approval, self.sandbox):
            parts = [p for p in (self.approval, self.sandbox) if p]
            self._policy = ((self.approval, self.sandbox), " / ".join(parts) or None)
        return self._policy[1]


@dataclass
class _State:
    session: str
    turn: _Turn = field(default_factory=_Turn)
    intent: str | None = None
    session_event: Event | None = None
    pending: dict[str, ToolCall] = field(default_factory=dict)   # calls with no output yet
    seen: set[str] = field(default_factory=set)                 # instruction texts read
    recent: dict[str, str] = field(default_factory=dict)        # user texts since the agent
                                                                # last spoke -> item / event


class _RolloutReader:
    def __init__(self, source: Source, builder: TraceBuilder, calls: CallIndex):
        self.source = source
        self.builder = builder
        self.calls = calls
        self.line = 0                       # the line of the record being read
        self.settled = False                # no later record can change the session event
        self.state = _State(self.calls.session or f"codex-{source.sha256[:12]}")
        self.unknown = UnknownTypes(source.path)

    def session_settled(self, line: int) -> bool:
        """True once no record after `line` can change the session event: past the last
        session_meta, and past the last turn_context or with the model and both policies
        it takes from them already known. Once true, true for every later line."""
        if self.settled:
            return True
        if line < self.calls.last_meta:
            return False
        event = self.state.session_event
        self.settled = event is None or line >= self.calls.last_context or all(
            key in event.attrs for key in ("model", "approval_policy", "sandbox_policy"))
        return self.settled

    def issue(self, number: int, problem: str) -> None:
        self.builder.issue(f"line {number}", problem)

    def issue_at(self, ref: EvidenceRef, problem: str) -> None:
        self.builder.issue(ref.locator, problem)

    def record(self, number: int, record: dict[str, Any]) -> None:
        self.line = number
        kind, payload, when = envelope(record)
        if kind is None:
            self.issue(number, "record has no type")
            return
        if kind == "state":
            return
        if not isinstance(payload, dict):
            self.issue(number, f"{kind} record has no payload object")
            return
        if (kind == "response_item" and payload.get("type") in QUIET_ITEMS) or (
                kind == "event_msg" and payload.get("type") in QUIET_EVENTS):
            # most of a rollout (reasoning, token counts): nothing to read but whether its
            # time names no zone, which a time ending in Z does
            if not (isinstance(when, str) and when.endswith("Z")):
                self.builder.time(when, line_ref(self.source.sha256, number))
            return
        ref = line_ref(self.source.sha256, number)
        time = self.builder.time(when, ref)
        handler = {"session_meta": self.session_meta, "turn_context": self.turn_context,
                   "response_item": self.response_item, "event_msg": self.event_msg,
                   "compacted": self.compacted}.get(kind)
        if handler is None:
            self.unknown.count(kind, ref.locator)
            return
        handler(ref, payload, time, record)

    # ------------------------------------------------------------------ session and turns

    def session_meta(self, ref: EvidenceRef, meta: dict, time: str | None, raw: dict) -> None:
        state = self.state
        meta_id = as_text(meta.get("id"))
        time = self.builder.time(meta.get("timestamp"), ref) or time
        if state.session_event is not None:
            if meta_id and meta_id != state.session and \
                    "forked_from" not in state.session_event.attrs:
                state.session_event.attrs.setdefault("resumed_from", meta_id)
            return
        git = as_dict(meta.get("git"))
        state.turn.cwd = as_text(meta.get("cwd"))
        state.session_event = self.builder.session_meta(
            ref, state.session, time=time, raw=raw, runtime_version=as_text(
                meta.get("cli_version")), agent_kind="coding", cwd=state.turn.cwd,
            git_branch=as_text(git.get("branch")), git_remote=as_text(git.get("repository_url")),
            git_commit=as_text(git.get("commit_hash")), originator=as_text(meta.get("originator")),
            model_provider=as_text(meta.get("model_provider")),
            forked_from=as_text(meta.get("forked_from_id")))
        instructions = meta.get("instructions")
        if isinstance(instructions, str) and instructions.strip():
            self.instructions(ref, instructions, None, time, raw)
        base = as_dict(meta.get("base_instructions")).get("text")
        if isinstance(base, str):
            self.builder.prompt(ref, base, "system", time=time, session=state.session,
                                actor_id=RUNTIME, raw=raw)

    def turn_context(self, ref: EvidenceRef, context: dict, time: str | None, raw: dict) -> None:
        turn = self.state.turn
        # Codex writes a turn_context before every model request: an unchanged value keeps
        # the string the calls already share
        turn.cwd = _same(as_text(context.get("cwd")) or turn.cwd, turn.cwd)
        turn.model = _same(as_text(context.get("model")) or turn.model, turn.model)
        if "approval_policy" in context or "sandbox_policy" in context:
            turn.approval = _same(policy_text(context.get("approval_policy")) or turn.approval,
                                  turn.approval)
            turn.sandbox = _same(sandbox_mode(context.get("sandbox_policy")) or turn.sandbox,
                                 turn.sandbox)
            turn.policy_ref = ref
        event = self.state.session_event
        if event is not None:
            for key, value in (("model", turn.model), ("approval_policy", turn.approval),
                               ("sandbox_policy", turn.sandbox)):
                if value and key not in event.attrs:
                    event.attrs[key] = value
        for key in ("user_instructions", "developer_instructions"):
            text = context.get(key)
            if isinstance(text, str) and text.strip():
                self.instructions(ref, text, None, time, raw)

    def environment(self, ref: EvidenceRef, text: str) -> None:
        fields = environment(text)
        turn = self.state.turn
        turn.cwd = fields.get("cwd") or turn.cwd
        if "approval_policy" in fields or "sandbox_mode" in fields:
            turn.approval = fields.get("approval_policy") or turn.approval
            turn.sandbox = fields.get("sandbox_mode") or turn.sandbox
            turn.policy_ref = ref

    # ------------------------------------------------------------------ user-role text

    def user_text(self, ref: EvidenceRef, text: str, time: str | None, raw: dict,
                  origin: str = "item", kind: str | None = None) -> None:
        piece = fragment(text)
        if piece.kind == "human-typed" and kind == "user_instructions":
            piece = Fragment("instructions", text)
        elif piece.kind == "human-typed" and kind == "environment_context":
            piece = Fragment("system-injected", text)
        state = self.state
        if piece.kind == "instructions":
            self.instructions(ref, piece.text, piece.path, time, raw)
        elif self.echo(text, origin):
            return
        elif piece.kind == "command":
            self.builder.human_command(ref, piece.text, result=piece.result, time=time,
                                       session=state.session, raw=raw)
        else:
            if piece.kind == "system-injected":
                self.environment(ref, text)
            else:
                state.intent = None
                state.pending.clear()
            self.builder.add(prompt_event(ref, RUNTIME, text, "user", time=time,
                                          session=state.session, turn_kind=piece.kind, raw=raw))

    def echo(self, text: str, origin: str) -> bool:
        """Codex writes what the human typed twice, next to each other: as a user message
        item and as a user_message event. The second copy is not another turn."""
        recent = self.state.recent
        if recent.get(text, origin) != origin:
            del recent[text]
            return True
        recent[text] = origin
        return False

    def instructions(self, ref: EvidenceRef, text: str, path: str | None, time: str | None,
                     raw: dict) -> None:
        if text in self.state.seen:
            return
        self.state.seen.add(text)
        self.builder.instructions(ref, text, path=path, time=time, session=self.state.session,
                                  raw=raw)

    def compacted(self, ref: EvidenceRef, payload: dict, time: str | None, raw: dict) -> None:
        message = payload.get("message")
        if isinstance(message, str) and message.strip():
            self.builder.add(prompt_event(ref, RUNTIME, message, "user", time=time,
                                          session=self.state.session,
                                          turn_kind="compaction-summary", raw=raw))

    # ------------------------------------------------------------------ response items

    def response_item(self, ref: EvidenceRef, item: dict, time: str | None, raw: dict) -> None:
        kind = item.get("type")
        if kind == "message":
            self.message(ref, item, time, raw)
        elif kind in CALL_ITEMS:
            self.call(ref, item, time, raw)
        elif kind in OUTPUT_ITEMS:
            self.output(ref, item, time, raw)
        elif kind not in QUIET_ITEMS:
            self.unknown.count(f"response_item/{kind}", ref.locator)

    def message(self, ref: EvidenceRef, item: dict, time: str | None, raw: dict) -> None:
        role = item.get("role")
        texts = content_texts(item.get("content"))
        if role == "user":
            for text in texts:
                if text.strip():
                    self.user_text(ref, text, time, raw)
        elif role in ("developer", "system"):
            for text in texts:
                self.builder.prompt(ref, text, "system", time=time, session=self.state.session,
                                    actor_id=RUNTIME, raw=raw)
        elif role == "assistant":
            joined = "\n".join(t for t in texts if t.strip())
            self.state.intent = joined or self.state.intent
            self.state.recent.clear()
        else:
            self.issue_at(ref, f"message with unknown role {role!r}")

    def call(self, ref: EvidenceRef, item: dict, time: str | None, raw: dict) -> None:
        kind = item["type"]
        call_id = as_text(item.get("call_id")) or (as_text(item.get("id"))
                                                  if kind == "local_shell_call" else None)
        tool, arguments, cwd, is_error = _call_parts(kind, item)
        if not tool:
            self.issue_at(ref, f"{kind} without a tool name")
            return
        info = self.calls.get(call_id)
        turn = self.state.turn
        approval, approval_ref = info.approval if info.approval else (
            policy_approval(turn.approval, turn.sandbox), turn.policy_ref)
        call = ToolCall(
            ref=ref, tool=tool, time=time, session=self.state.session, tool_call_id=call_id,
            arguments=arguments, is_error=is_error, actor_id=RUNTIME, model=turn.model,
            stated_intent=self.state.intent, cwd=info.cwd or cwd or turn.cwd,
            approval=approval, approval_ref=approval_ref if approval else None,
            approval_policy=turn.policy, record_id=call_id, server=info.server, raw=raw,
            settled_at=self.calls.call_settled(self.line, call_id))
        self.builder.add(call)
        self.state.recent.clear()
        if call_id and not info.answered:
            self.state.pending[call_id] = call

    def output(self, ref: EvidenceRef, item: dict, time: str | None, raw: dict) -> None:
        call_id = as_text(item.get("call_id"))
        if not call_id:
            self.issue_at(ref, "result without a call id (kept as an unmatched result)")
        self.state.pending.pop(call_id or "", None)
        result = read_output(item.get("output"))
        self.builder.add(ToolResult(ref=ref, tool_call_id=call_id, result=result.text,
                                    is_error=result.is_error, time=time,
                                    session=self.state.session, actor_id=RUNTIME,
                                    rejected=result.rejected, record_id=call_id, raw=raw,
                                    settled_at=self.calls.result_settled(self.line, call_id)))

    # ------------------------------------------------------------------ event messages

    def event_msg(self, ref: EvidenceRef, event: dict, time: str | None, raw: dict) -> None:
        kind = event.get("type")
        if kind == "user_message":
            message = event.get("message")
            if isinstance(message, str) and message.strip():
                self.user_text(ref, message, time, raw, "event", as_text(event.get("kind")))
        elif kind == "agent_message":
            message = event.get("message")
            if isinstance(message, str) and message.strip():
                self.state.intent = message
                self.state.recent.clear()
        elif kind == "turn_aborted":
            for call in self.state.pending.values():
                call.approval, call.approval_ref = "rejected", ref
            self.state.pending.clear()
        elif kind in RESULT_EVENTS:
            self.end_event(ref, event, time, raw)
        elif kind not in QUIET_EVENTS:
            self.unknown.count(f"event_msg/{kind}", ref.locator)

    def end_event(self, ref: EvidenceRef, event: dict, time: str | None, raw: dict) -> None:
        """exec_command_end / patch_apply_end / mcp_tool_call_end: the result of a call whose
        output record is not in the file (extended persistence keeps both)."""
        call_id = as_text(event.get("call_id"))
        if not call_id or self.calls.get(call_id).answered:
            return
        self.state.pending.pop(call_id, None)
        text, is_error = _end_result(event)
        self.builder.add(ToolResult(ref=ref, tool_call_id=call_id, result=text,
                                    is_error=is_error, time=time, session=self.state.session,
                                    actor_id=RUNTIME, record_id=call_id, raw=raw,
                                    settled_at=self.calls.result_settled(self.line, call_id)))


def _same(new: str | None, old: str | None) -> str | None:
    return old if new == old else new


def _call_parts(kind: str, item: dict) -> tuple[str | None, Any, str | None, bool | None]:
    """(tool, arguments, cwd the call names, error the call record itself says)."""
    if kind == "function_call":
        arguments = item.get("arguments")
        return as_text(item.get("name")), arguments, workdir(arguments), None
    if kind == "custom_tool_call":
        return as_text(item.get("name")), item.get("input"), None, None
    action = as_dict(item.get("action"))
    if kind == "local_shell_call":
        return "local_shell", action, as_text(action.get("working_directory")), None
    status = item.get("status")
    is_error = {"completed": False, "failed": True}.get(status) if kind == "web_search_call" \
        else None
    arguments = action or {k: v for k, v in item.items()
                           if k not in ("type", "status", "id", "call_id", "result")}
    return kind.removesuffix("_call"), arguments, None, is_error


def _end_result(event: dict) -> tuple[str | None, bool | None]:
    if event.get("type") == "mcp_tool_call_end":
        result = event.get("result")
        if isinstance(result, dict) and ("Err" in result or "Ok" in result):
            return text_of(result.get("Ok", result.get("Err"))), "Err" in result
        return text_of(result), None
    parts = [event.get(k) for k in ("aggregated_output", "stdout", "stderr")]
    text = next((p for p in parts if isinstance(p, str) and p), None)
    if isinstance(event.get("success"), bool):
        return text, not event["success"]
    code = event.get("exit_code")
    return text, (code != 0) if isinstance(code, int) and not isinstance(code, bool) else None
