-- D4 abnormal volume (soft), evidence rows: the actions of the weeks, minutes, hours and
-- times drift_d4_keys flags (see d4_keys.sql for the four kinds and their measures).
-- A weekly-volume key takes every action of its week, a rate-minute key those of its minute
-- (its slot), an off-hours key those at its time; a notify-hour key takes the Notify actions
-- (drift_categorized) of its hour.
WITH flagged AS (
    SELECT k.kind, k.m1, k.m2, k.m3, k.m4, a.*
    FROM drift_activity AS a
    JOIN (SELECT * FROM drift_d4_keys WHERE kind IN ('weekly-volume', 'rate-minute')) AS k
      ON k.agent_key = a.agent_key AND k.week = a.week
    WHERE k.kind = 'weekly-volume' OR date_trunc('minute', a.ts) = k.slot
    UNION ALL
    SELECT k.kind, k.m1, k.m2, k.m3, k.m4, a.*
    FROM drift_activity AS a
    JOIN (SELECT * FROM drift_d4_keys WHERE kind = 'off-hours') AS k
      ON k.agent_key = a.agent_key AND k.ts = a.ts
)
SELECT 'D4' AS rule, f.kind, f.agent_key, CAST(f.week AS VARCHAR) AS subject, '' AS detail,
       f.event_id, f.sha256, f.locator, f.ts, f.week, CAST(0 AS BIGINT) AS idx,
       f.source AS item, f.record_id, f.decision_id, f.blocked, f.m1, f.m2, f.m3, f.m4
FROM flagged AS f
UNION ALL
SELECT 'D4' AS rule, k.kind, k.agent_key, CAST(k.week AS VARCHAR) AS subject, '' AS detail,
       c.event_id, c.sha256, c.locator, c.ts, c.week, c.idx,
       c.item, c.record_id, c.decision_id, c.blocked, k.m1, k.m2, k.m3, k.m4
FROM drift_categorized AS c
JOIN (SELECT * FROM drift_d4_keys WHERE kind = 'notify-hour') AS k
  ON k.agent_key = c.agent_key AND k.week = c.week
WHERE date_trunc('hour', c.ts) = k.slot AND c.category = 'Notify'
