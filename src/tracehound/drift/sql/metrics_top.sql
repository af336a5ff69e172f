-- drift_metrics_top: per agent and week, the top new resources (D2 scopes first seen that week,
-- by accesses) and the top blocking policies (by blocks, a policy counted once per id and
-- shown by its name), ranked 1..top_n.
SELECT t.* FROM (
    SELECT 'new_resources' AS list, agent_key, week, subject AS name, occurrences AS n,
           row_number() OVER (PARTITION BY agent_key, week
                              ORDER BY occurrences DESC, subject) AS position
    FROM drift_hits WHERE rule = 'D2'
    UNION ALL
    SELECT 'policy_blocks' AS list, agent_key, week, policy AS name, n,
           row_number() OVER (PARTITION BY agent_key, week ORDER BY n DESC, policy) AS position
    FROM (SELECT agent_key, week, policy_key,
                 coalesce(max(CASE WHEN policy <> policy_key THEN policy END), policy_key)
                     AS policy,
                 count(*) AS n
          FROM drift_policies WHERE blocked GROUP BY agent_key, week, policy_key) AS p
) AS t
CROSS JOIN drift_settings AS s
WHERE t.position <= s.top_n
