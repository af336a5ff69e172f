"""CloudTrail parser: Records files, lookup-events output, NDJSON (incl. plaso's real sample)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from cloud_support import assert_located, parse_bytes, sniff_and_parse
from tracehound.formats.cloud.cloudtrail import CloudTrailParser
from tracehound.model import Event, ParseIssue, pointer_ref
from shared_data import PLASO_SAMPLES

HERE = Path(__file__).resolve().parents[1]
FIXTURES = HERE / "fixtures" / "cloud" / "cloudtrail"
PLASO = PLASO_SAMPLES / "aws_cloudtrail.jsonl"
PARSER = CloudTrailParser()



def test_records_file_one_event_per_record_with_pointer_locators():
    events, issues, name, _ = sniff_and_parse(FIXTURES / "attack_trail.json")
    assert name == "aws-cloudtrail" and issues == []
    assert [e.ref.locator for e in events] == [f"json:/Records/{n}" for n in range(36)]
    assert {e.source for e in events} == {"aws:cloudtrail"}
    assert [e.action for e in events[5:8]] == ["CreateAccessKey", "CreateLoginProfile",
                                               "AttachUserPolicy"]


def test_create_access_key_full_field_set():
    events, _, _, sha = sniff_and_parse(FIXTURES / "attack_trail.json")
    record = json.loads((FIXTURES / "attack_trail.json").read_text())["Records"][5]
    assert events[5] == Event(
        ref=pointer_ref(sha, "Records", 5), source="aws:cloudtrail",
        time="2024-03-11T09:01:10Z", action="CreateAccessKey",
        action_class="permission-change",
        actor_id="arn:aws:iam::111122223333:user/ci-deploy", actor_kind="human",
        target_id="svc-backup", target_type="iam-user", outcome="success",
        attrs={"event_source": "iam.amazonaws.com", "event_name": "CreateAccessKey",
               "event_id": record["eventID"], "event_type": "AwsApiCall",
               "aws_region": "us-east-1", "source_ip": "203.0.113.50",
               "client_ip": "203.0.113.50", "user_agent": record["userAgent"],
               "user_identity_type": "IAMUser",
               "principal_arn": "arn:aws:iam::111122223333:user/ci-deploy",
               "principal_id": record["userIdentity"]["principalId"],
               "account_id": "111122223333", "user_id": "ci-deploy",
               "access_key_id": "AKIAIOSFODNN7EXAMPLE",
               "request_parameters": {"userName": "svc-backup"},
               "response_elements": record["responseElements"], "read_only": False,
               "recipient_account_id": "111122223333"},
        raw=record)


def test_failed_call_and_console_login_outcomes():
    events, _, _, _ = sniff_and_parse(FIXTURES / "attack_trail.json")
    by_locator = {e.ref.locator: e for e in events}
    denied = by_locator["json:/Records/8"]
    assert (denied.action, denied.outcome, denied.attrs["error_code"]) == (
        "DeleteTrail", "failure", "AccessDenied")
    login = by_locator["json:/Records/29"]
    assert (login.action_class, login.outcome, login.target_id) == (
        "authentication", "success", None)
    root = by_locator["json:/Records/33"]
    assert (root.actor_id, root.attrs["user_identity_type"]) == (
        "arn:aws:iam::111122223333:root", "Root")


def test_lookup_events_decodes_cloudtrail_event_and_reports_a_broken_one():
    events, issues, name, sha = sniff_and_parse(FIXTURES / "lookup_events.json")
    assert name == "aws-cloudtrail"
    assert [e.ref.locator for e in events] == ["json:/Events/0", "json:/Events/1",
                                               "json:/Events/2"]
    assert [e.action for e in events] == ["StopLogging", "CreateAccessKey", "GetCallerIdentity"]
    assert events[0].raw["eventTime"] == "2024-03-11T09:04:17Z"
    assert events[0].attrs["aws_region"] == "us-east-1"
    # the third CloudTrailEvent string is cut short: an issue, and an event from the envelope
    assert issues == [ParseIssue(str(FIXTURES / "lookup_events.json"), "json:/Events/2",
                                 "CloudTrailEvent is not a JSON object; event built from the "
                                 "lookup-events envelope only")]
    assert (events[2].time, events[2].actor_id, events[2].attrs.get("aws_region")) == (
        "2024-03-11T08:58:03Z", "ci-deploy", None)


def test_ndjson_with_eventbridge_wrapper_corrupt_line_and_foreign_record():
    events, issues, name, _ = sniff_and_parse(FIXTURES / "trail.ndjson")
    assert name == "aws-cloudtrail"
    assert [e.ref.locator for e in events] == ["line 1", "line 2", "line 3", "line 4", "line 6"]
    assert events[-1].action == "CreateLoginProfile"
    assert [(i.locator, i.problem.split(":")[0]) for i in issues] == [
        ("line 5", "invalid JSON"),
        ("line 7", "not a CloudTrail event")]


def test_plaso_lookup_events_ndjson_sample_parses():
    events, issues, name, _ = sniff_and_parse(PLASO)
    assert name == "aws-cloudtrail" and issues == []
    assert [(e.ref.locator, e.action) for e in events] == [
        ("line 1", "DescribeInstances"), ("line 2", "TerminateInstances"),
        ("line 3", "StopInstances"), ("line 4", "SharedSnapshotVolumeCreated"),
        ("line 5", "RunInstances"), ("line 6", "CreateSecurityGroup")]
    assert events[0].time == "2022-02-07T22:23:37Z"
    assert (events[3].actor_id, events[3].actor_kind, events[3].target_id) == (
        "ec2.amazonaws.com", "service-principal", "snap-0a9e1526b9b037a30")
    assert events[5].target_type == "security-group"


def test_sniff_leaves_other_json_alone(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"Records": [{"kind": "not cloudtrail"}]}))
    assert sniff_and_parse(path)[2] != "aws-cloudtrail"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400) | st.text(max_size=300).map(str.encode))
def test_never_raises_on_arbitrary_bytes_and_items_have_locators(data):
    assert_located(parse_bytes(PARSER, b'{"Records": [' + data if data[:1] == b"," else data))
