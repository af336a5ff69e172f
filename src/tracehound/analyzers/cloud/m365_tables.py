"""Working tables the Microsoft 365 tools share, built once per case store.

Reading a key out of the attrs JSON costs a parse per row, so the fields several tools group or
filter on are read once into temporary tables of the case's DuckDB connection:
- `th_ual_all`: every `m365:ual` event with workload and client IP, plus its attrs when the
  operation is one a detection reads (`DETECTION_OPS`);
- `th_ual`: the view detections query: those operations, without tenant provisioning by
  NT AUTHORITY\\SYSTEM (Microsoft setting up the tenant, not an attack);
- `th_signins`: every sign-in (Entra, Microsoft account, UAL UserLoggedIn / UserLoginFailed).
Temporary tables live as long as the connection, i.e. one analysis.
"""

from __future__ import annotations

from typing import Any, Iterable

from .sql import sql_list

UAL_ALL = """
CREATE TEMP TABLE IF NOT EXISTS th_ual_all AS
SELECT sha256, locator, time, actor_id AS actor, actor_kind, target_id AS target, target_type,
  session, action AS operation, action_class, outcome, attrs->>'$.workload' AS workload,
  attrs->>'$.client_ip' AS client_ip,
  CASE WHEN action IN {ops} THEN attrs END AS a
FROM events WHERE source = 'm365:ual'
"""
UAL_VIEW = r"""
CREATE OR REPLACE TEMP VIEW th_ual AS
SELECT sha256, locator, time, actor, target, session, operation, outcome, workload, client_ip,
  a->'$.parameters' AS p, a
FROM th_ual_all
WHERE a IS NOT NULL AND NOT starts_with(coalesce(actor, ''), 'nt authority\')
"""
INTERRUPTS = (50072, 50074, 50076, 50079, 50097, 50125, 50140, 50158)
SIGNINS = f"""
CREATE TEMP TABLE IF NOT EXISTS th_signins AS
SELECT sha256, locator, time, coalesce(actor_id, '(account)') AS actor, source, outcome,
  attrs->>'$.client_ip' AS ip, attrs->>'$.country' AS country,
  TRY_CAST(attrs->>'$.asn' AS BIGINT) AS asn, attrs->>'$.user_agent' AS agent,
  attrs->>'$.client_app' AS client_app,
  coalesce(TRY_CAST(attrs->>'$.legacy_auth' AS BOOLEAN), false) AS legacy,
  TRY_CAST(attrs->>'$.error_code' AS BIGINT) AS error_code
FROM events
WHERE time IS NOT NULL AND (source = 'entra:signin'
   OR (source = 'msa:activity' AND action_class = 'authentication')
   OR (source = 'm365:ual' AND action IN ('UserLoggedIn', 'UserLoginFailed')));
CREATE OR REPLACE TEMP VIEW th_failures AS
SELECT * FROM th_signins
WHERE outcome = 'failure' AND coalesce(error_code, -1) NOT IN {INTERRUPTS};
"""


def ensure_ual(con: Any, detection_ops: Iterable[str]) -> None:
    con.execute(UAL_ALL.format(ops=sql_list(sorted(set(detection_ops)))))
    con.execute(UAL_VIEW)


def ensure_signins(con: Any) -> None:
    con.execute(SIGNINS)
