-- drift_hit_refs: the first max_refs evidence rows of each finding, in time order.
SELECT r.* FROM (
    SELECT o.rule, o.kind, o.agent_key, o.subject, o.detail, o.sha256, o.locator, o.ts, o.idx,
           o.item, o.record_id, o.decision_id, o.blocked,
           row_number() OVER (PARTITION BY o.rule, o.kind, o.agent_key, o.subject, o.detail
                              ORDER BY o.ts, o.sha256, o.locator, o.idx, o.item) AS seq
    FROM drift_occurrences AS o
) AS r
CROSS JOIN drift_settings AS s
WHERE r.seq <= s.max_refs
