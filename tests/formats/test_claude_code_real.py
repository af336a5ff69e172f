"""The committed real Claude Code and Claude Desktop files (tests/data/real/, manifest.json):
each is claimed by its own parser only, reads into the manifest's step count (counted there
with jq / grep, not with our parser), and a few steps are checked whole: tool, arguments,
outcome, approval, and the refs of call and result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_shapes_support import parse_path
from tracehound.formats import all_parsers
from tracehound.formats.base import Sample
from tracehound.model import Event

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
REPO = REAL.parents[2]
PARSERS = {"claude-code": "claude-code", "mcp-desktop": "mcp-desktop"}


def manifest_rows() -> list[dict]:
    path = REAL / "manifest.json"
    if not path.exists():
        return []
    rows = json.loads(path.read_text("utf-8"))
    return [r for r in rows if r.get("runtime") in PARSERS and r.get("committed_path")
            and (REPO / r["committed_path"]).exists()]


ROWS = manifest_rows()


@pytest.mark.skipif(not ROWS, reason="no committed real Claude Code / Desktop file yet")
@pytest.mark.parametrize("row", ROWS, ids=lambda r: Path(r["committed_path"]).name)
def test_real_file_is_ours_and_reads_the_manifest_step_count(row):
    path = REPO / row["committed_path"]
    parser = PARSERS[row["runtime"]]
    from agent_shapes_support import source_of
    sample = Sample.of(source_of(path))
    assert [p.name for p in all_parsers() if p.sniff(sample)] == [parser]
    events, issues = parse_path(parser, path)
    steps = [e for e in events if e.source == "agent:tool_call"]
    assert len(steps) == row["steps"]["count"]
    assert not [i for i in issues if "unknown type" in i.problem or "stopped" in i.problem]


def steps_of(name: str) -> list[tuple]:
    path = REAL / "claude-code" / name
    if not path.exists():
        pytest.skip(f"{name} is not committed")
    events, _ = parse_path("claude-code", path)
    results = {e.attrs["tool_call_id"]: e for e in events if e.source == "agent:tool_result"}
    return [(e.step, e.action, e.attrs["arguments"], e.outcome, e.attrs.get("approval"),
             e.ref.locator, results[e.attrs["tool_call_id"]].ref.locator)
            for e in events if isinstance(e, Event) and e.source == "agent:tool_call"]


def test_three_steps_of_a_skill_session_whole():
    found = steps_of("155715ec-f4e9-47ea-859c-2e4cfcceab6f.jsonl")
    assert found[1:4] == [
        (2, "Bash", {"command": "~/.claude/skills/Observability/manage.sh status",
                     "description": "Check observability dashboard status"},
         "success", None, "line 14", "line 15"),
        (3, "Bash", {"command": "~/.claude/skills/Observability/manage.sh start",
                     "description": "Start observability server and dashboard",
                     "timeout": 30000}, "success", None, "line 22", "line 23"),
        (4, "Read", {"file_path": "/tmp/claude/tasks/b18a41f.output"}, "success", None,
         "line 25", "line 26")]


def test_the_settings_edit_of_a_hook_repair_session_whole():
    found = steps_of("5eac5945-4cf4-4f5c-a46a-1f8dacb407aa.jsonl")
    assert [row[:2] + row[3:] for row in found[:3]] == [
        (1, "Glob", "success", None, "line 5", "line 10"),
        (2, "Glob", "success", None, "line 6", "line 9"),
        (3, "Read", "success", None, "line 7", "line 8")]
    edit = found[5]
    assert (edit[0], edit[1], edit[2]["file_path"], edit[3:]) == (
        6, "Edit", "/home/user5/.claude/settings.json", ("success", None, "line 19", "line 21"))
