-- drift_hits: one row per finding, keyed by (rule, kind, agent_key, subject, detail): when it
-- was first and last seen, how often, how often it was blocked, and the week it belongs to
-- (the week first seen).
SELECT rule, kind, agent_key, subject, detail,
       min(ts) AS first_ts, max(ts) AS last_ts, min(week) AS week,
       count(*) AS occurrences, count(DISTINCT event_id) AS events,
       sum(CASE WHEN blocked THEN 1 ELSE 0 END) AS blocked,
       max(m1) AS m1, max(m2) AS m2, max(m3) AS m3, max(m4) AS m4
FROM drift_occurrences
GROUP BY rule, kind, agent_key, subject, detail
