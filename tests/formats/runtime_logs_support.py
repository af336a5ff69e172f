"""What the Codex, Gemini CLI and Cline / Roo Code parser tests share: steps as rows, real
files from tests/data/real/, the sniff check against every other fixture, and the
truncation / shuffle / orphan properties."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Iterable

import pytest

from agent_shapes_support import (AGENT_FIXTURES, FIXTURES, assert_well_formed, parse_bytes,
                                  source_of)
from tracehound.formats import get
from tracehound.formats.base import Sample
from tracehound.model import Event, ParseIssue

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
MY_FOLDERS = {"codex": ("codex",), "gemini_cli": ("gemini-cli", "gemini-cli-logs",
                                                  "gemini-cli-stream"),
              "cline": ("cline", "cline-ui")}
MY_PARSERS = tuple(name for names in MY_FOLDERS.values() for name in names)


def step_rows(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Each tool call as the tests compare it: where, which step, tool, full arguments,
    outcome, approval with the record that shows it, cwd, and where its result is."""
    events = list(events)
    results: dict[tuple, list[str]] = {}
    for event in events:
        if event.source == "agent:tool_result" and event.step is not None:
            results.setdefault((event.session, event.step), []).append(event.ref.locator)
    rows = []
    for event in events:
        if event.source != "agent:tool_call":
            continue
        attrs = event.attrs
        rows.append({"at": event.ref.locator, "step": event.step, "tool": attrs["tool"],
                     "arguments": attrs["arguments"], "outcome": event.outcome,
                     "approval": attrs.get("approval"),
                     "approval_ref": (attrs.get("approval_ref") or {}).get("locator"),
                     "cwd": attrs.get("cwd"),
                     "results": results.get((event.session, event.step), [])})
    return rows


def row(at: str, step: int, tool: str, arguments: Any, outcome: str | None,
        approval: str | None = None, approval_ref: str | None = None, cwd: str | None = None,
        results: list[str] | None = None) -> dict[str, Any]:
    return {"at": at, "step": step, "tool": tool, "arguments": arguments, "outcome": outcome,
            "approval": approval, "approval_ref": approval_ref, "cwd": cwd,
            "results": results or []}


def real_file(runtime: str, relative: str) -> Path:
    path = REAL / runtime / relative
    if not path.exists():
        pytest.skip(f"real file {runtime}/{relative} is not in tests/data/real")
    return path


def manifest_entries(*runtimes: str) -> list[dict[str, Any]]:
    path = REAL / "manifest.json"
    if not path.exists():
        return []
    entries = json.loads(path.read_text("utf-8"))
    return [e for e in entries if e.get("runtime") in runtimes and e.get("committed_path")]


def other_fixtures(folder: str) -> list[Path]:
    """Every fixture file outside this folder (other agent shapes, cloud exports...)."""
    own = AGENT_FIXTURES / folder
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix != ".py"
                  and "__pycache__" not in p.parts and own not in p.parents)


def claims(path: Path, parsers: Iterable[str]) -> list[str]:
    sample = Sample.of(source_of(path))
    return [name for name in parsers if get(name).sniff(sample)]


def truncations(data: bytes, cuts: int = 12, seed: int = 7) -> list[bytes]:
    """The data cut off at a few places, seeded: what a half-copied log looks like."""
    rng = random.Random(seed)
    return [data[:rng.randrange(1, len(data))] for _ in range(cuts)]


def cut_mid_record(data: bytes) -> bool:
    """True when the last line of NDJSON data is a record cut off (not a whole object)."""
    last = data.rsplit(b"\n", 1)[-1].strip()
    if not last:
        return False
    try:
        json.loads(last)
    except ValueError:
        return True
    return False


def shuffled_lines(data: bytes, seed: int) -> bytes:
    lines = data.splitlines()
    random.Random(seed).shuffle(lines)
    return b"\n".join(lines)


def orphans_are_reported(items: list[Event | ParseIssue]) -> None:
    """Every result whose call is not in the file is kept and named in an issue."""
    problems = " ".join(i.problem for i in items if isinstance(i, ParseIssue))
    without_id = {i.locator for i in items if isinstance(i, ParseIssue)
                  and i.problem.startswith("result without a call id")}
    for item in items:
        if isinstance(item, Event) and item.source == "agent:tool_result" and \
                item.attrs.get("unmatched"):
            if item.attrs.get("tool_call_id"):
                assert f"result for call {item.attrs['tool_call_id']} " in problems
            else:
                assert item.ref.locator in without_id


def well_formed(items: list[Event | ParseIssue]) -> None:
    """agent_shapes_support.assert_well_formed, plus the file-level issue (locator `file`)
    docs/agent-sessions.md gives a file a parser claims but reads nothing from."""
    whole_file = [i for i in items if isinstance(i, ParseIssue) and i.locator == "file"]
    assert all(i.problem.startswith("recognised as ") for i in whole_file), whole_file
    assert_well_formed([i for i in items if i not in whole_file])
