-- D4 abnormal volume (soft), evidence rows: the actions of the weeks, minutes, hours and
-- times drift_d4_keys flags (see d4_keys.sql for the four kinds and their measures).
SELECT 'D4' AS rule, k.kind, k.agent_key, CAST(k.week AS VARCHAR) AS subject, '' AS detail,
       a.event_id, a.sha256, a.locator, a.ts, a.week, CAST(0 AS BIGINT) AS idx,
       a.source AS item, a.record_id, a.decision_id, a.blocked, k.m1, k.m2, k.m3, k.m4
FROM drift_activity AS a
JOIN (SELECT * FROM drift_d4_keys WHERE kind = 'weekly-volume') AS k
  ON k.agent_key = a.agent_key AND k.week = a.week
UNION ALL
SELECT 'D4' AS rule, k.kind, k.agent_key, CAST(k.week AS VARCHAR) AS subject, '' AS detail,
       a.event_id, a.sha256, a.locator, a.ts, a.week, CAST(0 AS BIGINT) AS idx,
       a.source AS item, a.record_id, a.decision_id, a.blocked, k.m1, k.m2, k.m3, k.m4
FROM drift_activity AS a
JOIN (SELECT * FROM drift_d4_keys WHERE kind = 'rate-minute') AS k
  ON k.agent_key = a.agent_key AND k.week = a.week
WHERE date_trunc('minute', a.ts) = k.slot
UNION ALL
SELECT 'D4' AS rule, k.kind, k.agent_key, CAST(k.week AS VARCHAR) AS subject, '' AS detail,
       c.event_id, c.sha256, c.locator, c.ts, c.week, c.idx,
       c.item, c.record_id, c.decision_id, c.blocked, k.m1, k.m2, k.m3, k.m4
FROM drift_categorized AS c
JOIN (SELECT * FROM drift_d4_keys WHERE kind = 'notify-hour') AS k
  ON k.agent_key = c.agent_key AND k.week = c.week
WHERE c.category = 'Notify' AND date_trunc('hour', c.ts) = k.slot
UNION ALL
SELECT 'D4' AS rule, k.kind, k.agent_key, CAST(k.week AS VARCHAR) AS subject, '' AS detail,
       a.event_id, a.sha256, a.locator, a.ts, a.week, CAST(0 AS BIGINT) AS idx,
       a.source AS item, a.record_id, a.decision_id, a.blocked, k.m1, k.m2, k.m3, k.m4
FROM drift_activity AS a
JOIN (SELECT * FROM drift_d4_keys WHERE kind = 'off-hours') AS k
  ON k.agent_key = a.agent_key AND k.ts = a.ts
