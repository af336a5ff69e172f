"""CloudTrail shapes beyond the trail file: a bare JSON array of records (as Stratus Red Team
publishes its detonation logs), lookup-events output, and what the parser puts in attrs for
the session an assumed role works in (so tools need not read `raw`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from cloud_support import assert_located, parse_bytes, sniff_and_parse
from tracehound.formats.base import Sample, Source
from tracehound.formats.cloud.cloudtrail import CloudTrailParser
from tracehound.model import Event, ParseIssue

TESTS = Path(__file__).resolve().parents[1]
STRATUS = TESTS / "data" / "real" / "stratus"
STOLEN = STRATUS / "aws.credential-access.ec2-steal-instance-credentials.json"
PARSER = CloudTrailParser()


def without_ref(event: Event) -> dict:
    fields = asdict(event)
    fields.pop("ref")
    return fields


def bare_array(tmp_path: Path, wrapped: Path) -> Path:
    """The upstream shape of a stored Stratus file: its Records list alone."""
    path = tmp_path / wrapped.name
    path.write_text(json.dumps(json.loads(wrapped.read_text())["Records"], indent=3))
    return path


def record(name: str = "ListBuckets", **extra) -> dict:
    return {"eventVersion": "1.09", "eventName": name, "eventSource": "s3.amazonaws.com",
            "eventTime": "2024-08-02T08:23:24Z", "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.9", "userIdentity": {"type": "IAMUser",
                                                              "userName": "alice"}, **extra}


def claims(path: Path) -> list[str]:
    from tracehound.formats import all_parsers
    source = Source(str(path), path, "0" * 64, path.stat().st_size)
    sample = Sample.of(source)
    return [p.name for p in all_parsers() if p.sniff(sample)]


def test_a_bare_array_of_a_stratus_file_reads_like_the_records_file(tmp_path):
    wrapped, wrapped_issues, wrapped_name, _ = sniff_and_parse(STOLEN)
    events, issues, name, sha = sniff_and_parse(bare_array(tmp_path, STOLEN))
    assert name == wrapped_name == "aws-cloudtrail" and issues == wrapped_issues == []
    assert len(events) == 45
    assert [e.ref.locator for e in events] == [f"json:/{n}" for n in range(45)]
    assert {e.ref.sha256 for e in events} == {sha}
    assert [without_ref(e) for e in events] == [without_ref(e) for e in wrapped]


def test_an_instance_role_session_names_its_role_and_delivery_in_attrs():
    events, _, _, _ = sniff_and_parse(STOLEN)
    session = events[5]
    assert (session.action, session.attrs["user_identity_type"]) == (
        "GetCallerIdentity", "AssumedRole")
    assert {k: session.attrs[k] for k in ("session_issuer_arn", "session_issuer_type",
                                          "ec2_role_delivery", "session_name")} == {
        "session_issuer_arn": "arn:aws:iam::017622104382:role/"
                              "stratus-red-team-ec2-steal-credentials-role",
        "session_issuer_type": "Role", "ec2_role_delivery": "1.0",
        "session_name": "i-786a3A8B5C0d92eF4"}
    # an IAM user's call has no session issuer
    assert not {"session_issuer_arn", "session_issuer_type",
                "ec2_role_delivery"} & set(events[0].attrs)


def test_a_log_group_is_the_target_of_a_logs_call(tmp_path):
    path = tmp_path / "logs.json"
    path.write_text(json.dumps([record("DeleteLogGroup", eventSource="logs.amazonaws.com",
                                       requestParameters={"logGroupName": "/aws/vpc/flow"})]))
    events, issues, _, _ = sniff_and_parse(path)
    assert issues == [] and (events[0].target_id, events[0].target_type) == (
        "/aws/vpc/flow", "log-group")


def test_a_bare_array_of_lookup_events_envelopes_reads_each_cloudtrail_event(tmp_path):
    lookup = json.loads((TESTS / "fixtures" / "cloud" / "cloudtrail" / "lookup_events.json"
                         ).read_text())["Events"]
    path = tmp_path / "events.json"
    path.write_text(json.dumps(lookup[:2]))
    events, issues, name, _ = sniff_and_parse(path)
    assert name == "aws-cloudtrail" and issues == []
    assert [(e.ref.locator, e.action) for e in events] == [("json:/0", "StopLogging"),
                                                           ("json:/1", "CreateAccessKey")]


def test_an_array_of_other_records_is_not_cloudtrail(tmp_path):
    for value in ([{"kind": "not cloudtrail", "eventName": "x"}], [1, 2, 3], [[record()]], []):
        path = tmp_path / "other.json"
        path.write_text(json.dumps(value))
        assert "aws-cloudtrail" not in claims(path), value


def test_a_bare_array_is_claimed_by_cloudtrail_alone(tmp_path):
    assert claims(bare_array(tmp_path, STOLEN)) == ["aws-cloudtrail"]


def test_a_bad_element_is_one_located_issue_and_the_parse_goes_on(tmp_path):
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([record("ListBuckets"), 7, {"eventName": "GetObject"},
                                record("GetObject")]))
    events, issues, name, _ = sniff_and_parse(path)
    assert name == "aws-cloudtrail"
    assert [(e.ref.locator, e.action) for e in events] == [("json:/0", "ListBuckets"),
                                                           ("json:/3", "GetObject")]
    assert [(i.locator, i.problem) for i in issues] == [
        ("json:/1", "expected a JSON object, found int"),
        ("json:/2", "not a CloudTrail event: no eventName / eventSource")]


def test_a_large_bare_array_is_sniffed_from_its_head(tmp_path):
    head = json.dumps([record(), record()], indent=2)
    sample = Sample(text=head[:-10], size=100 * 1024 * 1024)        # too large to load
    assert PARSER.sniff(sample) == "large JSON array of CloudTrail events"
    lookup = (TESTS / "fixtures" / "cloud" / "cloudtrail" / "lookup_events.json").read_text()
    assert PARSER.sniff(Sample(text=lookup[:4096], size=100 * 1024 * 1024)) == (
        "large aws cloudtrail lookup-events output (Events with CloudTrailEvent)")
    assert PARSER.sniff(Sample(text='[{"eventName": "x", "kind": "y"}', size=1 << 27)) is None


# --- never raises on the new shapes --------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
IDENTITIES = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["AssumedRole", "IAMUser", "AWSService", "Root"]) | SCALARS,
    "arn": SCALARS, "principalId": SCALARS,
    "sessionContext": SCALARS | st.fixed_dictionaries({}, optional={
        "ec2RoleDelivery": SCALARS, "attributes": SCALARS | st.dictionaries(
            st.text(max_size=4), SCALARS, max_size=2),
        "sessionIssuer": SCALARS | st.dictionaries(st.sampled_from(["arn", "type", "userName"]),
                                                   SCALARS, max_size=3)})})
RECORDS = st.fixed_dictionaries({"eventName": SCALARS, "eventSource": SCALARS}, optional={
    "eventTime": SCALARS, "userIdentity": IDENTITIES | SCALARS, "sourceIPAddress": SCALARS,
    "requestParameters": SCALARS | st.dictionaries(
        st.sampled_from(["logGroupName", "roleName", "instancesSet"]), SCALARS, max_size=2),
    "readOnly": SCALARS, "errorCode": SCALARS})
ENVELOPES = st.builds(lambda r, text, name: {"EventId": "e", "EventName": name,
                                            "CloudTrailEvent": json.dumps(r) if text else r},
                      RECORDS, st.booleans(), SCALARS)
ELEMENTS = RECORDS | ENVELOPES | SCALARS | st.lists(SCALARS, max_size=2)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ELEMENTS, max_size=6), st.sampled_from(["bare", "lookup"]))
def test_never_raises_on_bare_arrays_and_lookup_output(elements, shape):
    document = elements if shape == "bare" else {"Events": elements}
    items = parse_bytes(PARSER, json.dumps(document).encode())
    assert_located(items)
    prefix = "json:/" if shape == "bare" else "json:/Events/"
    # every element is accounted for, in place: an event, an issue, or both (a lookup-events
    # envelope whose CloudTrailEvent is not a record)
    placed = {i.ref.locator if isinstance(i, Event) else i.locator for i in items}
    assert placed == {f"{prefix}{n}" for n in range(len(elements))}
    assert all(isinstance(i, (Event, ParseIssue)) for i in items)
