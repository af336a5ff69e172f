"""Tool 2, Unified Audit Log analyzer: every workload, privilege changes, data access, per user.

Findings: the privilege and data-access operations tool 1 does not already report (mailbox
delegation, content-search exports; definitions in `m365_detections.UAL_FINDINGS`;
credentials added to applications are reported by identity-attacks). Artifacts (`ual_users`): one entry per user with their
event count, first and last time, workloads, addresses, privilege changes, data-access counts
by operation, and the first `timeline_per_user` (50) events of their timeline with refs;
at most `user_limit` (5,000) users, the most active ones when there are more.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from ...model import Event, Finding
from ..registry import Analyzer, Context, register
from . import m365_detections as detections
from .sql import connection, rows, shared_rows, with_ref

KEPT = "coalesce(actor, '(unknown)') IN (SELECT user FROM th_ual_users)"
USERS = """
CREATE OR REPLACE TEMP TABLE th_ual_users AS
SELECT coalesce(actor, '(unknown)') AS user, count(*) AS events, min(time) AS first,
  max(time) AS last,
  list(DISTINCT client_ip ORDER BY client_ip) FILTER (WHERE client_ip IS NOT NULL) AS ips
FROM th_ual_all GROUP BY coalesce(actor, '(unknown)')
QUALIFY row_number() OVER (ORDER BY count(*) DESC, user) <= ?
"""
COUNTS = f"""
SELECT coalesce(actor, '(unknown)') AS user, {{key}} AS key, count(*) AS n
FROM th_ual_all WHERE {KEPT} {{where}} GROUP BY ALL ORDER BY user, key
"""
PRIVILEGE = f"""
SELECT coalesce(actor, '(unknown)') AS user, time, operation, target, sha256, locator
FROM th_ual_all WHERE action_class IN ('permission-change', 'consent') AND {KEPT}
ORDER BY user, time, sha256, locator
"""
# each user's first events: a top-n aggregate per user (no sort of the whole log)
TIMELINE = f"""
SELECT user, e.time, e.operation, e.workload, e.client_ip, e.target, e.outcome, e.sha256,
  e.locator
FROM (
  SELECT coalesce(actor, '(unknown)') AS user,
    min_by({{'time': time, 'operation': operation, 'workload': workload, 'client_ip': client_ip,
             'target': target, 'outcome': outcome, 'sha256': sha256, 'locator': locator}},
           {{'time': time, 'sha256': sha256, 'locator': locator}}, ?) AS firsts
  FROM th_ual_all WHERE {KEPT} GROUP BY actor), unnest(firsts) AS u(e)
ORDER BY user, e.time, e.sha256, e.locator
"""
DATA_ACCESS = "AND action_class IN ('read', 'list')"


@register
class UnifiedAuditLogAnalyzer(Analyzer):
    NAME = "ual-analyzer"
    VERSION = "1"
    FAMILY = "cloud"
    TITLE = ("Unified Audit Log: all workloads normalized, privilege changes, data access, "
             "per-user timeline")
    CONSUMES = ("m365:ual",)
    ARTIFACTS_ARE_VIEWS = True

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        with connection(events, ctx) as con:
            return detections.run(con, detections.UAL_FINDINGS, self.NAME, self.engine_version,
                                  detections.detection_settings(ctx), shared_rows(ctx))

    def artifacts(self, events: Sequence[Event], ctx: Context) -> Mapping[str, list]:
        limit = int(ctx.setting("timeline_per_user", 50))
        users = int(ctx.setting("user_limit", 5000))
        with connection(events, ctx) as con:
            return {"ual_users": user_summaries(con, limit, users)}


def user_summaries(con: Any, limit: int, user_limit: int = 5000) -> list[dict[str, Any]]:
    """One summary per user, in user order; past `user_limit` users, the most active ones."""
    detections.prepare(con)
    con.execute(USERS, [user_limit])
    users = {r["user"]: {**r, "workloads": {}, "data_access": {}, "privilege_changes": [],
                         "timeline": []}
             for r in rows(con, "SELECT * FROM th_ual_users ORDER BY user")}
    for r in rows(con, COUNTS.format(key="workload", where="")):
        users[r["user"]]["workloads"][r["key"] or "unknown"] = r["n"]
    for r in rows(con, COUNTS.format(key="operation", where=DATA_ACCESS)):
        users[r["user"]]["data_access"][r["key"]] = r["n"]
    for r in rows(con, PRIVILEGE):
        users[r.pop("user")]["privilege_changes"].append(with_ref(r))
    for r in rows(con, TIMELINE, [limit]):
        users[r.pop("user")]["timeline"].append(with_ref(r))
    return list(users.values())
