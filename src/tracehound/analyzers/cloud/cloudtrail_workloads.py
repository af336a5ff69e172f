"""Credentials of a workload (an EC2 instance role, a Lambda function's or an ECS task's role)
used from where the workload is not.

A workload session is an assumed-role identity whose session is an instance's
(principalId `...:i-0123...`, or `ec2RoleDelivery` in the session context), a Lambda
function's (AWS Lambda assumed the role for it, or its calls carry the Lambda runtime's
client string), or an ECS task's (ECS assumed the role for it, or the session is named by a
32-hex task id). Such credentials stay on their compute inside AWS; one finding per workload
principal when its calls came:

- from a public address outside AWS's published ranges (the snapshot shipped with the
  package; without it, this signal is not available and the finding says nothing of it);
- else from two or more public addresses;
- else from an address from which another, non-workload principal also called within an
  hour (credentials taken to the operator's machine: one address, two identities).
"""

from __future__ import annotations

from typing import Any, Iterable

from ...model import EvidenceRef
from .aws_ranges import AwsRanges, aws_ranges
from .sql import rows
from .sql_rules import SqlRule
from ...formats.times import parse_utc

MAX_REFS_PER_ADDRESS = 200
NEAR_SECONDS = 3600

# every call of a workload session, with its kind
WORKLOAD_CALLS = """
WITH assumed AS (SELECT * FROM {table} WHERE identity_type = 'AssumedRole'),
launched AS (
  SELECT DISTINCT params->>'$.roleArn' AS role_arn, params->>'$.roleSessionName' AS sname,
         CASE WHEN coalesce(invoked_by, source_ip) LIKE 'lambda.%' THEN 'Lambda function'
              ELSE 'ECS task' END AS launched_kind
  FROM {table}
  WHERE event_name = 'AssumeRole' AND identity_type = 'AWSService'
    AND coalesce(invoked_by, source_ip) IN ('lambda.amazonaws.com',
                                            'ecs-tasks.amazonaws.com')),
runtime AS (
  SELECT DISTINCT actor AS runtime_actor FROM assumed
  WHERE coalesce(user_agent, '') LIKE '%exec-env/AWS_Lambda%'),
kinds AS (
  SELECT a.*, CASE
      WHEN regexp_matches(coalesce(a.principal_id, ''), ':i-[0-9a-fA-F]{{8,17}}$')
           OR a.ec2_delivery IS NOT NULL THEN 'EC2 instance'
      WHEN l.launched_kind IS NOT NULL THEN l.launched_kind
      WHEN r.runtime_actor IS NOT NULL THEN 'Lambda function'
      WHEN regexp_matches(coalesce(a.session_name, ''), '^[0-9a-f]{{32}}$') THEN 'ECS task'
    END AS kind
  FROM assumed a
  LEFT JOIN launched l ON l.sname = a.session_name AND l.role_arn = a.issuer
  LEFT JOIN runtime r ON r.runtime_actor = a.actor)
"""
WORKLOAD_ADDRESSES = WORKLOAD_CALLS + """
SELECT actor, any_value(kind) AS kind, any_value(issuer) AS issuer, source_ip,
       min(time) AS time, max(time) AS last_time, count(*) AS calls,
       bool_and(failed) AS failed, any_value(error ORDER BY time) AS error,
       list_sort(list_distinct(list(event_name))) AS event_names,
       list_sort(list_distinct(list(region))) AS regions,
       {refs}[1:{cap}] AS refs
FROM kinds WHERE kind IS NOT NULL
GROUP BY actor, source_ip ORDER BY actor, time, source_ip
"""
# account and security enumeration by a workload session, per principal and hour-long run
ENUMERATION = ("'GetAccountAuthorizationDetails', 'ListUsers', 'ListRoles', 'ListGroups', "
               "'ListPolicies', 'GetAccountSummary', 'ListAccessKeys', 'ListAccountAliases', "
               "'ListAttachedUserPolicies', 'ListAttachedRolePolicies', 'ListDetectors', "
               "'DescribeTrails', 'GetTrailStatus', 'ListSecrets', "
               "'DescribeConfigurationRecorders', 'ListIdentities'")
WORKLOAD_DISCOVERY = WORKLOAD_CALLS + f"""
, picked AS (
  SELECT *, time::TIMESTAMP AS ts FROM kinds
  WHERE kind IS NOT NULL AND event_name IN ({ENUMERATION})),
RUNS(picked BY actor WITHIN 1 HOUR)
SELECT actor, any_value(kind) AS kind, any_value(issuer) AS target, min(time) AS time,
       count(*) AS calls, list_sort(list_distinct(list(event_name))) AS event_names,
       list_sort(list_distinct(list(source_ip))) AS source_ips,
       list_sort(list_distinct(list(region))) AS regions,
       bool_and(failed) AS failed, any_value(error ORDER BY time) AS error, {{refs}} AS refs
FROM runs GROUP BY actor, run HAVING count(DISTINCT event_name) >= ?
ORDER BY time, actor
"""
DISCOVERY_RULE = SqlRule(
    "TH-AWS-WORKLOAD-DISCOVERY", "anomalous-signin", "medium",
    "{kind} role used to enumerate the account",
    "{kind} session {actor} called {event_names} ({calls} calls) from {source_ips} in "
    "{regions}: account and security enumeration that workloads seldom make.",
    "true", ("T1580", "T1087.004"))

# non-workload principals seen at the addresses of workload sessions
OTHERS_AT = """
SELECT source_ip, actor, min(time) AS time, max(time) AS last_time
FROM {table}
WHERE source_ip IN (SELECT unnest(?::VARCHAR[])) AND identity_type <> 'AWSService'
  AND NOT list_contains(?::VARCHAR[], actor)
GROUP BY source_ip, actor ORDER BY source_ip, actor
"""

OUTSIDE_RULE = SqlRule(
    "TH-AWS-WORKLOAD-CREDS-OUTSIDE", "anomalous-signin", "high",
    "{kind} role credentials used from outside AWS",
    "Credentials of {kind} session {actor} were used from {outside}, outside AWS's published "
    "address ranges ({snapshot}), for {calls} call(s) ({event_names}) in {regions}.",
    "true", ("T1552.005", "T1078.004"))
SECOND_ADDRESS_RULE = SqlRule(
    "TH-AWS-WORKLOAD-CREDS-SECOND-ADDRESS", "anomalous-signin", "medium",
    "{kind} role credentials used from a second address",
    "Credentials of {kind} session {actor} were used from {address_count} public addresses "
    "({addresses}) for {calls} call(s) ({event_names}) in {regions}{ranges_note}.",
    "true", ("T1552.005", "T1078.004"))
SHARED_ADDRESS_RULE = SqlRule(
    "TH-AWS-WORKLOAD-CREDS-SHARED-ADDRESS", "anomalous-signin", "medium",
    "{kind} role credentials used from an operator's address",
    "Credentials of {kind} session {actor} were used from {addresses} for {calls} call(s) "
    "({event_names}); within an hour {others} also called from that address.",
    "true", ("T1552.005", "T1078.004"))


def _seconds(time: str) -> float:
    return parse_utc(time).timestamp()


def workload_rows(con: Any, table: str, refs_sql: str) -> list[dict[str, Any]]:
    """One row per workload principal, with the rule that applies and its wording columns."""
    try:
        ranges: AwsRanges | None = aws_ranges()
    except OSError:
        ranges = None
    by_actor: dict[str, list[dict[str, Any]]] = {}
    for row in rows(con, WORKLOAD_ADDRESSES.format(table=table, refs=refs_sql,
                                                   cap=MAX_REFS_PER_ADDRESS)):
        row["where"] = ranges.kind(row["source_ip"]) if ranges else _public_or_not(row)
        by_actor.setdefault(row["actor"], []).append(row)
    public = sorted({r["source_ip"] for groups in by_actor.values() for r in groups
                     if r["where"] in ("aws", "outside")})
    others = rows(con, OTHERS_AT.format(table=table), [public, sorted(by_actor)]) \
        if public else []
    out = []
    for actor, groups in sorted(by_actor.items()):
        row = _judged(actor, groups, others, ranges)
        if row is not None:
            out.append(row)
    return out


def _public_or_not(row: dict[str, Any]) -> str:
    """Without a snapshot: a public address counts as 'aws' (unknown side) so that only the
    second-address and shared-address signals apply."""
    import ipaddress
    try:
        return "aws" if ipaddress.ip_address(str(row["source_ip"])).is_global else "private"
    except ValueError:
        return "none"


def _judged(actor: str, groups: list[dict[str, Any]], others: list[dict[str, Any]],
            ranges: AwsRanges | None) -> dict[str, Any] | None:
    outside = [g for g in groups if g["where"] == "outside"]
    public = [g for g in groups if g["where"] in ("aws", "outside")]
    shared = _shared(public, others)
    if outside:
        chosen, rule = outside, OUTSIDE_RULE
    elif len(public) >= 2:
        chosen, rule = public, SECOND_ADDRESS_RULE
    elif shared:
        chosen, rule = [g for g in public if g["source_ip"] in shared], SHARED_ADDRESS_RULE
    else:
        return None
    first = min(chosen, key=lambda g: g["time"])
    refs = [ref for g in sorted(chosen, key=lambda g: g["time"]) for ref in g["refs"]]
    return {
        "rule": rule, "time": first["time"], "actor": actor, "target": first["issuer"],
        "kind": first["kind"], "issuer": first["issuer"],
        "calls": sum(g["calls"] for g in chosen),
        "failed": all(g["failed"] for g in chosen), "error": first["error"],
        "event_names": sorted({n for g in chosen for n in g["event_names"]}),
        "regions": sorted({n for g in chosen for n in g["regions"] if n}),
        "addresses": sorted({g["source_ip"] for g in chosen}),
        "address_count": len({g["source_ip"] for g in chosen}),
        "outside": sorted({g["source_ip"] for g in outside}),
        "others": sorted({o for g in chosen for o in shared.get(g["source_ip"], ())}),
        "snapshot": ranges.snapshot if ranges else "no snapshot available",
        "ranges_note": "" if ranges else (
            "; no snapshot of AWS's address ranges is available, so whether these addresses "
            "belong to AWS was not checked"),
        "refs": refs,
    }


def _shared(public: list[dict[str, Any]], others: list[dict[str, Any]]
            ) -> dict[str, list[str]]:
    """{address: other principals that called from it within NEAR_SECONDS of the session}."""
    found: dict[str, list[str]] = {}
    for group in public:
        start, end = _seconds(group["time"]), _seconds(group["last_time"])
        for other in others:
            if other["source_ip"] != group["source_ip"]:
                continue
            if _seconds(other["time"]) <= end + NEAR_SECONDS and \
                    _seconds(other["last_time"]) >= start - NEAR_SECONDS:
                found.setdefault(group["source_ip"], []).append(other["actor"])
    return found


def as_refs(refs: Iterable[dict[str, str]]) -> tuple[EvidenceRef, ...]:
    return tuple(dict.fromkeys(EvidenceRef(r["sha256"], r["locator"]) for r in refs))
