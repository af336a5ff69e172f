-- drift_metrics_weekly: per agent and week, the dashboard counters of seed 003: actions,
-- blocked vs allowed, findings by detection, and MTTD / MTTR of S1 findings in seconds
-- (detection = ticket opened, else an escalating decision; resolution = ticket resolved).
WITH acts AS (
    SELECT agent_key, week, min(agent_id) AS agent_id, count(*) AS actions,
           sum(CASE WHEN blocked THEN 1 ELSE 0 END) AS blocked,
           sum(CASE WHEN policy_hit THEN 1 ELSE 0 END) AS policy_hits,
           sum(CASE WHEN xpia THEN 1 ELSE 0 END) AS xpia,
           sum(CASE WHEN jailbreak THEN 1 ELSE 0 END) AS jailbreak
    FROM drift_activity GROUP BY agent_key, week
),
found AS (
    SELECT agent_key, week, count(*) AS total,
           sum(CASE WHEN rule = 'D1' THEN 1 ELSE 0 END) AS d1,
           sum(CASE WHEN rule = 'D2' THEN 1 ELSE 0 END) AS d2,
           sum(CASE WHEN rule = 'D3' THEN 1 ELSE 0 END) AS d3,
           sum(CASE WHEN rule = 'D4' THEN 1 ELSE 0 END) AS d4,
           sum(CASE WHEN rule = 'D5' THEN 1 ELSE 0 END) AS d5,
           sum(CASE WHEN rule = 'D6' THEN 1 ELSE 0 END) AS d6
    FROM drift_hits GROUP BY agent_key, week
),
timed AS (
    SELECT h.agent_key, h.week, h.first_ts,
           coalesce(l.ticket_opened, CASE WHEN l.escalated THEN l.decision_ts END) AS detected,
           l.ticket_resolved AS resolved, l.ticket_id
    FROM drift_hits AS h
    JOIN drift_severity AS v ON v.rule = h.rule AND v.kind = h.kind AND v.severity = 'S1'
    LEFT JOIN drift_hit_links AS l
      ON l.rule = h.rule AND l.kind = h.kind AND l.agent_key = h.agent_key
     AND l.subject = h.subject AND l.detail = h.detail
),
s1 AS (
    SELECT agent_key, week, count(*) AS s1,
           count(ticket_id) AS s1_ticketed,
           avg(CASE WHEN detected IS NOT NULL
                    THEN greatest(date_diff('second', first_ts, detected), 0) END) AS mttd,
           avg(CASE WHEN detected IS NOT NULL AND resolved >= detected
                    THEN date_diff('second', detected, resolved) END) AS mttr
    FROM timed GROUP BY agent_key, week
)
SELECT a.agent_key, a.agent_id, a.week, a.actions, a.blocked, a.actions - a.blocked AS allowed,
       a.policy_hits, a.xpia, a.jailbreak, g.agent_key IS NOT NULL AS governed,
       coalesce(f.total, 0) AS total, coalesce(f.d1, 0) AS d1, coalesce(f.d2, 0) AS d2,
       coalesce(f.d3, 0) AS d3, coalesce(f.d4, 0) AS d4, coalesce(f.d5, 0) AS d5,
       coalesce(f.d6, 0) AS d6, coalesce(s.s1, 0) AS s1, coalesce(s.s1_ticketed, 0) AS s1_ticketed,
       s.mttd, s.mttr
FROM acts AS a
LEFT JOIN found AS f ON f.agent_key = a.agent_key AND f.week = a.week
LEFT JOIN s1 AS s ON s.agent_key = a.agent_key AND s.week = a.week
LEFT JOIN drift_agents AS g ON g.agent_key = a.agent_key
