"""Tool 7, SaaS audit export correlator: one actor + resource timeline across every service.

Artifacts only (`saas_timeline`): every cloud event of the case (M365, Entra, Microsoft
account, OAuth, Defender, SaaS CSV, and the CloudTrail / Azure events when present) as
{time, service, actor, action, resource, client_ip, outcome, ref}, oldest first and capped at
`timeline_limit` (20,000); and (`saas_cross_service`) the actor + resource pairs seen in more
than one service (the first `cross_service_limit`, 5,000, by actor and resource). No
findings: an actor touching one resource from two services is how SaaS is used; which order of
such touches is an attack depends on the services, and the evidence here does not say it on its
own. The other tools report the suspicious acts. The rows come from the shared `th_cloud`
table (cloud_tables), where service, resource and address are read out of attrs once.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from ...model import Event, Finding
from ..registry import Analyzer, Context, register
from .cloud_tables import CLOUD_SOURCES, ensure_cloud
from .m365_detections import DETECTION_OPS
from .sql import connection, rows, with_ref

TIMELINE = """
SELECT time, service, actor, action, resource, client_ip, outcome, source, sha256, locator
FROM th_cloud WHERE time IS NOT NULL ORDER BY time, sha256, locator LIMIT ?
"""
CROSS = """
SELECT actor, resource, list(DISTINCT service ORDER BY service) AS services, count(*) AS events,
  min(time) AS first, max(time) AS last
FROM th_cloud WHERE time IS NOT NULL AND actor IS NOT NULL AND resource IS NOT NULL
GROUP BY actor, resource HAVING count(DISTINCT service) > 1 ORDER BY actor, resource LIMIT ?
"""


@register
class SaasCorrelatorAnalyzer(Analyzer):
    NAME = "saas-correlator"
    VERSION = "1"
    FAMILY = "cloud"
    TITLE = "SaaS audit export correlator: actor + resource cross-service timeline"
    CONSUMES = CLOUD_SOURCES
    ARTIFACTS_ARE_VIEWS = True

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        return []

    def artifacts(self, events: Sequence[Event], ctx: Context) -> Mapping[str, list]:
        limit = int(ctx.setting("timeline_limit", 20_000))
        pairs = int(ctx.setting("cross_service_limit", 5_000))
        with connection(events, ctx) as con:
            ensure_cloud(con, DETECTION_OPS)
            timeline = rows(con, TIMELINE, [limit])
            cross = rows(con, CROSS, [pairs])
        return {"saas_timeline": [with_ref(r) for r in timeline], "saas_cross_service": cross}
