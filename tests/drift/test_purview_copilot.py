"""Purview CopilotInteraction records: CSV export, JSON array, NDJSON, Graph page."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from drift_builders import copilot, resource
from tracehound.evidence import sha256_file
from tracehound.formats.base import Sample, Source
from tracehound.formats.drift.purview_copilot import PurviewCopilotParser, policy
from tracehound.model import Event, ParseIssue

FIXTURE_CHECK = HealthCheck.function_scoped_fixture      # tmp_path is reused across examples
from tracehound.sniff import sniff

PARSER = PurviewCopilotParser()
HEADER = ["RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData",
          "AssociatedAdminUnits", "AssociatedAdminUnitsNames"]


def source(path: Path, data: bytes) -> Source:
    path.write_bytes(data)
    return Source(path.name, path, sha256_file(path), len(data))


def parse(src: Source) -> tuple[list[Event], list[ParseIssue]]:
    items = list(PARSER.parse(src))
    return ([i for i in items if isinstance(i, Event)],
            [i for i in items if isinstance(i, ParseIssue)])


def export_csv(*records: dict, bom: bool = True) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in records:
        writer.writerow([r["Id"], r["CreationTime"] + ".0000000Z", "261", "CopilotInteraction",
                         r["UserId"], json.dumps(r), "", ""])
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode()


RECORD = copilot("rec-1", "2026-03-02T10:15:00",
                 resource("Shared Documents/leave.docx", XPIADetected=True),
                 plugins=("SharePointSearch",))


def test_a_csv_export_row_becomes_one_event_with_every_field(tmp_path):
    src = source(tmp_path / "export.csv", export_csv(RECORD))
    assert sniff(src).parser.name == "purview-copilot"
    events, issues = parse(src)
    assert issues == [] and len(events) == 1
    event = events[0]
    assert (event.source, event.time, event.action, event.action_class) == (
        "copilot:interaction", "2026-03-02T10:15:00Z", "CopilotInteraction", "read")
    assert (event.actor_id, event.actor_kind, event.outcome, event.ref.locator) == (
        "hr-policy-assistant", "agent", "success", "row 1")
    assert event.target_id == ("https://contoso.sharepoint.com/sites/HRPolicies/"
                               "Shared Documents/leave.docx")
    assert event.attrs == {
        "record_id": "rec-1", "record_type": "261", "workload": "Copilot",
        "operation": "CopilotInteraction", "agent_id": "hr-policy-assistant",
        "agent_name": "HR Policy Assistant", "agent_version": "1.3.0",
        "user_id": "alice@contoso.com", "app_host": "Teams", "contexts": [],
        "plugins": ["SharePointSearch"],
        "resources": [{
            "index": 0, "id": event.target_id, "name": "leave.docx", "type": "File",
            "site_url": "https://contoso.sharepoint.com/sites/HRPolicies", "action": "Read",
            "status": "Success", "label_id": "a1b2c3d4-0000-4000-8000-00000000000c",
            "xpia": True, "policy_blocked": False, "blocked": False}],
        "policies": [], "policy_hit": False, "xpia_detected": True,
        "jailbreak_detected": False}


def test_key_casing_and_agent_fields_inside_copilot_event_data(tmp_path):
    record = {"creationTime": "2026-03-02T10:15:00Z", "id": "r", "operation": "CopilotInteraction",
              "copilotEventData": {"AGENTID": "Bot-7", "agentVersion": "2.0",
                                   "accessedResources": [{"id": "x", "STATUS": "Denied"}],
                                   "messages": [{"jailbreakDetected": "true"}]}}
    src = source(tmp_path / "r.json", json.dumps([record]).encode())
    events, _ = parse(src)
    event = events[0]
    assert (event.actor_id, event.attrs["agent_version"], event.outcome) == (
        "Bot-7", "2.0", "blocked")
    assert event.attrs["jailbreak_detected"] is True and event.ref.locator == "json:/0"


def test_ndjson_graph_pages_and_wrappers_are_read_with_their_locators(tmp_path):
    wrapped = {"auditData": json.dumps(RECORD), "operation": "copilotInteraction"}
    page = source(tmp_path / "page.json", json.dumps({"value": [wrapped, RECORD]}).encode())
    assert [e.ref.locator for e in parse(page)[0]] == ["json:/value/0", "json:/value/1"]
    lines = source(tmp_path / "r.ndjson", (json.dumps(RECORD) + "\n{broken\n"
                                           + json.dumps(RECORD) + "\n").encode())
    events, issues = parse(lines)
    assert [e.ref.locator for e in events] == ["line 1", "line 3"]
    assert [(i.locator, i.problem.split(":")[0]) for i in issues] == [("line 2", "invalid JSON")]


def test_a_record_that_is_not_a_copilot_interaction_is_an_issue(tmp_path):
    other = {"CreationTime": "2026-03-02T10:00:00", "Id": "x", "Operation": "FileAccessed",
             "RecordType": 6}
    src = source(tmp_path / "r.json", json.dumps([RECORD, other]).encode())
    events, issues = parse(src)
    assert len(events) == 1
    assert [(i.locator, i.problem) for i in issues] == [
        ("json:/1", "not a CopilotInteraction record (Operation FileAccessed); skipped")]


def test_the_sniff_leaves_a_mixed_audit_export_to_the_generic_parser(tmp_path):
    other = dict(RECORD, Operation="FileAccessed", RecordType=6, Id="x")
    other.pop("CopilotEventData")
    mixed = source(tmp_path / "mixed.json", json.dumps([other, RECORD]).encode())
    assert PARSER.sniff(Sample.of(mixed)) is None
    assert sniff(mixed).parser.name != "purview-copilot"
    assert PARSER.priority > 60          # ahead of the generic Unified Audit Log parser


def test_policy_details_say_whether_access_was_blocked():
    assert policy(0, {"PolicyName": "PII", "Rules": [{"Action": "Audit"}]})["blocked"] is False
    assert policy(0, {"PolicyId": "p", "Rules": [{"Actions": ["RestrictAccess"]}]})["blocked"]
    assert policy(0, {"PolicyName": "Block finance"})["blocked"]           # name only
    assert policy(0, {"PolicyName": "Block list audit", "Mode": "Audit"})["blocked"] is False
    assert policy(0, {"IsBlocked": True})["blocked"]
    assert policy(2, "Blocked by DLP") == {"resource_index": 2, "id": None,
                                           "name": "Blocked by DLP", "blocked": True}


@settings(max_examples=60, deadline=None, suppress_health_check=[FIXTURE_CHECK])
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes_never_raise_and_issues_have_locators(tmp_path, data):
    src = source(tmp_path / "fuzz.bin", data)
    for item in PARSER.parse(src):
        if isinstance(item, ParseIssue):
            assert item.locator.startswith(("line ", "row ", "json:"))


@settings(max_examples=40, deadline=None, suppress_health_check=[FIXTURE_CHECK])
@given(record=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from(
                               ["CopilotEventData", "AccessedResources", "PolicyDetails",
                                "AgentId", "Operation", "Status", "ID", "SiteUrl"]), inner,
                               max_size=4), max_leaves=12))
def test_any_json_shape_under_copilot_keys_parses_without_raising(tmp_path, record):
    wrapper = {"Operation": "CopilotInteraction", "CopilotEventData": record}
    src = source(tmp_path / "shape.json", json.dumps([wrapper]).encode())
    events, _ = parse(src)
    assert len(events) == 1
