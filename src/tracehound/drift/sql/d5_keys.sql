-- drift_d5_keys: the agent-weeks D5 flags. D5 rising policy hit rate (soft): the actions
-- that hit a policy (PolicyDetails, or a decision's policy_ids) rose by at least
-- min_policy_hits over the previous calendar week, and so did their share of all actions, for
-- an agent that was active before. So one extra hit is never an alarm. Shares are compared as
-- cross products (no division).
WITH weekly AS (
    SELECT a.agent_key, a.week, count(*) AS total,
           sum(CASE WHEN a.policy_hit THEN 1 ELSE 0 END) AS hits
    FROM drift_activity AS a JOIN drift_agents AS g ON g.agent_key = a.agent_key
    GROUP BY a.agent_key, a.week
),
firsts AS (
    SELECT agent_key, min(week) AS first_week FROM weekly GROUP BY agent_key
),
paired AS (
    SELECT w.agent_key, w.week, w.total, w.hits,
           coalesce(p.total, 0) AS prev_total, coalesce(p.hits, 0) AS prev_hits
    FROM weekly AS w
    JOIN firsts AS f ON f.agent_key = w.agent_key AND f.first_week < w.week
    LEFT JOIN weekly AS p
      ON p.agent_key = w.agent_key AND p.week = CAST(w.week - INTERVAL 7 DAY AS DATE)
),
rising AS (
    SELECT p.* FROM paired AS p CROSS JOIN drift_settings AS s
    WHERE p.hits - p.prev_hits >= s.min_policy_hits
      AND p.hits * p.prev_total > p.prev_hits * p.total
)
SELECT * FROM rising
