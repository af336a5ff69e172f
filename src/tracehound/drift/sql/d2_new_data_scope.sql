-- D2 new data scope (hard): a resource whose SiteUrl and id both fall outside every
-- data_sources pattern of the agent (B2). The scope reported is the SiteUrl when the record
-- has one, else the resource id. Sites are matched once each; ids only under unmatched sites.
WITH scoped AS (
    SELECT r.*, coalesce(r.site_url, r.resource_id) AS scope
    FROM drift_resources AS r
    JOIN drift_agents AS g ON g.agent_key = r.agent_key AND g.checks_sources
    WHERE coalesce(r.site_url, r.resource_id) IS NOT NULL
),
site_ok AS (
    SELECT DISTINCT s.agent_key, s.site_url
    FROM (SELECT DISTINCT agent_key, site_url FROM scoped WHERE site_url IS NOT NULL) AS s
    JOIN drift_allowed_sources AS p
      ON p.agent_key = s.agent_key AND regexp_matches(lower(s.site_url), p.regex)
),
unmatched AS (
    SELECT s.* FROM scoped AS s
    LEFT JOIN site_ok AS k ON k.agent_key = s.agent_key AND k.site_url = s.site_url
    WHERE k.agent_key IS NULL
),
id_ok AS (
    SELECT DISTINCT i.agent_key, i.resource_id
    FROM (SELECT DISTINCT agent_key, resource_id FROM unmatched
          WHERE resource_id IS NOT NULL) AS i
    JOIN drift_allowed_sources AS p
      ON p.agent_key = i.agent_key AND regexp_matches(lower(i.resource_id), p.regex)
)
SELECT 'D2' AS rule, 'scope' AS kind, u.agent_key, u.scope AS subject, '' AS detail,
       u.event_id, u.sha256, u.locator, u.ts, u.week, u.idx,
       coalesce(u.resource_id, u.scope) AS item, u.record_id, u.decision_id, u.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM unmatched AS u
LEFT JOIN id_ok AS k ON k.agent_key = u.agent_key AND k.resource_id = u.resource_id
WHERE k.agent_key IS NULL
