-- drift_d1_keys: what D1 flags, worked out over distinct values. D1 new connector / tool
-- (hard): a tool the agent's allowlist (B1) does not name ('tool'), an operation the allowlist
-- does not grant for a tool it names ('operation'), or an action category outside the agent's
-- envelope (B4, 'action'). Checked only for agents whose baseline sets `tools` / `actions`.
WITH used AS (
    SELECT DISTINCT t.agent_key, t.tool_key, t.operation
    FROM drift_tools AS t
    JOIN drift_agents AS g ON g.agent_key = t.agent_key AND g.checks_tools
    WHERE t.tool_key IS NOT NULL
),
named AS (
    SELECT DISTINCT agent_key, tool_key FROM drift_allowed_tools
),
bad_tools AS (
    SELECT DISTINCT u.agent_key, u.tool_key FROM used AS u
    LEFT JOIN named AS k ON k.agent_key = u.agent_key AND k.tool_key = u.tool_key
    WHERE k.agent_key IS NULL
),
bad_operations AS (
    SELECT u.agent_key, u.tool_key, u.operation FROM used AS u
    JOIN named AS k ON k.agent_key = u.agent_key AND k.tool_key = u.tool_key
    LEFT JOIN drift_allowed_tools AS a
      ON a.agent_key = u.agent_key AND a.tool_key = u.tool_key AND a.operation = u.operation
    WHERE u.operation IS NOT NULL AND a.agent_key IS NULL
),
bad_categories AS (
    SELECT c.agent_key, c.category
    FROM (SELECT DISTINCT agent_key, category FROM drift_categorized) AS c
    JOIN drift_agents AS g ON g.agent_key = c.agent_key AND g.checks_actions
    LEFT JOIN drift_allowed_actions AS a
      ON a.agent_key = c.agent_key AND a.action_key = lower(c.category)
    WHERE a.agent_key IS NULL
)
SELECT 'tool' AS kind, agent_key, tool_key, CAST(NULL AS VARCHAR) AS operation,
       CAST(NULL AS VARCHAR) AS category
FROM bad_tools
UNION ALL
SELECT 'operation' AS kind, agent_key, tool_key, operation, CAST(NULL AS VARCHAR) AS category
FROM bad_operations
UNION ALL
SELECT 'action' AS kind, agent_key, CAST(NULL AS VARCHAR) AS tool_key,
       CAST(NULL AS VARCHAR) AS operation, category
FROM bad_categories
