"""tracehound's own detections as Sigma: valid rules, each converts and fires on our fixtures."""

from __future__ import annotations

import uuid

import pytest
import yaml
from sigma.collection import SigmaCollection
from sigma_case import CLOUDTRAIL, SIGMA_FIXTURES, SIGMAHQ, run_folder

from tracehound.sigma import BUILTIN_RULES
from tracehound.sigma.convert import rule_files

REQUIRED = {"title", "id", "status", "description", "author", "date", "tags", "logsource",
            "detection", "falsepositives", "level"}


@pytest.fixture(scope="module")
def builtin_runs():
    return run_folder(BUILTIN_RULES, CLOUDTRAIL, SIGMA_FIXTURES)


def test_each_file_is_one_valid_sigma_rule_with_our_own_id():
    files = rule_files(BUILTIN_RULES)
    assert len(files) == 20
    ids = set()
    for path in files:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert REQUIRED <= set(document), path.name
        assert document["author"] == "tracehound"
        ids.add(str(uuid.UUID(document["id"])))
        rules = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"),
                                          collect_errors=True)
        assert rules.errors == [] and len(rules.rules) == 1 and rules.rules[0].errors == []
    assert len(ids) == 20
    assert SIGMAHQ.is_dir(), f"SigmaHQ rules expected at {SIGMAHQ} (../shared/data beside the repo)"
    theirs = {str(yaml.safe_load(p.read_text()).get("id")) for p in rule_files(SIGMAHQ)}
    assert len(theirs) == 225 and ids.isdisjoint(theirs)


def test_each_builtin_rule_converts_and_fires(builtin_runs):
    ruleset, runs, names = builtin_runs
    assert ruleset.rejected == [] and len(ruleset.converted) == 20
    fired = {r.rule.info.path: sorted((names[m["sha256"]], m["locator"]) for m in r.matches)
             for r in runs}
    assert all(r.error is None for r in runs)
    assert fired == {
        "th_aws_cloudtrail_logging_stopped.yml": [
            ("attack_trail.json", "json:/Records/8"), ("attack_trail.json", "json:/Records/9"),
            ("lookup_events.json", "json:/Events/0")],
        "th_aws_cloudtrail_selectors_changed.yml": [("attack_trail.json", "json:/Records/10")],
        "th_aws_console_login_without_mfa.yml": [("attack_trail.json", "json:/Records/29")],
        "th_aws_ec2_image_public.yml": [("attack_trail.json", "json:/Records/13")],
        "th_aws_ec2_snapshot_shared.yml": [("attack_trail.json", "json:/Records/12")],
        "th_aws_iam_access_key_other_user.yml": [
            ("attack_trail.json", "json:/Records/5"), ("lookup_events.json", "json:/Events/1")],
        "th_aws_iam_admin_policy_attached.yml": [("attack_trail.json", "json:/Records/7")],
        "th_aws_iam_login_profile_created.yml": [
            ("attack_trail.json", "json:/Records/6"), ("trail.ndjson", "line 6")],
        "th_aws_iam_role_trust_changed.yml": [("attack_trail.json", "json:/Records/14")],
        "th_aws_lambda_public_permission.yml": [("attack_trail.json", "json:/Records/28")],
        "th_aws_root_console_login.yml": [("attack_trail.json", "json:/Records/33")],
        "th_entra_legacy_auth_signin.yml": [("entra_signins.json", "json:/value/0")],
        "th_entra_mfa_method_registered.yml": [("entra_audit.json", "json:/value/0")],
        "th_entra_sp_credentials_added.yml": [("entra_audit.json", "json:/value/1")],
        "th_m365_audit_ingestion_disabled.yml": [("ual_records.json", "json:/5")],
        "th_m365_global_admin_added.yml": [("ual_records.json", "json:/4")],
        "th_m365_high_risk_consent.yml": [("ual_records.json", "json:/3")],
        "th_m365_inbox_rule_forwarding.yml": [("ual_records.json", "json:/0")],
        "th_m365_inbox_rule_hiding.yml": [("ual_records.json", "json:/1")],
        "th_m365_mailbox_forwarding.yml": [("ual_records.json", "json:/2")],
    }
