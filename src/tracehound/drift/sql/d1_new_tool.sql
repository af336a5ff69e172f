-- D1 evidence rows: the tool uses and resource actions behind drift_d1_keys.
-- Every detection has this shape: its few flagged keys first (drift_dN_keys, stored), then
-- its rows joined back on those keys alone, so the engine can skip every other row.
-- A 'tool' key (no operation) takes every use of the tool, an 'operation' key only the uses
-- with its operation; an 'action' key takes the categorized uses and resource actions
-- (drift_categorized) of its category.
SELECT 'D1' AS rule, b.kind, t.agent_key, t.tool AS subject, coalesce(b.operation, '') AS detail,
       t.event_id, t.sha256, t.locator, t.ts, t.week, t.idx, t.tool AS item,
       t.record_id, t.decision_id, t.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM drift_tools AS t
JOIN drift_d1_keys AS b ON b.agent_key = t.agent_key AND b.tool_key = t.tool_key
WHERE b.kind IN ('tool', 'operation') AND (b.operation IS NULL OR b.operation = t.operation)
UNION ALL
SELECT 'D1' AS rule, 'action' AS kind, c.agent_key, c.category AS subject, '' AS detail,
       c.event_id, c.sha256, c.locator, c.ts, c.week, c.idx, c.item,
       c.record_id, c.decision_id, c.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM drift_categorized AS c
JOIN (SELECT * FROM drift_d1_keys WHERE kind = 'action') AS b
  ON b.agent_key = c.agent_key AND b.category = c.category
