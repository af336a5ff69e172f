-- D4 abnormal volume (soft). Four checks, one finding per agent and week each:
--   weekly-volume: the week's actions exceed volume_factor x the median of the agent's prior
--                  active weeks (at least min_prior_weeks of them);  m1 count, m2 factor,
--                  m3 median, m4 prior weeks
--   rate-minute:   minutes with more actions than max_actions_per_minute;  m1 peak per
--                  minute, m2 limit, m3 minutes over the limit
--   notify-hour:   hours with more Notify actions than max_notifications_per_hour;  m1 peak
--                  per hour, m2 limit, m3 hours over the limit
--   off-hours:     actions outside business_hours (local time of the baseline's tz);  m2 and
--                  m3 the window's start and end in minutes of the day
-- The evidence rows are the actions of the flagged week / minutes / hours.
WITH weekly AS (
    SELECT a.agent_key, a.week, count(*) AS n
    FROM drift_activity AS a JOIN drift_agents AS g ON g.agent_key = a.agent_key
    GROUP BY a.agent_key, a.week
),
prior AS (
    SELECT w.agent_key, w.week, w.n, median(p.n) AS med, count(*) AS weeks
    FROM weekly AS w
    JOIN weekly AS p ON p.agent_key = w.agent_key AND p.week < w.week
    GROUP BY w.agent_key, w.week, w.n
),
volume AS (
    SELECT p.agent_key, p.week, p.n, g.volume_factor, p.med, p.weeks
    FROM prior AS p
    JOIN drift_agents AS g ON g.agent_key = p.agent_key
    CROSS JOIN drift_settings AS s
    WHERE p.weeks >= s.min_prior_weeks AND p.n > g.volume_factor * p.med
),
minutes AS (
    SELECT a.agent_key, a.week, date_trunc('minute', a.ts) AS slot, count(*) AS n,
           max(g.max_per_minute) AS lim
    FROM drift_activity AS a
    JOIN drift_agents AS g ON g.agent_key = a.agent_key AND g.max_per_minute IS NOT NULL
    GROUP BY a.agent_key, a.week, date_trunc('minute', a.ts)
),
hours AS (
    SELECT c.agent_key, c.week, date_trunc('hour', c.ts) AS slot, count(*) AS n,
           max(g.max_notify_per_hour) AS lim
    FROM drift_categorized AS c
    JOIN drift_agents AS g ON g.agent_key = c.agent_key AND g.max_notify_per_hour IS NOT NULL
    WHERE c.category = 'Notify'
    GROUP BY c.agent_key, c.week, date_trunc('hour', c.ts)
),
over_minute AS (
    SELECT o.*, max(o.n) OVER (PARTITION BY o.agent_key, o.week) AS peak,
           count(*) OVER (PARTITION BY o.agent_key, o.week) AS slots
    FROM minutes AS o WHERE o.n > o.lim
),
over_hour AS (
    SELECT o.*, max(o.n) OVER (PARTITION BY o.agent_key, o.week) AS peak,
           count(*) OVER (PARTITION BY o.agent_key, o.week) AS slots
    FROM hours AS o WHERE o.n > o.lim
),
zoned AS (
    SELECT a.*, g.hours_tz, g.hours_from, g.hours_to, date_trunc('hour', a.ts) AS hour_slot
    FROM drift_activity AS a
    JOIN drift_agents AS g ON g.agent_key = a.agent_key AND g.hours_tz IS NOT NULL
),
offsets AS (
    -- the zone's offset from UTC, worked out once per hour rather than once per action
    SELECT z.hours_tz, z.hour_slot,
           date_diff('minute', z.hour_slot, drift_local_time(z.hour_slot, z.hours_tz)) AS shift
    FROM (SELECT DISTINCT hours_tz, hour_slot FROM zoned) AS z
),
local_minutes AS (
    -- minutes since Monday 1970-01-05 00:00 local time: day of week and minute of day
    SELECT z.*, date_diff('minute', TIMESTAMP '1970-01-05 00:00:00', z.ts) + o.shift AS m
    FROM zoned AS z
    JOIN offsets AS o ON o.hours_tz = z.hours_tz AND o.hour_slot = z.hour_slot
),
off_hours AS (
    SELECT l.*, l.m % 1440 AS minute_of_day,
           CAST(floor(l.m / 1440.0) AS BIGINT) % 7 + 1 AS dow
    FROM local_minutes AS l
)
SELECT 'D4' AS rule, 'weekly-volume' AS kind, v.agent_key, CAST(v.week AS VARCHAR) AS subject,
       '' AS detail, a.event_id, a.sha256, a.locator, a.ts, a.week, CAST(0 AS BIGINT) AS idx,
       a.source AS item, a.record_id, a.decision_id, a.blocked,
       CAST(v.n AS DOUBLE) AS m1, CAST(v.volume_factor AS DOUBLE) AS m2,
       CAST(v.med AS DOUBLE) AS m3, CAST(v.weeks AS DOUBLE) AS m4
FROM volume AS v
JOIN drift_activity AS a ON a.agent_key = v.agent_key AND a.week = v.week
UNION ALL
SELECT 'D4' AS rule, 'rate-minute' AS kind, o.agent_key, CAST(o.week AS VARCHAR) AS subject,
       '' AS detail, a.event_id, a.sha256, a.locator, a.ts, a.week, CAST(0 AS BIGINT) AS idx,
       a.source AS item, a.record_id, a.decision_id, a.blocked,
       CAST(o.peak AS DOUBLE) AS m1, CAST(o.lim AS DOUBLE) AS m2,
       CAST(o.slots AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM over_minute AS o
JOIN drift_activity AS a
  ON a.agent_key = o.agent_key AND date_trunc('minute', a.ts) = o.slot
UNION ALL
SELECT 'D4' AS rule, 'notify-hour' AS kind, o.agent_key, CAST(o.week AS VARCHAR) AS subject,
       '' AS detail, c.event_id, c.sha256, c.locator, c.ts, c.week, c.idx,
       c.item, c.record_id, c.decision_id, c.blocked,
       CAST(o.peak AS DOUBLE) AS m1, CAST(o.lim AS DOUBLE) AS m2,
       CAST(o.slots AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM over_hour AS o
JOIN drift_categorized AS c
  ON c.agent_key = o.agent_key AND date_trunc('hour', c.ts) = o.slot AND c.category = 'Notify'
UNION ALL
SELECT 'D4' AS rule, 'off-hours' AS kind, f.agent_key, CAST(f.week AS VARCHAR) AS subject,
       '' AS detail, f.event_id, f.sha256, f.locator, f.ts, f.week, CAST(0 AS BIGINT) AS idx,
       f.source AS item, f.record_id, f.decision_id, f.blocked,
       CAST(NULL AS DOUBLE) AS m1, CAST(f.hours_from AS DOUBLE) AS m2,
       CAST(f.hours_to AS DOUBLE) AS m3, CAST(NULL AS DOUBLE) AS m4
FROM off_hours AS f
WHERE NOT (
    EXISTS (SELECT 1 FROM drift_business_days AS d
            WHERE d.agent_key = f.agent_key AND d.dow = f.dow)
    AND ((f.hours_from <= f.hours_to AND f.minute_of_day >= f.hours_from
          AND f.minute_of_day < f.hours_to)
      OR (f.hours_from > f.hours_to AND (f.minute_of_day >= f.hours_from
          OR f.minute_of_day < f.hours_to))))
