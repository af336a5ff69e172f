"""Execution graph joins, cross-export IOCs and the Timesketch timeline, on a real store."""

import csv
import io
import json

from builders import SHA_NET, SHA_TRACE, SHA_TRAIL, call, event, finding

from tracehound.correlate.graph import execution_graph, join_calls
from tracehound.correlate.ioc import correlate_iocs
from tracehound.correlate.timeline import (TIMESKETCH_REQUIRED, build_timeline,
                                           timesketch_rows, to_epoch_micros)
from tracehound.model import EvidenceFile
from tracehound.report.serialize import rows_csv
from tracehound.store import CaseStore

ROLE = "arn:aws:iam::111122223333:role/AgentRole"


def trail(line, name, time, session_name="agent-1-s-1", role="AgentRole"):
    return event("aws:cloudtrail", line, sha=SHA_TRAIL, action=name, time=time, attrs={
        "event_source": "s3.amazonaws.com", "event_name": name, "session_name": session_name,
        "principal_arn": f"arn:aws:sts::111122223333:assumed-role/{role}/{session_name}",
        "source_ip": "203.0.113.7", "request_parameters": {"bucketName": "pay", "key": "a.csv"}})


def test_join_needs_identity_and_operation_not_just_time():
    c = call(13, "aws.s3.get-object", credential=ROLE, time="2026-04-12T14:05:00Z")
    right = trail(1, "GetObject", "2026-04-12T14:05:02Z")
    other_role = trail(2, "GetObject", "2026-04-12T14:05:01Z", role="SomeoneElse")
    other_op = trail(3, "PutObject", "2026-04-12T14:05:00Z")
    too_late = trail(4, "GetObject", "2026-04-12T15:05:00Z")
    assert join_calls([c], [other_role, other_op, too_late, right]) == [(c, right)]
    assert join_calls([c], [other_role, other_op, too_late]) == []


def test_execution_graph_links_agent_session_steps_and_cloud_calls():
    c1 = call(1, "aws.s3.list-buckets", credential=ROLE, time="2026-04-12T14:00:00Z")
    c2 = call(2, "aws.s3.get-object", credential=ROLE, time="2026-04-12T14:01:00Z", parent=1)
    graph = execution_graph([c1, c2, trail(1, "GetObject", "2026-04-12T14:01:01Z")])
    kinds = sorted(n["kind"] for n in graph["nodes"])
    assert kinds == ["agent", "cloud-api-call", "session", "tool-call", "tool-call"]
    edges = {(e["from"], e["to"], e["kind"]) for e in graph["edges"]}
    assert ("step:s-1:1", "step:s-1:2", "called") in edges
    assert any(e[2] == "caused" and e[0] == "step:s-1:2" for e in edges)


def evidence(*shas):
    return [EvidenceFile(f"file-{s[0]}", s, 1, "f") for s in shas]


def test_iocs_need_two_exports_and_normalize_ips_and_keys():
    events = [
        call(13, "aws.s3.get-object", bucket="pay", object_key="a.csv", target_id=None),
        event("agent:network", 6, sha=SHA_NET, attrs={"dest_ip": "203.0.113.7",
              "bucket": "Pay", "object_key": "a.csv", "access_key_id": "AKIAEXAMPLEKEY123456"}),
        trail(1, "GetObject", "2026-04-12T14:05:02Z"),
        event("aws:cloudtrail", 2, sha=SHA_TRAIL, attrs={"source_ip": "203.0.113.7:4431",
              "access_key_id": "AKIAEXAMPLEKEY123456"}),
        event("agent:network", 7, sha=SHA_NET, attrs={"dest_ip": "198.51.100.1"}),
    ]
    with CaseStore() as store:
        store.load_events(events)
        iocs = correlate_iocs(store, evidence(SHA_TRACE, SHA_NET, SHA_TRAIL))
    by = {(i["type"], i["value"]): i for i in iocs}
    assert ("ip", "203.0.113.7") in by and by[("ip", "203.0.113.7")]["files"] == 2
    assert ("ip", "198.51.100.1") not in by
    assert by[("bucket", "pay")]["files"] == 3
    assert by[("object", "a.csv")]["files"] == 3
    keys = [i for i in iocs if i["type"] == "access_key"]
    assert len(keys) == 1 and "EXAMPLEKEY" not in keys[0]["value"]
    assert keys[0]["value"].startswith("AKIA…3456 (sha256:")
    sightings = by[("ip", "203.0.113.7")]["sightings"]
    assert {s["locator"] for s in sightings} == {"line 6", "line 1", "line 2"}


def test_single_export_has_no_cross_export_iocs():
    with CaseStore() as store:
        store.load_events([call(1, "x", bucket="b"), call(2, "y", bucket="b")])
        assert correlate_iocs(store, evidence(SHA_TRACE)) == []


def test_timeline_orders_events_and_findings_and_fits_timesketch():
    events = [call(2, "b", time="2026-04-12T14:00:05Z"), call(1, "a", time="2026-04-12T14:00:00Z"),
              call(3, "c")]
    findings = [finding("exfiltration", step=2, line=2, time="2026-04-12T14:00:05Z",
                        statement="=HYPERLINK(\"http://x\")", actor="=cmd|' /C calc'!A0")]
    with CaseStore() as store:
        store.load_events(events)
        rows = build_timeline(store, findings, evidence(SHA_TRACE))
    assert [(r["kind"], r["step"]) for r in rows] == [("event", 1), ("event", 2),
                                                      ("finding", 2)]
    assert rows[0]["timestamp"] == to_epoch_micros("2026-04-12T14:00:00Z") == 1776002400000000
    ts = timesketch_rows(rows)
    assert ts[0]["datetime"] == "2026-04-12T14:00:00+00:00"
    text = rows_csv(list(rows[0]), ts)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert all(parsed[0][c] for c in TIMESKETCH_REQUIRED)
    assert parsed[2]["actor"] == "'=cmd|' /C calc'!A0"
    assert not any(v.startswith("=") for row in parsed for v in row.values())
    assert json.loads(json.dumps(ts)) == ts


def test_preservation_checklist_names_what_is_missing_with_the_window():
    from tracehound.correlate.preservation import checklist
    events = [call(1, "a", time="2026-04-12T14:00:00Z"), call(2, "b", time="2026-04-12T14:08:30Z"),
              event("agent:network", 1, sha=SHA_NET)]
    result = checklist(events, evidence(SHA_TRACE, SHA_NET))
    supplied = {s["artifact"]: s["evidence"] for s in result["supplied"]}
    assert supplied == {"agent tool-call trace for the session": ["file-1"],
                        "agent network / egress log": ["file-2"]}
    mcp = next(m for m in result["missing"] if m["artifact"].startswith("MCP server logs"))
    assert mcp["note"] == ("none supplied for session s-1 (2026-04-12T14:00:00Z to "
                           "2026-04-12T14:08:30Z)")
    assert len(result["missing"]) == 8
