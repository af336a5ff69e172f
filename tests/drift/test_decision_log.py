"""Decision logs (seed 003 T3, CONTRACT.md): NDJSON, one decision a line."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from tracehound.evidence import sha256_file
from tracehound.formats.base import Source
from tracehound.formats.drift.decision_log import DecisionLogParser
from tracehound.model import Event, ParseIssue

FIXTURE_CHECK = HealthCheck.function_scoped_fixture      # tmp_path is reused across examples
from tracehound.sniff import sniff

PARSER = DecisionLogParser()
CONTRACT_LINE = {"decision_id": "d-000123", "time": "2026-03-02T10:15:00Z",
                 "agent_id": "hr-policy-assistant", "agent_version": "1.3.0",
                 "confidence_band": "high", "routing": "auto", "action_result": "executed",
                 "policy_ids": ["DLP-7"],
                 "tool_calls": [{"tool": "SharePointSearch", "operation": "read"}]}


def source(path: Path, lines: list) -> Source:
    path.write_text("".join((l if isinstance(l, str) else json.dumps(l)) + "\n" for l in lines))
    return Source(path.name, path, sha256_file(path), path.stat().st_size)


def test_the_contract_line_becomes_one_event(tmp_path):
    src = source(tmp_path / "decisions.ndjson", [CONTRACT_LINE])
    assert sniff(src).parser.name == "decision-log"
    [event] = list(PARSER.parse(src))
    assert (event.source, event.time, event.actor_id, event.actor_kind, event.action,
            event.action_class, event.outcome, event.ref.locator, event.target_id) == (
        "decision:log", "2026-03-02T10:15:00Z", "hr-policy-assistant", "agent", "decision",
        "read", "success", "line 1", "SharePointSearch")
    assert event.attrs == {
        "decision_id": "d-000123", "agent_version": "1.3.0", "confidence_band": "high",
        "routing": "auto", "action_result": "executed", "action_category": None,
        "policy_ids": ["DLP-7"],
        "policies": [{"resource_index": None, "id": "DLP-7", "name": "DLP-7", "blocked": False}],
        "policy_hit": True,
        "tool_calls": [{"index": 0, "tool": "SharePointSearch", "operation": "read"}],
        "audit_record_id": None, "ticket_id": None, "ticket_opened": None,
        "ticket_resolved": None}


def test_tickets_blocks_and_bad_lines(tmp_path):
    blocked = dict(CONTRACT_LINE, decision_id="d-2", action_result="blocked",
                   ticket={"id": "INC-1", "opened": "2026-03-02T10:20:00Z"},
                   tool_calls=["WebSearch", {"tool": "Exec", "operation": "EXECUTE"}])
    flat = dict(CONTRACT_LINE, decision_id="d-3", ticket_id="INC-2",
                ticket_resolved="2026-03-02T12:00:00+01:00")
    src = source(tmp_path / "d.ndjson", [blocked, "{not json", {"agent_id": "a", "routing": "x"},
                                         flat])
    items = list(PARSER.parse(src))
    events = [i for i in items if isinstance(i, Event)]
    issues = [(i.locator, i.problem) for i in items if isinstance(i, ParseIssue)]
    assert [e.ref.locator for e in events] == ["line 1", "line 4"]
    assert issues[0][0] == "line 2"
    assert issues[1] == ("line 3", "decision has no decision_id; skipped")
    first, last = events
    assert (first.outcome, first.action_class, first.attrs["ticket_id"],
            first.attrs["ticket_opened"]) == ("blocked", "execute", "INC-1", "2026-03-02T10:20:00Z")
    assert first.attrs["policies"][0]["blocked"] is True
    assert [c["operation"] for c in first.attrs["tool_calls"]] == [None, "execute"]
    assert (last.attrs["ticket_id"], last.attrs["ticket_resolved"]) == ("INC-2",
                                                                        "2026-03-02T11:00:00Z")


def test_the_sniff_wants_decision_records(tmp_path):
    other = source(tmp_path / "x.ndjson", [{"decision_id": "d", "agent_id": "a"}])
    assert sniff(other).parser is None or sniff(other).parser.name != "decision-log"


@settings(max_examples=60, deadline=None, suppress_health_check=[FIXTURE_CHECK])
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_raise_and_issues_have_line_locators(tmp_path, data):
    path = tmp_path / "fuzz.ndjson"
    path.write_bytes(data)
    src = Source(path.name, path, sha256_file(path), len(data))
    for item in PARSER.parse(src):
        if isinstance(item, ParseIssue):
            assert item.locator.startswith("line ")
