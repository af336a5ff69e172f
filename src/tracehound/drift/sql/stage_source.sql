-- drift_source (view): the case store's events that are activity of an agent, with the agent,
-- its version and the record ids read once from attrs. Copilot records name the agent in
-- attrs.agent_id; decision logs and agent traces in actor_id.
SELECT event_id, sha256, locator, source, ts, CAST(date_trunc('week', ts) AS DATE) AS week,
       agent_id, lower(agent_id) AS agent_key, agent_version, record_id, decision_id, outcome,
       action, action_class, target_id, target_type, attrs
FROM (
    SELECT event_id, sha256, locator, source, TRY_CAST(time AS TIMESTAMP) AS ts, outcome,
           action, action_class, target_id, target_type, attrs,
           CASE WHEN source = 'copilot:interaction'
                THEN json_extract_string(attrs, '$.agent_id') ELSE actor_id END AS agent_id,
           json_extract_string(attrs, '$.agent_version') AS agent_version,
           CASE WHEN source = 'copilot:interaction' THEN json_extract_string(attrs, '$.record_id')
                WHEN source = 'decision:log' THEN json_extract_string(attrs, '$.decision_id')
           END AS record_id,
           CASE WHEN source = 'decision:log'
                THEN json_extract_string(attrs, '$.decision_id') END AS decision_id
    FROM events
    WHERE source IN ('copilot:interaction', 'decision:log', 'agent:tool_call')
) AS e
WHERE agent_id IS NOT NULL AND ts IS NOT NULL
