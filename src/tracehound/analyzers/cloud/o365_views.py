"""Tool 3, O365 audit log views: timeline, suspicious, users, IPs, mailbox, inbox rules.

No findings of its own (tools 1 and 2 report); it hands back the six views of the UAL events
as artifacts (`o365_views`: one {view, columns, total, rows} entry per view, rows capped at
`view_limit`, default 5,000, with `total` the uncapped count) and `view_csv` renders one as
spreadsheet-safe CSV. "suspicious" lists the hits of every UAL detection with its rule id.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from ...model import Event, Finding
from ..registry import Analyzer, Context, register
from . import m365_detections as detections
from .o365_audit import detection_settings
from .sql import connection, rows, sql_list

UAL = "FROM events WHERE source = 'm365:ual'"
VIEWS: dict[str, str] = {
    "timeline": f"""
SELECT time, actor_id AS actor, action AS operation, attrs->>'$.workload' AS workload,
  attrs->>'$.client_ip' AS client_ip, target_id AS target, outcome, sha256, locator
{UAL} ORDER BY time, sha256, locator""",
    "users": f"""
SELECT actor_id AS actor, count(*) AS events, min(time) AS first, max(time) AS last,
  count(DISTINCT attrs->>'$.client_ip') AS addresses,
  string_agg(DISTINCT attrs->>'$.workload', ' ' ORDER BY attrs->>'$.workload') AS workloads,
  count(*) FILTER (WHERE outcome = 'failure') AS failures
{UAL} GROUP BY actor_id ORDER BY actor_id""",
    "ips": f"""
SELECT attrs->>'$.client_ip' AS client_ip, count(*) AS events, min(time) AS first,
  max(time) AS last, string_agg(DISTINCT actor_id, ' ' ORDER BY actor_id) AS actors
{UAL} AND attrs->>'$.client_ip' IS NOT NULL GROUP BY ALL ORDER BY client_ip""",
    "mailbox": f"""
SELECT time, actor_id AS actor, action AS operation, target_id AS target,
  attrs->>'$.client_ip' AS client_ip, outcome, sha256, locator
{UAL} AND attrs->>'$.workload' = 'Exchange' ORDER BY time, sha256, locator""",
    "inbox_rules": f"""
SELECT time, actor_id AS actor, action AS operation,
  coalesce(attrs->'$.parameters'->>'$.Name', attrs->'$.parameters'->>'$.RuleName',
           attrs->'$.parameters'->>'$.Identity') AS rule_name,
  CAST(attrs->'$.parameters' AS VARCHAR) AS parameters, attrs->>'$.client_ip' AS client_ip,
  sha256, locator
{UAL} AND action IN {sql_list(detections.INBOX_OPS)} ORDER BY time, sha256, locator""",
}
SUSPICIOUS_COLUMNS = ["time", "severity", "rule", "category", "actor", "target", "client_ip",
                      "refs"]


@register
class O365ViewsAnalyzer(Analyzer):
    NAME = "o365-views"
    VERSION = "1"
    FAMILY = "cloud"
    TITLE = "O365 audit log views: timeline, suspicious, users, IPs, mailbox, inbox rules"
    CONSUMES = ("m365:ual",)

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        return []

    def artifacts(self, events: Sequence[Event], ctx: Context) -> Mapping[str, list]:
        limit = int(ctx.setting("view_limit", 5000))
        with connection(events, ctx) as con:
            return {"o365_views": build_views(con, detection_settings(ctx), limit)}


def build_views(con: Any, settings: Mapping[str, Any], limit: int) -> list[dict[str, Any]]:
    out = []
    for name, sql in VIEWS.items():
        total = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
        found = rows(con, f"{sql} LIMIT {int(limit)}")
        out.append({"view": name, "columns": list(found[0]) if found else [],
                    "total": total, "rows": found})
    hits = detections.hits(con, (*detections.O365_DETECTIONS, *detections.UAL_DETECTIONS),
                           settings)
    suspicious = sorted((_suspicious_row(h) for h in hits),
                        key=lambda r: (r["time"] or "", r["rule"], r["refs"]))
    out.insert(1, {"view": "suspicious", "columns": SUSPICIOUS_COLUMNS, "total": len(suspicious),
                   "rows": suspicious[:limit]})
    return out


def _suspicious_row(hit: dict[str, Any]) -> dict[str, Any]:
    refs = hit.get("refs") or [{"sha256": hit["sha256"], "locator": hit["locator"]}]
    return {"time": hit.get("time"), "severity": hit.get("severity"), "rule": hit["rule"],
            "category": hit["category"], "actor": hit.get("actor"), "target": hit.get("target"),
            "client_ip": hit.get("client_ip"),
            "refs": " ".join(f"{r['sha256'][:12]}:{r['locator']}" for r in refs)}


def view_csv(view: Mapping[str, Any]) -> str:
    """One view as CSV; cells a spreadsheet would run as a formula are defused."""
    from ...report.serialize import rows_csv      # the one formula-safe CSV writer
    return rows_csv(list(view["columns"]), list(view["rows"]))
