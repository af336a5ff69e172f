"""Claude Code session transcripts (`~/.claude/projects/<project>/<session>.jsonl`, and the
sub-agent files `<session>/subagents/agent-<id>.jsonl`) -> events.

One JSON record a line. Threaded records carry `uuid`, `parentUuid`, `sessionId`,
`timestamp`, `cwd`, `version`, `gitBranch`:
- `assistant`: `message.content` blocks: `text` (the stated intent of the calls after it),
  `thinking`, `tool_use` {id, name, input} -> a tool call;
- `user`: a `tool_result` block {tool_use_id, content, is_error} (with `toolUseResult` beside
  it) -> the call's result; text -> a prompt typed by what it is (claude_code_text.py);
  `<bash-input>` -> a command the human ran;
- `system` (compact_boundary, local_command, api_error, turn_duration, stop_hook_summary...),
  `attachment` (hook output, CLAUDE.md as `nested_memory`, queued prompts...) and `progress`
  (hook and bash progress; `agent_progress` embeds a sub-agent's messages).
Flat sidecars (`summary`, `permission-mode`, `file-history-snapshot`, `queue-operation`,
titles...) are read or known; a record of any other type is counted in one issue per type.

Approval: a result in the runtime's rejection words (or a `toolDenialKind`) marks the call
rejected; a call made while the permission mode lets calls run unasked (`bypassPermissions`,
`auto`; `acceptEdits` for edit tools) is auto-approved, citing the record that set the mode.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue, line_ref
from .builder import ToolCall, ToolResult, TraceBuilder, nearest_call, prompt_event
from .claude_code_meta import KNOWN_TYPES, TranscriptIndex, call_key, record_reason, text_reason
from .claude_code_text import UserText, is_rejection, read_text
from .common import as_dict, as_list, as_text, text_of, utc_iso
from .unknown_types import UnknownTypes
from ..base import Parser, Sample, Source
from ..meter import metered
from ..readers import iter_ndjson, iter_ndjson_file
from ..registry import register

RUNTIME = "claude-code"
EDIT_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit"})
# permission modes under which calls run without asking the human (None: every tool)
AUTO_MODES: dict[str, frozenset[str] | None] = {
    "bypassPermissions": None, "auto": None, "acceptEdits": EDIT_TOOLS}
SPAWNING_TOOLS = frozenset({"Task", "Agent"})
HOOK_CONTEXT = frozenset({"hook_additional_context", "hook_system_message",
                          "hook_blocking_error"})
SNIFF_LINES = 60


@register
class ClaudeCodeParser(Parser):
    name = "claude-code"
    version = "2"
    description = "Claude Code session JSONL (~/.claude/projects/*/SESSION.jsonl, sub-agents)"
    example = "155715ec-f4e9-47ea-859c-2e4cfcceab6f.jsonl"

    def sniff(self, sample: Sample) -> str | None:
        for record in sample.records:
            reason = record_reason(record)
            if reason:
                return reason
        if not sample.text.lstrip().startswith("{"):
            return None
        for line in sample.text.splitlines()[len(sample.records):SNIFF_LINES]:
            record = _json_line(line)
            reason = record_reason(record) if record is not None else None
            if reason:
                return reason
        return text_reason(sample.text) if not sample.records else None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        """Two reads of the file, a line at a time: the first learns what the whole file
        says (sessions, parent links, where each call is last named), the second turns the
        records into events, handed out as soon as no later record can change them. No
        list of every record is kept, so memory stays flat however long the session."""
        builder = TraceBuilder(RUNTIME, source, order="file")
        index = TranscriptIndex()
        with metered(None):                 # the second read is the one progress shows
            for item in _records(source):
                if isinstance(item, ParseIssue):
                    builder.add(item)
                else:
                    index.add(*item)
        reader = _SessionReader(source, builder, index.finish())
        builder.stream()
        for item in _records(source):
            if isinstance(item, ParseIssue):
                continue                    # (reported by the first read)
            reader.record(*item)
            yield from builder.ready(item[0])
        reader.finish()
        yield from builder.build()


def _records(source: Source) -> Iterator[tuple[int, dict[str, Any]] | ParseIssue]:
    """The file's records, from its bytes when they are already read, else from disk a line
    at a time (the same items either way)."""
    if "data" in vars(source):
        return iter_ndjson(source.data, source.path)
    return iter_ndjson_file(source.fs_path, source.path)


def _json_line(line: str) -> dict[str, Any] | None:
    import json
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


@dataclass
class _Rec:
    """One record (or a sub-agent message embedded in a progress record) being read."""

    ref: EvidenceRef
    record: dict[str, Any]
    time: str | None
    session: str | None
    actor: str
    agent_id: str | None = None           # the sub-agent whose record it is
    parent_key: str | None = None         # the call a sub-agent's call runs under
    extra: dict[str, Any] = field(default_factory=dict)


class _SessionReader:
    """Turns records into builder items in file order."""

    def __init__(self, source: Source, builder: TraceBuilder, index: TranscriptIndex):
        self.source = source
        self.builder = builder
        self.index = index
        self.sha256 = source.sha256     # once: asking the source waits on the intake's hash
        self.parent_of, self.call_of = index.parent_of, index.call_of
        self.facts = index.facts
        self.main = index.main
        self.unknown = UnknownTypes(source.path)
        self.intents: dict[str, str] = {}
        self.calls_seen: set[str] = set()
        self.sub_last: dict[str | None, str] = {}      # sub-agent -> its last call's key
        self.task_prompts: dict[str, str] = {}         # Task / Agent prompt -> call key
        self.call_session: dict[str, str | None] = {}  # call key -> its session
        self.sub_parent: dict[str | None, str] = {}    # sub-agent -> the call that started it
        self.mode: tuple[str, EvidenceRef] | None = None
        self.pending: tuple[_Rec, str] | None = None   # a `!` command awaiting its output

    def record(self, number: int, record: dict[str, Any]) -> None:
        """One record, in file order."""
        kind = record.get("type")
        if not isinstance(kind, str) or not kind:
            self.issue(number, "record has no type")
            return
        self.session_event(number, record)
        if kind not in KNOWN_TYPES:
            self.unknown.count(kind, f"line {number}")
        else:
            read = _READERS.get(kind)
            if read is not None:
                read(self, number, record)

    def finish(self) -> None:
        """After the last record."""
        self.flush_command()
        for issue in self.unknown.issues():
            self.builder.add(issue)

    def settled(self, line: int, call_id: str | None, parent_key: str | None = None) -> int:
        """The last line whose records can change a call or result at `line`: the last that
        names its tool-use id, and the first holding the call its parent key names."""
        until = line
        if call_id:
            until = max(until, self.index.named_until.get(call_id, line))
        if parent_key:
            until = max(until, self.index.first_call.get(parent_key, line))
        return until

    def issue(self, number: int, problem: str) -> None:
        self.builder.add(ParseIssue(self.source.path, f"line {number}", problem))

    def session_event(self, number: int, record: dict[str, Any]) -> None:
        session = as_text(record.get("sessionId"))
        facts = self.facts.get(session or "")
        if facts is None or facts.line != number:
            return
        ref = line_ref(self.sha256, number)
        self.builder.session_meta(ref, session, time=self.time(facts.time, ref),
                                  actor_id=facts.agent_id or RUNTIME,
                                  record_id=as_text(record.get("uuid")), raw=record,
                                  **facts.meta())

    def rec(self, number: int, record: dict[str, Any]) -> _Rec:
        ref = line_ref(self.sha256, number)
        if not record.get("isSidechain"):
            return _Rec(ref, record, self.time(record.get("timestamp"), ref),
                        _shared(as_text(record.get("sessionId")) or self.main), RUNTIME)
        agent = as_text(record.get("agentId"))
        extra = {"agent_id": agent, "sidechain": True} if agent else {"sidechain": True}
        return _Rec(ref, record, self.time(record.get("timestamp"), ref),
                    _shared(as_text(record.get("sessionId")) or self.main), agent or RUNTIME,
                    agent, extra=extra)

    def time(self, value: Any, ref: EvidenceRef) -> str | None:
        """A record's time: the runtime writes UTC with `Z` (read fast); anything else goes
        through the builder (a time without a zone stays empty unless --tz)."""
        if isinstance(value, str) and value.endswith("Z"):
            return utc_iso(value)
        return self.builder.time(value, ref)

    def message_of(self, number: int, record: dict[str, Any]) -> list | str | None:
        message = record.get("message")
        kind = record.get("type")
        if not isinstance(message, dict):
            self.issue(number, f"{kind} record has no message object")
            return None
        content = message.get("content")
        if not isinstance(content, (str, list)):
            self.issue(number, f"{kind} message content is neither text nor a list of blocks")
            return None
        return content

    # ------------------------------------------------------------------ conversation records

    def user(self, number: int, record: dict[str, Any]) -> None:
        mode = as_text(record.get("permissionMode"))
        if mode:
            self.mode = (mode, line_ref(self.sha256, number))
        content = self.message_of(number, record)
        if content is None:
            return
        rec = self.rec(number, record)
        if record.get("isSidechain") and not record.get("parentUuid"):
            started_by = self.task_prompts.get(text_of(content) or "")
            if started_by:                   # a sub-agent written into its parent's file
                self.sub_parent[rec.agent_id] = started_by
        self.user_content(rec, content)

    def user_content(self, rec: _Rec, content: list | str) -> None:
        record = rec.record
        origin = as_dict(record.get("origin")).get("kind")
        flags = {"meta": bool(record.get("isMeta")) or origin not in (None, "human")
                 or record.get("promptSource") == "system",
                 "compact": bool(record.get("isCompactSummary")),
                 "sidechain": bool(rec.agent_id or record.get("isSidechain"))}
        pieces, images = UserText(), 0
        for block in [content] if isinstance(content, str) else content:
            if isinstance(block, str):
                pieces.add(read_text(block, **flags))
            elif not isinstance(block, dict):
                continue
            elif block.get("type") == "tool_result":
                self.result(rec, block)
            elif block.get("type") == "text" and isinstance(block.get("text"), str):
                pieces.add(read_text(block["text"], **flags))
            elif block.get("type") in ("image", "document"):
                images += 1
        self.emit_text(rec, pieces, images)

    def emit_text(self, rec: _Rec, pieces: UserText, images: int = 0) -> None:
        if pieces.command_output is not None and self.pending is not None:
            self.flush_command(pieces.command_output)
            return
        self.flush_command()
        if pieces.command is not None:
            self.pending = (rec, pieces.command)
            return
        typed = "\n".join(pieces.typed)
        if images and not typed and not (pieces.injected or pieces.compaction):
            typed = "[image]"
        extra = {**rec.extra, **({"images": images} if images else {})}
        for kind, text in (("human-typed", typed),
                           ("system-injected", "\n\n".join(pieces.injected)),
                           ("system-injected", pieces.command_output or ""),
                           ("compaction-summary", "\n\n".join(pieces.compaction))):
            if text.strip():
                self.prompt(rec, text, kind, extra)
        for path, text in pieces.instructions:
            self.builder.instructions(rec.ref, text, path=path, time=rec.time,
                                      session=rec.session, raw=rec.record,
                                      record_id=as_text(rec.record.get("uuid")))

    def prompt(self, rec: _Rec, text: str, kind: str, extra: dict[str, Any]) -> None:
        """A user-role prompt. Claude Code never resends its history, so a text typed twice
        is two turns (the builder's de-duplication of resent chats is not wanted here)."""
        self.builder.add(prompt_event(rec.ref, RUNTIME, text, "user", time=rec.time,
                                      session=rec.session, turn_kind=kind,
                                      record_id=as_text(rec.record.get("uuid")),
                                      raw=rec.record, extra=extra))

    def flush_command(self, output: str | None = None) -> None:
        if self.pending is None:
            return
        rec, command = self.pending
        self.pending = None
        self.builder.human_command(rec.ref, command, result=output, time=rec.time,
                                   session=rec.session,
                                   record_id=as_text(rec.record.get("uuid")), raw=rec.record)

    def result(self, rec: _Rec, block: dict[str, Any]) -> None:
        record = rec.record
        detail = record.get("toolUseResult")
        content_text = text_of(block.get("content"))
        rejected = is_rejection(content_text) or bool(record.get("toolDenialKind")) or (
            isinstance(detail, str) and is_rejection(detail))
        spawns = as_text(as_dict(detail).get("agentId"))
        self.builder.add(ToolResult(
            ref=rec.ref, tool_call_id=as_text(block.get("tool_use_id")),
            result=_result_payload(block, record), is_error=bool(block.get("is_error")),
            time=rec.time, session=rec.session, actor_id=rec.actor, rejected=rejected,
            record_id=as_text(record.get("uuid")), spawns=spawns, extra=dict(rec.extra),
            raw=record, settled_at=self.settled(_line(rec), as_text(block.get("tool_use_id")))))

    def assistant(self, number: int, record: dict[str, Any]) -> None:
        if self.message_of(number, record) is None:
            return
        rec = self.rec(number, record)
        rec.parent_key = nearest_call(as_text(record.get("parentUuid")), self.parent_of,
                                      self.call_of)
        if rec.parent_key is None and record.get("isSidechain"):
            rec.parent_key = self.sub_parent.get(rec.agent_id)
        if self.call_session.get(rec.parent_key or "", rec.session) != rec.session:
            rec.parent_key = None            # a resumed session's copy of its ancestor's call
        self.assistant_content(number, rec)

    def assistant_content(self, number: int, rec: _Rec) -> None:
        message = as_dict(rec.record.get("message"))
        message_id = as_text(message.get("id")) or f"{rec.ref.locator}"
        for position, block in enumerate(as_list(message.get("content"))):
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "text" and isinstance(block.get("text"), str) \
                    and not rec.record.get("isApiErrorMessage"):
                self.intents[message_id] = block["text"]
            elif kind in ("tool_use", "server_tool_use"):
                self.call(number, rec, block, position, message, message_id)
            elif isinstance(kind, str) and kind.endswith("_tool_result") \
                    and block.get("tool_use_id"):
                self.builder.add(ToolResult(
                    ref=rec.ref, tool_call_id=as_text(block.get("tool_use_id")),
                    result=block.get("content"), time=rec.time, session=rec.session,
                    actor_id=rec.actor, record_id=as_text(rec.record.get("uuid")),
                    extra=dict(rec.extra), raw=rec.record,
                    settled_at=self.settled(number, as_text(block.get("tool_use_id")))))

    def call(self, number: int, rec: _Rec, block: dict[str, Any], position: int,
             message: dict[str, Any], message_id: str) -> None:
        tool = _shared(as_text(block.get("name")))
        if not tool:
            self.issue(number, "tool_use block without a tool name")
            return
        key = call_key(block, number, position)
        if key in self.calls_seen:           # the same call written again (a stream update)
            return
        self.calls_seen.add(key)
        self.call_session[key] = rec.session
        approval, approval_ref, policy = self.approval(tool)
        cwd = _shared(rec.record.get("cwd"))
        self.builder.add(ToolCall(
            ref=rec.ref, tool=tool, time=rec.time, session=rec.session,
            tool_call_id=as_text(block.get("id")), arguments=block.get("input"),
            actor_id=rec.actor, model=_shared(as_text(message.get("model"))), key=key,
            parent_key=rec.parent_key, stated_intent=self.intents.get(message_id),
            cwd=cwd if isinstance(cwd, str) else None, approval=approval,
            approval_ref=approval_ref, approval_policy=policy, agent_id=rec.agent_id,
            sidechain=bool(rec.extra.get("sidechain")),
            record_id=as_text(rec.record.get("uuid")), raw=rec.record,
            settled_at=self.settled(number, as_text(block.get("id")), rec.parent_key)))
        if rec.agent_id is not None:
            self.sub_last[rec.agent_id] = key
        prompt = as_dict(block.get("input")).get("prompt")
        if tool in SPAWNING_TOOLS and isinstance(prompt, str):
            self.task_prompts.setdefault(prompt, key)

    def approval(self, tool: str) -> tuple[str | None, EvidenceRef | None, str | None]:
        """The approval a call gets from the permission mode in force when it was made."""
        if self.mode is None:
            return None, None, None
        mode, ref = self.mode
        if mode in AUTO_MODES and (AUTO_MODES[mode] is None or tool in AUTO_MODES[mode]):
            return "auto-approved", ref, mode
        return None, None, mode

    # ------------------------------------------------------------------ other records

    def permission_mode(self, number: int, record: dict[str, Any]) -> None:
        mode = as_text(record.get("permissionMode"))
        if mode:
            self.mode = (mode, line_ref(self.sha256, number))

    def summary(self, number: int, record: dict[str, Any]) -> None:
        text = as_text(record.get("summary"))
        if text:
            rec = self.rec(number, record)
            self.prompt(rec, text, "compaction-summary", {})

    def system(self, number: int, record: dict[str, Any]) -> None:
        content = record.get("content")
        if record.get("subtype") == "local_command" and isinstance(content, str):
            rec = self.rec(number, record)
            self.emit_text(rec, read_text(content, meta=True))

    def attachment(self, number: int, record: dict[str, Any]) -> None:
        found = as_dict(record.get("attachment"))
        kind = found.get("type")
        rec = self.rec(number, record)
        if kind == "nested_memory" and as_text(found.get("content")):
            self.builder.instructions(
                rec.ref, str(found["content"]),
                path=as_text(found.get("path")) or as_text(found.get("displayPath")),
                time=rec.time, session=rec.session, raw=record,
                record_id=as_text(record.get("uuid")))
        elif kind in HOOK_CONTEXT and text_of(found.get("content")):
            self.prompt(rec, text_of(found.get("content")) or "", "system-injected", rec.extra)
        elif kind == "queued_command":
            text = text_of(found.get("prompt")) or ""
            if found.get("commandMode") == "bash" and text.strip():
                self.flush_command()
                self.pending = (rec, text.strip())
            elif text.strip():
                origin = as_dict(found.get("origin")).get("kind")
                self.emit_text(rec, read_text(text, meta=origin not in (None, "human")))

    def progress(self, number: int, record: dict[str, Any]) -> None:
        """A sub-agent's message embedded in the parent's transcript (`agent_progress`):
        its calls run under the call that started the sub-agent (`parentToolUseID`)."""
        data = as_dict(record.get("data"))
        inner = _embedded(data.get("message"))
        if data.get("type") != "agent_progress" or inner is None:
            return                          # hook, bash, search progress: nothing to read
        agent = as_text(data.get("agentId"))
        inner["cwd"] = record.get("cwd")
        outer = self.rec(number, record)
        rec = _Rec(outer.ref, inner, self.time(inner.get("timestamp"), outer.ref)
                   or outer.time, outer.session, agent or RUNTIME, agent,
                   extra={k: v for k, v in (("agent_id", agent), ("sidechain", True)) if v})
        content = inner["message"].get("content")
        if inner["type"] == "assistant":
            rec.parent_key = self.sub_last.get(agent) or as_text(record.get("parentToolUseID"))
            self.assistant_content(number, rec)
        elif isinstance(content, (str, list)):
            self.user_content(rec, content)


# The reader of each record type, as plain functions: bound methods kept on the reader would
# make it a reference cycle, which the pipeline's collector (switched off while a case is
# analyzed) would never free, and with it every id the reader and its index remember.
_READERS = {"user": _SessionReader.user, "assistant": _SessionReader.assistant,
            "system": _SessionReader.system, "attachment": _SessionReader.attachment,
            "progress": _SessionReader.progress, "summary": _SessionReader.summary,
            "permission-mode": _SessionReader.permission_mode}


def _shared(value: Any) -> Any:
    """Text every record repeats (the session id, cwd, model, tool name) as one string
    object for the whole file, not one per event (a million-call session keeps them all)."""
    return sys.intern(value) if type(value) is str else value


def _line(rec: _Rec) -> int:
    """The line number of the record a _Rec was read from (its ref is `line N`)."""
    return int(rec.ref.locator[5:])


def _embedded(value: Any) -> dict[str, Any] | None:
    """A sub-agent message embedded in a progress record, as a record of its own
    ({type, message, uuid, timestamp, toolUseResult}), whichever of the two shapes Claude Code
    wrote ({type, message: {role, content}} or the bare {role, content}); else None."""
    inner = as_dict(value)
    message = inner.get("message") if isinstance(inner.get("message"), dict) else inner
    kind = inner.get("type") if inner.get("type") in ("user", "assistant") \
        else message.get("role")
    if kind not in ("user", "assistant") or "content" not in message:
        return None
    return {"type": kind, "message": message, "uuid": inner.get("uuid"),
            "timestamp": inner.get("timestamp"), "toolUseResult": inner.get("toolUseResult")}


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
