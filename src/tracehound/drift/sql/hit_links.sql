-- drift_hit_links: the decision-log entry each finding is tied to, for its escalation entry:
-- the decision that is itself the first evidence row, else the decision naming the first
-- audit record (audit_record_id), else the agent's decision nearest in time within
-- decision_window_seconds of the first occurrence.
SELECT x.* FROM (
    SELECT h.rule, h.kind, h.agent_key, h.subject, h.detail, d.decision_id,
           d.sha256, d.locator, d.ts AS decision_ts, d.ticket_id, d.ticket_opened,
           d.ticket_resolved, d.escalated,
           row_number() OVER (
               PARTITION BY h.rule, h.kind, h.agent_key, h.subject, h.detail
               ORDER BY CASE WHEN d.decision_id = f.decision_id THEN 0
                             WHEN d.audit_record_id = f.record_id THEN 1 ELSE 2 END,
                        abs(date_diff('second', h.first_ts, d.ts)), d.decision_id) AS pick
    FROM drift_hits AS h
    JOIN drift_hit_refs AS f
      ON f.rule = h.rule AND f.kind = h.kind AND f.agent_key = h.agent_key
     AND f.subject = h.subject AND f.detail = h.detail AND f.seq = 1
    JOIN drift_decisions AS d ON d.agent_key = h.agent_key
    CROSS JOIN drift_settings AS s
    WHERE coalesce(d.decision_id = f.decision_id, FALSE)
       OR coalesce(d.audit_record_id = f.record_id, FALSE)
       OR abs(date_diff('second', h.first_ts, d.ts)) <= s.decision_window_seconds
) AS x
WHERE x.pick = 1
