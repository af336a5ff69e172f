"""Session assembly (tracehound/assembly.py) and its place in the pipeline: a Claude Code
sub-agent's file under the Agent call that started it, a resumed copy de-duplicated, the
per-server logs of one Claude Desktop client joined into one session (a key read through one
server and posted through another), unplaced sub-agents, the case store kept in step, and
nothing done for a case without agent files."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings, strategies as st

from tracehound.assembly import assemble
from tracehound.formats import get
from tracehound.formats.base import Source
from tracehound.model import Event, EvidenceFile
from tracehound.pipeline import Options, analyze, assemble_sessions

AGENT = Path(__file__).resolve().parents[1] / "fixtures" / "agent"
LEDGER = AGENT / "claude_code_project" / "-home-dev-ledger"
S = "5aaf455f-8f4d-5aca-be77-c0de957d6af8"
R = "e5383003-99c1-5585-b767-425ee4075c11"
SUB_AGENT = "a5e0c1d2b3a4f5061"
MAIN = LEDGER / f"{S}.jsonl"
SUB = LEDGER / S / "subagents" / f"agent-{SUB_AGENT}.jsonl"
RESUMED = LEDGER / f"{R}.jsonl"
LOGS = AGENT / "mcp_desktop"
SECRET = "sk_live_51FAKEq8ZrT4kLm2Vx9PqW3eN7bC0dY6"


def run(*paths: Path, **options) -> object:
    return analyze([str(p) for p in paths], Options(tools=["trace-reconstructor"],
                                                    reproducible=True, **options))


def names(case) -> dict[str, str]:
    return {f.sha256: Path(f.path).name for f in case.evidence}


def call_rows(case, session: str) -> list[tuple]:
    name = names(case)
    return [(e.step, e.parent_step, e.actor_id, e.action, e.outcome, name[e.ref.sha256],
             e.ref.locator, [(name[c["sha256"]], c["locator"]) for c in
                             e.attrs.get("copies", [])])
            for e in sorted(case.events, key=lambda e: e.step or 0)
            if e.source == "agent:tool_call" and e.session == session]


def test_sub_agent_and_resumed_copy_join_the_parent_session():
    case = run(MAIN, SUB, RESUMED)
    assert call_rows(case, S) == [
        (1, None, "claude-code", "Read", "success", f"{S}.jsonl", "line 5",
         [(f"{R}.jsonl", "line 5")]),
        (2, 1, "claude-code", "Agent", "success", f"{S}.jsonl", "line 9", []),
        (3, 2, SUB_AGENT, "Grep", "success", f"agent-{SUB_AGENT}.jsonl", "line 2", []),
        (4, 3, SUB_AGENT, "Bash", "success", f"agent-{SUB_AGENT}.jsonl", "line 4", []),
        (5, 2, "claude-code", "Edit", "rejected", f"{S}.jsonl", "line 11", []),
        (6, 5, "claude-code", "Edit", "success", f"{S}.jsonl", "line 14", []),
        (7, 6, "claude-code", "Bash", "rejected", f"{S}.jsonl", "line 16", []),
        (8, 7, "claude-code", "Bash", "success", f"{S}.jsonl", "line 23", []),
        (9, 8, "claude-code", "Write", "success", f"{S}.jsonl", "line 25", [])]
    assert call_rows(case, R) == [(1, None, "claude-code", "Bash", "success", f"{R}.jsonl",
                                   "line 8", [])]
    results = {(e.ref.locator, names(case)[e.ref.sha256]): e.step for e in case.events
               if e.source == "agent:tool_result" and e.session == S}
    assert results[("line 3", f"agent-{SUB_AGENT}.jsonl")] == 3
    assert results[("line 5", f"agent-{SUB_AGENT}.jsonl")] == 4
    assert results[("line 26", f"{S}.jsonl")] == 9
    resumed_left = sorted((e.session, e.source) for e in case.events
                          if names(case)[e.ref.sha256] == f"{R}.jsonl")
    assert resumed_left == [(R, "agent:prompt"), (R, "agent:session"), (R, "agent:tool_call"),
                            (R, "agent:tool_result")]
    (trace,) = [t for t in case.artifacts["traces"] if t["session"] == S]
    assert sorted(Path(f["path"]).name for f in trace["files"]) == sorted(
        [f"{S}.jsonl", f"agent-{SUB_AGENT}.jsonl", f"{R}.jsonl"])
    assert [(Path(i.path).name, i.locator, i.problem) for i in case.parse_issues] == [
        (f"{S}.jsonl", "line 29", "1 record of unknown type x-telemetry (not read)")]


def test_the_case_store_matches_the_assembled_events(tmp_path):
    store = tmp_path / "case.duckdb"
    case = run(MAIN, SUB, RESUMED, store_path=str(store))
    con = duckdb.connect(str(store), read_only=True)
    rows = con.execute("SELECT sha256, locator, source, session, step, parent_step, actor_id, "
                       "attrs, raw FROM events").fetchall()
    con.close()
    stored = sorted((r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows)
    assert stored == sorted((e.ref.sha256, e.ref.locator, e.source, e.session, e.step,
                             e.parent_step, e.actor_id) for e in case.events)
    copies = [json.loads(r[7]).get("copies") for r in rows if r[1] == "line 5"
              and r[2] == "agent:tool_call"]
    assert copies == [[{"locator": "line 5", "sha256": hashlib.sha256(
        RESUMED.read_bytes()).hexdigest()}]]
    assert all(r[8] not in (None, "null") for r in rows)


def test_a_sub_agent_file_alone_stays_its_own_session_with_one_issue():
    case = run(SUB)
    assert {e.session for e in case.events} == {S}
    assert [(i.locator, i.problem) for i in case.parse_issues] == [
        ("line 1", f"sub-agent {SUB_AGENT} not placed under a parent call: no file of its "
                   f"session {S} among the evidence started it; kept as a session of its own")]


def test_an_unplaced_sub_agent_beside_its_session_gets_a_session_of_its_own():
    case = run(SUB, RESUMED)
    assert [(e.session, e.step, e.action) for e in case.events
            if e.source == "agent:tool_call"] == [(f"{S}/{SUB_AGENT}", 1, "Grep"),
                                                  (f"{S}/{SUB_AGENT}", 2, "Bash"),
                                                  (S, 1, "Read"), (R, 1, "Bash")]
    assert [(Path(i.path).name, i.locator, i.problem) for i in case.parse_issues] == [
        (f"agent-{SUB_AGENT}.jsonl", "line 1",
         f"sub-agent {SUB_AGENT} not placed under a parent call: no call of session {S} among "
         f"the evidence names it (spawns) or its prompt; kept as session {S}/{SUB_AGENT} of "
         "its own")]


def test_without_spawns_the_sub_agent_is_placed_by_its_prompt(tmp_path):
    lines = []
    for line in MAIN.read_text().splitlines():
        record = json.loads(line)
        if isinstance(record.get("toolUseResult"), dict):
            record["toolUseResult"].pop("agentId", None)
        lines.append(json.dumps(record))
    main = tmp_path / MAIN.name
    main.write_text("\n".join(lines) + "\n")
    case = run(main, SUB)
    assert [(e.step, e.parent_step, e.actor_id, e.action) for e in sorted(
        case.events, key=lambda e: e.step or 0) if e.source == "agent:tool_call"][:4] == [
        (1, None, "claude-code", "Read"), (2, 1, "claude-code", "Agent"),
        (3, 2, SUB_AGENT, "Grep"), (4, 3, SUB_AGENT, "Bash")]
    assert case.parse_issues[0].problem.startswith("1 record of unknown type")
    assert len(case.parse_issues) == 1


def test_mcp_logs_of_one_client_are_one_session():
    logs = sorted(LOGS.rglob("*.log"))
    case = run(*logs)
    by_session: dict[str, list[Event]] = {}
    for event in case.events:
        if event.source == "agent:tool_call":
            by_session.setdefault(event.session, []).append(event)
    merged = sorted(s for s in by_session if s.startswith("mcp-client-"))
    assert len(merged) == 1 and len(by_session) == 3
    steps = sorted(by_session[merged[0]], key=lambda e: e.step)
    name = {f.sha256: f.path.split("mcp_desktop/")[1] for f in case.evidence}
    assert [(e.step, e.action, e.attrs["server"], e.outcome, name[e.ref.sha256], e.ref.locator,
             [(name[c["sha256"]], c["locator"]) for c in e.attrs["copies"]]) for e in steps] == [
        (1, "list_directory", "filesystem", "success", "logs/mcp-server-filesystem.log",
         "line 10", [("logs/mcp.log", "line 15")]),
        (2, "read_file", "filesystem", "success", "logs/mcp-server-filesystem.log", "line 12",
         [("logs/mcp.log", "line 17")]),
        # of two copies the one in the file that starts first is kept: mcp.log starts before
        # the webhooks server's own log
        (3, "http_post", "webhooks", None, "logs/mcp.log", "line 19",
         [("logs/mcp-server-webhooks.log", "line 8")]),
        (4, "http_post", "webhooks", "success", "logs/mcp.log", "line 30",
         [("logs/mcp-server-webhooks.log", "line 22")])]
    # the key is read through one server and posted through another, in one trace
    read = next(e for e in case.events if e.source == "agent:tool_result"
                and e.session == merged[0] and e.step == 2)
    assert SECRET in read.attrs["result_text"]
    assert SECRET in steps[3].attrs["arguments"]["body"]
    (trace,) = [t for t in case.artifacts["traces"] if t["session"] == merged[0]]
    assert [f["path"].split("mcp_desktop/")[1] for f in trace["files"]] == [
        "logs/mcp-server-filesystem.log", "logs/mcp-server-webhooks.log", "logs/mcp.log"]
    others = sorted(name[by_session[s][0].ref.sha256] for s in by_session if s != merged[0])
    assert others == ["logs/mcp-server-notes.log", "other/mcp-server-filesystem.log"]
    assert case.parse_issues == []


def test_a_case_without_agent_files_costs_nothing():
    events: list[Event] = []
    evidence = [EvidenceFile("a.json", "0" * 64, 10, "cloudtrail", "1")]
    issues: list = []
    assert assemble_sessions(evidence, events, issues, {}, store=object()) is events
    assert issues == []


# ----------------------------------------------------------------------------- assemble()

def parsed_file(path: Path) -> tuple[EvidenceFile, list[Event]]:
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    source = Source(str(path), path, sha, len(data))
    parser = "mcp-desktop" if path.suffix == ".log" else "claude-code"
    events = [i for i in get(parser).parse(source) if isinstance(i, Event)]
    return EvidenceFile(str(path), sha, len(data), parser, "1"), events


FILES = [parsed_file(p) for p in [MAIN, SUB, RESUMED] + sorted(LOGS.rglob("*.log"))]


def test_assemble_changes_nothing_it_is_given():
    evidence = [f for f, _ in FILES]
    events = [e for _, found in FILES for e in found]
    before = [(e.session, e.step, e.parent_step, copy.deepcopy(dict(e.attrs))) for e in events]
    result = assemble(events, evidence)
    assert [(e.session, e.step, e.parent_step, dict(e.attrs)) for e in events] == before
    dropped = len(events) - len(result.events)
    listed = sum(len(e.attrs.get("copies", ())) for e in result.events)
    assert dropped == listed > 0
    kept = {(e.ref.sha256, e.ref.locator) for e in result.events}
    gone = {(e.ref.sha256, e.ref.locator) for e in events} - kept
    assert gone <= result.changed


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(range(len(FILES))), min_size=1, max_size=len(FILES),
                unique=True))
def test_any_subset_in_any_order_numbers_each_session_1_to_n(chosen):
    evidence = [FILES[i][0] for i in chosen]
    events = [e for i in chosen for e in FILES[i][1]]
    result = assemble(events, evidence)
    steps: dict = {}
    for event in result.events:
        if event.source == "agent:tool_call":
            steps.setdefault(event.session, []).append(event.step)
    for session, numbers in steps.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), session
    for event in result.events:
        if event.source == "agent:tool_call" and event.parent_step is not None:
            assert event.parent_step in steps[event.session]


def test_records_of_two_sessions_are_never_copies_even_with_the_same_ids(tmp_path):
    def transcript(session: str) -> list[str]:
        base = {"parentUuid": None, "isSidechain": False, "cwd": "/w", "sessionId": session,
                "version": "2.1.0", "timestamp": "2026-01-01T00:00:00Z"}
        return [json.dumps({**base, "type": "user", "uuid": "1",
                            "message": {"role": "user", "content": "list files"}}),
                json.dumps({**base, "type": "assistant", "uuid": "2", "parentUuid": "1",
                            "message": {"role": "assistant", "content": [
                                {"type": "tool_use", "id": "call-0", "name": "Bash",
                                 "input": {"command": "ls"}}]}})]
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("\n".join(transcript("run-a")) + "\n")
    second.write_text("\n".join(transcript("run-b")) + "\n")
    case = run(first, second)
    assert sorted((e.session, e.step) for e in case.events if e.source == "agent:tool_call") \
        == [("run-a", 1), ("run-b", 1)]
    assert not any(e.attrs.get("copies") for e in case.events)


def test_replacing_stored_events_keeps_a_released_raw_record():
    from dataclasses import replace as changed
    from tracehound.store import CaseStore
    _, events = FILES[1]                       # the sub-agent file: a few events
    with CaseStore() as store:
        store.load_events(events)
        moved = [changed(e, session="elsewhere", raw=None) for e in events[:3]]
        refs = {(e.ref.sha256, e.ref.locator) for e in moved}
        kept = [e for e in events[3:] if (e.ref.sha256, e.ref.locator) in refs]
        store.replace_events(refs, moved + kept)
        rows = store.con.execute("SELECT locator, session, raw FROM events ORDER BY locator, "
                                 "session").fetchall()
    assert len(rows) == len(events)
    assert sorted((r[0], r[1]) for r in rows) == sorted(
        [(e.ref.locator, "elsewhere") for e in moved] +
        [(e.ref.locator, e.session) for e in events[3:]])
    assert all(json.loads(r[2]) is not None for r in rows)
