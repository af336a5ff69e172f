"""The BEC day and the benign admin day, end to end through the pipeline, against goldens."""

from __future__ import annotations

from pathlib import Path

from goldens import check_golden
from m365_builders import R
from tracehound.pipeline import Options, analyze

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cloud"
TOOLS = ["o365-audit", "ual-analyzer", "o365-views", "oauth-scope-risk", "defender-alerts",
         "saas-correlator", "account-activity"]


def run_case(name: str):
    return analyze([FIXTURES / name], Options(tools=TOOLS, reproducible=True))


def test_bec_findings_golden():
    case = run_case("bec")
    check_golden("bec/findings.json", {
        "findings": [f.to_json() for f in case.findings],
        "parse_issues": [{"file": Path(i.path).name, "locator": i.locator, "problem": i.problem}
                         for i in case.parse_issues],
        "evidence": [{"file": Path(e.path).name, "format": e.format,
                      "events": case.counts[e.path][0]} for e in case.evidence],
    })
    counts = {}
    for finding in case.findings:
        counts[finding.category] = counts.get(finding.category, 0) + 1
    # 3 sign-in findings and 2 address chains (185.73.124.135, 45.142.120.33)
    assert counts == {"anomalous-signin": 5, "mfa-change": 1, "inbox-rule": 2,
                      "mail-forwarding": 1, "oauth-consent": 2, "role-assignment": 1,
                      "bulk-download": 1, "audit-tampering": 1, "defender-alert": 2}


def test_benign_admin_day_has_nothing_above_low():
    case = run_case("benign-admin")
    assert case.parse_issues == []
    assert [(f.rule, f.severity, f.actor) for f in case.findings] == [
        ("TH-OAUTH-SCOPE-RISK", "low", R.gid("sp/Contoso Expenses")),
        ("TH-MFA-METHOD-CHANGE", "low", "adele.vance@contoso.com")]

