-- drift_d6_keys: the (agent, version) pairs D6 flags: versions the baseline does not list
-- ('unlisted-version') or lists without a change ticket ('no-ticket'). Checked for agents
-- whose baseline sets `versions`.
SELECT v.agent_key, v.agent_version,
       CASE WHEN b.version IS NULL THEN 'unlisted-version' ELSE 'no-ticket' END AS kind
FROM (SELECT DISTINCT agent_key, agent_version FROM drift_activity
      WHERE agent_version IS NOT NULL) AS v
JOIN drift_agents AS g ON g.agent_key = v.agent_key AND g.checks_versions
LEFT JOIN drift_versions AS b ON b.agent_key = v.agent_key AND b.version = v.agent_version
WHERE b.version IS NULL OR b.ticket IS NULL
