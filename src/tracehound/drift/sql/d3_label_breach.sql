-- D3 label boundary breach (hard): a resource carrying a prohibited label (by display name, or
-- by GUID through labels.names), a resource whose PolicyDetails blocked or restricted access,
-- or (when the baseline lists allowed labels) a label outside the allowed set. One kind per
-- resource, in that order of precedence.
WITH marked AS (
    SELECT r.*, lp.display AS prohibited, la.display AS allowed, g.checks_labels,
           bp.policy AS blocking_policy
    FROM drift_resources AS r
    JOIN drift_agents AS g ON g.agent_key = r.agent_key
    LEFT JOIN drift_label_rules AS lp
      ON lp.agent_key = r.agent_key AND lp.label_key = lower(r.label_id)
     AND lp.class = 'prohibited'
    LEFT JOIN drift_label_rules AS la
      ON la.agent_key = r.agent_key AND la.label_key = lower(r.label_id)
     AND la.class = 'allowed'
    LEFT JOIN (SELECT event_id, idx, min(policy) AS policy FROM drift_policies
               WHERE blocked GROUP BY event_id, idx) AS bp
      ON bp.event_id = r.event_id AND bp.idx = r.idx AND r.policy_blocked
    WHERE r.label_id IS NOT NULL OR r.policy_blocked
)
SELECT 'D3' AS rule,
       CASE WHEN prohibited IS NOT NULL THEN 'prohibited-label'
            WHEN policy_blocked THEN 'policy-block' ELSE 'label-not-allowed' END AS kind,
       agent_key, coalesce(resource_id, site_url, resource_name, '(unnamed resource)') AS subject,
       CASE WHEN prohibited IS NOT NULL THEN prohibited
            WHEN policy_blocked THEN coalesce(blocking_policy, 'unnamed policy')
            ELSE coalesce(label_names.display, label_id) END AS detail,
       event_id, sha256, locator, ts, week, idx, coalesce(resource_id, site_url) AS item,
       record_id, decision_id, blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM marked
LEFT JOIN (SELECT agent_key AS name_agent, label_key, min(display) AS display
           FROM drift_label_rules WHERE class = 'name' GROUP BY agent_key, label_key)
     AS label_names
  ON label_names.name_agent = marked.agent_key AND label_names.label_key = lower(marked.label_id)
WHERE prohibited IS NOT NULL OR policy_blocked
   OR (checks_labels AND label_id IS NOT NULL AND allowed IS NULL)
