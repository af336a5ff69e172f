"""Weekly drift metrics per agent (seed 003's dashboard feeders), as JSON
(`report.terminal.metrics_table` draws them for the terminal).

The numbers come from the metrics SQL; this module only shapes them: one record per agent and
week with drift_events_total, drift_events_by_type (D1-D6), blocked vs allowed actions, the
top new resources, the top policy blocks, and MTTD / MTTR of S1 findings in seconds (None when
no S1 finding of that week has a ticket or escalating decision to time it by).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..baseline import Baseline
from .run import DriftResult

DETECTIONS = ("D1", "D2", "D3", "D4", "D5", "D6")


def weekly_metrics(result: DriftResult, baseline: Baseline | None) -> list[dict[str, Any]]:
    tops: dict[tuple, dict[str, list]] = defaultdict(lambda: {"new_resources": [],
                                                              "policy_blocks": []})
    for row in sorted(result.top, key=lambda r: (r["list"], r["position"])):
        tops[(row["agent_key"], row["week"])][row["list"]].append(row)
    out = []
    for row in result.weekly:
        agent = baseline.agent(row["agent_key"]) if baseline else None
        top = tops[(row["agent_key"], row["week"])]
        out.append({
            "agent_id": agent.agent_id if agent else row["agent_id"],
            "agent_name": agent.name if agent else None,
            "governed": bool(row["governed"]),
            "week": row["week"],
            "drift_events_total": row["total"],
            "drift_events_by_type": {d: row[d.lower()] for d in DETECTIONS},
            "actions": {"total": row["actions"], "blocked": row["blocked"],
                        "allowed": row["allowed"]},
            "policy_hits": row["policy_hits"],
            "xpia_detected": row["xpia"],
            "jailbreak_detected": row["jailbreak"],
            "top_new_resources": [{"resource": t["name"], "accesses": t["n"]}
                                  for t in top["new_resources"]],
            "top_policy_blocks": [{"policy": t["name"], "blocks": t["n"]}
                                  for t in top["policy_blocks"]],
            "s1": {"events": row["s1"], "ticketed": row["s1_ticketed"],
                   "mttd_seconds": _seconds(row["mttd"]), "mttr_seconds": _seconds(row["mttr"])},
        })
    return sorted(out, key=lambda m: (m["agent_id"], m["week"]))


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)
