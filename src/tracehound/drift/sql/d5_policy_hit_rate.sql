-- D5 rising policy hit rate (soft), evidence rows: the actions that hit a policy in the
-- weeks drift_d5_keys flags (see d5_keys.sql).  m1 hits, m2 actions, m3 previous week's hits,
-- m4 previous week's actions.
SELECT 'D5' AS rule, 'policy-hit-rate' AS kind, r.agent_key, CAST(r.week AS VARCHAR) AS subject,
       '' AS detail, a.event_id, a.sha256, a.locator, a.ts, a.week, CAST(0 AS BIGINT) AS idx,
       a.source AS item, a.record_id, a.decision_id, a.blocked,
       CAST(r.hits AS DOUBLE) AS m1, CAST(r.total AS DOUBLE) AS m2,
       CAST(r.prev_hits AS DOUBLE) AS m3, CAST(r.prev_total AS DOUBLE) AS m4
FROM drift_activity AS a
JOIN drift_d5_keys AS r ON r.agent_key = a.agent_key AND r.week = a.week
WHERE a.policy_hit
