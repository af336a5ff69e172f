"""Tool 2, Unified Audit Log analyzer: every workload, privilege changes, data access, per user.

Findings: the privilege and data-access operations tool 1 does not already report (mailbox
delegation, credentials added to applications, content-search exports; definitions in
`m365_detections.UAL_DETECTIONS`). Artifacts (`ual_users`): one entry per user with their
event count, first and last time, workloads, addresses, privilege changes, data-access counts
by operation, and the first `timeline_per_user` (50) events of their timeline with refs.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from ...model import Event, Finding
from ..registry import Analyzer, Context, register
from . import m365_detections as detections
from .o365_audit import detection_settings
from .sql import connection, rows, shared_rows

USERS = """
SELECT coalesce(actor, '(unknown)') AS user, count(*) AS events, min(time) AS first,
  max(time) AS last,
  list(DISTINCT client_ip ORDER BY client_ip) FILTER (WHERE client_ip IS NOT NULL) AS ips
FROM th_ual_all GROUP BY ALL ORDER BY user
"""
COUNTS = """
SELECT coalesce(actor, '(unknown)') AS user, {key} AS key, count(*) AS n
FROM th_ual_all {where} GROUP BY ALL ORDER BY user, key
"""
PRIVILEGE = """
SELECT coalesce(actor, '(unknown)') AS user, time, operation, target, sha256, locator
FROM th_ual_all WHERE action_class IN ('permission-change', 'consent')
ORDER BY user, time, sha256, locator
"""
TIMELINE = """
SELECT * EXCLUDE (n) FROM (
  SELECT coalesce(actor, '(unknown)') AS user, time, operation, workload, client_ip, target,
    outcome, sha256, locator,
    row_number() OVER (PARTITION BY actor ORDER BY time, sha256, locator) AS n
  FROM th_ual_all)
WHERE n <= ? ORDER BY user, time, sha256, locator
"""
DATA_ACCESS = "WHERE action_class IN ('read', 'list')"


@register
class UnifiedAuditLogAnalyzer(Analyzer):
    NAME = "ual-analyzer"
    VERSION = "1"
    FAMILY = "cloud"
    TITLE = ("Unified Audit Log: all workloads normalized, privilege changes, data access, "
             "per-user timeline")
    CONSUMES = ("m365:ual",)

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        with connection(events, ctx) as con:
            return detections.run(con, detections.UAL_DETECTIONS, self.NAME,
                                  self.engine_version, detection_settings(ctx), shared_rows(ctx))

    def artifacts(self, events: Sequence[Event], ctx: Context) -> Mapping[str, list]:
        limit = int(ctx.setting("timeline_per_user", 50))
        with connection(events, ctx) as con:
            return {"ual_users": user_summaries(con, limit)}


def user_summaries(con: Any, limit: int) -> list[dict[str, Any]]:
    detections.prepare(con)
    users = {r["user"]: {**r, "workloads": {}, "data_access": {}, "privilege_changes": [],
                         "timeline": []} for r in rows(con, USERS)}
    for r in rows(con, COUNTS.format(key="workload", where="")):
        users[r["user"]]["workloads"][r["key"] or "unknown"] = r["n"]
    for r in rows(con, COUNTS.format(key="operation", where=DATA_ACCESS)):
        users[r["user"]]["data_access"][r["key"]] = r["n"]
    for r in rows(con, PRIVILEGE):
        users[r.pop("user")]["privilege_changes"].append(_with_ref(r))
    for r in rows(con, TIMELINE, [limit]):
        users[r.pop("user")]["timeline"].append(_with_ref(r))
    return list(users.values())


def _with_ref(row: dict[str, Any]) -> dict[str, Any]:
    ref = {"sha256": row.pop("sha256"), "locator": row.pop("locator")}
    return {**row, "ref": ref}
