"""The `sigma` analyzer and `tracehound analyze --sigma DIR`: findings, categories, the CLI.
The SigmaHQ rules shipped by default are off here (`sigma_defaults`) unless a test says so."""

from __future__ import annotations

import json

from sigma_case import CLOUDTRAIL, SIGMAHQ
from typer.testing import CliRunner

from tracehound.analyzers.cloud.sigma_rules import summary
from tracehound.cli import app
from tracehound.pipeline import Options, analyze
from tracehound.sigma import BUILTIN_RULES, load_rules
from tracehound.sigma.categories import category, severity, techniques
from tracehound.sigma.convert import RuleInfo

TRAIL = CLOUDTRAIL / "attack_trail.json"
BUILTIN_ONLY = {"sigma_dir": "builtin", "sigma_defaults": False}


def info(tags, product="aws", service="cloudtrail", level="high") -> RuleInfo:
    return RuleInfo("x", "t", level, None, None, tuple(tags), product, service, "x.yml")


def test_categories_follow_tags_then_logsource():
    assert category(info(["attack.t1562.008"])) == "audit-tampering"
    assert category(info(["attack.t1686.001"])) == "network-change"
    assert category(info(["attack.t1098.003"])) == "role-assignment"
    assert category(info(["attack.t1098"], "azure", "activitylogs")) == "rbac-change"
    assert category(info(["attack.t1114.003"], "m365", "audit")) == "mail-forwarding"
    assert category(info(["attack.t1078.004"], "m365", "threat_management")) == "defender-alert"
    assert category(info(["attack.defense-impairment"])) == "audit-tampering"
    assert category(info([], "azure", "signinlogs")) == "anomalous-signin"
    assert category(info(["attack.t1556.006"], "azure", "signinlogs")) == "anomalous-signin"
    # on change records "valid accounts" says how a change was made, not that it is a sign-in
    assert category(info(["attack.t1078.004"], "azure", "auditlogs")) == "role-assignment"
    assert category(info(["attack.t1078"], "azure", "activitylogs")) == "resource-change"
    assert category(info(["attack.t1078"])) == "anomalous-signin"
    assert (severity(info([], level="informational")), severity(info([], level=None))) == (
        "info", "medium")
    assert techniques(info(["attack.t1098.001", "attack.persistence"])) == ("T1098.001",)


def test_without_defaults_and_folder_no_findings():
    case = analyze([TRAIL], Options(tools=["sigma"], settings={"sigma_defaults": False}))
    assert case.findings == [] and "sigma" not in case.artifacts
    off = analyze([TRAIL], Options(tools=["sigma"], settings={"sigma_defaults": "false"}))
    assert off.findings == []


def test_defaults_run_without_a_folder():
    case = analyze([TRAIL], Options(tools=["sigma"]))
    assert {f.details["sigma_license"] for f in case.findings} == {
        "Detection Rule License (DRL) 1.1"}
    assert "sigma" not in case.artifacts


def test_builtin_rules_become_one_finding_per_matching_event():
    case = analyze([TRAIL], Options(tools=["sigma"], settings=BUILTIN_ONLY))
    got = [(f.rule, f.category, f.severity, f.refs[0].locator) for f in case.findings]
    assert got == [
        ("TH-SIGMA-4e87d226-38e5-4bc8-866f-1a221c1bfa09", "role-assignment", "high",
         "json:/Records/5"),
        ("TH-SIGMA-c817f432-0e23-49c4-8ddd-d17e17fb313b", "role-assignment", "high",
         "json:/Records/6"),
        ("TH-SIGMA-273b9654-c67e-42c3-9103-cc6d955ae245", "role-assignment", "high",
         "json:/Records/7"),
        ("TH-SIGMA-9a8dd453-4aee-4656-b1d0-968e78a92611", "audit-tampering", "high",
         "json:/Records/8"),
        ("TH-SIGMA-9a8dd453-4aee-4656-b1d0-968e78a92611", "audit-tampering", "high",
         "json:/Records/9"),
        ("TH-SIGMA-9c9085a7-4e43-4741-aeea-88dd0193636e", "audit-tampering", "medium",
         "json:/Records/10"),
        ("TH-SIGMA-3a2c4680-865a-4595-a321-9aefbc4bbc1a", "resource-change", "high",
         "json:/Records/12"),
        ("TH-SIGMA-eddbfbf9-8f68-4620-9275-e0e4a925a650", "resource-change", "critical",
         "json:/Records/13"),
        ("TH-SIGMA-2ed4359e-7aaa-45d1-b529-500c1a5d87bf", "role-assignment", "medium",
         "json:/Records/14"),
        ("TH-SIGMA-075ffb88-aac5-4d13-b296-5ac992d93afe", "resource-change", "high",
         "json:/Records/28"),
        ("TH-SIGMA-329717e1-ab68-4f1c-8019-5cf2ff3bd321", "anomalous-signin", "medium",
         "json:/Records/29"),
        ("TH-SIGMA-b2466ca7-4932-452c-a2ec-f9b53ff26b66", "anomalous-signin", "high",
         "json:/Records/33")]
    first = case.findings[0]
    assert first.title == "IAM Access Key Created For Another User"
    assert first.statement == (
        "Sigma rule \"IAM Access Key Created For Another User\" "
        "(4e87d226-38e5-4bc8-866f-1a221c1bfa09) matched this aws/cloudtrail record: "
        "arn:aws:iam::111122223333:user/ci-deploy CreateAccessKey on svc-backup.")
    assert first.details["sigma_file"] == "th_aws_iam_access_key_other_user.yml"
    assert first.techniques == ("T1098.001",)


def test_summary_counts_converted_ran_fired():
    case = analyze([TRAIL], Options(tools=["sigma"], settings=BUILTIN_ONLY))
    (report,) = case.artifacts["sigma"]
    assert (report["folder_files"], report["converted"], report["ran"], report["fired"]) == (
        20, 20, 20, 11)
    assert report["not_converted"] == [] and report["not_run"] == []


def test_cli_sigma_option(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["analyze", str(TRAIL), "--sigma", str(BUILTIN_RULES),
                                 "--no-default-sigma", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    # the twelve hits of tracehound's own Sigma rules: each on its own, or folded into the
    # cloudtrail finding of the same category on the same record
    own = [f for f in document["findings"] if f["tool"] == "sigma"]
    folded = [i for f in document["findings"] for i in f.get("details", {}).get(
        "also_matched", [])]
    assert len(own) + len(folded) == 12
    assert all(not f["details"].get("sigma_license") for f in own)
    bad = runner.invoke(app, ["analyze", str(TRAIL), "--sigma", str(tmp_path / "missing")])
    assert bad.exit_code == 2


def test_a_folder_holding_shipped_rules_runs_each_once(tmp_path):
    """`--sigma` on SigmaHQ's own folder: the shipped rules run once, as shipped (capped),
    the folder's other rules (experimental ones too) run as the user's."""
    case = analyze([CLOUDTRAIL / "benign_admin_day.json"],
                   Options(tools=["sigma"], settings={"sigma_dir": str(SIGMAHQ)}))
    (report,) = case.artifacts["sigma"]
    assert (report["converted"], report["ran_as_shipped"], report["ran"]) == (225, 146, 79 - 52)
    assert len({f.id for f in case.findings}) == len(case.findings)
    # the user's copy of SigmaHQ's AssumeRole rule (left out of the defaults as noisy) runs
    assert "AWS STS AssumeRole Misuse" in {f.title for f in case.findings}


def test_a_broken_rule_file_is_reported_not_fatal(tmp_path):
    (tmp_path / "broken.yml").write_text("title: [unclosed\n")
    (tmp_path / "no_detection.yml").write_text("title: x\nlogsource:\n  product: aws\n")
    (tmp_path / "good.yml").write_text((BUILTIN_RULES / "th_aws_root_console_login.yml")
                                       .read_text())
    ruleset = load_rules(tmp_path)
    assert [r.info.path for r in ruleset.converted] == ["good.yml"]
    assert [(r.path, r.kind) for r in ruleset.rejected] == [
        ("broken.yml", "invalid YAML"), ("no_detection.yml", "invalid rule")]
    assert summary(ruleset, [])["folder_files"] == 3
