-- D6 agent version without governance review (hard): an AgentVersion the baseline's versions
-- do not list, or list without a change ticket. Checked for agents whose baseline sets
-- `versions`.
SELECT 'D6' AS rule, b.kind, a.agent_key, a.agent_version AS subject, '' AS detail,
       a.event_id, a.sha256, a.locator, a.ts, a.week, CAST(0 AS BIGINT) AS idx,
       a.agent_version AS item, a.record_id, a.decision_id, a.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM drift_activity AS a
JOIN drift_d6_keys AS b ON b.agent_key = a.agent_key AND b.agent_version = a.agent_version
