"""SigmaHQ's 225 cloud rules through our pipeline: how many convert, how many run on our
tables, why the rest do not, and SigmaHQ CloudTrail rules firing on our CloudTrail fixture."""

from __future__ import annotations

from collections import Counter

import pytest
from sigma_case import AZURE, CLOUDTRAIL, SIGMAHQ, run_folder

assert SIGMAHQ.is_dir(), f"SigmaHQ rules expected at {SIGMAHQ} (../shared/data beside the repo)"


@pytest.fixture(scope="module")
def sigmahq():
    return run_folder(SIGMAHQ, CLOUDTRAIL, AZURE)


def test_all_225_rules_convert(sigmahq):
    ruleset, _, _ = sigmahq
    assert len(ruleset.converted) == 225
    assert ruleset.rejected == []
    assert Counter(r.logsource for r in ruleset.converted) == {
        "aws/cloudtrail": 57, "azure/auditlogs": 44, "azure/activitylogs": 35,
        "azure/signinlogs": 18, "m365/threat_management": 13, "m365/audit": 4,
        "m365/exchange": 1, "m365/threat_detection": 1, None: 52}


def test_173_run_on_our_tables_and_the_rest_lack_a_parser(sigmahq):
    _, runs, _ = sigmahq
    assert sum(1 for r in runs if r.error is None) == 173
    assert Counter(r.error for r in runs if r.error) == {
        "no tracehound parser produces azure/riskdetection records": 19,
        "no tracehound parser produces gcp/gcp.audit records": 16,
        "no tracehound parser produces azure/pim records": 7,
        "no tracehound parser produces gcp/google_workspace.admin records": 7,
        "no tracehound parser produces gcp/google_workspace.login records": 3}


def test_keyword_rules_run_as_full_text_search(sigmahq):
    _, runs, names = sigmahq
    granting = next(r for r in runs
                    if r.rule.info.path.endswith("azure_granting_permission_detection.yml"))
    assert granting.error is None
    assert sorted((names[m["sha256"]], m["locator"]) for m in granting.matches) == [
        ("attack_activity.json", "json:/14"), ("attack_activity.json", "json:/15"),
        ("attack_activity.json", "json:/16"), ("attack_activity.json", "json:/17"),
        ("benign_admin_day.json", "json:/value/6"), ("benign_admin_day.json", "json:/value/7"),
        ("diagnostic_export.ndjson", "line 6"), ("diagnostic_export.ndjson", "line 7")]


def test_sigmahq_cloudtrail_rules_fire_on_the_cloudtrail_fixture(sigmahq):
    _, runs, names = sigmahq
    fired = {r.rule.info.path: sorted((names[m["sha256"]], m["locator"]) for m in r.matches)
             for r in runs if r.matches and r.rule.logsource == "aws/cloudtrail"}
    assert fired["aws/cloudtrail/aws_cloudtrail_disable_logging.yml"] == [
        ("attack_trail.json", "json:/Records/8"), ("attack_trail.json", "json:/Records/9"),
        ("lookup_events.json", "json:/Events/0")]
    assert fired["aws/cloudtrail/aws_snapshot_backup_exfiltration.yml"] == [
        ("attack_trail.json", "json:/Records/12")]
    assert fired["aws/cloudtrail/aws_iam_backdoor_users_keys.yml"] == [
        ("attack_trail.json", "json:/Records/5"), ("lookup_events.json", "json:/Events/1")]
    assert fired["aws/cloudtrail/aws_root_account_usage.yml"] == [
        ("attack_trail.json", f"json:/Records/{n}") for n in (33, 34, 35)]
    assert sorted(fired) == [
        "aws/cloudtrail/aws_cloudtrail_console_login_success_without_mfa.yml",
        "aws/cloudtrail/aws_cloudtrail_disable_logging.yml",
        "aws/cloudtrail/aws_iam_backdoor_users_keys.yml",
        "aws/cloudtrail/aws_root_account_usage.yml",
        "aws/cloudtrail/aws_snapshot_backup_exfiltration.yml",
        "aws/cloudtrail/aws_sts_assumerole_misuse.yml"]
