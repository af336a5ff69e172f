"""The Escalation Matrix entry and the recommended enforcement of every drift finding.

Seed 003: every D1-D3 event maps to an escalation entry with severity S1 by default, a triage
SLA of 15-30 minutes and three pieces of required evidence (an audit log excerpt, the decision
log id, the baseline reference); D3 is S1 when a prohibited label boundary is crossed. Here a
D3 that is only a policy block or a label outside the allowed set is S2, D6 (a hard signal the
seed does not grade) is S2, and the soft signals D4 and D5 are S3 and need a human review
before any enforcement. Enforcement is recommended in the seed's order of preference:
prevent, block, throttle, disable.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..baseline import AgentBaseline, Baseline

HARD = frozenset({"D1", "D2", "D3", "D6"})
SEVERITY_TABLE: Mapping[tuple[str, str], str] = {
    ("D1", "tool"): "S1", ("D1", "operation"): "S1", ("D1", "action"): "S1",
    ("D2", "scope"): "S1",
    ("D3", "prohibited-label"): "S1", ("D3", "policy-block"): "S2",
    ("D3", "label-not-allowed"): "S2",
    ("D4", "weekly-volume"): "S3", ("D4", "rate-minute"): "S3", ("D4", "notify-hour"): "S3",
    ("D4", "off-hours"): "S3",
    ("D5", "policy-hit-rate"): "S3",
    ("D6", "unlisted-version"): "S2", ("D6", "no-ticket"): "S2",
}
FINDING_SEVERITY = {"S1": "critical", "S2": "high", "S3": "medium", "S4": "low"}
# Initial triage: seed 003 sets 15-30 minutes for every D1-D3 event; the rest are ours.
TRIAGE_SLA = {"hard-d1-d3": (15, 30), "S2": (60, 240), "S3": (480, 1440)}
ENFORCEMENT_ORDER = ("prevent", "block", "throttle", "disable")
BASELINE_KEY = {"D1": "tools", "D2": "data_sources", "D3": "labels", "D4": "limits",
                "D5": "limits", "D6": "versions"}


def severity(rule: str, kind: str) -> str:
    return SEVERITY_TABLE[(rule, kind)]


def triage_sla(rule: str, level: str) -> tuple[int, int]:
    return TRIAGE_SLA["hard-d1-d3"] if rule in ("D1", "D2", "D3") else TRIAGE_SLA[level]


def enforcement(rule: str, kind: str, subject: str, detail: str, unblocked: bool
                ) -> list[dict[str, str]]:
    """The recommended steps, in the seed's order of preference."""
    steps: dict[str, str] = {}
    if rule == "D1" and kind == "action":
        steps["prevent"] = f"remove the agent's ability to take {subject} actions"
        steps["disable"] = "disable the agent until the wider envelope is reviewed"
    elif rule == "D1":
        steps["prevent"] = f"deny the agent's permission to the connector/tool {subject}"
        steps["block"] = f"add an agent-level policy block for {subject}"
        steps["disable"] = "disable the agent if the tool's origin is unknown"
    elif rule == "D2":
        steps["prevent"] = "restrict the agent's SharePoint / Graph scope to its data_sources"
        steps["block"] = f"block the agent's access to {subject} by policy"
    elif rule == "D3":
        label = detail or "the label"
        steps["prevent"] = (f"enforce label-based access so {label} content is out of reach"
                            if kind != "policy-block" else
                            "narrow the agent's data scope to content its policies allow")
        steps["block"] = (f"DLP block-without-override for {label}" if kind != "policy-block"
                          else f"keep policy {label} blocking without override")
        if unblocked and kind == "prohibited-label":
            steps["disable"] = "disable the agent: prohibited content was reached unblocked"
    elif rule == "D4":
        steps["throttle"] = "rate-limit the agent to its baseline limits; owner to review"
    elif rule == "D5":
        steps["prevent"] = "review prompt patterns and data sources; update DLP / access controls"
    elif rule == "D6":
        steps["disable"] = f"disable the agent until version {subject} has an approved ticket"
    return [{"step": s, "action": steps[s]} for s in ENFORCEMENT_ORDER if s in steps]


def entry(rule: str, kind: str, agent: AgentBaseline, baseline: Baseline,
          audit_ref: Mapping[str, str] | None, link: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Escalation Matrix entry: severity, SLA, routing and the required evidence."""
    level = severity(rule, kind)
    low, high = triage_sla(rule, level)
    key = BASELINE_KEY[rule]
    reference = {"file": baseline.path, "sha256": baseline.sha256, "agent_id": agent.agent_id,
                 "line": agent.line, "key": key, "key_line": agent.key_lines.get(key)}
    decision = ({"decision_id": link["decision_id"], "sha256": link["sha256"],
                 "locator": link["locator"]} if link else None)
    missing = [name for name, value in (("audit_excerpt", audit_ref), ("decision_id", decision))
               if value is None]
    return {
        "severity": level,
        "signal": "hard" if rule in HARD else "soft",
        "triage_sla_minutes": {"from": low, "to": high},
        "route_to": agent.owner,
        "human_review_before_enforcement": rule not in HARD,
        "required_evidence": {"audit_excerpt": audit_ref, "decision": decision,
                              "baseline": reference},
        "evidence_complete": not missing,
        "missing_evidence": missing,
        "ticket": (link or {}).get("ticket_id"),
    }
