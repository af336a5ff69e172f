-- drift_policies: one row per policy that matched an action (PolicyDetails of a Copilot
-- resource, policy_ids of a decision), and whether it blocked or restricted. `policy` is its
-- name, `policy_key` its id where the source gives one (a decision names policies by id).
SELECT s.event_id, s.sha256, s.locator, s.ts, s.week, s.agent_key,
       TRY_CAST(json_extract_string(p.x, '$.resource_index') AS BIGINT) AS idx,
       coalesce(json_extract_string(p.x, '$.name'), json_extract_string(p.x, '$.id'),
                'unnamed policy') AS policy,
       coalesce(json_extract_string(p.x, '$.id'), json_extract_string(p.x, '$.name'),
                'unnamed policy') AS policy_key,
       coalesce(json_extract_string(p.x, '$.blocked') = 'true', FALSE) AS blocked
FROM drift_source AS s
CROSS JOIN unnest(CAST(json_extract(s.attrs, '$.policies') AS VARCHAR[])) AS p(x)
WHERE s.source IN ('copilot:interaction', 'decision:log')
