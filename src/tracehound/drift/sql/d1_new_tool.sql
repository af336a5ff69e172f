-- D1 new connector / tool (hard): a tool the agent's allowlist (B1) does not name, an
-- operation the allowlist does not grant for that tool, or an action category outside the
-- agent's envelope (B4). Checked only for agents whose baseline sets `tools` / `actions`.
SELECT 'D1' AS rule, 'tool' AS kind, t.agent_key, t.tool AS subject, '' AS detail,
       t.event_id, t.sha256, t.locator, t.ts, t.week, t.idx, t.tool AS item,
       t.record_id, t.decision_id, t.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM drift_tools AS t
JOIN drift_agents AS g ON g.agent_key = t.agent_key AND g.checks_tools
WHERE t.tool IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM drift_allowed_tools AS a
    WHERE a.agent_key = t.agent_key AND a.tool_key = t.tool_key)
UNION ALL
SELECT 'D1' AS rule, 'operation' AS kind, t.agent_key, t.tool AS subject, t.operation AS detail,
       t.event_id, t.sha256, t.locator, t.ts, t.week, t.idx, t.tool AS item,
       t.record_id, t.decision_id, t.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM drift_tools AS t
JOIN drift_agents AS g ON g.agent_key = t.agent_key AND g.checks_tools
WHERE t.tool IS NOT NULL AND t.operation IS NOT NULL
  AND EXISTS (SELECT 1 FROM drift_allowed_tools AS a
              WHERE a.agent_key = t.agent_key AND a.tool_key = t.tool_key)
  AND NOT EXISTS (SELECT 1 FROM drift_allowed_tools AS a
                  WHERE a.agent_key = t.agent_key AND a.tool_key = t.tool_key
                    AND a.operation = t.operation)
UNION ALL
SELECT 'D1' AS rule, 'action' AS kind, c.agent_key, c.category AS subject, '' AS detail,
       c.event_id, c.sha256, c.locator, c.ts, c.week, c.idx, c.item,
       c.record_id, c.decision_id, c.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM drift_categorized AS c
JOIN drift_agents AS g ON g.agent_key = c.agent_key AND g.checks_actions
WHERE NOT EXISTS (SELECT 1 FROM drift_allowed_actions AS a
                  WHERE a.agent_key = c.agent_key AND a.action_key = lower(c.category))
