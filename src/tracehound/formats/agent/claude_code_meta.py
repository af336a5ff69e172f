"""What a Claude Code transcript says about itself, read before its records are turned into
events: the sniff's record shapes, the sessions a file holds (version, cwd, branch,
permission mode, model, title, the session it was resumed from), and the parent links
between records.

Real transcripts mix threaded records (`user`, `assistant`, `system`, `attachment`,
`progress`: uuid, parentUuid, sessionId, timestamp, cwd, version, gitBranch) with flat
sidecars (`summary`, `file-history-snapshot`, `queue-operation`, `permission-mode`, `mode`,
`last-prompt`, `ai-title`, `custom-title`...) that any of them may open a file with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .common import as_dict, as_list, as_text

THREADED = ("user", "assistant", "system", "attachment", "progress")
# flat records the runtime writes beside the conversation, each with the key that marks it
SIDECAR_KEYS = {
    "summary": ("leafUuid",), "file-history-snapshot": ("messageId", "snapshot"),
    "file-history-delta": ("messageId", "trackingPath"),
    "queue-operation": ("operation", "sessionId"), "permission-mode": ("permissionMode",),
    "mode": ("mode", "sessionId"), "last-prompt": ("sessionId",),
    "ai-title": ("aiTitle",), "custom-title": ("customTitle",), "agent-name": ("agentName",),
    "bridge-session": ("bridgeSessionId",), "atis-latch": ("sessionId",),
    "frame-link": ("frameUrl",), "cost-state": ("totalCostUSD",), "tag": ("sessionId",),
    "pr-link": ("sessionId",),
}
KNOWN_TYPES = frozenset(THREADED) | frozenset(SIDECAR_KEYS)
_SNAPSHOT_OPENER = re.compile(r'\{\s*"type"\s*:\s*"file-history-snapshot"')


def record_reason(record: dict[str, Any]) -> str | None:
    """Why one record is a Claude Code transcript record, or None."""
    kind = record.get("type")
    if kind in THREADED and "uuid" in record and "parentUuid" in record and (
            "sessionId" in record or "isSidechain" in record):
        return f"Claude Code session JSONL: {kind} records with uuid, parentUuid, sessionId"
    if kind in ("user", "assistant") and "sessionId" in record and "uuid" in record \
            and isinstance(record.get("message"), dict):
        return "Claude Code session JSONL: user/assistant records with sessionId, uuid and " \
               "message"
    if kind == "progress" and isinstance(record.get("data"), dict) and (
            "toolUseID" in record or "parentToolUseID" in record):
        return "Claude Code session JSONL: progress records with toolUseID"
    keys = SIDECAR_KEYS.get(kind) if isinstance(kind, str) else None
    if keys and all(key in record for key in keys) and (
            kind != "file-history-snapshot" or isinstance(record.get("snapshot"), dict)):
        return f"Claude Code session JSONL: opens with {kind} records"
    return None


def text_reason(head: str) -> str | None:
    """Why a prefix too short to hold a whole record (a first line longer than the sample)
    is still a Claude Code transcript, or None."""
    start = head.lstrip()[:8192]
    if not start.startswith("{"):
        return None
    if '"parentUuid"' in start and ('"isSidechain"' in start or '"userType"' in start
                                    or '"sessionId"' in start):
        return "Claude Code session JSONL: parentUuid/sessionId records (first record " \
               "longer than the sample)"
    if _SNAPSHOT_OPENER.match(start) and '"trackedFileBackups"' in start:
        return "Claude Code session JSONL: opens with a file-history-snapshot record longer " \
               "than the sample"
    return None


@dataclass
class SessionFacts:
    """One session's metadata, from its first records."""

    line: int                       # the record the agent:session event cites
    time: Any = None
    version: str | None = None
    cwd: str | None = None
    git_branch: str | None = None
    permission_mode: str | None = None
    model: str | None = None
    title: str | None = None
    resumed_from: str | None = None
    agent_id: str | None = None
    entrypoint: str | None = None

    def meta(self) -> dict[str, Any]:
        return {"runtime_version": self.version, "agent_kind": "coding", "cwd": self.cwd,
                "git_branch": self.git_branch, "permission_mode": self.permission_mode,
                "approval_policy": self.permission_mode, "model": self.model,
                "title": self.title, "resumed_from": self.resumed_from,
                "agent_id": self.agent_id, "entrypoint": self.entrypoint}


class TranscriptIndex:
    """What the reader needs to know about the whole file before its first record: the
    sessions (`facts`, `main`), the parent links (`parent_of`, `call_of`), and for the
    streaming trace builder the last line that names each tool-use id and the first line
    that holds a call of each key. Built record by record, so the records need not be kept."""

    def __init__(self) -> None:
        self.parent_of: dict[str, str | None] = {}
        self.call_of: dict[str, str] = {}
        self.facts: dict[str, SessionFacts] = {}
        self.main: str | None = None
        self.named_until: dict[str, int] = {}      # tool-use id -> last line naming it
        self.first_call: dict[str, int] = {}       # call key -> first line holding it
        self._titles: dict[str, dict[str, str]] = {}
        self._mode: str | None = None
        self._last_uuid: str | None = None

    def add(self, number: int, record: dict[str, Any]) -> None:
        session = as_text(record.get("sessionId"))
        if self.main is None and session:
            self.main = session
        self._links(number, record)
        self._facts(number, record, session)
        self._mentions(number, record)

    def finish(self) -> "TranscriptIndex":
        for session, found in self.facts.items():
            named = self._titles.get(session, {})
            found.title = named.get("custom-title") or named.get("ai-title")
        return self

    def _links(self, number: int, record: dict[str, Any]) -> None:
        uuid = as_text(record.get("uuid"))
        if not uuid:
            return
        parent = as_text(record.get("parentUuid")) or as_text(record.get("logicalParentUuid"))
        if parent is not None and parent == self._last_uuid:
            parent = self._last_uuid        # one string for both (most records follow it)
        self._last_uuid = uuid
        self.parent_of.setdefault(uuid, parent)
        uses = tool_uses(record.get("message")) if record.get("type") == "assistant" else []
        if uses:
            self.call_of[uuid] = call_key(uses[-1][1], number, uses[-1][0])

    def _facts(self, number: int, record: dict[str, Any], session: str | None) -> None:
        kind = record.get("type")
        if kind == "permission-mode" and as_text(record.get("permissionMode")):
            self._mode = as_text(record.get("permissionMode"))
        if not session:
            return
        title = as_text(record.get("customTitle") or record.get("aiTitle"))
        if kind in ("custom-title", "ai-title") and title:
            self._titles.setdefault(session, {}).setdefault(kind, title)
        if session not in self.facts and kind in THREADED and (
                "version" in record or "cwd" in record):
            self.facts[session] = _first_facts(number, record, self._mode)
        found = self.facts.get(session)
        if found is not None:
            _learn(found, record)

    def _mentions(self, number: int, record: dict[str, Any]) -> None:
        """Every tool-use id a block of the record (or of a sub-agent message embedded in
        it) names, and the keys of the calls it holds."""
        message = record.get("message")
        contents = [as_dict(message).get("content")]
        if record.get("type") == "progress":
            inner = as_dict(as_dict(record.get("data")).get("message"))
            contents += [inner.get("content"), as_dict(inner.get("message")).get("content")]
        for content in contents:
            if not isinstance(content, list):
                continue
            for position, block in enumerate(content):
                if not isinstance(block, dict):
                    continue
                for key in ("id", "tool_use_id"):
                    named = as_text(block.get(key))
                    if named:
                        self.named_until[named] = number
                if block.get("type") in ("tool_use", "server_tool_use"):
                    self.first_call.setdefault(call_key(block, number, position), number)


def main_session(records: list[tuple[int, dict[str, Any]]]) -> str | None:
    """The first session id the file names (records without one belong to it)."""
    for _, record in records:
        session = as_text(record.get("sessionId"))
        if session:
            return session
    return None


def session_facts(records: list[tuple[int, dict[str, Any]]]) -> dict[str, SessionFacts]:
    """Per session id, what its records say about the session."""
    index = TranscriptIndex()
    for number, record in records:
        index._facts(number, record, as_text(record.get("sessionId")))
    return index.finish().facts


def _first_facts(number: int, record: dict[str, Any], mode: str | None) -> SessionFacts:
    resumed = as_text(record.get("session_id"))
    return SessionFacts(
        line=number, time=record.get("timestamp"), version=as_text(record.get("version")),
        cwd=as_text(record.get("cwd")), git_branch=as_text(record.get("gitBranch")),
        permission_mode=as_text(record.get("permissionMode")) or mode,
        resumed_from=resumed if resumed and resumed != record.get("sessionId") else None,
        agent_id=as_text(record.get("agentId")) if record.get("isSidechain") else None,
        entrypoint=as_text(record.get("entrypoint")))


def _learn(found: SessionFacts, record: dict[str, Any]) -> None:
    kind = record.get("type")
    if kind == "assistant" and not found.model:
        model = as_text(as_dict(record.get("message")).get("model"))
        if model and not model.startswith("<"):
            found.model = model
    elif kind == "user" and not found.permission_mode:
        found.permission_mode = as_text(record.get("permissionMode"))


def call_key(block: dict[str, Any], number: int, position: int) -> str:
    return as_text(block.get("id")) or f"line {number} block {position}"


def tool_uses(message: Any) -> list[tuple[int, dict[str, Any]]]:
    content = as_dict(message).get("content")
    return [(position, block) for position, block in enumerate(as_list(content))
            if isinstance(block, dict) and block.get("type") in ("tool_use", "server_tool_use")]


def links(records: list[tuple[int, dict[str, Any]]]
          ) -> tuple[dict[str, str | None], dict[str, str]]:
    """uuid -> parent uuid (across a compaction boundary: its logicalParentUuid), and uuid ->
    key of the last tool call the record holds."""
    index = TranscriptIndex()
    for number, record in records:
        index._links(number, record)
    return index.parent_of, index.call_of
