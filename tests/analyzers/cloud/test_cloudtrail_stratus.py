"""Real CloudTrail recordings of Stratus Red Team detonations (tests/data/real/stratus/, see
its README for repo@commit:path and license): per technique, the findings the CloudTrail
analyzer must give, by rule, category and severity, and nothing else.

Severity notes: a refused call keeps its rule one step lower (the organizations-leave,
ec2-get-password-data, ec2-download-user-data and ec2-launch-unusual-instances detonations
were refused by AWS); a Lambda code update and a new IAM user alone are ordinary work (low).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tracehound.pipeline import Options, analyze

STRATUS = Path(__file__).resolve().parents[2] / "data" / "real" / "stratus"

EXPECTED = {
    "credential-access.ec2-get-password-data": [
        ("TH-AWS-SECRET-READ-BURST", "bulk-download", "medium")],
    "credential-access.ec2-steal-instance-credentials": [
        ("TH-AWS-REMOTE-ACCESS", "resource-change", "low"),
        ("TH-AWS-WORKLOAD-CREDS-SHARED-ADDRESS", "anomalous-signin", "medium")],
    "credential-access.secretsmanager-batch-retrieve-secrets": [
        ("TH-AWS-SECRET-READ-BURST", "bulk-download", "high")],
    "credential-access.secretsmanager-retrieve-secrets": [
        ("TH-AWS-SECRET-READ-BURST", "bulk-download", "high")],
    "credential-access.ssm-retrieve-securestring-parameters": [
        ("TH-AWS-SECRET-READ-BURST", "bulk-download", "high")],
    "defense-evasion.cloudtrail-delete": [("TH-AWS-TRAIL-STOPPED", "audit-tampering", "high")],
    "defense-evasion.cloudtrail-event-selectors": [
        ("TH-AWS-TRAIL-SELECTORS", "audit-tampering", "medium")],
    "defense-evasion.cloudtrail-stop": [("TH-AWS-TRAIL-STOPPED", "audit-tampering", "high")],
    "defense-evasion.dns-delete-logs": [("TH-AWS-DNS-LOGS-DELETED", "audit-tampering", "high")],
    "defense-evasion.organizations-leave": [("TH-AWS-ORG-LEAVE", "audit-tampering", "medium")],
    "defense-evasion.vpc-remove-flow-logs": [
        ("TH-AWS-FLOW-LOGS-DELETED", "audit-tampering", "high")],
    "discovery.ec2-download-user-data": [("TH-AWS-USER-DATA-READ", "bulk-download", "low")],
    "execution.ec2-launch-unusual-instances": [
        ("TH-AWS-UNUSUAL-INSTANCES", "resource-change", "low")],
    "execution.ec2-user-data": [("TH-AWS-EC2-USER-DATA", "resource-change", "medium")],
    "execution.ssm-send-command": [("TH-AWS-REMOTE-ACCESS-SPREAD", "resource-change", "medium")],
    "execution.ssm-start-session": [
        ("TH-AWS-REMOTE-ACCESS-SPREAD", "resource-change", "medium")],
    "exfiltration.ec2-security-group-open-port-22-ingress": [
        ("TH-AWS-SG-WORLD-ADMIN-PORT", "network-change", "medium")],
    "exfiltration.ec2-share-ami": [("TH-AWS-SHARED-EXTERNAL", "resource-change", "high")],
    "exfiltration.ec2-share-ebs-snapshot": [
        ("TH-AWS-SHARED-EXTERNAL", "resource-change", "high")],
    "exfiltration.rds-share-snapshot": [("TH-AWS-SHARED-EXTERNAL", "resource-change", "high")],
    "impact.bedrock-invoke-model": [
        ("TH-AWS-BEDROCK-MODEL-ACCESS", "resource-change", "medium")],
    "initial-access.console-login-without-mfa": [
        ("TH-AWS-CONSOLE-NO-MFA", "anomalous-signin", "medium")],
    "lateral-movement.ec2-instance-connect": [
        ("TH-AWS-REMOTE-ACCESS-SPREAD", "resource-change", "medium")],
    "lateral-movement.ec2-serial-console-send-ssh-public-key": [
        ("TH-AWS-REMOTE-ACCESS-SPREAD", "resource-change", "medium"),
        ("TH-AWS-SERIAL-CONSOLE-ENABLED", "resource-change", "medium")],
    "persistence.iam-backdoor-role": [("TH-AWS-ROLE-TRUST-EXTERNAL", "role-assignment", "high")],
    "persistence.iam-backdoor-user": [
        ("TH-AWS-ACCESS-KEY-OTHER-USER", "role-assignment", "high")],
    "persistence.iam-create-admin-user": [
        ("TH-AWS-ACCESS-KEY-OTHER-USER", "role-assignment", "high"),
        ("TH-AWS-ADMIN-POLICY-ATTACHED", "role-assignment", "high"),
        ("TH-AWS-IAM-USER-CREATED", "role-assignment", "low")],
    "persistence.iam-create-backdoor-role": [
        ("TH-AWS-ADMIN-POLICY-ATTACHED", "role-assignment", "high"),
        ("TH-AWS-ROLE-CREATED-TRUST-EXTERNAL", "role-assignment", "high")],
    "persistence.iam-create-user-login-profile": [
        ("TH-AWS-LOGIN-PROFILE-CREATED", "role-assignment", "high")],
    "persistence.lambda-backdoor-function": [
        ("TH-AWS-LAMBDA-PUBLIC-PERMISSION", "resource-change", "high")],
    "persistence.lambda-layer-extension": [("TH-AWS-LAMBDA-LAYER", "resource-change", "medium")],
    "persistence.lambda-overwrite-code": [("TH-AWS-LAMBDA-CHANGED", "resource-change", "low")],
    "persistence.rolesanywhere-create-trust-anchor": [
        ("TH-AWS-ROLES-ANYWHERE-ANCHOR", "role-assignment", "high"),
        ("TH-AWS-ROLES-ANYWHERE-PROFILE", "role-assignment", "medium")],
    "persistence.sts-federation-token": [
        ("TH-AWS-FEDERATION-TOKEN", "role-assignment", "medium")],
    "privilege-escalation.iam-update-user-login-profile": [
        ("TH-AWS-LOGIN-PROFILE-RESET", "role-assignment", "high")],
}


def findings(technique: str):
    case = analyze([STRATUS / f"aws.{technique}.json"], Options(tools=["cloudtrail"]))
    return case.findings


def test_every_recording_has_an_expectation():
    assert sorted(p.stem[4:] for p in STRATUS.glob("aws.*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("technique", sorted(EXPECTED))
def test_detonation_gives_the_expected_findings(technique):
    assert [(f.rule, f.category, f.severity) for f in findings(technique)] == \
        EXPECTED[technique]


def test_unambiguous_single_events_are_medium_or_higher():
    for technique in ("defense-evasion.cloudtrail-stop", "defense-evasion.cloudtrail-delete",
                      "defense-evasion.vpc-remove-flow-logs",
                      "defense-evasion.organizations-leave",
                      "persistence.rolesanywhere-create-trust-anchor",
                      "exfiltration.ec2-share-ebs-snapshot", "exfiltration.rds-share-snapshot"):
        assert max(("low", "medium", "high", "critical").index(f.severity)
                   for f in findings(technique)) >= 1, technique


def test_stolen_instance_credentials_name_the_instance_and_the_other_principal():
    shared = [f for f in findings("credential-access.ec2-steal-instance-credentials")
              if f.rule == "TH-AWS-WORKLOAD-CREDS-SHARED-ADDRESS"][0]
    assert shared.actor.endswith("/i-786a3A8B5C0d92eF4")
    assert "arn:aws:iam::017622104382:user/christophe" in shared.statement
    assert "18.236.253.47" in shared.statement


def test_every_finding_cites_records_of_its_recording():
    for technique in EXPECTED:
        for finding in findings(technique):
            assert finding.refs and all(r.locator.startswith("json:/Records/")
                                        for r in finding.refs)
