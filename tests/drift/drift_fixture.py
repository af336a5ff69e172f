"""The multi-week drift fixture: six weeks of Copilot audit records and decisions, where weeks
1-5 stay inside the baseline and week 6 (from 2026-03-09) drifts on D1-D6.

Written to tests/fixtures/drift/multiweek/ by `python tests/drift/drift_fixture.py`;
tests/drift/test_multiweek.py checks the committed files equal what this module renders.

Agents: hr-policy-assistant (zone 3, the one that drifts), it-helpdesk-agent (zone 2: its
15:30 UTC answers fall inside New York business hours until the clocks change on 2026-03-08,
then one hour outside them), marketing-bot (no baseline entry: metrics only). London stays on
GMT for all six weeks.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

OUT = Path(__file__).parent.parent / "fixtures" / "drift" / "multiweek"
WEEKS = [datetime(2026, 2, 2) + timedelta(weeks=n) for n in range(6)]
DRIFT_WEEK = WEEKS[5]
HR_SITE = "https://contoso.sharepoint.com/sites/HRPolicies"
IT_SITE = "https://contoso.sharepoint.com/sites/ITKB"
FINANCE_SITE = "https://contoso.sharepoint.com/sites/Finance"
GENERAL = "a1b2c3d4-0000-4000-8000-00000000000a"
CONFIDENTIAL = "a1b2c3d4-0000-4000-8000-00000000000c"
HIGHLY_CONFIDENTIAL = "a1b2c3d4-0000-4000-8000-00000000000f"
CSV_HEADER = ["RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData",
              "AssociatedAdminUnits", "AssociatedAdminUnitsNames"]

BASELINE = """\
# Scope baseline for the multi-week drift fixture (CONTRACT.md shape).
agents:
  - agent_id: "hr-policy-assistant"
    name: "HR Policy Assistant"
    owner: "hr-it@contoso.com"
    zone: 3
    versions:
      - {version: "1.3.0", ticket: "CHG-1042"}
    tools:
      - {name: "SharePointSearch", operations: [read]}
      - {name: "TeamsNotify", operations: [write]}
    data_sources:
      - "https://contoso.sharepoint.com/sites/HRPolicies*"
    labels:
      allowed: ["General", "Internal", "Confidential"]
      prohibited: ["Highly Confidential"]
      names:
        "a1b2c3d4-0000-4000-8000-00000000000a": "General"
        "a1b2c3d4-0000-4000-8000-00000000000c": "Confidential"
        "a1b2c3d4-0000-4000-8000-00000000000f": "Highly Confidential"
    actions: [Read, Generate, Notify]
    limits:
      max_actions_per_minute: 20
      max_notifications_per_hour: 10
      business_hours: {tz: "Europe/London", days: Mon-Fri, from: "08:00", to: "18:00"}
      volume_factor: 3.0
  - agent_id: "it-helpdesk-agent"
    name: "IT Helpdesk"
    owner: "it-ops@contoso.com"
    zone: 2
    versions:
      - {version: "2.0.1", ticket: "CHG-2001"}
    tools:
      - {name: "SharePointSearch", operations: [read]}
    data_sources:
      - "https://contoso.sharepoint.com/sites/ITKB/*"
    labels:
      allowed: ["General"]
      prohibited: ["Highly Confidential"]
      names: {"a1b2c3d4-0000-4000-8000-00000000000a": "General"}
    actions: [Read, Generate]
    limits:
      max_actions_per_minute: 30
      business_hours: {tz: "America/New_York", days: Mon-Fri, from: "05:00", to: "11:00"}
"""


class Builder:
    """Collects audit rows and decisions in the order they are added."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.decisions: list[dict] = []

    def record(self, when: datetime, agent: str, version: str, docs: list[dict],
               plugins: tuple[str, ...] = ("SharePointSearch",), camel: bool = False) -> str:
        record_id = f"rec-{len(self.rows) + 1:04d}"
        names = _camel if camel else (lambda key: key)
        resources = [{names(k): v for k, v in doc.items()} for doc in docs]
        event = {names("AppHost"): "Teams", names("ThreadId"): f"thread-{record_id}",
                 names("AISystemPlugin"): [{"Id": f"plugin-{p.lower()}", "Name": p}
                                           for p in plugins],
                 names("AccessedResources"): resources,
                 names("Messages"): [{"Id": f"msg-{record_id}", "isPrompt": True,
                                      "JailbreakDetected": False}]}
        audit = {"CreationTime": when.strftime("%Y-%m-%dT%H:%M:%S"), "Id": record_id,
                 "Operation": "CopilotInteraction", "RecordType": 261, "Workload": "Copilot",
                 "UserId": "alice@contoso.com", "CopilotEventData": event}
        identity = {"AgentId": agent, "AgentName": agent.replace("-", " ").title(),
                    "AgentVersion": version}
        if camel:
            audit.update(identity)                    # top level of AuditData
        else:
            event.update(identity)                    # inside CopilotEventData
        self.rows.append([record_id, when.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"), "261",
                          "CopilotInteraction", "alice@contoso.com",
                          json.dumps(audit, separators=(",", ":")), "", ""])
        return record_id

    def decision(self, when: datetime, agent: str, version: str, tool: str, operation: str,
                 **extra: object) -> None:
        entry = {"decision_id": f"d-{len(self.decisions) + 1:05d}",
                 "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "agent_id": agent,
                 "agent_version": version, "confidence_band": "high", "routing": "auto",
                 "action_result": "executed", "policy_ids": [],
                 "tool_calls": [{"tool": tool, "operation": operation}]}
        entry.update(extra)
        self.decisions.append(entry)


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]


def doc(name: str, label: str = CONFIDENTIAL, site: str = HR_SITE, policy: dict | None = None,
        status: str = "Success") -> dict:
    resource = {"ID": f"{site}/Shared Documents/{name}", "Name": name, "Type": "File",
                "SiteUrl": site, "Action": "Read", "Status": status, "SensitivityLabelId": label}
    if policy:
        resource["PolicyDetails"] = [policy]
    return resource


DLP_AUDIT = {"PolicyId": "dlp-hr-pii", "PolicyName": "HR PII audit",
             "Rules": [{"RuleId": "r-1", "RuleName": "PII in HR docs", "Action": "Audit"}]}
DLP_BLOCK = {"PolicyId": "dlp-restricted", "PolicyName": "Restricted content block",
             "Rules": [{"RuleId": "r-9", "RuleName": "Highly confidential", "Action": "Block"}]}
HR, IT, MKT = "hr-policy-assistant", "it-helpdesk-agent", "marketing-bot"


def clean_week(b: Builder, start: datetime, index: int) -> None:
    """Weekly routine: 15 HR interactions, 10 HR decisions, 10 IT interactions."""
    policy_days = {1, 3} if index % 2 else {2}           # one or two DLP audit matches a week
    for day in range(5):
        date = start + timedelta(days=day)
        version = "1.4.0" if start == DRIFT_WEEK and day >= 2 else "1.3.0"
        for slot, hour in enumerate((9, 11, 14)):
            policy = DLP_AUDIT if hour == 14 and day in policy_days else None
            b.record(date.replace(hour=hour), HR, version,
                     [doc(f"policy-{slot}.docx", GENERAL if slot else CONFIDENTIAL,
                          policy=policy)])
        b.decision(date.replace(hour=9, second=5), HR, version, "SharePointSearch", "read")
        b.decision(date.replace(hour=16), HR, version, "TeamsNotify", "write", action="Notify")
        for hour in (10, 15):
            b.record(date.replace(hour=hour, minute=30), IT, "2.0.1",
                     [doc("vpn-howto.docx", GENERAL, site=IT_SITE)], camel=True)
    if index >= 4:
        b.record(start.replace(hour=12), MKT, "0.9", [doc("campaign.pptx", GENERAL,
                 site="https://contoso.sharepoint.com/sites/Marketing")])


def drift_week(b: Builder) -> None:
    """Week 6's additions: every detection fires once or more."""
    tue, wed, thu, fri, sat = (DRIFT_WEEK + timedelta(days=d) for d in (1, 2, 3, 4, 5))
    for i in range(24):                                                  # D4 rate-minute
        b.record(tue.replace(hour=14, second=2 * i), HR, "1.3.0",
                 [doc("handbook.docx", policy=DLP_AUDIT if i < 4 else None)])  # D5 hits
    for i in range(30):                                                  # D4 weekly volume
        b.record(thu.replace(hour=10, minute=i), HR, "1.4.0", [doc("benefits.docx", GENERAL)])
    for minute in (0, 5):                                                # D1 new tool
        rid = b.record(wed.replace(hour=10, minute=minute), HR, "1.4.0",
                       [doc("holiday.docx")], plugins=("SharePointSearch", "WebSearch"))
        if minute == 0:
            b.decision(wed.replace(hour=10, second=3), HR, "1.4.0", "WebSearch", "read",
                       routing="escalate", action_result="blocked", audit_record_id=rid,
                       ticket={"id": "INC-3001", "opened": "2026-03-11T10:12:00Z",
                               "resolved": "2026-03-11T12:00:00Z"})
    for minute, name in ((0, "budget.xlsx"), (30, "payroll.xlsx")):     # D2 new data scope
        rid = b.record(wed.replace(hour=11, minute=minute), HR, "1.4.0",
                       [doc(name, site=FINANCE_SITE)])
        if minute == 0:
            b.decision(wed.replace(hour=11, second=4), HR, "1.4.0", "SharePointSearch", "read",
                       routing="human-review", audit_record_id=rid,
                       ticket={"id": "INC-3002", "opened": "2026-03-11T11:20:00Z"})
    rid = b.record(thu.replace(hour=15), HR, "1.4.0",                    # D3 prohibited label
                   [doc("investigation.docx", HIGHLY_CONFIDENTIAL, policy=DLP_BLOCK,
                        status="Blocked")])
    b.decision(thu.replace(hour=15, second=2), HR, "1.4.0", "SharePointSearch", "read",
               routing="escalate", action_result="blocked", audit_record_id=rid,
               policy_ids=["dlp-restricted"],
               ticket={"id": "INC-3003", "opened": "2026-03-12T15:25:00Z",
                       "resolved": "2026-03-12T17:00:00Z"})
    for minute in range(0, 48, 4):                                       # D4 notify-hour
        b.decision(fri.replace(hour=16, minute=minute, second=30), HR, "1.4.0", "TeamsNotify",
                   "write", action="Notify")
    for minute in (0, 10):                                               # D4 off-hours
        b.record(sat.replace(hour=10, minute=minute), HR, "1.4.0", [doc("policy-0.docx")])


def render() -> dict[str, str]:
    """File name -> text of the fixture."""
    b = Builder()
    for index, start in enumerate(WEEKS):
        clean_week(b, start, index)
    drift_week(b)
    rows = sorted(b.rows, key=lambda r: (r[1], r[0]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    decisions = sorted(b.decisions, key=lambda d: (d["time"], d["decision_id"]))
    return {"baseline.yaml": BASELINE,
            "purview-copilot.csv": buffer.getvalue(),
            "decisions.ndjson": "".join(json.dumps(d, sort_keys=True) + "\n" for d in decisions)}


def write(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (out / name).write_text(text, encoding="utf-8", newline="")


if __name__ == "__main__":
    write()
