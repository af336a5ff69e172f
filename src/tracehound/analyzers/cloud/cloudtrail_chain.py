"""Discovery bursts and what follows them: one finding per principal.

A burst is a run of one principal's calls (gaps of at most two minutes) that is dense (at
least `enum_rate` calls a minute on average) and either broad (at least `enum_calls` calls
over `enum_services` services) or refused in bulk (at least `enum_denied` refused calls over
`enum_denied_actions` different actions), as permission brute-forcers and enumeration tools
make. When the same principal then assumes a role within an hour and that role session reads
data (objects, secrets, parameters, table items), the burst, the assumption and the reads are
one chain finding with every ref; a burst alone is its own finding (medium when refused in
bulk, low otherwise), and a burst followed by an assumption without reads is medium.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .cloudtrail_bursts import query
from .sql import rows
from .sql_rules import SqlRule

BURSTS = """
WITH calls AS (
  SELECT *, time::TIMESTAMP AS ts FROM {table}
  WHERE identity_type IS DISTINCT FROM 'AWSService' AND invoked_by IS NULL
    AND actor IS NOT NULL),
RUNS(calls BY actor WITHIN 2 MINUTE)
SELECT actor, min(time) AS time, max(time) AS last_time, count(*) AS calls,
       count(*) FILTER (WHERE failed) AS denied,
       count(DISTINCT event_source) AS services,
       count(DISTINCT event_name) FILTER (WHERE failed) AS denied_actions,
       coalesce(list_sort(list_distinct(list(event_name) FILTER (WHERE failed))), [])
         AS denied_names,
       list_sort(list_distinct(list(source_ip))) AS source_ips,
       (epoch(max(ts)) - epoch(min(ts)))::BIGINT AS seconds, {refs} AS refs
FROM runs GROUP BY actor, run
HAVING count(*) / greatest(1.0, (epoch(max(ts)) - epoch(min(ts))) / 60.0) >= ?
   AND ((count(*) >= ? AND count(DISTINCT event_source) >= ?)
        OR (count(*) FILTER (WHERE failed) >= ?
            AND count(DISTINCT event_name) FILTER (WHERE failed) >= ?))
ORDER BY actor, time
"""
ASSUMPTIONS = """
SELECT sha256, locator, time, params->>'$.roleArn' AS role,
       response->>'$.credentials.accessKeyId' AS key,
       response->>'$.assumedRoleUser.arn' AS session
FROM {table}
WHERE actor = ? AND event_name LIKE 'AssumeRole%' AND NOT failed
  AND time::TIMESTAMP >= ?::TIMESTAMP
  AND time::TIMESTAMP <= ?::TIMESTAMP + INTERVAL 1 HOUR
ORDER BY time, sha256, locator
"""
DATA_READS = ("'GetObject', 'ListObjects', 'ListObjectsV2', 'ListBucket', 'SelectObjectContent', "
              "'GetSecretValue', 'BatchGetSecretValue', 'GetParameter', 'GetParameters', "
              "'GetParametersByPath', 'Scan', 'Query', 'GetItem', 'BatchGetItem', "
              "'ExportTableToPointInTime', 'Decrypt', 'GetPasswordData', "
              "'DownloadDBLogFilePortion'")
SESSION_CALLS = f"""
SELECT sha256, locator, time, event_name, target, failed,
       event_name IN ({DATA_READS}) AS data_read
FROM {{table}}
WHERE (list_contains(?::VARCHAR[], access_key) OR list_contains(?::VARCHAR[], actor))
  AND time::TIMESTAMP >= ?::TIMESTAMP
  AND time::TIMESTAMP <= ?::TIMESTAMP + INTERVAL 1 HOUR
ORDER BY time, sha256, locator
"""

BURST = ("{actor} made {calls} calls to {services} services in {seconds} seconds from "
         "{source_ips}")
DISCOVERY = ("T1580", "T1526", "T1087.004")
BURST_RULE = SqlRule(
    "TH-AWS-ENUMERATION-BURST", "anomalous-signin", "low",
    "Burst of enumeration calls by one principal",
    BURST + "; {denied} were refused ({denied_actions} different actions).", "true", DISCOVERY)
DENIED_BURST_RULE = replace(BURST_RULE, severity="medium",
                            title="Burst of refused calls by one principal")
CHAIN_RULE = SqlRule(
    "TH-AWS-ENUMERATION-CHAIN", "anomalous-signin", "high",
    "Enumeration burst, role assumption and data access by one principal",
    BURST + " ({denied} refused); it then assumed {roles}, and that session made "
    "{data_calls} data read(s) ({data_names}) on {data_targets}{unlocked}.",
    "true", ("T1580", "T1078.004", "T1530"))
ASSUMED_RULE = replace(
    CHAIN_RULE, severity="medium", title="Enumeration burst followed by a role assumption",
    statement=BURST + " ({denied} refused); it then assumed {roles}, whose session made "
    "{session_calls} call(s){unlocked}.", techniques=("T1580", "T1078.004"))


def chain_rows(con: Any, table: str, settings: dict[str, float]) -> list[dict[str, Any]]:
    """One row per principal with a burst: its rule, wording columns and every ref."""
    bursts = rows(con, query(BURSTS, table), [
        settings["enum_rate"], settings["enum_calls"], settings["enum_services"],
        settings["enum_denied"], settings["enum_denied_actions"]])
    by_actor: dict[str, list[dict[str, Any]]] = {}
    for burst in bursts:
        by_actor.setdefault(burst["actor"], []).append(burst)
    return [_chain(con, table, actor, runs, settings["enum_denied"])
            for actor, runs in sorted(by_actor.items())]


def _chain(con: Any, table: str, actor: str, runs: list[dict[str, Any]], bulk_denied: float
           ) -> dict[str, Any]:
    denied_names = {n for r in runs for n in r["denied_names"]}
    row: dict[str, Any] = {
        "actor": actor, "time": runs[0]["time"], "target": None,
        "calls": sum(r["calls"] for r in runs), "denied": sum(r["denied"] for r in runs),
        "services": max(r["services"] for r in runs),
        "denied_actions": len(denied_names),
        "seconds": sum(r["seconds"] for r in runs),
        "source_ips": sorted({a for r in runs for a in r["source_ips"] if a}),
        "refs": [ref for r in runs for ref in r["refs"]], "failed": False,
    }
    assumed = rows(con, ASSUMPTIONS.format(table=table),
                   [actor, runs[0]["time"], runs[-1]["last_time"]])
    row["rule"] = DENIED_BURST_RULE if row["denied"] >= bulk_denied else BURST_RULE
    if not assumed:
        return row
    keys = [a["key"] for a in assumed if a["key"]]
    sessions = [a["session"] for a in assumed if a["session"]]
    calls = rows(con, SESSION_CALLS.format(table=table),
                 [keys, sessions, assumed[0]["time"], assumed[-1]["time"]])
    reads = [c for c in calls if c["data_read"] and not c["failed"]]
    unlocked = sorted({c["event_name"] for c in calls
                       if not c["failed"] and c["event_name"] in denied_names})
    row.update(
        roles=sorted({a["role"] for a in assumed if a["role"]}),
        session_calls=len(calls), data_calls=len(reads),
        data_names=sorted({c["event_name"] for c in reads}),
        data_targets=sorted({c["target"] for c in reads if c["target"]}) or ["unnamed objects"],
        unlocked=(f"; {len(unlocked)} action(s) refused to {actor} succeeded under the role "
                  f"({', '.join(unlocked)})") if unlocked else "",
        rule=CHAIN_RULE if reads else ASSUMED_RULE)
    row["refs"] += [{"sha256": a["sha256"], "locator": a["locator"]} for a in assumed]
    row["refs"] += [{"sha256": c["sha256"], "locator": c["locator"]}
                    for c in (reads or calls)]
    return row
