"""Seed 003's testing plan: the three negative tests and the regression test."""

from __future__ import annotations

from drift_builders import (AGENT, HR_SITE, RESTRICTED, baseline_yaml, copilot, decision,
                            kinds, resource, run_drift_case, write_case)

FINANCE = "https://contoso.sharepoint.com/sites/Finance"
BLOCK = {"PolicyId": "dlp-restricted", "PolicyName": "Restricted content block",
         "Rules": [{"RuleId": "r-9", "Action": "Block"}]}
APPROVED_VERSIONS = '[{version: "1.3.0", ticket: "CHG-1042"}, {version: "1.4.0", ticket: "CHG-77"}]'


def _drift_records() -> tuple[list[dict], list[dict]]:
    records = [
        copilot("rec-1", "2026-03-02T09:00:00", resource("Shared Documents/leave.docx"),
                plugins=("SharePointSearch",)),
        copilot("rec-2", "2026-03-02T10:00:00",
                resource("Shared Documents/budget.xlsx", site=FINANCE)),
        copilot("rec-3", "2026-03-02T11:00:00", resource("Shared Documents/leave.docx"),
                plugins=("SharePointSearch", "WebSearch"), version="1.4.0"),
    ]
    decisions = [
        decision("d-1", "2026-03-02T10:00:04Z", ("SharePointSearch", "read"),
                 routing="escalate", action_result="blocked", audit_record_id="rec-2",
                 ticket={"id": "INC-1", "opened": "2026-03-02T10:15:00Z"}),
        decision("d-2", "2026-03-02T11:00:03Z", ("WebSearch", "read"), agent_version="1.4.0",
                 routing="escalate", action_result="blocked"),
    ]
    return records, decisions


def test_non_allowlisted_site_raises_an_s1_d2_alert_that_is_logged(tmp_path):
    records, decisions = _drift_records()
    case = run_drift_case(write_case(tmp_path, records[:2], decisions[:1]))
    assert kinds(case) == [("D2", "scope", FINANCE)]
    finding = case.findings[0]
    assert (finding.rule, finding.category, finding.severity) == (
        "TH-DRIFT-NEW-DATA-SCOPE", "drift-new-data-scope", "critical")
    assert [r.locator for r in finding.refs] == ["json:/1"]
    entry = finding.details["escalation"]
    assert entry["severity"] == "S1" and entry["triage_sla_minutes"] == {"from": 15, "to": 30}
    assert entry["required_evidence"]["decision"]["decision_id"] == "d-1"   # logged
    assert entry["required_evidence"]["audit_excerpt"]["locator"] == "json:/1"
    assert entry["required_evidence"]["baseline"]["line"] == 2
    assert entry["evidence_complete"] and entry["ticket"] == "INC-1"
    assert [s["step"] for s in finding.details["enforcement"]] == ["prevent", "block"]


def test_prohibited_connector_is_d1_blocked_and_logged(tmp_path):
    records, decisions = _drift_records()
    case = run_drift_case(write_case(tmp_path, [records[0], records[2]], decisions[1:],
                                     baseline=baseline_yaml(versions=APPROVED_VERSIONS)))
    assert kinds(case) == [("D1", "tool", "WebSearch")]
    finding = case.findings[0]
    assert finding.severity == "critical" and finding.actor == AGENT
    assert sorted(r.locator for r in finding.refs) == ["json:/1", "line 1"]
    assert finding.details["blocked"] == 1 and finding.details["occurrences"] == 2
    assert finding.details["escalation"]["required_evidence"]["decision"]["decision_id"] == "d-2"
    assert [s["step"] for s in finding.details["enforcement"]] == ["prevent", "block", "disable"]


def test_prohibited_label_is_policy_restricted_and_escalated_as_s1(tmp_path):
    label = resource("Shared Documents/investigation.docx", label=RESTRICTED,
                     Status="Blocked", PolicyDetails=[BLOCK])
    records = [copilot("rec-9", "2026-03-03T15:00:00", label)]
    decisions = [decision("d-9", "2026-03-03T15:00:02Z", ("SharePointSearch", "read"),
                          routing="escalate", action_result="blocked", audit_record_id="rec-9",
                          policy_ids=["dlp-restricted"],
                          ticket={"id": "INC-9", "opened": "2026-03-03T15:20:00Z",
                                  "resolved": "2026-03-03T16:20:00Z"})]
    case = run_drift_case(write_case(tmp_path, records, decisions))
    assert kinds(case) == [("D3", "prohibited-label",
                            f"{HR_SITE}/Shared Documents/investigation.docx")]
    finding = case.findings[0]
    assert finding.details["detail"] == "Highly Confidential"
    assert finding.details["blocked"] == 1                       # policy restricted it
    entry = finding.details["escalation"]
    assert (entry["severity"], entry["ticket"], entry["evidence_complete"]) == ("S1", "INC-9", True)
    metrics = case.artifacts["drift_metrics"]
    assert [m["s1"] for m in metrics] == [{"events": 1, "ticketed": 1, "mttd_seconds": 1200.0,
                                           "mttr_seconds": 3600.0}]
    assert metrics[0]["top_policy_blocks"] == [{"policy": "Restricted content block",
                                                "blocks": 2}]


def test_after_the_baseline_approves_the_new_scope_the_same_records_raise_nothing(tmp_path):
    records, decisions = _drift_records()
    before = run_drift_case(write_case(tmp_path / "before", records, decisions))
    assert {k[0] for k in kinds(before)} == {"D1", "D2", "D6"}
    approved = baseline_yaml(
        tools='[{name: "SharePointSearch", operations: [read]}, '
              '{name: "WebSearch", operations: [read]}]',
        sources=f'["{HR_SITE}*", "{FINANCE}/*", "{FINANCE}"]',
        versions=APPROVED_VERSIONS)
    after = run_drift_case(write_case(tmp_path / "after", records, decisions, approved))
    assert kinds(after) == []
    assert [m["drift_events_total"] for m in after.artifacts["drift_metrics"]] == [0]
