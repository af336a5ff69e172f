-- D3 label boundary breach (hard): a resource with a label drift_d3_keys flags, or whose
-- PolicyDetails blocked or restricted access. One kind per resource, in this order of
-- precedence: prohibited-label, policy-block, label-not-allowed.
WITH marked AS (
    SELECT r.agent_key, r.event_id, r.sha256, r.locator, r.ts, r.week, r.idx, r.resource_id,
           r.site_url, r.resource_name, r.label_id, r.policy_blocked, r.blocked, r.record_id,
           r.decision_id, f.prohibited, f.display
    FROM drift_resources AS r
    JOIN drift_d3_keys AS f ON f.agent_key = r.agent_key AND f.label_id = r.label_id
    UNION ALL
    SELECT r.agent_key, r.event_id, r.sha256, r.locator, r.ts, r.week, r.idx, r.resource_id,
           r.site_url, r.resource_name, r.label_id, r.policy_blocked, r.blocked, r.record_id,
           r.decision_id, CAST(NULL AS VARCHAR) AS prohibited, CAST(NULL AS VARCHAR) AS display
    FROM drift_resources AS r
    JOIN drift_agents AS g ON g.agent_key = r.agent_key
    LEFT JOIN drift_d3_keys AS f ON f.agent_key = r.agent_key AND f.label_id = r.label_id
    WHERE r.policy_blocked AND f.agent_key IS NULL
),
blocking AS (
    SELECT event_id, idx, min(policy) AS policy FROM drift_policies
    WHERE blocked GROUP BY event_id, idx
)
SELECT 'D3' AS rule,
       CASE WHEN m.prohibited IS NOT NULL THEN 'prohibited-label'
            WHEN m.policy_blocked THEN 'policy-block' ELSE 'label-not-allowed' END AS kind,
       m.agent_key,
       coalesce(m.resource_id, m.site_url, m.resource_name, '(unnamed resource)') AS subject,
       CASE WHEN m.prohibited IS NOT NULL THEN m.prohibited
            WHEN m.policy_blocked THEN coalesce(b.policy, 'unnamed policy')
            ELSE m.display END AS detail,
       m.event_id, m.sha256, m.locator, m.ts, m.week, m.idx,
       coalesce(m.resource_id, m.site_url) AS item, m.record_id, m.decision_id, m.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM marked AS m
LEFT JOIN blocking AS b ON b.event_id = m.event_id AND b.idx = m.idx AND m.policy_blocked
