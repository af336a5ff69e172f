"""Azure activity analyzer: operations grouped from their records, the intrusion golden, a
benign admin day, and the operations timeline."""

from __future__ import annotations

from pathlib import Path

from goldens import check_golden

from tracehound.analyzers import Context, get
from tracehound.evidence import collect
from tracehound.model import SEVERITY_RANK
from tracehound.pipeline import Options, analyze, parse_sources

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cloud" / "azure"


def case_of(name: str):
    return analyze([FIXTURES / name], Options(tools=["azure-activity"]))


def test_intrusion_findings_match_golden():
    found = case_of("attack_activity.json").findings
    check_golden("azure_activity/findings.json", [f.to_json() for f in found])
    assert [(f.rule, f.category, f.severity) for f in found] == [
        ("TH-AZ-RBAC-PRIVILEGED", "rbac-change", "high"),
        ("TH-AZ-RBAC-PRIVILEGED", "rbac-change", "medium"),
        ("TH-AZ-VM-RUN-COMMAND", "resource-change", "high"),
        ("TH-AZ-VM-EXTENSION", "resource-change", "medium"),
        ("TH-AZ-KEYVAULT-ACCESS", "resource-change", "medium"),
        ("TH-AZ-DEFENDER-DISABLED", "audit-tampering", "high"),
        ("TH-AZ-DIAGNOSTICS-REMOVED", "audit-tampering", "high"),
        ("TH-AZ-NSG-OPEN-INBOUND", "network-change", "high"),
        ("TH-AZ-PUBLIC-IP", "network-change", "low")]


def test_one_finding_per_operation_citing_begin_and_end_records():
    owner = case_of("attack_activity.json").findings[0]
    assert sorted(r.locator for r in owner.refs) == ["json:/16", "json:/17"]
    assert owner.statement == (
        "it-helpdesk@contoso.com from 203.0.113.77 assigned the Owner role to principal "
        "5e0c6b1a-7f3d-4b2e-9a8c-1d2e3f4a5b6c at scope "
        "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590.")


def test_diagnostic_export_upper_case_operation_is_still_detected():
    found = case_of("diagnostic_export.ndjson").findings
    assert [(f.rule, sorted(r.locator for r in f.refs)) for f in found] == [
        ("TH-AZ-RBAC-PRIVILEGED", ["line 6", "line 7"])]


def test_benign_admin_day_has_nothing_above_low():
    found = case_of("benign_admin_day.json").findings
    assert [f.rule for f in found] == ["TH-AZ-VM-CHANGED", "TH-AZ-RBAC-ASSIGNED",
                                       "TH-AZ-NSG-RULE-CHANGED", "TH-AZ-VM-CHANGED"]
    assert all(SEVERITY_RANK[f.severity] <= SEVERITY_RANK["low"] for f in found)


def test_operations_timeline_artifact_lists_each_operation_once():
    with collect([FIXTURES / "benign_admin_day.json"]) as intake:
        _, events, _, _ = parse_sources(intake, None, None)
    entries = get("azure-activity").artifacts(events, Context())["azure_operations"]
    assert [(e["time"], e["operation"], e["status"]) for e in entries] == [
        ("2024-03-12T08:10:00Z", "Microsoft.Compute/virtualMachines/write", "Succeeded"),
        ("2024-03-12T08:20:00Z", "Microsoft.Compute/virtualMachines/start/action", "Succeeded"),
        ("2024-03-12T09:00:00Z", "Microsoft.Resources/subscriptions/resourceGroups/write",
         "Succeeded"),
        ("2024-03-12T09:05:00Z", "Microsoft.Authorization/roleAssignments/write", "Succeeded"),
        ("2024-03-12T10:30:00Z", "Microsoft.Network/networkSecurityGroups/securityRules/write",
         "Succeeded"),
        ("2024-03-12T11:00:00Z", "Microsoft.Web/sites/write", "Succeeded"),
        ("2024-03-12T17:45:00Z", "Microsoft.Compute/virtualMachines/deallocate/action",
         "Succeeded"),
        ("2024-03-12T17:50:00Z", "Microsoft.Compute/virtualMachines/delete", "Succeeded")]
    assert all(len(e["refs"]) == 2 for e in entries)


def test_begin_and_end_in_one_second_give_the_end_status_whatever_their_order():
    import json
    from tracehound.formats.cloud.azure_activity import to_event
    from tracehound.model import pointer_ref
    begin, end = json.loads((FIXTURES / "benign_admin_day.json").read_text())["value"][:2]
    begin["eventTimestamp"] = end["eventTimestamp"] = "2024-03-12T08:10:00Z"
    for first, second in ((begin, end), (end, begin)):
        events = [to_event(record, pointer_ref("e" * 64, n))
                  for n, record in enumerate((first, second))]
        for order in (events, events[::-1]):
            [entry] = get("azure-activity").artifacts(order, Context())["azure_operations"]
            assert (entry["status"], len(entry["refs"])) == ("Succeeded", 2)
