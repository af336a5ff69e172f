"""The same attack gives the same findings through Sentinel's tables as through the native
exports: the BEC case (inbox rules, forwarding, consent, role add, downloads, sign-ins) as
OfficeActivity + SigninLogs + AuditLogs, and the CloudTrail attack as AWSCloudTrail rows."""

from __future__ import annotations

from collections import Counter

import pytest

from sentinel_support import CLOUD, SENTINEL
from tracehound.pipeline import Options, analyze


def summary(paths):
    case = analyze(paths, Options(reproducible=True))
    assert [r for r in case.extra["tool_runs"] if r["status"] == "error"] == []
    return (Counter(f.category for f in case.findings), Counter(f.rule for f in case.findings),
            Counter(f.severity for f in case.findings),
            case.classification["case_type"] if case.classification else None)


NATIVE_BEC = [CLOUD / "bec" / "ual-export.csv", CLOUD / "bec" / "entra-signins.json",
              SENTINEL / "native" / "entra-audit.json"]


@pytest.mark.parametrize("tables", [
    ["officeactivity.csv", "signinlogs.json", "auditlogs.jsonl"],
    ["officeactivity.json", "signinlogs.json", "auditlogs.csv"],
])
def test_bec_through_sentinel_tables_gives_the_native_findings(tables):
    native = summary(NATIVE_BEC)
    sentinel = summary([SENTINEL / name for name in tables])
    categories = native[0]
    for expected in ("inbox-rule", "mail-forwarding", "oauth-consent", "role-assignment",
                     "bulk-download", "anomalous-signin", "audit-tampering"):
        assert categories[expected] > 0, expected
    assert sentinel == native


def test_cloudtrail_attack_through_awscloudtrail_rows():
    native = summary([CLOUD / "cloudtrail" / "attack_trail.json"])
    assert native[0]["audit-tampering"] > 0
    assert summary([SENTINEL / "awscloudtrail.csv"]) == native
    assert summary([SENTINEL / "awscloudtrail.json"]) == native


def test_consent_and_app_credential_from_auditlogs_alone():
    categories, rules, _, _ = summary([SENTINEL / "auditlogs.csv"])
    assert categories["oauth-consent"] >= 1
    assert rules["TH-M365-APP-CREDENTIAL"] >= 1
