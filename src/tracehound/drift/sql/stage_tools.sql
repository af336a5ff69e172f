-- drift_tools: one row per tool or connector an action used, with its operation (read, write,
-- execute) where the source says. Copilot records name plugins (AISystemPlugin); decisions list
-- tool_calls; an agent trace's tool call is one use, its operation from the action class.
SELECT s.event_id, s.sha256, s.locator, s.ts, s.week, s.agent_key, CAST(0 AS BIGINT) AS idx,
       p.x AS tool, lower(p.x) AS tool_key, CAST(NULL AS VARCHAR) AS operation,
       CAST(NULL AS VARCHAR) AS category_key,
       s.record_id, s.decision_id, coalesce(s.outcome = 'blocked', FALSE) AS blocked
FROM drift_source AS s
CROSS JOIN unnest(CAST(json_extract(s.attrs, '$.plugins') AS VARCHAR[])) AS p(x)
WHERE s.source = 'copilot:interaction'
UNION ALL
SELECT s.event_id, s.sha256, s.locator, s.ts, s.week, s.agent_key,
       TRY_CAST(json_extract_string(c.x, '$.index') AS BIGINT) AS idx,
       json_extract_string(c.x, '$.tool') AS tool,
       lower(json_extract_string(c.x, '$.tool')) AS tool_key,
       lower(json_extract_string(c.x, '$.operation')) AS operation,
       lower(coalesce(json_extract_string(s.attrs, '$.action_category'),
                      json_extract_string(c.x, '$.operation'))) AS category_key,
       s.record_id, s.decision_id, coalesce(s.outcome = 'blocked', FALSE) AS blocked
FROM drift_source AS s
CROSS JOIN unnest(CAST(json_extract(s.attrs, '$.tool_calls') AS VARCHAR[])) AS c(x)
WHERE s.source = 'decision:log'
UNION ALL
SELECT event_id, sha256, locator, ts, week, agent_key, CAST(0 AS BIGINT) AS idx,
       coalesce(json_extract_string(attrs, '$.tool'), action) AS tool,
       lower(coalesce(json_extract_string(attrs, '$.tool'), action)) AS tool_key,
       CASE WHEN action_class IN ('read', 'list') THEN 'read'
            WHEN action_class IN ('write', 'delete', 'egress', 'permission-change', 'persistence')
            THEN 'write'
            WHEN action_class = 'execute' THEN 'execute' END AS operation,
       action_class AS category_key, record_id, decision_id,
       coalesce(outcome = 'blocked', FALSE) AS blocked
FROM drift_source
WHERE source = 'agent:tool_call'
