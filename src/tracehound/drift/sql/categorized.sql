-- drift_categorized (view): every tool use and resource action mapped to seed 003's B4 action
-- categories (Read Generate DraftWrite Notify Execute Block Escalate) where the word is known.
SELECT t.event_id, t.sha256, t.locator, t.ts, t.week, t.agent_key, t.idx, m.category,
       t.tool AS item, t.record_id, t.decision_id, t.blocked
FROM drift_tools AS t
JOIN drift_action_map AS m ON m.word = t.category_key
UNION ALL
SELECT r.event_id, r.sha256, r.locator, r.ts, r.week, r.agent_key, r.idx, m.category,
       coalesce(r.resource_id, r.site_url) AS item, r.record_id, r.decision_id, r.blocked
FROM drift_resources AS r
JOIN drift_action_map AS m ON m.word = r.action_key
