"""Tool 6, Defender for Cloud Apps alerts: each alert as a finding, with its own evidence.

The alert's severity is kept as Defender rated it (informational -> info); the statement says
who raised it and names the app, user, address and entities the alert itself lists, so the
finding cites the alert record rather than re-deriving it. The alert description is quoted
(shortened), never interpreted: it is text from the evidence.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from ...model import Event, Finding
from ..registry import Analyzer, Context, register
from .sql import connection, refs_of, rows

SEVERITIES = {"informational": "info", "info": "info", "low": "low", "medium": "medium",
              "high": "high", "critical": "critical"}
ALERTS = """
SELECT sha256, locator, time, actor_id AS actor, target_id AS target,
  attrs->>'$.title' AS title, attrs->>'$.severity' AS severity,
  attrs->>'$.description' AS description, attrs->>'$.record_id' AS alert_id,
  attrs->>'$.category' AS category, attrs->>'$.result_status' AS status,
  attrs->>'$.client_ip' AS ip, CAST(attrs->'$.entities' AS VARCHAR) AS entities
FROM events WHERE source = 'mcas:alert' ORDER BY time, sha256, locator
"""
MAX_DESCRIPTION = 300


@register
class DefenderAlertsAnalyzer(Analyzer):
    NAME = "defender-alerts"
    VERSION = "1"
    FAMILY = "cloud"
    TITLE = "Defender for Cloud Apps alerts: app, user, risk and the alert's evidence"
    CONSUMES = ("mcas:",)

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        with connection(events, ctx) as con:
            return [self._finding(r) for r in rows(con, ALERTS)]

    def _finding(self, r: dict[str, Any]) -> Finding:
        entities = json.loads(r["entities"]) if r["entities"] else []
        listed = "; ".join(f"{e.get('type') or 'entity'} {e.get('name') or e.get('id')}"
                           for e in entities if e.get("name") or e.get("id"))
        description = (r["description"] or "").strip()
        if len(description) > MAX_DESCRIPTION:
            description = description[:MAX_DESCRIPTION - 1] + "…"
        rated = r["severity"] or "unrated"
        statement = (f"Defender for Cloud Apps raised alert {r['title']!r} ({rated}) at {r['time']}"
                     f" for user {r['actor'] or 'unknown'} on app {r['target'] or 'unknown'}"
                     f" from {r['ip'] or 'an unlisted address'}")
        statement += f"; entities: {listed}" if listed else ""
        statement += f". Its description reads: {description!r}" if description else ""
        return Finding(
            rule="TH-MCAS-ALERT", tool=self.NAME, category="defender-alert",
            severity=SEVERITIES.get((r["severity"] or "").lower(), "medium"),
            title=f"Defender for Cloud Apps: {r['title']}", statement=statement.rstrip(".") + ".",
            refs=refs_of(r), time=r["time"], actor=r["actor"], target=r["target"],
            engine_version=self.engine_version,
            details={k: v for k, v in {"alert_id": r["alert_id"], "category": r["category"],
                                       "status": r["status"], "entities": entities,
                                       "defender_severity": r["severity"]}.items()
                     if v not in (None, "", [])})
