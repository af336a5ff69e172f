-- D2 new data scope (hard): a resource whose SiteUrl and id both fall outside every
-- data_sources pattern of the agent (B2). The scope reported is the SiteUrl when the record
-- has one, else the resource id. Only resources under a site no pattern allows
-- (drift_d2_keys), or with no site at all, have their ids matched.
WITH candidates AS (
    SELECT r.agent_key, r.event_id, r.sha256, r.locator, r.ts, r.week, r.idx, r.resource_id,
           r.site_url, r.record_id, r.decision_id, r.blocked
    FROM drift_resources AS r
    JOIN drift_d2_keys AS b ON b.agent_key = r.agent_key AND b.site_url = r.site_url
    UNION ALL
    SELECT r.agent_key, r.event_id, r.sha256, r.locator, r.ts, r.week, r.idx, r.resource_id,
           r.site_url, r.record_id, r.decision_id, r.blocked
    FROM drift_resources AS r
    JOIN drift_agents AS g ON g.agent_key = r.agent_key AND g.checks_sources
    WHERE r.site_url IS NULL AND r.resource_id IS NOT NULL
),
id_ok AS (
    SELECT DISTINCT i.agent_key, i.resource_id
    FROM (SELECT DISTINCT agent_key, resource_id FROM candidates
          WHERE resource_id IS NOT NULL) AS i
    JOIN drift_allowed_sources AS p
      ON p.agent_key = i.agent_key AND regexp_matches(lower(i.resource_id), p.regex)
)
SELECT 'D2' AS rule, 'scope' AS kind, u.agent_key,
       coalesce(u.site_url, u.resource_id) AS subject, '' AS detail,
       u.event_id, u.sha256, u.locator, u.ts, u.week, u.idx,
       coalesce(u.resource_id, u.site_url) AS item, u.record_id, u.decision_id, u.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM candidates AS u
LEFT JOIN id_ok AS k ON k.agent_key = u.agent_key AND k.resource_id = u.resource_id
WHERE k.agent_key IS NULL
