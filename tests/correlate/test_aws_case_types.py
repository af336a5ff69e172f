"""Case types of real AWS attack recordings (Stratus Red Team detonation logs, Apache-2.0,
tests/data/real/stratus/README.md): with no agent trace in the case, an account whose
logging was turned off, that was given a way back in, whose data was opened to the outside or
whose secrets were read in bulk is `cloud-account-compromise`; a single ordinary-looking change
(a port opened, a model invoked, a Lambda layer added) leads no type. The kepler case, whose
CloudTrail sits beside an agent trace, stays agent-runaway (tests/fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracehound.pipeline import Options, analyze

STRATUS = Path(__file__).resolve().parents[1] / "data" / "real" / "stratus"
COMPROMISE = (
    "credential-access.ec2-get-password-data", "credential-access.ec2-steal-instance-credentials",
    "credential-access.secretsmanager-batch-retrieve-secrets",
    "credential-access.secretsmanager-retrieve-secrets",
    "credential-access.ssm-retrieve-securestring-parameters",
    "defense-evasion.cloudtrail-delete", "defense-evasion.cloudtrail-event-selectors",
    "defense-evasion.cloudtrail-stop", "defense-evasion.dns-delete-logs",
    "defense-evasion.organizations-leave", "defense-evasion.vpc-remove-flow-logs",
    "execution.ec2-user-data", "execution.ssm-send-command", "execution.ssm-start-session",
    "exfiltration.ec2-share-ami", "exfiltration.ec2-share-ebs-snapshot",
    "exfiltration.rds-share-snapshot", "lateral-movement.ec2-instance-connect",
    "lateral-movement.ec2-serial-console-send-ssh-public-key",
    "persistence.iam-backdoor-role", "persistence.iam-backdoor-user",
    "persistence.iam-create-admin-user", "persistence.iam-create-backdoor-role",
    "persistence.iam-create-user-login-profile", "persistence.lambda-backdoor-function",
    "persistence.rolesanywhere-create-trust-anchor", "persistence.sts-federation-token",
    "privilege-escalation.iam-update-user-login-profile")
NO_TYPE = ("exfiltration.ec2-security-group-open-port-22-ingress", "impact.bedrock-invoke-model",
           "initial-access.console-login-without-mfa", "persistence.lambda-layer-extension")
NOTHING_ABOVE_LOW = ("discovery.ec2-download-user-data", "execution.ec2-launch-unusual-instances",
                     "persistence.lambda-overwrite-code")
EXPECTED = {**{t: "cloud-account-compromise" for t in COMPROMISE},
            **{t: "undetermined" for t in NO_TYPE},
            **{t: "no-incident" for t in NOTHING_ABOVE_LOW}}


def test_every_recording_has_an_expectation():
    names = {p.name[len("aws."):-len(".json")] for p in STRATUS.glob("aws.*.json")}
    assert names == set(EXPECTED)


@pytest.mark.parametrize("technique", sorted(EXPECTED))
def test_case_type_of_the_recording(technique: str):
    case = analyze([STRATUS / f"aws.{technique}.json"], Options(reproducible=True)).to_json()
    verdict = case["classification"]
    assert verdict["case_type"] == EXPECTED[technique], verdict["explanation"]
    if EXPECTED[technique] == "cloud-account-compromise":
        assert {s["signal"] for s in verdict["signals"]} & {
            "aws-defense-evasion", "aws-backdoor-or-exposure", "aws-credential-access",
            "credential-then-iam-escalation"}
