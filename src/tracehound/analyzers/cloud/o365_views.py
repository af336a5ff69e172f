"""Tool 3, O365 audit log views: timeline, suspicious, users, IPs, mailbox, inbox rules.

No findings of its own (tools 1 and 2 report); it hands back the six views of the UAL events
as artifacts (`o365_views`: one {view, columns, total, rows} entry per view, rows capped at
`view_limit`, default 5,000, with `total` the uncapped count) and `report.views_files` writes
one as spreadsheet-safe CSV or JSON lines. "suspicious" lists the hits of every UAL detection with
its rule id (rows the detecting tools of the same case already queried are reused).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from ...model import Event, Finding
from ..registry import Analyzer, Context, register
from . import m365_detections as detections
from .sql import connection, rows, shared_rows, sql_list

UAL = "FROM th_ual_all"
# view -> (query, its order); `total` counts the query's rows without sorting them
VIEWS: dict[str, tuple[str, str]] = {
    "timeline": (f"""
SELECT time, actor, operation, workload, client_ip, target, outcome, sha256, locator
{UAL}""", "time, sha256, locator"),
    "users": (f"""
SELECT actor, count(*) AS events, min(time) AS first, max(time) AS last,
  count(DISTINCT client_ip) AS addresses,
  string_agg(DISTINCT workload, ' ' ORDER BY workload) AS workloads,
  count(*) FILTER (WHERE outcome = 'failure') AS failures
{UAL} GROUP BY actor""", "actor"),
    "ips": (f"""
SELECT client_ip, count(*) AS events, min(time) AS first, max(time) AS last,
  string_agg(DISTINCT actor, ' ' ORDER BY actor) AS actors
{UAL} WHERE client_ip IS NOT NULL GROUP BY ALL""", "client_ip"),
    "mailbox": (f"""
SELECT time, actor, operation, target, client_ip, outcome, sha256, locator
{UAL} WHERE workload = 'Exchange'""", "time, sha256, locator"),
    "inbox_rules": (f"""
SELECT time, actor, operation, {detections.inbox_rule_name("(a->'$.parameters')")} AS rule_name,
  CAST(a->'$.parameters' AS VARCHAR) AS parameters, client_ip, sha256, locator
{UAL} WHERE operation IN {sql_list(detections.INBOX_OPS)}""", "time, sha256, locator"),
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
    ARTIFACTS_ARE_VIEWS = True

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        return []

    def artifacts(self, events: Sequence[Event], ctx: Context) -> Mapping[str, list]:
        limit = int(ctx.setting("view_limit", 5000))
        with connection(events, ctx) as con:
            return {"o365_views": build_views(con, detections.detection_settings(ctx), limit,
                                              shared_rows(ctx))}


def build_views(con: Any, settings: Mapping[str, Any], limit: int,
                cache: dict | None = None) -> list[dict[str, Any]]:
    detections.prepare(con)
    out = []
    for name, (sql, order) in VIEWS.items():
        found = rows(con, f"{sql} ORDER BY {order} LIMIT {int(limit)}")
        total = (len(found) if len(found) < limit
                 else con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0])
        out.append({"view": name, "columns": list(found[0]) if found else [],
                    "total": total, "rows": found})
    hits = detections.hits(con, (*detections.O365_DETECTIONS, *detections.UAL_DETECTIONS),
                           settings, cache)
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

