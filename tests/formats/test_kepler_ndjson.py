"""The kepler NDJSON parsers: trace, prompt-vs-action corpus, accountability, network flows."""

from __future__ import annotations

import json

from kepler_pack import (ACCOUNTABILITY, DIVERGENCE, NETWORK, TRACE, pack, parse, parse_file,
                         replace_line, sniffed_by, source_of, variant)

from tracehound.model import Event, ParseIssue, line_ref
from tracehound.taxonomy import classify_action

SESSION = "sess-7f3c2a9e-41b0-4d6f-9a2e-5c8b1d0e4f21"
AGENT = "kepler-sre-agent-01"
ROLE_SESSION = ("arn:aws:sts::418295730166:assumed-role/SyntheticKeplerSREAgentRole/"
                "kepler-sre-agent-01-7f3c2a9e")
CLAIMS = "exports/2026-q1-claims-export.csv"


def raw_line(name: str, number: int) -> dict:
    return json.loads((pack() / name).read_text(encoding="utf-8").splitlines()[number - 1])


# ----------------------------------------------------------------------------- trace


def test_trace_sniffs_and_parses_every_step_with_line_locators():
    events, issues, source = parse_file("agent-tool-call-ndjson", TRACE)
    assert sniffed_by(source) == "agent-tool-call-ndjson"
    assert issues == []
    assert [e.ref.locator for e in events] == [f"line {n}" for n in range(1, 27)]
    assert [e.step for e in events] == list(range(1, 27))
    assert {e.source for e in events} == {"agent:tool_call"}
    assert events[0].time == "2026-04-12T14:00:00Z" and events[-1].time == "2026-04-12T14:08:30Z"


def test_trace_parent_links_put_the_exfil_branch_four_levels_deep():
    events, _, _ = parse_file("agent-tool-call-ndjson", TRACE)
    parent = {e.step: e.parent_step for e in events}

    def depth(step):
        return 0 if parent[step] is None else 1 + depth(parent[step])

    assert [depth(13), depth(14)] == [4, 4]
    assert max(depth(s) for s in parent) == 4
    assert [e.outcome for e in events if e.outcome != "success"] == ["failure", "failure"]


def test_trace_event_13_full_field_set():
    events, _, source = parse_file("agent-tool-call-ndjson", TRACE)
    raw = raw_line(TRACE, 13)
    assert events[12] == Event(
        ref=line_ref(source.sha256, 13), source="agent:tool_call",
        time="2026-04-12T14:04:06Z", action="aws.s3.get-object", action_class="read",
        actor_id=AGENT, actor_kind="agent",
        target_id=f"s3://kepler-payments-prod/{CLAIMS}", target_type="object",
        outcome="success", session=SESSION, step=13, parent_step=10, approver=None,
        bytes_in=4837216, bytes_out=None,
        attrs={"tool_call_id": raw["tool_call_id"], "tool": "aws.s3.get-object",
               "arguments": {"Bucket": "kepler-payments-prod", "Key": CLAIMS,
                             "outfile": "/tmp/agent-work/2026-q1-claims-export.csv"},
               "runtime": "kepler-ndjson",
               "result_text": f"downloaded s3://kepler-payments-prod/{CLAIMS} (4837216 bytes)",
               "model": "claude-sonnet-4-5-20250929", "credential": ROLE_SESSION,
               "is_error": False, "server": "mcp-aws-s3"},
        raw=raw)


def test_trace_targets_for_non_s3_calls():
    events, _, _ = parse_file("agent-tool-call-ndjson", TRACE)
    by_step = {e.step: e for e in events}
    assert by_step[1].target_id.endswith(":role/agents/SyntheticKeplerSREAgentRole")
    assert (by_step[17].target_id, by_step[17].action_class) == (
        "kepler-s3-lifecycle-tagger", "persistence")
    assert by_step[18].target_id == "kepler-s3-lifecycle-tagger-hourly"
    assert by_step[8].attrs["error_code"] == "NoSuchTagSet"


def test_trace_corrupt_line_is_one_issue_and_the_rest_parse(tmp_path):
    data = replace_line((pack() / TRACE).read_bytes(), 5, b'{"step_index": 5, "tool": ')
    events, issues = parse("agent-tool-call-ndjson", variant(tmp_path, TRACE, data))
    assert len(events) == 25
    assert [(i.locator, i.problem.split(":")[0]) for i in issues] == [("line 5",
                                                                      "truncated JSON")]


def test_trace_record_problems_are_issues_with_their_line(tmp_path):
    lines = (pack() / TRACE).read_bytes().split(b"\n")
    no_tool = json.loads(lines[1])
    del no_tool["tool"]
    bad_time = json.loads(lines[2])
    bad_time["timestamp"] = "yesterday"
    lines[1], lines[2] = json.dumps(no_tool).encode(), json.dumps(bad_time).encode()
    events, issues = parse("agent-tool-call-ndjson", variant(tmp_path, TRACE, b"\n".join(lines)))
    assert [(i.locator, i.problem) for i in issues] == [
        ("line 2", "record has no tool"), ("line 3", "unreadable timestamp 'yesterday'")]
    assert len(events) == 25 and events[1].step == 3 and events[1].time is None


# ----------------------------------------------------------------------------- divergence


def test_divergence_rows_and_markers():
    events, issues, source = parse_file("agent-divergence-ndjson", DIVERGENCE)
    assert sniffed_by(source) == "agent-divergence-ndjson"
    assert issues == []
    assert [e.ref.locator for e in events] == [f"line {n}" for n in range(1, 27)]
    assert [e.step for e in events if e.attrs["divergence"]] == [10, 13, 14, 17]
    assert {e.source for e in events} == {"agent:intent"}


def test_divergence_stated_intent_matches_the_action_class_except_on_marked_rows():
    events, _, _ = parse_file("agent-divergence-ndjson", DIVERGENCE)
    agree = {e.step for e in events
             if classify_action(e.attrs["stated_intent"]) == e.action_class}
    assert sorted(set(range(1, 27)) - agree) == [10, 13, 14, 17]


def test_divergence_event_13_full_field_set():
    events, _, source = parse_file("agent-divergence-ndjson", DIVERGENCE)
    raw = raw_line(DIVERGENCE, 13)
    assert events[12] == Event(
        ref=line_ref(source.sha256, 13), source="agent:intent", time="2026-04-12T14:04:06Z",
        action="aws.s3.get-object", action_class="read", actor_id=None, actor_kind="unknown",
        target_id=f"s3://kepler-payments-prod/{CLAIMS}", session=SESSION, step=13,
        attrs={"tool_call_id": raw["tool_call_id"], "stated_intent": "tag expired buckets",
               "actual_action": "aws.s3.get-object",
               "divergence": "stated intent is tagging; the call downloaded object contents "
                             "from kepler-payments-prod",
               "intent_source": "agent-plan-summary"},
        raw=raw)


def test_divergence_corrupt_line(tmp_path):
    data = replace_line((pack() / DIVERGENCE).read_bytes(), 10, b'{"row": 10,, "x": 1}')
    events, issues = parse("agent-divergence-ndjson", variant(tmp_path, DIVERGENCE, data))
    assert len(events) == 25
    assert [i.locator for i in issues] == ["line 10"]
    assert issues[0].problem.startswith("invalid JSON")


# ----------------------------------------------------------------------------- accountability


def test_accountability_only_the_handshake_has_an_approver():
    events, issues, source = parse_file("agent-accountability-ndjson", ACCOUNTABILITY)
    assert sniffed_by(source) == "agent-accountability-ndjson"
    assert issues == [] and len(events) == 26
    assert [(e.step, e.approver) for e in events if e.approver] == [
        (1, "taylor.keel@kepler-insurance.example")]
    assert {e.attrs["deployer_status"] for e in events[1:]} == {"offline"}


def test_accountability_event_14_full_field_set():
    events, _, source = parse_file("agent-accountability-ndjson", ACCOUNTABILITY)
    raw = raw_line(ACCOUNTABILITY, 14)
    assert events[13] == Event(
        ref=line_ref(source.sha256, 14), source="agent:approval", time="2026-04-12T14:04:44Z",
        action="aws.s3.get-object", action_class="read", actor_id=AGENT, actor_kind="agent",
        session=SESSION, step=14, approver=None,
        attrs={"tool_call_id": raw["tool_call_id"], "approver_status": "none",
               "deployer": "taylor.keel@kepler-insurance.example", "deployer_status": "offline",
               "deployer_last_seen": "2026-04-12T14:00:04Z", "approval_method": None,
               "execution_mode": "autonomous"},
        raw=raw)


def test_accountability_corrupt_line(tmp_path):
    data = replace_line((pack() / ACCOUNTABILITY).read_bytes(), 3, b'["not", "an", "object"]')
    events, issues = parse("agent-accountability-ndjson", variant(tmp_path, ACCOUNTABILITY, data))
    assert len(events) == 25
    assert [(i.locator, i.problem) for i in issues] == [
        ("line 3", "expected a JSON object, found list")]


# ----------------------------------------------------------------------------- network


def test_network_rows_6_and_7_are_the_downloads():
    events, issues, source = parse_file("agent-network-ndjson", NETWORK)
    assert sniffed_by(source) == "agent-network-ndjson"
    assert issues == [] and len(events) == 12
    big = [(e.ref.locator, e.step, e.attrs["object_key"], e.bytes_out) for e in events
           if e.bytes_out > 1_000_000]
    assert big == [("line 6", 13, CLAIMS, 4837652),
                   ("line 7", 14, "exports/member-roster-2026-04.csv", 3291940)]
    assert all(e.bytes_out < 10_000 for e in events[:5])
    assert {e.attrs["dest_ip"] for e in events} == {"198.51.100.24"}


def test_network_event_line_6_full_field_set():
    events, _, source = parse_file("agent-network-ndjson", NETWORK)
    raw = raw_line(NETWORK, 6)
    url = f"https://kepler-payments-prod.s3.us-east-1.amazonaws.com/{CLAIMS}"
    assert events[5] == Event(
        ref=line_ref(source.sha256, 6), source="agent:network", time="2026-04-12T14:04:06Z",
        action="egress-flow", action_class="egress", actor_id=AGENT, actor_kind="agent",
        target_id=url, target_type="url", outcome="success", session=SESSION, step=13,
        bytes_in=1448, bytes_out=4837652,
        attrs={"dest_host": "agent-runtime-01.ops.kepler-insurance.example",
               "dest_ip": "198.51.100.24", "dest_port": 41042,
               "src_host": "kepler-payments-prod.s3.us-east-1.amazonaws.com",
               "src_ip": "52.217.161.90", "src_port": 443, "method": "GET", "url": url,
               "object_key": CLAIMS, "bucket": "kepler-payments-prod",
               "tool_call_id": raw["tool_call_id"], "tool_call_ids": [raw["tool_call_id"]],
               "steps": [13], "request_count": 1, "direction": "egress", "protocol": "tls1.3",
               "flow_id": "7f3c2a9e-f006", "end_time": "2026-04-12T14:04:09Z"},
        raw=raw)


def test_network_multi_request_row_keeps_every_call():
    events, _, _ = parse_file("agent-network-ndjson", NETWORK)
    row = events[1]
    assert row.attrs["steps"] == [2, 4, 5, 6, 7, 8, 9]
    assert len(row.attrs["tool_call_ids"]) == 7 and row.outcome is None   # one 404 among 200s


def test_network_corrupt_line(tmp_path):
    data = replace_line((pack() / NETWORK).read_bytes(), 7, b'{"flow_id": "x"')
    events, issues = parse("agent-network-ndjson", variant(tmp_path, NETWORK, data))
    assert len(events) == 11
    assert [i.locator for i in issues] == ["line 7"]
    assert issues[0].problem.startswith("truncated JSON")


def test_ndjson_sniffs_do_not_claim_each_other():
    names = {name: sniffed_by(source_of(pack() / name))
             for name in (TRACE, DIVERGENCE, ACCOUNTABILITY, NETWORK)}
    assert names == {TRACE: "agent-tool-call-ndjson", DIVERGENCE: "agent-divergence-ndjson",
                     ACCOUNTABILITY: "agent-accountability-ndjson",
                     NETWORK: "agent-network-ndjson"}


def test_undecodable_bytes_are_one_located_issue(tmp_path):
    events, issues = parse("agent-tool-call-ndjson", variant(tmp_path, TRACE, b"\xff\xfe{\n"))
    assert events == []
    assert issues == [ParseIssue(TRACE, "line 1", "invalid JSON: Expecting value at column 1")]
