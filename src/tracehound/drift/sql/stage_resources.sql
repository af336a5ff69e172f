-- drift_resources: one row per resource an action touched. Copilot records list theirs in
-- attrs.resources (AccessedResources); a tool call of an agent trace touches its target.
SELECT s.event_id, s.sha256, s.locator, s.ts, s.week, s.agent_key,
       TRY_CAST(json_extract_string(r.x, '$.index') AS BIGINT) AS idx,
       json_extract_string(r.x, '$.id') AS resource_id,
       json_extract_string(r.x, '$.name') AS resource_name,
       json_extract_string(r.x, '$.type') AS resource_type,
       json_extract_string(r.x, '$.site_url') AS site_url,
       json_extract_string(r.x, '$.action') AS action,
       lower(json_extract_string(r.x, '$.action')) AS action_key,
       json_extract_string(r.x, '$.label_id') AS label_id,
       coalesce(json_extract_string(r.x, '$.policy_blocked') = 'true', FALSE) AS policy_blocked,
       coalesce(json_extract_string(r.x, '$.blocked') = 'true', FALSE) AS blocked,
       s.record_id, s.decision_id
FROM drift_source AS s
CROSS JOIN unnest(CAST(json_extract(s.attrs, '$.resources') AS VARCHAR[])) AS r(x)
WHERE s.source = 'copilot:interaction'
UNION ALL
SELECT event_id, sha256, locator, ts, week, agent_key, CAST(0 AS BIGINT) AS idx,
       target_id AS resource_id, CAST(NULL AS VARCHAR) AS resource_name,
       target_type AS resource_type, CAST(NULL AS VARCHAR) AS site_url,
       action_class AS action, action_class AS action_key, CAST(NULL AS VARCHAR) AS label_id,
       FALSE AS policy_blocked, coalesce(outcome = 'blocked', FALSE) AS blocked,
       record_id, decision_id
FROM drift_source
WHERE source = 'agent:tool_call' AND target_id IS NOT NULL
