"""Weekly drift metrics per agent (seed 003's dashboard feeders), as JSON and as a Rich table.

The numbers come from the metrics SQL; this module only shapes them: one record per agent and
week with drift_events_total, drift_events_by_type (D1-D6), blocked vs allowed actions, the
top new resources, the top policy blocks, and MTTD / MTTR of S1 findings in seconds (None when
no S1 finding of that week has a ticket or escalating decision to time it by).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping

from rich.table import Table
from rich.text import Text

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


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def metrics_table(metrics: list[Mapping[str, Any]]) -> Table:
    table = Table(title=f"Weekly drift metrics ({len(metrics)} agent-weeks)", title_justify="left")
    for column in ("agent", "week", "actions blocked/total", "drift", "by type", "S1",
                   "MTTD / MTTR", "top new resource", "top policy block"):
        table.add_column(column, overflow="fold")
    for m in metrics:
        by_type = " ".join(f"{d}:{n}" for d, n in m["drift_events_by_type"].items() if n)
        top_resource = m["top_new_resources"][0]["resource"] if m["top_new_resources"] else ""
        top_policy = m["top_policy_blocks"][0]["policy"] if m["top_policy_blocks"] else ""
        s1 = m["s1"]
        table.add_row(
            Text(m["agent_id"] + ("" if m["governed"] else " (no baseline)")), Text(m["week"]),
            Text(f"{m['actions']['blocked']}/{m['actions']['total']}"),
            Text(str(m["drift_events_total"]), style="bold" if m["drift_events_total"] else ""),
            Text(by_type), Text(str(s1["events"]) if s1["events"] else ""),
            Text(f"{_duration(s1['mttd_seconds'])} / {_duration(s1['mttr_seconds'])}"
                 if s1["events"] else ""),
            Text(top_resource), Text(top_policy))
    return table
