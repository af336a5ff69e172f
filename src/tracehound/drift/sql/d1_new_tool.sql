-- D1 evidence rows: the tool uses and resource actions behind drift_d1_keys.
-- Every detection has this shape: its few flagged keys first (drift_dN_keys, stored), then
-- its rows joined back on those keys alone, so the engine can skip every other row.
SELECT 'D1' AS rule, 'tool' AS kind, t.agent_key, t.tool AS subject, '' AS detail,
       t.event_id, t.sha256, t.locator, t.ts, t.week, t.idx, t.tool AS item,
       t.record_id, t.decision_id, t.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM drift_tools AS t
JOIN (SELECT * FROM drift_d1_keys WHERE kind = 'tool') AS b
  ON b.agent_key = t.agent_key AND b.tool_key = t.tool_key
UNION ALL
SELECT 'D1' AS rule, 'operation' AS kind, t.agent_key, t.tool AS subject, t.operation AS detail,
       t.event_id, t.sha256, t.locator, t.ts, t.week, t.idx, t.tool AS item,
       t.record_id, t.decision_id, t.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM drift_tools AS t
JOIN (SELECT * FROM drift_d1_keys WHERE kind = 'operation') AS b
  ON b.agent_key = t.agent_key AND b.tool_key = t.tool_key AND b.operation = t.operation
UNION ALL
SELECT 'D1' AS rule, 'action' AS kind, t.agent_key, b.category AS subject, '' AS detail,
       t.event_id, t.sha256, t.locator, t.ts, t.week, t.idx, t.tool AS item,
       t.record_id, t.decision_id, t.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM drift_tools AS t
JOIN (SELECT * FROM drift_d1_keys WHERE kind = 'action') AS b
  ON b.agent_key = t.agent_key AND b.word = t.category_key
UNION ALL
SELECT 'D1' AS rule, 'action' AS kind, r.agent_key, b.category AS subject, '' AS detail,
       r.event_id, r.sha256, r.locator, r.ts, r.week, r.idx,
       coalesce(r.resource_id, r.site_url) AS item, r.record_id, r.decision_id, r.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(NULL AS DOUBLE) AS m2,
       CAST(NULL AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM drift_resources AS r
JOIN (SELECT * FROM drift_d1_keys WHERE kind = 'action') AS b
  ON b.agent_key = r.agent_key AND b.word = r.action_key
