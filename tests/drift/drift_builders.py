"""Tiny builders so a drift test reads like the case it checks: a baseline, Copilot audit
records, decisions, written to a folder and run through the pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tracehound.pipeline import Case, Options, analyze

AGENT = "hr-policy-assistant"
HR_SITE = "https://contoso.sharepoint.com/sites/HRPolicies"
CONFIDENTIAL = "a1b2c3d4-0000-4000-8000-00000000000c"
RESTRICTED = "a1b2c3d4-0000-4000-8000-00000000000f"


def baseline_yaml(tools: str = '[{name: "SharePointSearch", operations: [read]}]',
                  sources: str = f'["{HR_SITE}*"]',
                  versions: str = '[{version: "1.3.0", ticket: "CHG-1042"}]') -> str:
    return f"""agents:
  - agent_id: "{AGENT}"
    name: "HR Policy Assistant"
    owner: "hr-it@contoso.com"
    zone: 3
    versions: {versions}
    tools: {tools}
    data_sources: {sources}
    labels:
      allowed: ["General", "Confidential"]
      prohibited: ["Highly Confidential"]
      names: {{"{CONFIDENTIAL}": "Confidential", "{RESTRICTED}": "Highly Confidential"}}
    actions: [Read, Generate, Notify]
    limits: {{max_actions_per_minute: 20}}
"""


def resource(path: str, site: str = HR_SITE, label: str = CONFIDENTIAL, **extra: Any) -> dict:
    return {"ID": f"{site}/{path}", "Name": path.rsplit("/", 1)[-1], "Type": "File",
            "SiteUrl": site, "Action": "Read", "Status": "Success",
            "SensitivityLabelId": label, **extra}


def copilot(record_id: str, when: str, *resources: dict, plugins: tuple[str, ...] = (),
            version: str = "1.3.0", agent: str = AGENT) -> dict:
    """One CopilotInteraction AuditData record."""
    return {"CreationTime": when, "Id": record_id, "Operation": "CopilotInteraction",
            "RecordType": 261, "Workload": "Copilot", "UserId": "alice@contoso.com",
            "AgentId": agent, "AgentName": "HR Policy Assistant", "AgentVersion": version,
            "CopilotEventData": {"AppHost": "Teams", "AccessedResources": list(resources),
                                 "AISystemPlugin": [{"Name": p} for p in plugins]}}


def decision(decision_id: str, when: str, *calls: tuple[str, str], agent: str = AGENT,
             **extra: Any) -> dict:
    return {"decision_id": decision_id, "time": when, "agent_id": agent,
            "agent_version": extra.pop("agent_version", "1.3.0"), "confidence_band": "high",
            "routing": "auto", "action_result": "executed", "policy_ids": [],
            "tool_calls": [{"tool": t, "operation": o} for t, o in calls], **extra}


def write_case(folder: Path, records: list[dict], decisions: list[dict] = (),
               baseline: str | None = None) -> Path:
    """audit.json (a JSON array), decisions.ndjson and baseline.yaml in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "audit.json").write_text(json.dumps(records, indent=1), encoding="utf-8")
    if decisions:
        (folder / "decisions.ndjson").write_text(
            "".join(json.dumps(d) + "\n" for d in decisions), encoding="utf-8")
    (folder / "baseline.yaml").write_text(baseline or baseline_yaml(), encoding="utf-8")
    return folder


def run_drift_case(folder: Path, **settings: Any) -> Case:
    paths = [folder / "audit.json"]
    if (folder / "decisions.ndjson").exists():
        paths.append(folder / "decisions.ndjson")
    return analyze(paths, Options(baseline_path=folder / "baseline.yaml", tools=["drift"],
                                  settings=settings, reproducible=True))


def multiweek_case(folder: Path, monkeypatch: Any, **settings: Any) -> Case:
    """The multi-week fixture's audit CSV and decisions against its baseline, run from inside
    the folder so that no absolute path reaches a golden."""
    monkeypatch.chdir(folder)
    return analyze(["purview-copilot.csv", "decisions.ndjson"],
                   Options(baseline_path=Path("baseline.yaml"), tools=["drift"],
                           settings=settings, reproducible=True))


def kinds(case: Case) -> list[tuple[str, str, str]]:
    """(detection, kind, subject) of every finding, sorted."""
    return sorted((f.details["detection"], f.details["kind"], f.details["subject"])
                  for f in case.findings)
