"""The CloudTrail tools read what they need from attrs, never from `raw`: events without their
raw record (a large source's, pipeline.RAW_IN_STORE_BYTES) give the same findings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from cloudtrail_builders import ACCOUNT, call, events, instance_session, role_session
from tracehound import pipeline
from tracehound.analyzers import Context, get
from tracehound.formats.cloud.cloudtrail import CloudTrailParser
from tracehound.formats.base import Source
from tracehound.model import Event, Finding
from tracehound.pipeline import Options, analyze

STOLEN = (Path(__file__).resolve().parents[2] / "data" / "real" / "stratus"
          / "aws.credential-access.ec2-steal-instance-credentials.json")
OUTSIDE = "185.220.101.33"


def findings(found: list[Event], *, raw: bool) -> list[Finding]:
    if not raw:
        found = [replace(e, raw=None) for e in found]
    return list(get("cloudtrail").run(found, Context()))


def workload_case() -> list[Event]:
    """An instance session named by its delivery alone (its session name is no instance id)
    and a Lambda function's session (Lambda assumed its role), both used from outside AWS."""
    instance = instance_session()
    instance["principalId"] = "AROAWEBROLE:web-session"
    instance["arn"] = f"arn:aws:sts::{ACCOUNT}:assumed-role/web-role/web-session"
    function = role_session("fn-role", "orders-export")
    return events([
        call("ListBuckets", "s3", {}, who=instance, ip=OUTSIDE, at=0),
        call("AssumeRole", "sts", {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/fn-role",
                                   "roleSessionName": "orders-export"},
             invoked_by="lambda.amazonaws.com", at=10),
        call("ListBuckets", "s3", {}, who=function, ip=OUTSIDE, at=60)])


def test_workload_sessions_are_found_without_raw():
    with_raw = findings(workload_case(), raw=True)
    assert [(f.rule, f.title) for f in with_raw] == [
        ("TH-AWS-WORKLOAD-CREDS-OUTSIDE", "EC2 instance role credentials used from outside AWS"),
        ("TH-AWS-WORKLOAD-CREDS-OUTSIDE",
         "Lambda function role credentials used from outside AWS")]
    assert findings(workload_case(), raw=False) == with_raw


def test_a_real_instance_credential_theft_gives_the_same_findings_without_raw():
    source = Source(str(STOLEN), STOLEN, "d" * 64, STOLEN.stat().st_size)
    parsed = [e for e in CloudTrailParser().parse(source) if isinstance(e, Event)]
    with_raw = findings(parsed, raw=True)
    shared = [f for f in with_raw if f.rule == "TH-AWS-WORKLOAD-CREDS-SHARED-ADDRESS"]
    assert len(shared) == 1 and shared[0].target == (
        "arn:aws:iam::017622104382:role/stratus-red-team-ec2-steal-credentials-role")
    assert findings(parsed, raw=False) == with_raw


def test_the_pipeline_gives_the_same_findings_when_a_source_keeps_no_raw(monkeypatch):
    # The case store keeps every raw record (only the Python events let go of theirs), so this
    # guards the pipeline's large-source path; the tests above drop raw from the tool's input.
    small = analyze([STOLEN], Options(tools=["cloudtrail"], reproducible=True))
    monkeypatch.setattr(pipeline, "RAW_IN_STORE_BYTES", 0)
    large = analyze([STOLEN], Options(tools=["cloudtrail"], reproducible=True))
    assert all(e.raw is None for e in large.events)
    assert [f.to_json() for f in large.findings] == [f.to_json() for f in small.findings]
    assert {f.rule for f in large.findings} >= {"TH-AWS-WORKLOAD-CREDS-SHARED-ADDRESS"}
