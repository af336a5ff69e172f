"""Codex rollouts read in one stream (events handed out while the file is read) give the
same events and issues, in the same order, as the whole file read at once; and a long
rollout's first steps come out long before its last line is read."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from tracehound.formats.agent import codex
from tracehound.formats.base import Source
from tracehound.model import Event

ROOT = Path(__file__).resolve().parents[2]
ROLLOUTS = sorted((ROOT / "tests" / "data" / "real" / "codex").glob("*.jsonl")) + \
    sorted((ROOT / "tests" / "fixtures" / "agent" / "codex").glob("*.jsonl"))
CWD = "/home/dev/ledger-api"


def _line(stamp: str, kind: str, payload: dict) -> str:
    return json.dumps({"timestamp": stamp, "type": kind, "payload": payload})


def _call(call_id: str, command: str) -> dict:
    return {"type": "function_call", "name": "shell_command", "call_id": call_id,
            "arguments": json.dumps({"command": command, "workdir": CWD})}


def _output(call_id: str, text: str) -> dict:
    return {"type": "function_call_output", "call_id": call_id,
            "output": f"Exit code: 0\nWall time: 0.1 seconds\nOutput:\n{text}"}


# later records that change earlier ones: an output before its call, a call that is never
# answered and then aborted, a call answered only by exec_command_end, the session's model
# and policies from turn_context records after the first calls, a resumed session_meta
# last, and a zone-less time on a reasoning record
TRICKY = "\n".join([
    _line("2026-03-01T10:00:00.000Z", "session_meta", {
        "id": "019c0000-0000-7000-8000-000000000001", "cwd": CWD, "originator": "codex_cli_rs",
        "cli_version": "0.63.0", "timestamp": "2026-03-01T10:00:00.000Z"}),
    _line("2026-03-01T10:00:01.000", "response_item", {"type": "reasoning", "summary": []}),
    _line("2026-03-01T10:00:02.000Z", "response_item", {
        "type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "Run the tests and fix what fails."}]}),
    _line("2026-03-01T10:00:02.001Z", "event_msg", {
        "type": "user_message", "message": "Run the tests and fix what fails."}),
    _line("2026-03-01T10:00:03.000Z", "response_item", _output("call_A", "early output")),
    _line("2026-03-01T10:00:04.000Z", "response_item", _call("call_A", "pytest -q")),
    _line("2026-03-01T10:00:05.000Z", "response_item", _call("call_B", "git status")),
    _line("2026-03-01T10:00:07.000Z", "event_msg", {"type": "turn_aborted",
                                                   "reason": "interrupted"}),
    _line("2026-03-01T10:00:08.000Z", "turn_context", {
        "cwd": CWD, "approval_policy": "never", "model": "gpt-5.1-codex-max"}),
    _line("2026-03-01T10:00:08.100Z", "response_item", _call("call_C", "ls -la")),
    _line("2026-03-01T10:00:08.500Z", "event_msg", {"type": "exec_command_begin",
                                                   "call_id": "call_C", "cwd": "/tmp/w"}),
    _line("2026-03-01T10:00:09.000Z", "event_msg", {
        "type": "exec_command_end", "call_id": "call_C", "exit_code": 1,
        "aggregated_output": "ls: cannot access"}),
    _line("2026-03-01T10:00:10.000Z", "response_item", {
        "type": "custom_tool_call", "status": "completed", "call_id": "call_D",
        "name": "apply_patch", "input": "*** Begin Patch\n*** Update File: a.py\n@@\n-x\n+y\n"
                                        "*** End Patch"}),
    _line("2026-03-01T10:00:11.000Z", "response_item", {
        "type": "custom_tool_call_output", "call_id": "call_D", "output": json.dumps(
            {"output": "Success.", "metadata": {"exit_code": 0}})}),
    _line("2026-03-01T10:00:12.000Z", "turn_context", {
        "cwd": CWD, "approval_policy": "never", "model": "gpt-5.1-codex-max",
        "sandbox_policy": {"type": "danger-full-access"}}),
    _line("2026-03-01T10:00:13.000Z", "response_item", _call("call_E", "pytest -q")),
    _line("2026-03-01T10:00:14.000Z", "response_item", _output("call_E", "3 passed")),
    "{not json",
    _line("2026-03-01T10:00:15.000Z", "session_meta", {
        "id": "019c0000-0000-7000-8000-000000000000", "cwd": CWD}),
]) + "\n"


def _source(path: Path, in_memory: bool) -> Source:
    data = path.read_bytes()
    source = Source(str(path), path, hashlib.sha256(data).hexdigest(), len(data))
    if in_memory:
        source.__dict__["data"] = data
    return source


def _rows(items) -> list:
    return [{f.name: repr(getattr(item, f.name)) for f in dataclasses.fields(item)}
            for item in items]


def _parse(path: Path, in_memory: bool, whole: bool, monkeypatch) -> list:
    if whole:                                # as for a rollout with copied history
        index = codex.index_calls

        def repeated(*args):
            found = index(*args)
            found.repeated = True
            return found
        monkeypatch.setattr(codex, "index_calls", repeated)
    try:
        return _rows(codex.CodexRolloutParser().parse(_source(path, in_memory)))
    finally:
        monkeypatch.undo()


# the same calls once the session event is settled from the start (its model and both
# policies in the first turn_context, no later session_meta): the calls stream
SETTLED = "\n".join([TRICKY.splitlines()[0], _line(
    "2026-03-01T10:00:00.500Z", "turn_context", {
        "cwd": CWD, "approval_policy": "never", "model": "gpt-5.1-codex-max",
        "sandbox_policy": {"type": "danger-full-access"}})] + TRICKY.splitlines()[1:-1]) + "\n"


@pytest.mark.parametrize("text", [TRICKY, SETTLED], ids=["late-session", "settled-session"])
@pytest.mark.parametrize("in_memory", [True, False], ids=["bytes", "disk"])
def test_a_streamed_rollout_equals_the_whole_file_read(tmp_path, monkeypatch, in_memory, text):
    path = tmp_path / "rollout-tricky.jsonl"
    path.write_text(text, encoding="utf-8")
    streamed = _parse(path, in_memory, False, monkeypatch)
    assert streamed == _parse(path, in_memory, True, monkeypatch)
    items = list(codex.CodexRolloutParser().parse(_source(path, in_memory)))
    calls = {e.attrs["tool_call_id"]: e for e in items
             if isinstance(e, Event) and e.source == "agent:tool_call"}
    assert calls["call_A"].outcome == "success"               # its output came first
    assert calls["call_B"].attrs["approval"] == "rejected"    # aborted before an output
    assert calls["call_C"].outcome == "failure"               # exec_command_end only
    session = next(e for e in items if isinstance(e, Event) and e.source == "agent:session")
    assert session.attrs["model"] == "gpt-5.1-codex-max"
    if text is TRICKY:
        assert session.attrs["resumed_from"] == "019c0000-0000-7000-8000-000000000000"
    problems = [i.problem for i in items if not isinstance(i, Event)]
    assert any("zone" in p for p in problems) and any("JSON" in p for p in problems)


@pytest.mark.parametrize("path", ROLLOUTS, ids=[p.name[:32] for p in ROLLOUTS])
def test_committed_rollouts_stream_as_they_read_whole(path, monkeypatch):
    assert _parse(path, False, False, monkeypatch) == _parse(path, True, True, monkeypatch)


def test_a_long_rollout_hands_out_its_first_steps_early(tmp_path, monkeypatch):
    lines = [_line("2026-03-01T10:00:00.000Z", "session_meta", {
        "id": "019c0000-0000-7000-8000-000000000002", "cwd": CWD}),
        _line("2026-03-01T10:00:00.100Z", "turn_context", {
            "cwd": CWD, "approval_policy": "on-request", "model": "gpt-5.1-codex-max",
            "sandbox_policy": {"type": "workspace-write"}})]
    for n in range(2000):
        lines += [_line("2026-03-01T10:00:01.000Z", "turn_context", {
            "cwd": CWD, "approval_policy": "on-request", "model": "gpt-5.1-codex-max",
            "sandbox_policy": {"type": "workspace-write"}}),
            _line("2026-03-01T10:00:01.000Z", "response_item", _call(f"call_{n}", "ls")),
            _line("2026-03-01T10:00:01.000Z", "response_item", _output(f"call_{n}", "a.py"))]
    path = tmp_path / "rollout-long.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    read: list[int] = []
    original = codex.iter_ndjson_file

    def counted(*args):
        for item in original(*args):
            read.append(item[0] if isinstance(item, tuple) else 0)
            yield item
    monkeypatch.setattr(codex, "iter_ndjson_file", counted)
    events = codex.CodexRolloutParser().parse(_source(path, False))
    first = next(e for e in events if isinstance(e, Event) and e.source == "agent:tool_call")
    assert first.attrs["tool_call_id"] == "call_0"
    # the first read went through all 6,002 lines; the second had read only a few when the
    # first step came out
    assert len(read) - len(lines) < 10
    assert sum(1 for e in events if isinstance(e, Event) and e.source == "agent:tool_call") \
        == 1999
