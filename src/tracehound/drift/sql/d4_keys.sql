-- drift_d4_keys: what D4 flags, counted over narrow columns first. D4 abnormal volume
-- (soft), one finding per agent and week of each kind:
--   weekly-volume: the week's actions exceed volume_factor x the median of the agent's prior
--                  active weeks (at least min_prior_weeks of them);  m1 count, m2 factor,
--                  m3 median, m4 prior weeks
--   rate-minute:   minutes (slot) with more actions than max_actions_per_minute;  m1 peak per
--                  minute, m2 limit, m3 minutes over the limit
--   notify-hour:   hours (slot) with more Notify actions than max_notifications_per_hour;
--                  m1 peak per hour, m2 limit, m3 hours over the limit
--   off-hours:     the times (ts) of actions outside business_hours, in the baseline's time
--                  zone;  m2 and m3 the window's start and end in minutes of the day
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
slots AS (
    -- rate-minute: actions per minute; notify-hour: Notify actions per hour
    SELECT 'rate-minute' AS kind, a.agent_key, a.week, date_trunc('minute', a.ts) AS slot,
           count(*) AS n, max(g.max_per_minute) AS lim
    FROM drift_activity AS a
    JOIN drift_agents AS g ON g.agent_key = a.agent_key AND g.max_per_minute IS NOT NULL
    GROUP BY a.agent_key, a.week, date_trunc('minute', a.ts)
    UNION ALL
    SELECT 'notify-hour' AS kind, c.agent_key, c.week, date_trunc('hour', c.ts) AS slot,
           count(*) AS n, max(g.max_notify_per_hour) AS lim
    FROM drift_categorized AS c
    JOIN drift_agents AS g ON g.agent_key = c.agent_key AND g.max_notify_per_hour IS NOT NULL
    WHERE c.category = 'Notify'
    GROUP BY c.agent_key, c.week, date_trunc('hour', c.ts)
),
over_limit AS (
    SELECT o.*, max(o.n) OVER (PARTITION BY o.kind, o.agent_key, o.week) AS peak,
           count(*) OVER (PARTITION BY o.kind, o.agent_key, o.week) AS slots_over
    FROM slots AS o WHERE o.n > o.lim
),
offsets AS (
    -- each zone's offset from UTC, worked out once per hour rather than once per action
    SELECT z.hours_tz, z.hour_slot,
           date_diff('minute', z.hour_slot, drift_local_time(z.hour_slot, z.hours_tz)) AS shift
    FROM (SELECT DISTINCT g.hours_tz, date_trunc('hour', a.ts) AS hour_slot
          FROM drift_activity AS a
          JOIN drift_agents AS g ON g.agent_key = a.agent_key AND g.hours_tz IS NOT NULL) AS z
),
local_minutes AS (
    -- minutes since Monday 1970-01-05 00:00 local time: day of week and minute of day
    SELECT t.agent_key, t.ts, t.hours_from, t.hours_to,
           date_diff('minute', TIMESTAMP '1970-01-05 00:00:00', t.ts) + o.shift AS m
    FROM (SELECT DISTINCT a.agent_key, a.ts, g.hours_tz, g.hours_from, g.hours_to
          FROM drift_activity AS a
          JOIN drift_agents AS g ON g.agent_key = a.agent_key AND g.hours_tz IS NOT NULL) AS t
    JOIN offsets AS o ON o.hours_tz = t.hours_tz AND o.hour_slot = date_trunc('hour', t.ts)
),
off_hours AS (
    SELECT l.agent_key, l.ts, l.hours_from, l.hours_to
    FROM local_minutes AS l
    LEFT JOIN drift_business_days AS d
      ON d.agent_key = l.agent_key AND d.dow = CAST(floor(l.m / 1440.0) AS BIGINT) % 7 + 1
    WHERE d.agent_key IS NULL
       OR NOT ((l.hours_from <= l.hours_to AND l.m % 1440 >= l.hours_from
                AND l.m % 1440 < l.hours_to)
            OR (l.hours_from > l.hours_to AND (l.m % 1440 >= l.hours_from
                OR l.m % 1440 < l.hours_to)))
)
SELECT 'weekly-volume' AS kind, agent_key, week, CAST(NULL AS TIMESTAMP) AS slot,
       CAST(NULL AS TIMESTAMP) AS ts, CAST(n AS DOUBLE) AS m1, CAST(volume_factor AS DOUBLE) AS m2,
       CAST(med AS DOUBLE) AS m3, CAST(weeks AS DOUBLE) AS m4
FROM volume
UNION ALL
SELECT kind, agent_key, week, slot, CAST(NULL AS TIMESTAMP) AS ts,
       CAST(peak AS DOUBLE) AS m1, CAST(lim AS DOUBLE) AS m2, CAST(slots_over AS DOUBLE) AS m3,
       CAST(NULL AS DOUBLE) AS m4
FROM over_limit
UNION ALL
SELECT 'off-hours' AS kind, agent_key, CAST(date_trunc('week', ts) AS DATE) AS week,
       CAST(NULL AS TIMESTAMP) AS slot, ts, CAST(NULL AS DOUBLE) AS m1,
       CAST(hours_from AS DOUBLE) AS m2, CAST(hours_to AS DOUBLE) AS m3,
       CAST(NULL AS DOUBLE) AS m4
FROM off_hours
