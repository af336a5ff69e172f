-- drift_d2_keys: the (agent, site) pairs no data_sources pattern of the agent allows, each
-- distinct site matched once (D2, see d2_new_data_scope.sql).
WITH sites AS (
    SELECT DISTINCT r.agent_key, r.site_url
    FROM drift_resources AS r
    JOIN drift_agents AS g ON g.agent_key = r.agent_key AND g.checks_sources
    WHERE r.site_url IS NOT NULL
),
site_ok AS (
    SELECT DISTINCT s.agent_key, s.site_url FROM sites AS s
    JOIN drift_allowed_sources AS p
      ON p.agent_key = s.agent_key AND regexp_matches(lower(s.site_url), p.regex)
)
SELECT s.agent_key, s.site_url FROM sites AS s
LEFT JOIN site_ok AS k ON k.agent_key = s.agent_key AND k.site_url = s.site_url
WHERE k.agent_key IS NULL
