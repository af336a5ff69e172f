"""Azure activity log parser: REST JSON array, {"value": [...]}, diagnostic export NDJSON and the
Python SDK shape of plaso's real sample."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from cloud_support import assert_located, parse_bytes, sniff_and_parse
from tracehound.formats.cloud.azure_activity import AzureActivityParser
from tracehound.model import Event, pointer_ref
from shared_data import PLASO_SAMPLES

HERE = Path(__file__).resolve().parents[1]
FIXTURES = HERE / "fixtures" / "cloud" / "azure"
PLASO = PLASO_SAMPLES / "azure_activity_log.jsonl"
SUB = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
PARSER = AzureActivityParser()



def test_rest_array_newest_first_one_event_per_record():
    events, issues, name, _ = sniff_and_parse(FIXTURES / "attack_activity.json")
    assert name == "azure-activity" and issues == []
    assert [e.ref.locator for e in events] == [f"json:/{n}" for n in range(22)]
    assert {e.source for e in events} == {"azure:activity"}
    assert events[0].time > events[-1].time


def test_role_assignment_begin_request_full_field_set():
    events, _, _, sha = sniff_and_parse(FIXTURES / "attack_activity.json")
    records = json.loads((FIXTURES / "attack_activity.json").read_text())
    record = records[17]
    resource = record["resourceId"]
    body = json.loads(record["properties"]["requestbody"])
    assert events[17] == Event(
        ref=pointer_ref(sha, 17), source="azure:activity", time="2024-03-11T10:02:11.123456Z",
        action="Microsoft.Authorization/roleAssignments/write",
        action_class="permission-change", actor_id="it-helpdesk@contoso.com",
        actor_kind="human", target_id=resource,
        target_type="Microsoft.Authorization/roleAssignments", outcome=None,
        session=record["correlationId"],
        attrs={"operation_name": "Microsoft.Authorization/roleAssignments/write",
               "operation_display": "Microsoft.Authorization/roleAssignments/write",
               "resource_id": resource, "caller": "it-helpdesk@contoso.com",
               "client_ip": "203.0.113.77", "caller_ip": "203.0.113.77", "status": "Started",
               "category": "Administrative", "level": "Informational",
               "event_name": "BeginRequest", "correlation_id": record["correlationId"],
               "operation_id": record["operationId"], "subscription_id": SUB,
               "resource_provider": "Microsoft.Authorization", "http_method": "PUT",
               "properties": record["properties"], "request_body": body,
               "tenant_id": record["tenantId"]},
        raw=record)


def test_end_request_outcomes_and_value_container():
    events, issues, name, _ = sniff_and_parse(FIXTURES / "benign_admin_day.json")
    assert name == "azure-activity" and issues == []
    assert events[0].ref.locator == "json:/value/0"
    assert [(e.attrs["status"], e.outcome) for e in events[:2]] == [
        ("Started", None), ("Succeeded", "success")]
    failed = sniff_and_parse(FIXTURES / "attack_activity.json")[0][14]
    assert (failed.attrs["status"], failed.outcome, failed.attrs["sub_status"]) == (
        "Failed", "failure", "Forbidden")


def test_diagnostic_export_ndjson_upper_case_names_and_corrupt_lines():
    events, issues, name, _ = sniff_and_parse(FIXTURES / "diagnostic_export.ndjson")
    assert name == "azure-activity"
    assert [e.ref.locator for e in events] == ["line 1", "line 2", "line 3", "line 5", "line 6",
                                               "line 7"]
    assert events[4].action == "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE"
    assert (events[4].actor_id, events[4].attrs["client_ip"], events[4].attrs["category"]) == (
        "it-helpdesk@contoso.com", "203.0.113.77", "Administrative")
    assert events[4].attrs["request_body"]["Properties"]["RoleDefinitionId"].endswith(
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635")
    assert [(i.locator, i.problem.split(":")[0]) for i in issues] == [
        ("line 4", "invalid JSON"), ("line 8", "not an Azure activity log record")]


def test_plaso_sdk_snake_case_sample_parses():
    events, issues, name, _ = sniff_and_parse(PLASO)
    assert name == "azure-activity" and issues == []
    assert [(e.ref.locator, e.action, e.actor_kind) for e in events] == [
        ("line 1", "Microsoft.Compute/disks/delete", "service-principal"),
        ("line 2", "Microsoft.Compute/virtualMachines/delete", "human"),
        ("line 3", "Microsoft.Compute/disks/write", "service-principal"),
        ("line 4", "Microsoft.Compute/virtualMachines/write", "human")]
    assert events[1].time == "2022-02-09T03:04:26.49265Z"
    assert (events[1].attrs["client_ip"], events[1].attrs["resource_group"],
            events[1].target_type) == ("1.2.3.4", "test-resource-group",
                                       "Microsoft.Compute/virtualMachines")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400) | st.text(max_size=300).map(str.encode))
def test_never_raises_on_arbitrary_bytes_and_items_have_locators(data):
    assert_located(parse_bytes(PARSER, data))
