-- drift_activity: one row per action of an agent (a Copilot interaction, a decision, a tool
-- call of an agent trace) with what the weekly counts need.
SELECT event_id, sha256, locator, source, ts, week, agent_id, agent_key, agent_version,
       record_id, decision_id,
       coalesce(outcome = 'blocked', FALSE) AS blocked,
       coalesce(json_extract_string(attrs, '$.policy_hit') = 'true', FALSE) AS policy_hit,
       coalesce(json_extract_string(attrs, '$.xpia_detected') = 'true', FALSE) AS xpia,
       coalesce(json_extract_string(attrs, '$.jailbreak_detected') = 'true', FALSE) AS jailbreak
FROM drift_source
