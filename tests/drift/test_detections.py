"""One detection kind at a time, on the smallest case that shows it."""

from __future__ import annotations

from drift_builders import (AGENT, CONFIDENTIAL, HR_SITE, baseline_yaml, copilot, decision,
                            kinds, resource, run_drift_case, write_case)
from tracehound.analyzers import Context, get
from tracehound.baseline import parse_baseline
from tracehound.model import Event, line_ref

SHA = "ab" * 32
PUBLIC = "a1b2c3d4-0000-4000-8000-0000000000ee"


def test_operation_and_action_outside_the_envelope(tmp_path):
    decisions = [decision("d-1", "2026-03-02T10:00:00Z", ("SharePointSearch", "write")),
                 decision("d-2", "2026-03-02T10:05:00Z", ("SharePointSearch", "read"),
                          action="Execute")]
    case = run_drift_case(write_case(tmp_path, [copilot("r", "2026-03-02T09:00:00")], decisions))
    assert kinds(case) == [("D1", "action", "DraftWrite"), ("D1", "action", "Execute"),
                           ("D1", "operation", "SharePointSearch")]
    operation = next(f for f in case.findings if f.details["kind"] == "operation")
    assert operation.details["detail"] == "write"
    assert operation.statement == (
        f"Agent {AGENT} used tool 'SharePointSearch' with operation 'write'; its baseline "
        "allows only read (1 time, first 2026-03-02T10:00:00Z).")


def test_policy_block_and_label_outside_the_allowed_set_are_s2(tmp_path):
    block = {"PolicyId": "dlp-9", "PolicyName": "Card numbers", "Rules": [{"Action": "Block"}]}
    records = [copilot("r1", "2026-03-02T09:00:00",
                       resource("Shared Documents/cards.xlsx", PolicyDetails=[block])),
               copilot("r2", "2026-03-02T09:30:00",
                       resource("Shared Documents/menu.docx", label=PUBLIC))]
    case = run_drift_case(write_case(tmp_path, records))
    got = sorted((f.details["kind"], f.details["detail"], f.details["escalation"]["severity"],
                  f.severity) for f in case.findings)
    assert got == [("label-not-allowed", PUBLIC, "S2", "high"),
                   ("policy-block", "Card numbers", "S2", "high")]
    for finding in case.findings:     # every D1-D3 event keeps the 15-30 minute triage SLA
        assert finding.details["escalation"]["triage_sla_minutes"] == {"from": 15, "to": 30}


def test_a_version_listed_without_a_ticket_is_d6(tmp_path):
    baseline = baseline_yaml(versions='[{version: "1.3.0", ticket: "CHG-1"}, {version: "1.4.0"}]')
    case = run_drift_case(write_case(tmp_path, [copilot("r", "2026-03-02T09:00:00",
                                                        version="1.4.0")], baseline=baseline))
    assert kinds(case) == [("D6", "no-ticket", "1.4.0")]
    assert [s["step"] for s in case.findings[0].details["enforcement"]] == ["disable"]


def test_agents_without_a_baseline_entry_get_metrics_but_no_findings(tmp_path):
    records = [copilot("r", "2026-03-02T09:00:00", resource("x", site="https://elsewhere"),
                       plugins=("Anything",), agent="shadow-agent")]
    case = run_drift_case(write_case(tmp_path, records))
    assert case.findings == []
    assert [(m["agent_id"], m["governed"]) for m in case.artifacts["drift_metrics"]] == [
        ("shadow-agent", False)]


def _tool_call(line: int, tool: str, target: str, action_class: str = "read") -> Event:
    return Event(ref=line_ref(SHA, line), source="agent:tool_call",
                 time=f"2026-03-02T10:0{line}:00Z", action=tool, action_class=action_class,
                 actor_id=AGENT, actor_kind="agent", target_id=target, target_type="file",
                 outcome="success", attrs={"tool": tool})


def test_tool_calls_of_agent_traces_count_as_the_agents_activity():
    baseline = parse_baseline(baseline_yaml().encode(), "baseline.yaml")
    events = [_tool_call(1, "read_file", "/etc/passwd"),
              _tool_call(2, "SharePointSearch", f"{HR_SITE}/a.docx")]
    ctx = Context(baseline=baseline)
    analyzer = get("drift")
    findings = list(analyzer.run(events, ctx))
    assert sorted((f.details["detection"], f.details["kind"], f.target) for f in findings) == [
        ("D1", "tool", "read_file"), ("D2", "scope", "/etc/passwd")]
    assert [r.locator for f in findings for r in f.refs] == ["line 1", "line 1"]
    [metrics] = analyzer.artifacts(events, ctx)["drift_metrics"]
    assert metrics["actions"] == {"total": 2, "blocked": 0, "allowed": 2}


def test_without_a_baseline_the_analyzer_reports_nothing():
    analyzer = get("drift")
    events = [_tool_call(1, "read_file", "/etc/passwd")]
    assert list(analyzer.run(events, Context())) == []
    assert analyzer.artifacts(events, Context()) == {}


def test_two_new_sites_in_one_record_are_two_findings(tmp_path):
    record = copilot("r", "2026-03-02T09:00:00",
                     resource("a.xlsx", site="https://contoso.sharepoint.com/sites/Finance"),
                     resource("b.xlsx", site="https://contoso.sharepoint.com/sites/Legal",
                              label=CONFIDENTIAL))
    case = run_drift_case(write_case(tmp_path, [record]))
    assert kinds(case) == [("D2", "scope", "https://contoso.sharepoint.com/sites/Finance"),
                           ("D2", "scope", "https://contoso.sharepoint.com/sites/Legal")]
    assert len({f.id for f in case.findings}) == 2       # same evidence, distinct findings
