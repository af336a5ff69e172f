-- D6 agent version without governance review (hard): an AgentVersion the baseline's versions
-- do not list, or list without a change ticket. Checked for agents whose baseline sets
-- `versions`.
WITH bad AS (
    SELECT v.agent_key, v.agent_version,
           CASE WHEN b.version IS NULL THEN 'unlisted-version' ELSE 'no-ticket' END AS kind
    FROM (SELECT DISTINCT agent_key, agent_version FROM drift_activity
          WHERE agent_version IS NOT NULL) AS v
    JOIN drift_agents AS g ON g.agent_key = v.agent_key AND g.checks_versions
    LEFT JOIN drift_versions AS b ON b.agent_key = v.agent_key AND b.version = v.agent_version
    WHERE b.version IS NULL OR b.ticket IS NULL
)
SELECT 'D6' AS rule, b.kind, a.agent_key, a.agent_version AS subject, '' AS detail,
       a.event_id, a.sha256, a.locator, a.ts, a.week, CAST(0 AS BIGINT) AS idx,
       a.agent_version AS item, a.record_id, a.decision_id, a.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM drift_activity AS a
JOIN bad AS b ON b.agent_key = a.agent_key AND b.agent_version = a.agent_version
