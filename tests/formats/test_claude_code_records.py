"""Claude Code: every record kind real transcripts carry, read or counted. Whole events for
session metadata, `!` commands, CLAUDE.md, rejections, interruptions, permission modes,
compaction, sub-agents embedded in progress records; the sniff on real openers; the project
fixture (tests/fixtures/agent/claude_code_project/) file by file; truncation; orders."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, strategies as st

from agent_shapes_support import AGENT_FIXTURES, PROPERTY, fields, parse_bytes, projection
from claude_code_support import parse_folder, rendered_and_committed, well_formed
from goldens import check_golden
from tracehound.formats import all_parsers, get
from tracehound.formats.base import Sample
from tracehound.model import Event, ParseIssue

PARSER = "claude-code"
PROJECT = AGENT_FIXTURES / "claude_code_project"
MAIN = "-home-dev-ledger/5aaf455f-8f4d-5aca-be77-c0de957d6af8.jsonl"
SUB = ("-home-dev-ledger/5aaf455f-8f4d-5aca-be77-c0de957d6af8/subagents/"
       "agent-a5e0c1d2b3a4f5061.jsonl")
RESUMED = "-home-dev-ledger/e5383003-99c1-5585-b767-425ee4075c11.jsonl"
S = "5aaf455f-8f4d-5aca-be77-c0de957d6af8"


def rec(kind: str, uuid: str, parent: str | None = None, content=None, **extra) -> dict:
    body = {"parentUuid": parent, "isSidechain": False, "userType": "external",
            "cwd": "/w", "sessionId": "s1", "version": "2.1.0", "gitBranch": "main",
            "type": kind, "uuid": uuid, "timestamp": f"2026-01-01T00:00:{len(uuid):02d}Z"}
    if content is not None:
        body["message"] = {"role": kind, "content": content}
    body.update(extra)
    return body


def use(tool_id: str, name: str, **tool_input) -> dict:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}


def result(tool_id: str, text: str, is_error: bool = False) -> dict:
    return {"type": "tool_result", "tool_use_id": tool_id, "content": text,
            "is_error": is_error}


def parse(*records: dict) -> tuple[list[Event], list[ParseIssue]]:
    items = parse_bytes(PARSER, "\n".join(json.dumps(r) for r in records).encode())
    well_formed(items)
    return ([i for i in items if isinstance(i, Event)],
            [i for i in items if isinstance(i, ParseIssue)])


def of(events: list[Event], source: str) -> list[Event]:
    return [e for e in events if e.source == source]


REJECT = ("The user doesn't want to proceed with this tool use. The tool use was rejected "
          "(eg. if it was a file edit, the new_string was NOT written to the file).")


# ----------------------------------------------------------------------------- sessions


def test_session_event_from_the_first_threaded_record_after_sidecars():
    events, issues = parse(
        {"type": "last-prompt", "leafUuid": "x", "sessionId": "s1"},
        {"type": "permission-mode", "permissionMode": "plan", "sessionId": "s1"},
        {"type": "custom-title", "customTitle": "fix login", "sessionId": "s1"},
        rec("user", "u1", None, "fix the login bug", session_id="s0"),
        rec("assistant", "a1", "u1", [use("t1", "Read", file_path="/w/a.py")],
            message={"role": "assistant", "model": "claude-opus-4-5", "content": [
                use("t1", "Read", file_path="/w/a.py")]}))
    assert issues == []
    (session,) = of(events, "agent:session")
    assert fields(session) == {
        "locator": "line 4", "source": "agent:session", "time": "2026-01-01T00:00:02Z",
        "action": "session", "action_class": "other", "actor_id": "claude-code",
        "actor_kind": "agent", "target_id": None, "target_type": None, "target_label": None,
        "outcome": None, "session": "s1", "step": None, "parent_step": None, "approver": None,
        "bytes_in": None, "bytes_out": None,
        "attrs": {"agent_kind": "coding", "approval_policy": "plan", "cwd": "/w",
                  "git_branch": "main", "model": "claude-opus-4-5", "permission_mode": "plan",
                  "record_id": "u1", "resumed_from": "s0", "runtime": "claude-code",
                  "runtime_version": "2.1.0", "seq": 0, "title": "fix login"}}


# ----------------------------------------------------------------------------- human turns


def test_bash_mode_is_a_human_command_never_a_step():
    events, issues = parse(
        rec("user", "u1", None, "<bash-input>git push --force</bash-input>"),
        rec("user", "u22", "u1", "<bash-stdout>Everything up-to-date</bash-stdout>"
                                 "<bash-stderr>warning: forced</bash-stderr>"))
    assert of(events, "agent:tool_call") == [] and of(events, "agent:prompt") == []
    (command,) = of(events, "agent:human_command")
    assert fields(command) == {
        "locator": "line 1", "source": "agent:human_command", "time": "2026-01-01T00:00:02Z",
        "action": "shell", "action_class": "other", "actor_id": None, "actor_kind": "human",
        "target_id": None, "target_type": None, "target_label": None, "outcome": None,
        "session": "s1", "step": None, "parent_step": None, "approver": None,
        "bytes_in": None, "bytes_out": None,
        "attrs": {"command": "git push --force", "record_id": "u1",
                  "result_text": "Everything up-to-date\nwarning: forced",
                  "runtime": "claude-code", "seq": 1}}
    assert issues == []


CLAUDE_MD = "# Repo rules\nNever push to main."
REMINDER = ("<system-reminder>\nAs you answer the user's questions, you can use the following "
            "context:\n# claudeMd\nCodebase and user instructions are shown below.\n\n"
            "Contents of /w/CLAUDE.md (project instructions, checked into the codebase):\n\n"
            f"{CLAUDE_MD}\n\nContents of /home/u/.claude/CLAUDE.md (user's private global "
            "instructions for all projects):\n\nAnswer in English.\n# currentDate\nToday's "
            "date is 2026-01-01.\n</system-reminder>")


def test_claude_md_in_a_system_reminder_is_standing_instructions():
    events, _ = parse(rec("user", "u1", None, [{"type": "text", "text": REMINDER},
                                               {"type": "text", "text": "ship it"}]))
    found = [(e.ref.locator, e.attrs["path"], e.attrs["text"], e.actor_kind, e.attrs["record_id"])
             for e in of(events, "agent:instructions")]
    assert found == [("line 1", "/w/CLAUDE.md", CLAUDE_MD, "human", "u1"),
                     ("line 1", "/home/u/.claude/CLAUDE.md", "Answer in English.", "human",
                      "u1")]
    kinds = [(e.attrs["turn_kind"], e.attrs["text"][:17]) for e in of(events, "agent:prompt")]
    assert kinds == [("human-typed", "ship it"), ("system-injected", "<system-reminder>")]


@pytest.mark.parametrize("text, kind", [
    ("please fix the flaky test", "human-typed"),
    ("<command-name>/model</command-name>\n<command-message>model</command-message>\n"
     "<command-args>opus</command-args>", "system-injected"),
    ("<local-command-stdout>Set model to opus</local-command-stdout>", "system-injected"),
    ("Caveat: The messages below were generated by the user while running local commands.",
     "system-injected"),
    ("[Request interrupted by user]", "system-injected"),
    ("<task-notification>\n<task-id>b1</task-id>\n</task-notification>", "system-injected"),
    ("<user-prompt-submit-hook>lint ok</user-prompt-submit-hook>", "system-injected"),
    ("This session is being continued from a previous conversation that ran out of context.",
     "compaction-summary"),
])
def test_user_text_is_typed_by_the_runtime_markers(text, kind):
    events, _ = parse(rec("user", "u1", None, text))
    assert [(e.attrs["turn_kind"], e.attrs["text"]) for e in of(events, "agent:prompt")] == \
        [(kind, text)]


def test_meta_compact_summary_images_and_repeated_turns():
    events, _ = parse(
        rec("user", "u1", None, "Summary of earlier work", isCompactSummary=True),
        rec("user", "u22", "u1", "expanded /review command text", isMeta=True),
        rec("user", "u333", "u22", [{"type": "image", "source": {"type": "base64"}}]),
        rec("user", "u4444", "u333", "yes"), rec("user", "u55555", "u4444", "yes"),
        rec("user", "u666666", "u55555", "Monitor fired: disk 91%",
            origin={"kind": "task-notification"}),
        rec("user", "u7777777", "u666666", "scheduled check", promptSource="system"))
    rows = [(e.ref.locator, e.attrs["turn_kind"], e.attrs["text"], e.attrs.get("images"))
            for e in of(events, "agent:prompt")]
    assert rows == [("line 1", "compaction-summary", "Summary of earlier work", None),
                    ("line 2", "system-injected", "expanded /review command text", None),
                    ("line 3", "human-typed", "[image]", 1),
                    ("line 4", "human-typed", "yes", None),
                    ("line 5", "human-typed", "yes", None),
                    ("line 6", "system-injected", "Monitor fired: disk 91%", None),
                    ("line 7", "system-injected", "scheduled check", None)]


# ----------------------------------------------------------------------------- approvals


def test_rejected_and_interrupted_calls():
    events, _ = parse(
        rec("assistant", "a1", None, [use("t1", "Edit", file_path="/w/a.py")]),
        rec("user", "u22", "a1", [result("t1", REJECT, True)], toolUseResult="User rejected "
                                                                             "tool use"),
        rec("assistant", "a333", "u22", [use("t2", "Bash", command="make test")]),
        rec("user", "u4444", "a333", [result("t2", REJECT, True)]),
        rec("user", "u55555", "u4444", [{"type": "text", "text": "[Request interrupted by user "
                                                                 "for tool use]"}]),
        rec("assistant", "a666666", "u55555", [use("t3", "Bash", command="rm x")]),
        rec("user", "u7777777", "a666666", [result("t3", "Permission to use Bash with command "
                                                         "rm x has been denied.", True)],
            toolDenialKind="permission-rule"),
        rec("assistant", "a88888888", "u7777777", [use("t4", "Bash", command="false")]),
        rec("user", "u999999999", "a88888888", [result("t4", "exit 1", True)]))
    rows = [(e.attrs["tool_call_id"], e.outcome, e.attrs.get("approval"),
             e.attrs.get("approval_ref", {}).get("locator")) for e in of(events,
                                                                         "agent:tool_call")]
    assert rows == [("t1", "rejected", "rejected", "line 2"),
                    ("t2", "rejected", "rejected", "line 4"),
                    ("t3", "rejected", "rejected", "line 7"),
                    ("t4", "failure", None, None)]
    assert [e.outcome for e in of(events, "agent:tool_result")] == \
        ["rejected", "rejected", "rejected", "failure"]


def test_permission_modes_auto_approve_from_the_record_that_set_them():
    events, _ = parse(
        {"type": "permission-mode", "permissionMode": "acceptEdits", "sessionId": "s1"},
        rec("assistant", "a1", None, [use("t1", "Edit", file_path="/w/a"),
                                      use("t2", "Bash", command="ls")]),
        rec("user", "u22", "a1", "now go", permissionMode="bypassPermissions"),
        rec("assistant", "a333", "u22", [use("t3", "Bash", command="ls")]),
        {"type": "permission-mode", "permissionMode": "default", "sessionId": "s1"},
        rec("assistant", "a4444", "a333", [use("t4", "Write", file_path="/w/b")]))
    rows = [(e.attrs["tool_call_id"], e.attrs.get("approval"), e.attrs.get("approval_policy"),
             e.attrs.get("approval_ref", {}).get("locator")) for e in of(events,
                                                                         "agent:tool_call")]
    assert rows == [("t1", "auto-approved", "acceptEdits", "line 1"),
                    ("t2", None, "acceptEdits", None),
                    ("t3", "auto-approved", "bypassPermissions", "line 3"),
                    ("t4", None, "default", None)]


# ----------------------------------------------------------------------------- structure


def test_compaction_boundary_keeps_the_parent_chain():
    events, _ = parse(
        rec("assistant", "a1", None, [use("t1", "Read", file_path="/w/a")]),
        rec("user", "u22", "a1", [result("t1", "x")]),
        rec("system", "b333", None, subtype="compact_boundary", content="Conversation "
            "compacted", logicalParentUuid="u22", compactMetadata={"trigger": "auto"}),
        rec("user", "u4444", "b333", "This session is being continued from a previous "
                                     "conversation.", isCompactSummary=True),
        rec("assistant", "a55555", "u4444", [use("t2", "Read", file_path="/w/b")]))
    assert [(e.step, e.parent_step) for e in of(events, "agent:tool_call")] == \
        [(1, None), (2, 1)]


def test_task_result_names_the_sub_agent_and_progress_embeds_its_calls():
    inner_call = {"type": "assistant", "uuid": "i1", "timestamp": "2026-01-01T00:00:10Z",
                  "message": {"role": "assistant", "content": [use("t9", "Grep",
                                                                   pattern="TODO")]}}
    inner_result = {"type": "user", "uuid": "i2", "timestamp": "2026-01-01T00:00:11Z",
                    "message": {"role": "user", "content": [result("t9", "a.py:3")]}}
    progress = {"type": "progress", "uuid": "p1", "parentUuid": "a1", "sessionId": "s1",
                "timestamp": "2026-01-01T00:00:12Z", "toolUseID": "agent_1",
                "parentToolUseID": "t1"}
    events, issues = parse(
        rec("assistant", "a1", None, [use("t1", "Task", prompt="find TODOs",
                                          description="todos")]),
        {**progress, "data": {"type": "agent_progress", "agentId": "ab12",
                              "prompt": "find TODOs", "message": inner_call}},
        {**progress, "uuid": "p2", "data": {"type": "agent_progress", "agentId": "ab12",
                                            "message": inner_result}},
        {**progress, "uuid": "p3", "data": {"type": "bash_progress", "output": "..."}},
        rec("user", "u5", "a1", [result("t1", "a.py:3")],
            toolUseResult={"status": "completed", "agentId": "ab12"}))
    assert issues == []
    rows = [(e.ref.locator, e.step, e.parent_step, e.actor_id, e.attrs.get("agent_id"),
             e.attrs.get("sidechain"), e.attrs.get("spawns"), e.attrs["record_id"])
            for e in of(events, "agent:tool_call")]
    assert rows == [("line 1", 1, None, "claude-code", None, None, "ab12", "a1"),
                    ("line 2", 2, 1, "ab12", "ab12", True, None, "i1")]
    assert [(e.ref.locator, e.step, e.attrs.get("agent_id")) for e in
            of(events, "agent:tool_result")] == [("line 3", 2, "ab12"), ("line 5", 1, None)]


def test_sub_agent_file_records_are_sidechain_and_its_prompt_is_not_the_humans():
    side = dict(isSidechain=True, agentId="a77")
    events, issues = parse(
        rec("user", "u1", None, "Look for secrets in config/", **side),
        rec("assistant", "a22", "u1", [use("t1", "Bash", command="cat config/.env")], **side))
    (prompt,) = of(events, "agent:prompt")
    assert (prompt.attrs["turn_kind"], prompt.attrs["agent_id"], prompt.attrs["sidechain"]) \
        == ("system-injected", "a77", True)
    (call,) = of(events, "agent:tool_call")
    assert (call.actor_id, call.attrs["agent_id"], call.attrs["sidechain"], call.session) == \
        ("a77", "a77", True, "s1")
    assert of(events, "agent:session")[0].attrs["agent_id"] == "a77"
    assert issues == []


def test_thinking_api_errors_attachments_and_queued_prompts():
    attachment = {"type": "attachment", "uuid": "x", "parentUuid": None, "sessionId": "s1",
                  "timestamp": "2026-01-01T00:00:05Z", "isSidechain": False}
    events, issues = parse(
        rec("assistant", "a1", None, [{"type": "thinking", "thinking": "hmm", "signature": "s"},
                                      {"type": "text", "text": "API Error: 529"}],
            isApiErrorMessage=True),
        {**attachment, "attachment": {"type": "nested_memory", "path": "/w/src/CLAUDE.md",
                                      "content": "Tests live in tests/."}},
        {**attachment, "attachment": {"type": "hook_additional_context",
                                      "content": ["lint: ok"], "hookName": "PostToolUse"}},
        {**attachment, "attachment": {"type": "hook_success", "content": "", "stdout": "{}"}},
        {**attachment, "attachment": {"type": "queued_command", "prompt": "also add docs",
                                      "commandMode": "prompt"}},
        {**attachment, "attachment": {"type": "queued_command", "prompt": "ls -la",
                                      "commandMode": "bash"}},
        {**attachment, "attachment": {"type": "skill_listing", "content": "- a"}})
    assert [(e.ref.locator, e.source, e.attrs.get("turn_kind"),
             e.attrs.get("text") or e.attrs.get("command")) for e in events
            if e.source != "agent:session"] == [
        ("line 2", "agent:instructions", None, "Tests live in tests/."),
        ("line 3", "agent:prompt", "system-injected", "lint: ok"),
        ("line 5", "agent:prompt", "human-typed", "also add docs"),
        ("line 6", "agent:human_command", None, "ls -la")]
    assert issues == []


def test_unknown_record_types_are_counted_once_per_type():
    events, issues = parse(rec("user", "u1", None, "hi"), {"type": "brand-new", "a": 1},
                           {"type": "brand-new"}, {"type": "other-new"},
                           {"type": "queue-operation", "operation": "enqueue",
                            "sessionId": "s1"})
    assert [(i.locator, i.problem) for i in issues] == [
        ("line 2", "2 records of unknown type brand-new (not read)"),
        ("line 4", "1 record of unknown type other-new (not read)")]


# ----------------------------------------------------------------------------- sniff


def _sample(records: list[dict], pad: int = 0) -> Sample:
    text = "\n".join(json.dumps(r) for r in records) + "\n"
    if pad:
        text = json.dumps({**records[0], "pad": "x" * pad}) + "\n"
    sample = Sample(text=text[:256 * 1024], size=len(text))
    for line in sample.text.splitlines()[:20]:
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and len(sample.records) < 5:
            sample.records.append(value)
    return sample


SIDECAR_OPENERS = [
    {"type": "summary", "summary": "Fix login", "leafUuid": "l1"},
    {"type": "file-history-snapshot", "messageId": "m1", "isSnapshotUpdate": False,
     "snapshot": {"messageId": "m1", "trackedFileBackups": {}, "timestamp": "t"}},
    {"type": "queue-operation", "operation": "enqueue", "sessionId": "s1", "content": "x"},
    {"type": "permission-mode", "permissionMode": "default", "sessionId": "s1"},
    {"type": "last-prompt", "leafUuid": "l1", "sessionId": "s1"},
    {"type": "progress", "data": {"type": "hook_progress"}, "toolUseID": "h1",
     "parentToolUseID": "h1", "uuid": "p1", "sessionId": "s1"},
]


@pytest.mark.parametrize("opener", SIDECAR_OPENERS, ids=lambda r: r["type"])
def test_sniff_claims_real_sessions_whatever_their_first_records(opener):
    sample = _sample([opener] * 6 + [rec("user", "u1", None, "hi")])
    assert get(PARSER).sniff(sample)
    assert [p.name for p in all_parsers() if p.sniff(sample)] == [PARSER]


def test_sniff_claims_a_snapshot_first_line_longer_than_the_sample():
    sample = _sample([SIDECAR_OPENERS[1]], pad=300_000)
    assert sample.records == [] and get(PARSER).sniff(sample)


@pytest.mark.parametrize("records", [
    [{"timestamp": "2025-01-01T00:00:00Z", "type": "session_meta", "payload": {"id": "x"}}],
    [{"sessionId": "s", "messageId": 0, "type": "user", "message": "hi",
      "timestamp": "2025-01-01T00:00:00Z"}],
    [{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x"}}],
    [{"role": "user", "content": "hi"}],
], ids=["codex", "gemini-logs", "mcp", "chat"])
def test_sniff_declines_other_runtimes(records):
    assert get(PARSER).sniff(_sample(records * 3)) is None


# ----------------------------------------------------------------------------- project


def call_table(events: list[Event]) -> list[tuple]:
    return [(e.ref.locator, e.step, e.parent_step, e.actor_id, e.action, e.outcome,
             e.attrs.get("approval"), e.attrs.get("spawns"))
            for e in events if e.source == "agent:tool_call"]


def test_project_fixture_file_by_file():
    parsed = parse_folder(PARSER, PROJECT, "*.jsonl")
    assert call_table(parsed[MAIN][0]) == [
        ("line 5", 1, None, "claude-code", "Read", "success", None, None),
        ("line 9", 2, 1, "claude-code", "Agent", "success", None, "a5e0c1d2b3a4f5061"),
        ("line 11", 3, 2, "claude-code", "Edit", "rejected", "rejected", None),
        ("line 14", 4, 3, "claude-code", "Edit", "success", None, None),
        ("line 16", 5, 4, "claude-code", "Bash", "rejected", "rejected", None),
        ("line 23", 6, 5, "claude-code", "Bash", "success", None, None),
        ("line 25", 7, 6, "claude-code", "Write", "success", "auto-approved", None)]
    assert call_table(parsed[SUB][0]) == [
        ("line 2", 1, None, "a5e0c1d2b3a4f5061", "Grep", "success", None, None),
        ("line 4", 2, 1, "a5e0c1d2b3a4f5061", "Bash", "success", None, None)]
    assert call_table(parsed[RESUMED][0]) == [
        ("line 5", 1, None, "claude-code", "Read", "success", None, None),
        ("line 8", 1, None, "claude-code", "Bash", "success", None, None)]
    assert [(i.locator, i.problem) for i in parsed[MAIN][1]] == [
        ("line 29", "1 record of unknown type x-telemetry (not read)")]
    assert parsed[SUB][1] == [] and parsed[RESUMED][1] == []
    check_golden("agent_shapes/claude_code_project.json",
                 {name: projection(*found) for name, found in parsed.items()})


def test_project_turns_commands_and_instructions():
    events, _ = parse_folder(PARSER, PROJECT, "*.jsonl")[MAIN]
    rows = [(e.ref.locator, e.source, e.attrs.get("turn_kind"),
             (e.attrs.get("text") or e.attrs.get("command") or "")[:24]) for e in events
            if e.source in ("agent:prompt", "agent:human_command", "agent:instructions")]
    assert rows == [
        ("line 3", "agent:prompt", "system-injected", "<system-reminder>\nAs you"),
        ("line 3", "agent:instructions", None, "# Ledger\n\nReconcile code"),
        ("line 4", "agent:prompt", "human-typed", "The nightly reconcile jo"),
        ("line 7", "agent:human_command", None, "git log --oneline -2"),
        ("line 13", "agent:prompt", "human-typed", "Use Decimal there, not r"),
        ("line 18", "agent:prompt", "system-injected", "[Request interrupted by "),
        ("line 20", "agent:prompt", "compaction-summary", "This session is being co"),
        ("line 22", "agent:prompt", "human-typed", "Run the tests again and "),
        ("line 27", "agent:prompt", "system-injected", "ruff: 0 problems in src/")]
    write = [e for e in events if e.source == "agent:tool_call"][-1]
    assert (write.attrs["approval_ref"]["locator"], write.attrs["approval_policy"],
            write.attrs["cwd"]) == ("line 22", "acceptEdits", "/home/dev/ledger")


def test_truncated_transcript_gives_located_issues_and_keeps_the_rest():
    data = (PROJECT / MAIN).read_bytes()
    lines = data.split(b"\n")
    cut = b"\n".join(lines[:15] + [lines[15][:120]])         # line 16 cut mid-record
    items = parse_bytes(PARSER, cut)
    well_formed(items)
    issues = [(i.locator, i.problem[:12]) for i in items if isinstance(i, ParseIssue)]
    assert issues == [("line 16", "truncated JS")]
    assert [e.step for e in items if isinstance(e, Event) and e.source ==
            "agent:tool_call"] == [1, 2, 3, 4]


def test_a_result_whose_call_is_missing_is_reported_and_kept():
    data = (PROJECT / SUB).read_bytes().split(b"\n")
    items = parse_bytes(PARSER, b"\n".join(data[:1] + data[2:]))     # the Grep call dropped
    orphans = [(i.locator, i.problem[:30]) for i in items if isinstance(i, ParseIssue)]
    assert orphans == [("line 2", "result for call toolu_63a0c1af")]
    assert [(e.ref.locator, e.step, e.attrs.get("unmatched")) for e in items
            if isinstance(e, Event) and e.source == "agent:tool_result"] == \
        [("line 2", None, True), ("line 4", 1, None)]


@PROPERTY
@given(st.randoms(use_true_random=False))
def test_shuffled_project_records_never_raise(rnd: random.Random):
    for name in (MAIN, SUB, RESUMED):
        lines = (PROJECT / name).read_bytes().splitlines()
        rnd.shuffle(lines)
        items = parse_bytes(PARSER, b"\n".join(lines))
        well_formed(items)
        calls = [e for e in items if isinstance(e, Event) and e.source == "agent:tool_call"]
        per_session: dict = {}
        for call in calls:
            per_session.setdefault(call.session, []).append(call.step)
        assert all(sorted(steps) == list(range(1, len(steps) + 1))
                   for steps in per_session.values())


def test_the_generator_reproduces_the_committed_fixtures():
    rendered, on_disk = rendered_and_committed(PROJECT)
    assert sorted(rendered) == sorted(on_disk)
    for name, text in rendered.items():
        assert text == on_disk[name], f"{name} differs: run generate.py"
