"""CloudTrail detections over many calls: root use, bursts of secret reads, mass deletions
and ransom notes, remote commands spread over instances, user data read in bulk.

Each is one query whose rows are groups (with a `refs` column) and a SqlRule that words them.
A group whose every call was refused keeps its rule one severity step lower and says so.
"""

from __future__ import annotations

import re

from .sql import REFS
from .sql_rules import SqlRule

READ_ONLY = ("(coalesce(read_only, false) OR regexp_matches(event_name, "
             "'^(Get|List|Describe|Lookup|Head|Search|Check)'))")

# one row per account, address and UTC day; every region the calls went to is named
ROOT_ACTIVITY = """
SELECT min(time) AS time, max(time) AS last_time,
       any_value(actor ORDER BY time, sha256, locator) AS actor, source_ip,
       string_agg(DISTINCT region, ', ' ORDER BY region) AS region, account, count(*) AS calls,
       list_sort(list_distinct(list(event_name))) AS event_names,
       bool_and({read_only}) AS all_read, {refs} AS refs
FROM {table}
WHERE identity_type = 'Root' AND event_name <> 'ConsoleLogin' AND invoked_by IS NULL
GROUP BY account, source_ip, date_trunc('day', time::TIMESTAMP)
ORDER BY time, account, source_ip
"""
ROOT_RULE = SqlRule(
    "TH-AWS-ROOT-ACTIVITY", "anomalous-signin", "medium", "Root account used for API calls",
    "The root user of account {account} made {calls} API calls from {source_ip} in "
    "{region} between {time} and {last_time} ({event_names}).", "true", ("T1078.004",))
ROOT_READ_RULE = SqlRule(
    "TH-AWS-ROOT-ACTIVITY", "anomalous-signin", "low", "Root account used to look around",
    "The root user of account {account} made {calls} read-only API calls from {source_ip} "
    "in {region} between {time} and {last_time} ({event_names}).", "true", ("T1078.004",))

# the calls that return secret values (bursts and reads from a new address alike)
SECRET_READ_EVENTS = ("event_name IN ('GetSecretValue', 'GetPasswordData', 'BatchGetSecretValue') "
                      "OR (event_name IN ('GetParameter', 'GetParameters', 'GetParametersByPath') "
                      "AND lower(coalesce(params->>'$.withDecryption', 'false')) = 'true')")

# Reads that return secret values. Weight: how many secrets one call returns (a
# GetParameters call names up to 10; a BatchGetSecretValue by filter returns a page of up
# to 20, which CloudTrail does not list, so it counts as 20).
SECRET_BURSTS = f"""
WITH reads AS (
  SELECT *, time::TIMESTAMP AS ts,
         CASE WHEN event_name = 'BatchGetSecretValue' THEN
                CASE WHEN json_array_length(coalesce(params->'$.secretIdList', '[]'::JSON)) > 0
                     THEN json_array_length(params->'$.secretIdList') ELSE 20 END
              WHEN event_name = 'GetParameters' THEN
                greatest(1, json_array_length(coalesce(params->'$.names', '[]'::JSON)))
              WHEN event_name = 'GetParametersByPath' THEN 10
              ELSE 1 END AS weight,
         CASE WHEN event_name = 'GetParameters'
                THEN coalesce(json_extract_string(params, '$.names[*]'), [])
              WHEN event_name = 'BatchGetSecretValue'
                THEN coalesce(json_extract_string(params, '$.secretIdList[*]'), [])
              ELSE list_filter([target], lambda t: t IS NOT NULL) END AS names
  FROM {{table}}
  WHERE ({SECRET_READ_EVENTS})),
windowed AS (
  SELECT *, sum(weight) OVER (PARTITION BY actor ORDER BY ts
                              RANGE BETWEEN INTERVAL 10 MINUTE PRECEDING AND CURRENT ROW)
              AS recent,
         CASE WHEN ts - lag(ts) OVER (PARTITION BY actor ORDER BY ts, sha256, locator)
                   <= INTERVAL 10 MINUTE
              THEN 0 ELSE 1 END AS starts
  FROM reads),
-- the lag above and this running sum walk the reads in one order, so reads of the same
-- second cannot start an island of their own
islands AS (
  SELECT *, sum(starts) OVER (PARTITION BY actor ORDER BY ts, sha256, locator) AS island
  FROM windowed)
SELECT min(time) AS time, actor, max(recent)::BIGINT AS peak, count(*) AS calls,
       list_sort(list_distinct(list(source_ip))) AS source_ips,
       list_sort(list_distinct(list(region))) AS regions,
       len(list_distinct(flatten(list(names)))) AS targets,
       bool_and(failed) AS failed, any_value(error ORDER BY time) AS error, {{refs}} AS refs
FROM islands GROUP BY actor, island HAVING max(recent) > ?
ORDER BY time, actor
"""
BURST_RULE = SqlRule(
    "TH-AWS-SECRET-READ-BURST", "bulk-download", "high", "Burst of secret reads",
    "{actor} read secrets or instance passwords {calls} times ({targets} distinct targets, "
    "up to {peak} within 10 minutes) from {source_ips} in {regions}.", "true",
    ("T1555.006",))

# Secret reads by a principal from an address it had not used before in the case, when the
# case holds that principal's calls on at least two earlier days (so "new" means something);
# one row per principal and address.
SECRET_NEW_ADDRESS = f"""
WITH calls AS (
  SELECT actor, source_ip, time::TIMESTAMP AS ts FROM {{table}}
  WHERE actor IS NOT NULL AND regexp_matches(coalesce(source_ip, ''), '^[0-9a-fA-F:.]+$')),
first_seen AS (SELECT actor, source_ip, min(ts) AS first_ts FROM calls GROUP BY actor, source_ip),
reads AS (
  SELECT r.*, f.first_ts FROM {{table}} r
  JOIN first_seen f ON f.actor = r.actor AND f.source_ip = r.source_ip
  WHERE ({SECRET_READ_EVENTS}) AND NOT r.failed
    AND r.time::TIMESTAMP <= f.first_ts + INTERVAL 1 HOUR),
known AS (
  SELECT r.actor, r.source_ip, count(DISTINCT date_trunc('day', c.ts)) AS days
  FROM (SELECT DISTINCT actor, source_ip, first_ts FROM reads) r
  JOIN calls c ON c.actor = r.actor AND c.ts < r.first_ts AND c.source_ip <> r.source_ip
  GROUP BY r.actor, r.source_ip)
SELECT min(r.time) AS time, r.actor, r.source_ip, any_value(k.days) AS days_known,
       count(*) AS calls, count(DISTINCT r.target) AS targets,
       list_sort(list_distinct(list(r.region))) AS regions, {{refs}} AS refs
FROM reads r JOIN known k ON k.actor = r.actor AND k.source_ip = r.source_ip
WHERE k.days >= 2
GROUP BY r.actor, r.source_ip ORDER BY time, r.actor
"""
SECRET_NEW_ADDRESS_RULE = SqlRule(
    "TH-AWS-SECRET-READ-NEW-ADDRESS", "bulk-download", "medium",
    "Secrets read from an address new for the principal",
    "{actor} read secrets {calls} time(s) ({targets} distinct targets) in {regions} from "
    "{source_ip}, an address it had not used before in this case, although its calls are "
    "recorded on {days_known} days before.", "true", ("T1555.006", "T1078.004"))

# S3 objects deleted, or rewritten under a customer-provided key (SSE-C: only the caller
# holds the key; encryption with another account's KMS key is a rule of its own), per principal and
# bucket, in runs with gaps of at most 10 minutes; then any PutObject by that principal into
# the bucket within an hour after the run (a note left behind). A DeleteObjects call deletes
# up to 1000 objects that CloudTrail does not list: it makes a run by itself.
# the uploads into the bucket within an hour after a run, not under a customer key: a note
NOTE_PUTS = """WHERE p.event_name = 'PutObject' AND p.actor = g.actor AND p.target = g.bucket
          AND NOT p.failed AND p.time::TIMESTAMP > g.last_ts
          AND p.time::TIMESTAMP <= g.last_ts + INTERVAL 1 HOUR
          AND (p.params->'$."x-amz-server-side-encryption-customer-algorithm"') IS NULL"""
S3_OBJECT_RUNS = f"""
WITH calls AS (
  SELECT *, time::TIMESTAMP AS ts, target AS bucket,
         CASE WHEN event_name IN ('DeleteObject', 'DeleteObjects') THEN 'deleted objects'
              ELSE 'rewrote objects under a customer-provided key (SSE-C)' END AS kind
  FROM {{table}}
  WHERE event_source = 's3.amazonaws.com' AND NOT failed AND (
        event_name IN ('DeleteObject', 'DeleteObjects')
        OR (event_name IN ('CopyObject', 'PutObject')
            AND (params->'$."x-amz-server-side-encryption-customer-algorithm"') IS NOT NULL))),
RUNS(calls BY actor, bucket, kind WITHIN 10 MINUTE),
grouped AS (
  SELECT actor, bucket, kind, run, min(time) AS time, max(ts) AS last_ts, count(*) AS calls,
         count(*) FILTER (WHERE event_name = 'DeleteObjects') AS batches,
         list_sort(list_distinct(list(source_ip))) AS source_ips,
         list_sort(list_distinct(list(region))) AS regions, {{refs}} AS refs
  FROM runs GROUP BY actor, bucket, kind, run
  HAVING count(*) >= ? OR count(*) FILTER (WHERE event_name = 'DeleteObjects') > 0)
SELECT g.*, g.bucket AS target,
       (SELECT list(struct_pack(sha256 := p.sha256, locator := p.locator)
                    ORDER BY p.time, p.sha256, p.locator)
        FROM {{table}} p
        {NOTE_PUTS})
         AS note_refs,
       (SELECT list(DISTINCT p.params->>'$.key')
        FROM {{table}} p
        {NOTE_PUTS})
         AS note_keys
FROM grouped g ORDER BY time, actor, bucket
"""
S3_RUN_RULE = SqlRule(
    "TH-AWS-S3-MASS-CHANGE", "resource-change", "medium",
    "Objects of a bucket deleted or rewritten in bulk",
    "{actor} {kind} in bucket {target}: {calls} call(s) ({batches} batch "
    "deletion(s)) from {source_ips} in {regions}.", "true", ("T1485", "T1486"))
RANSOM_RULE = SqlRule(
    "TH-AWS-S3-RANSOM-NOTE", "resource-change", "high",
    "Objects of a bucket deleted or rewritten in bulk, then a new object left behind",
    "{actor} {kind} in bucket {target}: {calls} call(s) ({batches} batch "
    "deletion(s)) from {source_ips} in {regions}, then uploaded {note_keys} to the same "
    "bucket.", "true", ("T1485", "T1486", "T1657"))

# Deletions of whole resources by one principal within an hour (runs with gaps of at most
# an hour); a TerminateInstances call counts each instance it names.
MASS_DELETIONS = """
WITH gone AS (
  SELECT *, time::TIMESTAMP AS ts,
         CASE WHEN event_name = 'TerminateInstances'
              THEN greatest(1, json_array_length(coalesce(params->'$.instancesSet.items',
                                                          '[]'::JSON)))
              ELSE 1 END AS objects
  FROM {table}
  WHERE NOT failed AND (event_name IN ('TerminateInstances', 'DeleteBucket',
        'DeregisterImage', 'DeleteSnapshot', 'DeleteDBInstance', 'DeleteDBCluster',
        'DeleteDBSnapshot', 'DeleteDBClusterSnapshot', 'DeleteVolume', 'DeleteTable',
        'DeleteSecret', 'DeleteFileSystem', 'DeleteBackupVault', 'DeleteRecoveryPoint')
        OR event_name LIKE 'DeleteFunction%')),
RUNS(gone BY actor WITHIN 1 HOUR)
SELECT min(time) AS time, actor, sum(objects)::BIGINT AS objects, count(*) AS calls,
       list_sort(list_distinct(list(event_name))) AS event_names,
       list_sort(list_distinct(list(source_ip))) AS source_ips,
       list_sort(list_distinct(list(region))) AS regions, {refs} AS refs
FROM runs GROUP BY actor, run HAVING sum(objects) >= ?
ORDER BY time, actor
"""
MASS_DELETION_RULE = SqlRule(
    "TH-AWS-MASS-DELETION", "resource-change", "high", "Resources deleted in bulk",
    "{actor} deleted or terminated {objects} resources in {calls} call(s) ({event_names}) "
    "within runs of at most an hour, from {source_ips} in {regions}.", "true",
    ("T1485", "T1490"))

# Commands or keys pushed to instances (SSM, EC2 Instance Connect, serial console) by one
# principal in runs with gaps of at most an hour.
REMOTE_ACCESS = """
WITH pushed AS (
  SELECT *, time::TIMESTAMP AS ts,
         CASE WHEN event_name = 'SendCommand'
                THEN coalesce(json_extract_string(params, '$.instanceIds[*]'),
                              json_extract_string(params, '$.targets[*].values[*]'), [])
              WHEN event_name = 'StartSession' THEN [params->>'$.target']
              ELSE [params->>'$.instanceId'] END AS instances
  FROM {table}
  WHERE event_name IN ('SendCommand', 'StartSession', 'SendSSHPublicKey',
                       'SendSerialConsoleSSHPublicKey')),
RUNS(pushed BY actor WITHIN 1 HOUR)
SELECT min(time) AS time, actor, count(*) AS calls,
       list_sort(list_distinct(list_filter(flatten(list(instances)), lambda i: i IS NOT NULL)))
         AS instances,
       list_sort(list_distinct(list(event_name))) AS event_names,
       list_sort(list_distinct(list(source_ip))) AS source_ips,
       list_sort(list_distinct(list(region))) AS regions,
       bool_and(failed) AS failed, any_value(error ORDER BY time) AS error, {refs} AS refs
FROM runs GROUP BY actor, run ORDER BY time, actor
"""
REMOTE_SPREAD_RULE = SqlRule(
    "TH-AWS-REMOTE-ACCESS-SPREAD", "resource-change", "medium",
    "Commands or SSH keys pushed to many instances",
    "{actor} called {event_names} {calls} time(s) on {instance_count} instances "
    "({instances}) from {source_ips} in {regions}.", "true", ("T1021.007", "T1651"))
REMOTE_RULE = SqlRule(
    "TH-AWS-REMOTE-ACCESS", "resource-change", "low", "Command or SSH key pushed to an instance",
    "{actor} called {event_names} {calls} time(s) on {instances} from {source_ips} in "
    "{regions}.", "true", ("T1021.007", "T1651"))

# user data read from instances, per principal in runs with gaps of at most an hour
USER_DATA_READS = """
WITH reads AS (
  SELECT *, time::TIMESTAMP AS ts FROM {table}
  WHERE event_name = 'DescribeInstanceAttribute' AND params->>'$.attribute' = 'userData'),
RUNS(reads BY actor WITHIN 1 HOUR)
SELECT min(time) AS time, actor, count(*) AS calls,
       count(DISTINCT target) AS instance_count,
       list_sort(list_distinct(list(source_ip))) AS source_ips,
       list_sort(list_distinct(list(region))) AS regions,
       bool_and(failed) AS failed, any_value(error ORDER BY time) AS error, {refs} AS refs
FROM runs GROUP BY actor, run HAVING count(DISTINCT target) >= ?
ORDER BY time, actor
"""
USER_DATA_RULE = SqlRule(
    "TH-AWS-USER-DATA-READ", "bulk-download", "medium", "User data read from many instances",
    "{actor} read the user data of {instance_count} instances ({calls} calls) from "
    "{source_ips} in {regions}; user data often holds secrets.", "true", ("T1552.005",))


RUNS = re.compile(r"RUNS\((\w+) BY ([\w, ]+) WITHIN (\d+ [A-Z]+)\)")


def runs_of(match: re.Match) -> str:
    """`RUNS(rows BY keys WITHIN gap)` as two CTEs: `marked` and `runs`, the rows of CTE
    `rows` (with a `ts` column) numbered by run per `keys`; a run ends where the gap to the
    next row of the same keys exceeds `gap` (rows of one second keep one order)."""
    source, keys, gap = match.groups()
    order = f"OVER (PARTITION BY {keys} ORDER BY ts, sha256, locator)"
    return (f"marked AS (\n  SELECT *, CASE WHEN ts - lag(ts) {order} <= INTERVAL {gap}\n"
            f"                 THEN 0 ELSE 1 END AS starts\n  FROM {source}),\n"
            f"runs AS (\n  SELECT *, sum(starts) {order} AS run\n  FROM marked)")


def query(sql: str, table: str) -> str:
    """A query of this family with its base table, refs aggregate and runs filled in."""
    return RUNS.sub(runs_of, sql).format(table=table, refs=REFS, read_only=READ_ONLY)
