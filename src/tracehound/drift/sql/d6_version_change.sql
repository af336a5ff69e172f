-- D6 agent version without governance review (hard): an AgentVersion the baseline's versions
-- do not list, or list without a change ticket. Checked for agents whose baseline sets
-- `versions`.
SELECT 'D6' AS rule,
       CASE WHEN v.version IS NULL THEN 'unlisted-version' ELSE 'no-ticket' END AS kind,
       a.agent_key, a.agent_version AS subject, '' AS detail,
       a.event_id, a.sha256, a.locator, a.ts, a.week, CAST(0 AS BIGINT) AS idx,
       a.agent_version AS item, a.record_id, a.decision_id, a.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM drift_activity AS a
JOIN drift_agents AS g ON g.agent_key = a.agent_key AND g.checks_versions
LEFT JOIN drift_versions AS v ON v.agent_key = a.agent_key AND v.version = a.agent_version
WHERE a.agent_version IS NOT NULL AND (v.version IS NULL OR v.ticket IS NULL)
