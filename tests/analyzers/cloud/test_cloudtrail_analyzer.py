"""CloudTrail analyzer: the intrusion fixture against its golden, a benign admin day, settings."""

from __future__ import annotations

import random
from pathlib import Path

from goldens import check_golden

from tracehound.analyzers import Context, get
from tracehound.evidence import collect
from tracehound.formats.cloud.cloudtrail import to_event
from tracehound.model import SEVERITY_RANK, Event, pointer_ref
from tracehound.pipeline import Options, analyze, parse_sources

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cloud" / "cloudtrail"


def findings(name: str, **settings):
    case = analyze([FIXTURES / name], Options(tools=["cloudtrail"], settings=settings))
    return case.findings


def test_intrusion_findings_match_golden():
    found = findings("attack_trail.json")
    check_golden("cloudtrail/findings.json", [f.to_json() for f in found])
    assert [f.rule for f in found] == [
        "TH-AWS-ACCESS-KEY-OTHER-USER", "TH-AWS-LOGIN-PROFILE-CREATED",
        "TH-AWS-ADMIN-POLICY-ATTACHED", "TH-AWS-TRAIL-STOPPED", "TH-AWS-TRAIL-STOPPED",
        "TH-AWS-TRAIL-SELECTORS", "TH-AWS-SHARED-EXTERNAL", "TH-AWS-SHARED-PUBLIC",
        "TH-AWS-ROLE-TRUST-EXTERNAL", "TH-AWS-SECRET-READ-BURST", "TH-AWS-LAMBDA-CHANGED",
        "TH-AWS-LAMBDA-PUBLIC-PERMISSION", "TH-AWS-CONSOLE-NO-MFA", "TH-AWS-ROOT-CONSOLE-LOGIN",
        "TH-AWS-ROOT-ACTIVITY"]


def test_each_finding_names_principal_source_ip_and_region():
    found = findings("attack_trail.json")
    assert found                                # the loop below must not pass on no findings
    for finding in found:
        addresses = finding.details.get("source_ips") or [finding.details["source_ip"]]
        assert finding.actor and all(a in finding.statement for a in addresses)
        if finding.rule not in ("TH-AWS-CONSOLE-NO-MFA", "TH-AWS-ROOT-CONSOLE-LOGIN"):
            assert "us-east-1" in finding.statement


def test_refused_delete_trail_is_one_step_lower_and_says_so():
    denied = [f for f in findings("attack_trail.json") if f.refs[0].locator == "json:/Records/8"]
    assert [(f.rule, f.severity) for f in denied] == [("TH-AWS-TRAIL-STOPPED", "medium")]
    assert denied[0].statement.endswith("The request was refused (AccessDenied).")


def test_secret_burst_cites_every_read_and_follows_the_threshold_setting():
    burst = [f for f in findings("attack_trail.json") if f.rule == "TH-AWS-SECRET-READ-BURST"]
    assert sorted(r.locator for r in burst[0].refs) == sorted(
        f"json:/Records/{n}" for n in range(15, 27))
    assert [f.rule for f in findings("attack_trail.json", secret_read_burst=11)].count(
        "TH-AWS-SECRET-READ-BURST") == 1
    assert "TH-AWS-SECRET-READ-BURST" not in [
        f.rule for f in findings("attack_trail.json", secret_read_burst=12)]


def test_benign_admin_day_has_nothing_above_low():
    found = findings("benign_admin_day.json")
    assert [(f.rule, f.severity) for f in found] == [("TH-AWS-LAMBDA-CHANGED", "low")]
    assert all(SEVERITY_RANK[f.severity] <= SEVERITY_RANK["low"] for f in found)


def test_lookup_events_output_is_analyzed_like_a_trail():
    found = findings("lookup_events.json")
    assert [(f.rule, f.refs[0].locator) for f in found] == [
        ("TH-AWS-ACCESS-KEY-OTHER-USER", "json:/Events/1"),
        ("TH-AWS-TRAIL-STOPPED", "json:/Events/0")]


def test_same_findings_without_a_case_store():
    with collect([FIXTURES / "attack_trail.json"]) as intake:
        _, events, _, _ = parse_sources(intake, None, None)
    alone = list(get("cloudtrail").run(events, Context()))
    assert [f.to_json() for f in alone] == [f.to_json() for f in findings("attack_trail.json")]


SHA = "d" * 64


def record(n: int, name: str, when: str, identity: dict, region: str = "us-east-1",
           account: str = "111122223333") -> Event:
    return to_event({"eventTime": when, "eventName": name, "eventSource": "iam.amazonaws.com",
                     "awsRegion": region, "sourceIPAddress": "192.0.2.77",
                     "recipientAccountId": account, "userIdentity": identity},
                    pointer_ref(SHA, "Records", n))


def test_secret_reads_in_one_second_are_one_burst_whatever_their_order():
    reader = {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/svc",
              "userName": "svc"}
    reads = [record(n, "GetSecretValue", "2024-03-11T03:00:00Z", reader) for n in range(12)]
    for seed in range(6):
        random.Random(seed).shuffle(reads)
        found = list(get("cloudtrail").run(reads, Context()))
        assert [(f.rule, f.details["calls"], len(f.refs)) for f in found] == [
            ("TH-AWS-SECRET-READ-BURST", 12, 12)]


def test_root_activity_is_per_account_and_names_every_region():
    def root(account):
        return {"type": "Root", "arn": f"arn:aws:iam::{account}:root"}
    calls = [record(1, "GetAccountSummary", "2024-03-11T09:21:13Z", root("111122223333")),
             record(2, "ListUsers", "2024-03-11T09:22:00Z", root("111122223333"), "eu-west-1"),
             record(3, "ListUsers", "2024-03-11T09:23:00Z", root("444455556666"),
                    account="444455556666")]
    found = list(get("cloudtrail").run(calls, Context()))
    assert [(f.details["account"], f.details["region"], len(f.refs)) for f in found] == [
        ("111122223333", "eu-west-1, us-east-1", 2), ("444455556666", "us-east-1", 1)]
    assert found[0].statement == (
        "The root user of account 111122223333 made 2 read-only API calls from 192.0.2.77 in "
        "eu-west-1, us-east-1 between 2024-03-11T09:21:13Z and 2024-03-11T09:22:00Z "
        "(GetAccountSummary, ListUsers).")
    assert [f.severity for f in found] == ["low", "low"]
