-- drift_d3_keys: the (agent, label) pairs D3 flags, each distinct label an agent met
-- classified once: prohibited (by display name, or by GUID through labels.names), or outside
-- a non-empty allowed set (D3, see d3_label_breach.sql).
WITH labels AS (
    SELECT u.agent_key, u.label_id, lp.display AS prohibited,
           coalesce(ln.display, u.label_id) AS display,
           g.checks_labels AND la.agent_key IS NULL AS unlisted
    FROM (SELECT DISTINCT agent_key, label_id FROM drift_resources
          WHERE label_id IS NOT NULL) AS u
    JOIN drift_agents AS g ON g.agent_key = u.agent_key
    LEFT JOIN drift_label_rules AS lp
      ON lp.agent_key = u.agent_key AND lp.label_key = lower(u.label_id)
     AND lp.class = 'prohibited'
    LEFT JOIN drift_label_rules AS la
      ON la.agent_key = u.agent_key AND la.label_key = lower(u.label_id) AND la.class = 'allowed'
    LEFT JOIN drift_label_rules AS ln
      ON ln.agent_key = u.agent_key AND ln.label_key = lower(u.label_id) AND ln.class = 'name'
)
SELECT agent_key, label_id, prohibited, display FROM labels
WHERE prohibited IS NOT NULL OR unlisted
