"""Gemini CLI prompt logs (`~/.gemini/tmp/<project hash>/logs.json`) -> events.

A JSON array, one entry per message the human sent (slash commands included), across all of
a project's sessions: `{sessionId, messageId, timestamp, type: "user", message}`. Older CLI
versions wrote numeric session ids. Each entry is a human-typed turn of its session; the log
holds no tool calls, so a session's steps come from its chat recording.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ...model import Event, ParseIssue, pointer_ref
from .builder import TraceBuilder, prompt_event
from .common import as_text
from ..base import Parser, Sample, Source
from ..readers import load_json
from ..registry import register

RUNTIME = "gemini-cli"
KEYS = {"sessionId", "messageId", "timestamp", "type", "message"}
_HEAD = re.compile(r'^\s*\[\s*\{\s*"sessionId"\s*:\s*("[^"]*"|\d+)\s*,\s*"messageId"\s*:')


def _is_entry(value: Any) -> bool:
    return isinstance(value, dict) and KEYS <= set(value) and \
        isinstance(value.get("messageId"), int)


@register
class GeminiCliLogsParser(Parser):
    name = "gemini-cli-logs"
    version = "1"
    description = "Gemini CLI prompt log (~/.gemini/tmp/<project>/logs.json)"
    example = "logs.json"

    def sniff(self, sample: Sample) -> str | None:
        items = sample.list_items()
        if items and _is_entry(items[0]):
            return "Gemini CLI logs.json: entries with sessionId, messageId, type and message"
        if sample.document is None and _HEAD.match(sample.text):
            return "Gemini CLI logs.json: opens with a sessionId/messageId entry"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        builder = TraceBuilder(RUNTIME, source, order="file")
        doc, issues = load_json(source.data, source.path)
        for issue in issues:
            builder.add(issue)
        if doc is not None and not isinstance(doc, list):
            builder.issue("json:", "not a list of log entries")
        for position, entry in enumerate(doc if isinstance(doc, list) else []):
            ref = pointer_ref(source.sha256, position)
            if not _is_entry(entry):
                builder.issue(ref.locator, "not a log entry (sessionId, messageId, type, "
                                           "message)")
                continue
            text = entry["message"]
            if entry.get("type") != "user" or not isinstance(text, str) or not text.strip():
                builder.issue(ref.locator, f"log entry of type {entry.get('type')!r} without "
                                           "user text (not read)")
                continue
            session = as_text(entry["sessionId"]) or f"gemini-{source.sha256[:12]}"
            builder.add(prompt_event(
                ref, RUNTIME, text, "user", time=builder.time(entry.get("timestamp"), ref),
                session=session, turn_kind="human-typed",
                record_id=f"{session}#{entry['messageId']}", raw=entry))
        yield from builder.build()
