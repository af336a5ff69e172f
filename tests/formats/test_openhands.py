"""OpenHands event streams and evaluation / resolver output -> events: steps, approvals from
confirmation_state, turns, human terminal commands, orphans, truncation, sniffing, and the
never-raise properties."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, strategies as st

from agent_runtime_support import (
    REAL, at, calls, claims, files_of_others, issue_rows, parse_file, ref_of,
    rendered_fixtures, well_formed,
)
from agent_shapes_support import (
    AGENT_FIXTURES, PROPERTY, by_source, encode, fields, json_values, parse_bytes, projection,
)
from goldens import check_golden
from tracehound.sniff import sniff

PARSER = "openhands"
HERE = AGENT_FIXTURES / "openhands"
RUNAWAY, BENIGN, CORRUPT = HERE / "runaway.json", HERE / "benign.jsonl", HERE / "corrupt.jsonl"
REAL_FILE = REAL / "openhands" / "Python_OpenHands-output.jsonl"
ZONELESS = "times carry no zone; left empty (give --tz ZONE to read them in a zone)"


def test_generator_reproduces_the_committed_fixtures():
    rendered, on_disk = rendered_fixtures("openhands")
    assert rendered == on_disk


# ----------------------------------------------------------------------------- event stream


def test_runaway_stream_steps_in_order():
    events, issues = parse_file(PARSER, RUNAWAY)
    assert issue_rows(issues) == [("json:/0", ZONELESS)]
    assert by_source(events) == {"agent:human_command": 1, "agent:instructions": 1,
                                 "agent:prompt": 2, "agent:session": 1, "agent:tool_call": 8,
                                 "agent:tool_result": 7}
    rows = [(e.ref.locator, e.step, e.action, e.outcome, e.attrs.get("approval"),
             (e.attrs.get("approval_ref") or {}).get("locator")) for e in calls(events)]
    assert rows == [
        ("json:/4", 1, "run", "failure", "auto-approved", "json:/4"),
        ("json:/6", 2, "read", "success", None, None),
        ("json:/8", 3, "edit", "success", "auto-approved", "json:/8"),
        ("json:/10", 4, "run", "success", "auto-approved", "json:/10"),
        ("json:/15", 5, "run", "success", "approved", "json:/14"),
        ("json:/20", 6, "run", "rejected", "rejected", "json:/21"),
        ("json:/24", 7, "slack_post_message", "success", None, None),
        ("json:/26", 8, "finish", None, None, None)]
    check_golden("agent_shapes/openhands_runaway.json", projection(events, issues))


def test_confirmed_force_push_is_one_step_approved_by_the_human_decision():
    events, _ = parse_file(PARSER, RUNAWAY)
    push = at(events, "json:/15")
    assert fields(push) == {
        "locator": "json:/15", "source": "agent:tool_call", "time": None, "action": "run",
        "action_class": "other", "actor_id": "CodeActAgent", "actor_kind": "agent",
        "target_id": None, "target_type": None, "target_label": None, "outcome": "success",
        "session": f"openhands-{ref_of(RUNAWAY, '')['sha256'][:12]}", "step": 5,
        "parent_step": None, "approver": None, "bytes_in": None, "bytes_out": None,
        "attrs": {"approval": "approved", "approval_ref": ref_of(RUNAWAY, "json:/14"),
                  "arguments": {"blocking": False, "command": "git push --force origin main",
                                "confirmation_state": "confirmed", "hidden": False,
                                "is_input": False, "security_risk": 2},
                  "confirmation_state": "confirmed", "cwd": "/workspace/exporter",
                  "function_name": "execute_bash", "is_error": False,
                  "model": "claude-sonnet-4-20250514", "record_id": "15",
                  "runtime": "openhands", "security_risk": 2, "seq": 12, "tool": "run",
                  "tool_call_id": "toolu_05"}}
    # the copy recorded while awaiting confirmation (id 12) is not a second step
    assert [e for e in events if e.ref.locator == "json:/12"] == []


def test_rejected_action_stays_a_step_with_outcome_rejected():
    events, _ = parse_file(PARSER, RUNAWAY)
    removal = at(events, "json:/20")
    assert (removal.outcome, removal.target_id, removal.attrs["arguments"],
            removal.attrs["approval"], removal.attrs["approval_ref"]) == (
        "rejected", None, {"command": "rm -rf /workspace/exporter/.git/hooks",
                           "is_input": False, "blocking": False, "hidden": False,
                           "confirmation_state": "rejected", "security_risk": 2},
        "rejected", ref_of(RUNAWAY, "json:/21"))
    answer = at(events, "json:/21", "agent:tool_result")
    assert (answer.outcome, answer.step, answer.attrs["tool_call_id"]) == (
        "rejected", 6, "toolu_06")


def test_credential_read_keeps_its_output_on_the_result():
    events, _ = parse_file(PARSER, RUNAWAY)
    read = at(events, "json:/10")
    assert (read.attrs["arguments"]["command"], read.target_id, read.attrs["stated_intent"],
            read.attrs["security_risk"]) == (
        "cat ~/.aws/credentials", None,
        "The export uploads to S3; let me check which credentials the job uses.", 1)
    output = at(events, "json:/11", "agent:tool_result")
    assert "aws_access_key_id = AKIAQX3TRHFAKE7KEY42" in output.attrs["result_text"]


def test_turn_terminal_command_instructions_and_mcp_call():
    events, _ = parse_file(PARSER, RUNAWAY)
    turn = at(events, "json:/1", "agent:prompt")
    assert (turn.attrs["turn_kind"], turn.attrs["text"][-21:]) == (
        "human-typed", "Do not push anything.")
    typed = at(events, "json:/22", "agent:human_command")
    assert (typed.actor_kind, typed.step, typed.attrs["command"], typed.attrs["result_text"]) \
        == ("human", None, "git log --oneline -2",
            "5d6e7f8 Fix KeyError in region lookup\n1a2b3c4 Nightly export")
    rules = at(events, "json:/3", "agent:instructions")
    assert rules.attrs["text"] == "Run `make test` before committing. Never push to main."
    post = at(events, "json:/24")
    assert (post.action, post.attrs["arguments"], post.attrs["openhands_action"],
            post.target_id) == (
        "slack_post_message", {"channel": "#releases", "text": "exporter fixed and pushed to main"},
        "call_tool_mcp", None)


def test_times_are_read_in_the_zone_given():
    events, issues = parse_file(PARSER, RUNAWAY, tz="Europe/Berlin")
    assert issues == []
    assert RUNAWAY_EVENTS[4]["timestamp"] == "2026-02-03T10:15:05.350000"    # local, UTC+1
    assert at(events, "json:/4").time == "2026-02-03T09:15:05.35Z"


# ----------------------------------------------------------------------------- output JSONL


def test_benign_output_lines_are_sessions_with_framework_templates():
    events, issues = parse_file(PARSER, BENIGN)
    assert issue_rows(issues) == [("line 1", ZONELESS)]
    sessions = [(e.ref.locator, e.session.split(":", 1)[1]) for e in events
                if e.source == "agent:session"]
    assert sessions == [("line 1", "acme__calc-12"), ("line 2", "acme/site#41")]
    turns = [(e.ref.locator, e.attrs["turn_kind"], e.attrs["task_text"]) for e in events
             if e.source == "agent:prompt"]
    assert turns == [
        ("line 1", "framework-template",
         "divide() raises ZeroDivisionError instead of ValueError when b is 0"),
        ("line 2", "framework-template",
         "The README still links to the old docs site docs.acme.example/v1.")]
    assert [(e.session[-6:], e.step, e.action, e.outcome) for e in calls(events)] == [
        ("alc-12", 1, "run", "success"), ("alc-12", 2, "edit", "success"),
        ("alc-12", 3, "run", "success"), ("alc-12", 4, "finish", None),
        ("ite#41", 1, "run", "success")]
    check_golden("agent_shapes/openhands_benign.json", projection(events, issues))


def test_corrupt_output_issues_are_located_and_the_rest_is_read():
    events, issues = parse_file(PARSER, CORRUPT)
    assert issue_rows(issues) == [
        ("line 2", "truncated JSON: Expecting ',' delimiter at column 701"),
        ("line 3", "history entry is not an event object"),
        ("line 3", "1 records of unknown type ActionEvent (not read)"),
        ("line 3", "result for call event:6 whose call is not in this file (kept as an "
                   "unmatched result)"),
        ("line 1", ZONELESS)]
    orphan = [e for e in events if e.source == "agent:tool_result" and e.attrs.get("unmatched")]
    assert [(e.ref.locator, e.step, e.attrs["tool_call_id"]) for e in orphan] == [
        ("line 3", None, "event:6")]


def test_truncated_event_list_is_a_located_issue():
    text = RUNAWAY.read_text("utf-8")
    items = parse_bytes(PARSER, text[:len(text) // 3].encode())
    well_formed(items)
    assert [(i.locator, i.problem) for i in items] == [
        ("line 199", "invalid JSON: Unterminated string starting at at column 18"),
        ("file", "recognised as openhands, nothing read: no tool call and no human turn")]


# ----------------------------------------------------------------------------- per-event files


def _parse_named(name: str, value: dict) -> list:
    import hashlib
    from pathlib import Path as _Path
    from tracehound.formats import get
    from tracehound.formats.base import Source
    data = json.dumps(value).encode()
    source = Source(name, _Path("/nonexistent") / name, hashlib.sha256(data).hexdigest(),
                    len(data))
    source.__dict__["data"] = data
    items = list(get(PARSER).parse(source))
    well_formed(items)
    return items


def test_per_event_files_share_their_folder_session():
    action, answer = RUNAWAY_EVENTS[10], RUNAWAY_EVENTS[11]
    call_items = _parse_named("convs/abc123/events/10.json", action)
    result_items = _parse_named("convs/abc123/events/11.json", answer)
    assert [(i.source, i.session, i.ref.locator, i.attrs["tool_call_id"]) for i in call_items
            if hasattr(i, "source")] == [
        ("agent:tool_call", "openhands-abc123", "json:", "toolu_04")]
    assert [(i.source, i.session, i.attrs["tool_call_id"], i.attrs.get("unmatched"))
            for i in result_items if hasattr(i, "source")] == [
        ("agent:tool_result", "openhands-abc123", "toolu_04", True)]
    # a fragment is not a file read for nothing; the orphan and the zone are still said
    assert [(i.locator, i.problem) for i in result_items if not hasattr(i, "source")] == [
        ("json:", "result for call toolu_04 whose call is not in this file (kept as an "
                  "unmatched result)"), ("json:", ZONELESS)]
    system = _parse_named("convs/abc123/events/0.json", RUNAWAY_EVENTS[0])
    assert [i.attrs.get("runtime_version") for i in system
            if getattr(i, "source", "") == "agent:session"] == ["0.48.0"]


def test_a_state_change_file_is_the_agents_state_at_its_time():
    """A per-event file whose only event is an agent state change records when the agent
    waited or ran: one session record, not a file with nothing read. In a stream the same
    event adds nothing (the stream test counts one session record)."""
    state = RUNAWAY_EVENTS[13]
    assert state["observation"] == "agent_state_changed"
    items = _parse_named("convs/abc123/events/13.json", state)
    assert [(i.source, i.session, i.attrs["agent_state"]) for i in items
            if hasattr(i, "source")] == [
        ("agent:session", "openhands-abc123", "awaiting_user_confirmation")]
    orphan = _parse_named("convs/abc123/events/11.json", RUNAWAY_EVENTS[11])
    assert [i.notice for i in orphan if not hasattr(i, "source")] == [True, True]


def test_conversation_metadata_is_the_session_record():
    items = _parse_named("convs/abc123/metadata.json", {
        "conversation_id": "abc123", "selected_repository": "acme/exporter",
        "selected_branch": "main", "git_provider": "github", "title": "Fix export",
        "trigger": "gui", "created_at": "2026-02-03T09:14:00.5Z", "llm_model": None})
    assert [(i.source, i.session, i.time, {k: i.attrs[k] for k in (
        "conversation_id", "git_remote", "git_branch", "trigger", "title")})
        for i in items] == [
        ("agent:session", "openhands-abc123", "2026-02-03T09:14:00.5Z",
         {"conversation_id": "abc123", "git_remote": "acme/exporter", "git_branch": "main",
          "trigger": "gui", "title": "Fix export"})]


# ----------------------------------------------------------------------------- the real file


def _real_history() -> list[dict]:
    return json.loads(REAL_FILE.read_text("utf-8"))["history"]


def test_real_evaluation_output_reads_every_step():
    events, issues = parse_file(PARSER, REAL_FILE)
    assert issue_rows(issues) == [("json:/metadata/start_time", ZONELESS)]
    assert by_source(events) == {"agent:prompt": 1, "agent:session": 1,
                                 "agent:tool_call": 20, "agent:tool_result": 19}
    template = at(events, "json:/history/0", "agent:prompt")
    assert template.attrs["turn_kind"] == "framework-template"
    assert template.attrs["task_text"].startswith("[FEATURE] 需要个新接口：JSON.parseObject(")


JAVA = "/home/fastjson2/core/src/main/java/com/alibaba/fastjson2/JSON.java"


@pytest.mark.parametrize("position, tool, target, outcome, approval", [
    (1, "run", None, "success", "auto-approved"),
    (3, "read", JAVA, "success", None),
    (11, "edit", JAVA, "success", None),
    (19, "run", None, "failure", "auto-approved")], ids=["1-run", "3-read", "11-edit", "19-run"])
def test_real_steps_whole(position, tool, target, outcome, approval):
    events, _ = parse_file(PARSER, REAL_FILE)
    record = _real_history()[position]
    step = at(events, f"json:/history/{position}")
    expected_args = {k: v for k, v in record["args"].items() if k != "thought"}
    assert (step.action, step.target_id, step.outcome, step.attrs.get("approval"),
            step.attrs["arguments"], step.attrs["tool_call_id"], step.attrs["record_id"]) == (
        tool, target, outcome, approval, expected_args,
        record["tool_call_metadata"]["tool_call_id"], str(record["id"]))
    # an editor call's `command` is its sub-command, not a shell command: the effects layer
    # reads it as an edit of the path
    assert step.attrs.get("acts_as") == ({"tool": "edit", "arguments": {
        k: v for k, v in expected_args.items() if k != "command"}} if tool == "edit" else None)
    if approval:
        assert step.attrs["approval_ref"] == ref_of(REAL_FILE, f"json:/history/{position}")
    answer = at(events, f"json:/history/{position + 1}", "agent:tool_result")
    assert (answer.step, answer.attrs["result_text"]) == (
        step.step, _real_history()[position + 1]["content"])


# ----------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize("path", [RUNAWAY, BENIGN, CORRUPT, REAL_FILE], ids=lambda p: p.name)
def test_own_files_are_sniffed_as_openhands_and_by_nothing_else(path):
    from agent_runtime_support import source_of
    assert sniff(source_of(path)).parser.name == PARSER
    assert claims(path) == [PARSER]


def test_openhands_declines_every_other_fixture_and_real_file():
    others = files_of_others("openhands", "openhands")
    assert len(others) > 30
    assert [p.name for p in others if PARSER in claims(p)] == []


# ----------------------------------------------------------------------------- properties

KEYS = ["id", "timestamp", "source", "message", "cause", "action", "observation", "args",
        "content", "extras", "success", "tool_call_metadata", "history", "instruction",
        "instance_id", "confirmation_state", "command", "path", "agent_state", "kind"]
WORDS = ["user", "agent", "environment", "run", "read", "edit", "message", "user_rejected",
         "confirmed", "awaiting_confirmation", "user_confirmed", "recall", "2026-01-01T00:00"]


@PROPERTY
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_raise(data):
    well_formed(parse_bytes(PARSER, data))


@PROPERTY
@given(st.lists(json_values(KEYS, WORDS), max_size=6), st.booleans())
def test_arbitrary_records_never_raise(records, as_lines):
    well_formed(parse_bytes(PARSER, encode(records, as_lines)))


RUNAWAY_EVENTS = json.loads(RUNAWAY.read_text("utf-8"))


@PROPERTY
@given(st.randoms(use_true_random=False), st.sets(st.integers(0, len(RUNAWAY_EVENTS) - 1)))
def test_shuffled_and_thinned_streams_report_orphans(rng: random.Random, dropped):
    kept = [e for i, e in enumerate(RUNAWAY_EVENTS) if i not in dropped]
    rng.shuffle(kept)
    items = parse_bytes(PARSER, json.dumps(kept).encode())
    well_formed(items)

    def call_id(event: dict) -> str:
        return (event.get("tool_call_metadata") or {}).get("tool_call_id") or \
            f"event:{event.get('cause', event['id'])}"

    steps = [e for e in kept if "action" in e and e["source"] == "agent" and e["action"] not in (
        "message", "system", "recall", "change_agent_state")]
    answered = [e for e in kept if "observation" in e and e.get("cause") is not None and
                e["observation"] not in ("agent_state_changed", "recall")]
    actions = {e["id"]: e for e in kept if "action" in e}
    # an answer whose action is gone is an orphan unless a copy of the same call remains
    # (the awaiting-confirmation copy of a decided call has the same tool call id)
    orphaned = [e for e in answered if e["cause"] not in actions
                and call_id(e) not in {call_id(s) for s in steps}]
    orphans = [i for i in items if getattr(i, "problem", "").startswith("result for call")]
    assert sorted(i.problem.split()[3] for i in orphans) == sorted(call_id(e) for e in orphaned)
    results = [i for i in items if getattr(i, "source", "") == "agent:tool_result"]
    to_steps = [e for e in answered if e["cause"] not in actions or actions[e["cause"]] in steps]
    assert len(results) == len(to_steps)
