"""The Claude Code parser streams (two reads, events handed out while the file is read): it
gives exactly what the whole-file build gives, on every committed transcript and fixture, and
read from disk as from bytes already in memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_runtime_support import REAL, source_of
from tracehound.formats.agent.builder import TraceBuilder
from tracehound.formats.agent.claude_code import RUNTIME, ClaudeCodeParser, _records, \
    _SessionReader
from tracehound.formats.agent.claude_code_meta import TranscriptIndex
from tracehound.model import ParseIssue

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "agent"
FILES = sorted((REAL / "claude-code").glob("*.jsonl")) + sorted(
    (FIXTURES / "claude_code").rglob("*.jsonl")) + sorted(
    (FIXTURES / "claude_code_project").rglob("*.jsonl"))


def _whole_file(path: Path) -> list:
    """The items the builder gives when it holds every record until the end (no streaming)."""
    source = source_of(path)
    builder = TraceBuilder(RUNTIME, source, order="file")
    index = TranscriptIndex()
    records = []
    for item in _records(source):
        if isinstance(item, ParseIssue):
            builder.add(item)
        else:
            index.add(*item)
            records.append(item)
    reader = _SessionReader(source, builder, index.finish())
    for number, record in records:
        reader.record(number, record)
    reader.finish()
    return list(builder.build())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_streamed_items_equal_the_whole_file_build(path):
    streamed = list(ClaudeCodeParser().parse(source_of(path)))     # read from disk
    assert streamed == _whole_file(path)
    source = source_of(path)
    source.__dict__["data"] = path.read_bytes()                      # bytes already read
    assert list(ClaudeCodeParser().parse(source)) == streamed


def test_a_result_before_its_call_and_a_parent_named_later_still_resolve(tmp_path):
    """Out-of-order records: the result comes first, and a call's parent link names a call
    further down the file. Streaming waits for both, so the events equal the whole-file
    build's."""
    def record(kind, uuid, parent, content, line_type=None):
        return json.dumps({"type": kind, "uuid": uuid, "parentUuid": parent,
                           "sessionId": "s1", "cwd": "/w", "version": "2",
                           "timestamp": "2026-01-01T00:00:00Z",
                           "message": {"role": kind, "content": content}})
    lines = [
        record("user", "u0", None, "fix it"),
        record("user", "r1", "a1", [{"type": "tool_result", "tool_use_id": "t1",
                                     "content": "The user doesn't want to proceed with this "
                                                "tool use. The tool use was rejected"}]),
        record("assistant", "a2", "a3", [{"type": "tool_use", "id": "t2", "name": "Bash",
                                          "input": {"command": "ls"}}]),
        record("assistant", "a1", "u0", [{"type": "tool_use", "id": "t1", "name": "Bash",
                                          "input": {"command": "git push"}}]),
        record("assistant", "a3", "u0", [{"type": "tool_use", "id": "t3", "name": "Read",
                                          "input": {"file_path": "/w/a"}}]),
    ]
    path = tmp_path / "s1.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    streamed = list(ClaudeCodeParser().parse(source_of(path)))
    assert streamed == _whole_file(path)
    calls = {e.attrs["tool_call_id"]: e for e in streamed
             if getattr(e, "source", "") == "agent:tool_call"}
    assert calls["t1"].outcome == "rejected"
    assert calls["t2"].parent_step == calls["t3"].step
