"""The committed real sessions (tests/data/real, issue 12): every file reads into the
manifest's independent step count, and for three steps of each file the tool, the full
arguments, the outcome, the approval and both refs (call and result) are what
expected_steps.json says -- and, independently of the parser, the bytes at those refs hold
that tool name and those argument values."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest

from tracehound.pipeline import Options, analyze

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "data" / "real"
MANIFEST = json.loads((REAL / "manifest.json").read_text())
EXPECTED = json.loads((REAL / "expected_steps.json").read_text())
COMMITTED = [e for e in MANIFEST if e.get("committed_path")]


@pytest.fixture(scope="module")
def cases() -> dict[str, Any]:
    return {e["id"]: analyze([ROOT / e["committed_path"]], Options(reproducible=True))
            for e in COMMITTED}


@pytest.mark.parametrize("entry", COMMITTED, ids=lambda e: e["id"])
def test_reads_the_manifest_step_count(entry: dict, cases: dict) -> None:
    case = cases[entry["id"]]
    kinds = Counter(e.source for e in case.events)
    # a UI log read alone is the only record of its task's calls: its approvals are the steps
    assert kinds["agent:tool_call"] == entry["steps"]["count"], (entry["id"], dict(kinds))
    assert case.evidence[0].format is not None


def test_every_committed_file_with_steps_has_three_checked() -> None:
    with_steps = {e["id"] for e in COMMITTED if e["steps"]["count"]
                  and not e["committed_path"].endswith("ui_messages.json")}
    assert set(EXPECTED) == with_steps
    assert all(len(rows) == min(3, e["steps"]["count"]) for e in COMMITTED
               if (rows := EXPECTED.get(e["id"])) is not None)


def _record(path: Path, locator: str) -> Any:
    """The record a locator names, read with nothing of tracehound's."""
    text = path.read_text(encoding="utf-8")
    if locator.startswith("line "):
        line = text.splitlines()[int(locator[5:]) - 1]
        try:
            return json.loads(line)
        except ValueError:
            pass
        if "{" in line:                  # a log line: a prefix, then the JSON message
            try:
                return [line, json.JSONDecoder().raw_decode(line[line.index("{"):])[0]]
            except ValueError:
                pass
        return line
    node: Any = json.loads(text)
    for token in locator[len("json:/"):].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every text in a record, JSON-in-text opened up too (Codex double-encodes)."""
    if depth > 40:
        return
    if isinstance(value, str):
        yield value
        if value[:1] in "[{":
            try:
                yield from _strings(json.loads(value), depth + 1)
            except ValueError:
                pass
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, depth + 1)
    elif value is not None:
        yield json.dumps(value)


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):
        yield value
    elif value is not None and not isinstance(value, bool):
        yield json.dumps(value)


def _holds(record: Any, text: str) -> bool:
    """The text (or each of its lines, for text a log wraps) is in the record."""
    texts = list(_strings(record))
    parts = [text] if any(text in t for t in texts) else [p.strip() for p in text.splitlines()
                                                          if p.strip()]
    return all(any(part in t or part.replace("\\", "\\\\") in t for t in texts)
               for part in parts)


# Aider's history names no tools: its steps are edit blocks, commits and prompts, whose tool
# names are ours; their arguments are still checked against the bytes.
UNNAMED_TOOLS = {"aider"}
CASES = [(e, row) for e in COMMITTED for row in EXPECTED.get(e["id"], ())]


@pytest.mark.parametrize("entry,row", CASES, ids=lambda v: v["id"] if "id" in v
                         else f"step{v['step']}")
def test_three_steps_per_file_whole(entry: dict, row: dict, cases: dict) -> None:
    case = cases[entry["id"]]
    [call] = [e for e in case.events if e.source == "agent:tool_call"
              and e.session == row["session"] and e.step == row["step"]]
    results = [e for e in case.events if e.source == "agent:tool_result"
               and e.session == row["session"] and e.step == row["step"]]
    got = {"tool": call.action, "arguments": call.attrs.get("arguments"),
           "outcome": call.outcome, "approval": call.attrs.get("approval", "unknown"),
           "call": call.ref.locator,
           "result": results[0].ref.locator if results else None}
    assert got == {k: row[k] for k in got}
    path = ROOT / entry["committed_path"]
    record = _record(path, row["call"])
    if entry["runtime"] not in UNNAMED_TOOLS:
        assert _holds(record, row["tool"].split("<|")[0])
    for value in _leaves(row["arguments"]):
        assert _holds(record, value), (row["call"], value[:80])
    if row["result"] is not None:
        assert _record(path, row["result"]) is not None
