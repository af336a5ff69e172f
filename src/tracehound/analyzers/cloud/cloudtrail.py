"""CloudTrail: the API calls an intruder in an AWS account makes.

Single calls that tell on their own (data/cloudtrail_rules.yaml: audit trails, flow and DNS
logs, GuardDuty and Config turned off, leaving the organization, new keys and passwords,
policy and trust changes, Roles Anywhere, Lambda layers and public URLs, user data, shared
snapshots and images, public or cross-account bucket policies, external encryption keys,
versioning suspended, console sign-ins without MFA), with runs of like calls folded into one
grouped finding; and patterns over many calls (cloudtrail_bursts.py: root use, secret-read
bursts, mass deletions and ransom notes, commands pushed to many instances, bulk user-data
reads; cloudtrail_workloads.py: workload credentials used from elsewhere;
cloudtrail_chain.py: enumeration bursts and the role assumption and data reads that follow).
Each finding names the principal, the source address and the region. Detections are SQL over
the case store. Nothing is suppressed by user agent, tool or principal name.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Sequence

from ...model import Event, Finding
from ..registry import Analyzer, Context, register
from . import cloudtrail_bursts as bursts
from .cloudtrail_chain import chain_rows
from .cloudtrail_rules import group_runs, load_rules
from .cloudtrail_workloads import (DISCOVERY_RULE, WORKLOAD_DISCOVERY, as_refs,
                                   workload_rows)
from .sql import REFS, connection, rows
from .sql_rules import SqlRule, finding, has_events, run_rules

TABLE = "th_cloudtrail"
BASE = f"""
CREATE OR REPLACE TEMP TABLE {TABLE} AS
SELECT sha256, locator, time, action AS event_name, actor_id AS actor, target_id AS target,
       NULL::VARCHAR AS session, outcome = 'failure' AS failed,
       attrs->>'$.source_ip' AS source_ip, attrs->>'$.aws_region' AS region,
       attrs->>'$.user_identity_type' AS identity_type, attrs->>'$.user_id' AS user_name,
       attrs->>'$.event_source' AS event_source, attrs->>'$.invoked_by' AS invoked_by,
       coalesce(attrs->>'$.error_code', 'unknown error') AS error,
       coalesce(attrs->>'$.recipient_account_id', attrs->>'$.account_id') AS account,
       coalesce(attrs->'$.request_parameters', 'null'::JSON) AS params,
       attrs->'$.additional_event_data' AS extra, attrs->'$.response_elements' AS response,
       attrs->>'$.user_agent' AS user_agent, attrs->>'$.access_key_id' AS access_key,
       attrs->>'$.principal_id' AS principal_id, attrs->>'$.session_name' AS session_name,
       TRY_CAST(attrs->>'$.read_only' AS BOOLEAN) AS read_only,
       CASE WHEN attrs->>'$.user_identity_type' = 'AssumedRole' THEN
         attrs->>'$.session_issuer_arn' END AS issuer,
       CASE WHEN attrs->>'$.user_identity_type' = 'AssumedRole' THEN
         attrs->>'$.ec2_role_delivery' END AS ec2_delivery
FROM events WHERE source = 'aws:cloudtrail'
"""
DETAILS = ("event_name", "source_ip", "region", "target_user", "policy", "trusted",
           "shared_with", "principal", "mfa", "calls", "event_names", "peak", "targets",
           "source_ips", "regions", "account", "days", "flow_logs", "log_config", "detector",
           "gd_object", "config_object", "log_group", "anchor", "profile_name", "role_arns",
           "federated_name", "sso_object", "layers", "foreign", "lifecycle", "instance_type",
           "max_count", "destination", "db", "kind", "batches", "note_keys", "objects",
           "instances", "instance_count", "issuer", "addresses", "outside", "others",
           "snapshot", "denied", "services", "denied_actions", "seconds", "roles",
           "session_calls", "data_calls", "data_names", "data_targets", "guardrail",
           "key_name", "region_name", "family", "endpoint", "role_arn", "domain",
           "days_known")
SETTINGS = {"secret_read_burst": 10, "s3_object_burst": 20, "bulk_delete": 10,
            "remote_spread": 3, "user_data_reads": 5, "workload_enum": 3, "enum_rate": 20, "enum_calls": 100,
            "enum_services": 10, "enum_denied": 50, "enum_denied_actions": 20}


@register
class CloudTrailAnalyzer(Analyzer):
    NAME = "cloudtrail"
    VERSION = "2"
    FAMILY = "cloud"
    TITLE = ("CloudTrail: audit and monitoring tampering, new keys, passwords, roles and trust, "
             "Roles Anywhere, Lambda and user-data persistence, public or cross-account "
             "shares and bucket policies, secret-read bursts, mass deletions and ransom notes, "
             "workload credentials used elsewhere, enumeration chains, no-MFA and root use")
    CONSUMES = ("aws:",)

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        settings = {k: float(ctx.setting(k, v)) for k, v in SETTINGS.items()}
        with connection(events, ctx) as con:
            if not has_events(con, "aws:cloudtrail"):
                return []
            con.execute(BASE)
            rules, modes = load_rules(TABLE)
            found = group_runs(run_rules(con, TABLE, rules, self.NAME, self.engine_version,
                                         DETAILS), modes)
            found += self._bursts(con, settings)
            found += [self._make(row["rule"], row) for row in workload_rows(con, TABLE, REFS)]
            found += [self._make(row["rule"], row, every_ref=True)
                      for row in chain_rows(con, TABLE, settings)]
            con.execute(f"DROP TABLE IF EXISTS {TABLE}")
        return sorted(found, key=Finding.sort_key)

    def _bursts(self, con: Any, settings: dict[str, float]) -> list[Finding]:
        out = []
        for row in rows(con, bursts.query(bursts.ROOT_ACTIVITY, TABLE)):
            out.append(self._make(bursts.ROOT_READ_RULE if row["all_read"] else
                                  bursts.ROOT_RULE, row))
        for row in rows(con, bursts.query(bursts.SECRET_BURSTS, TABLE),
                        [settings["secret_read_burst"]]):
            out.append(self._make(bursts.BURST_RULE, row))
        for row in rows(con, bursts.query(bursts.SECRET_NEW_ADDRESS, TABLE)):
            out.append(self._make(bursts.SECRET_NEW_ADDRESS_RULE, row))
        for row in rows(con, bursts.query(bursts.S3_OBJECT_RUNS, TABLE),
                        [settings["s3_object_burst"]]):
            if row["note_refs"]:
                row["refs"] = list(row["refs"]) + list(row["note_refs"])
                out.append(self._make(bursts.RANSOM_RULE, row, every_ref=True))
            else:
                out.append(self._make(bursts.S3_RUN_RULE, row))
        for row in rows(con, bursts.query(bursts.MASS_DELETIONS, TABLE),
                        [settings["bulk_delete"]]):
            out.append(self._make(bursts.MASS_DELETION_RULE, row))
        for row in rows(con, bursts.query(bursts.REMOTE_ACCESS, TABLE)):
            row["instance_count"] = len(row["instances"])
            spread = row["instance_count"] >= settings["remote_spread"]
            out.append(self._make(bursts.REMOTE_SPREAD_RULE if spread else
                                  bursts.REMOTE_RULE, row))
        for row in rows(con, bursts.query(bursts.USER_DATA_READS, TABLE),
                        [settings["user_data_reads"]]):
            out.append(self._make(bursts.USER_DATA_RULE, row))
        for row in rows(con, bursts.query(WORKLOAD_DISCOVERY, TABLE),
                        [settings["workload_enum"]]):
            out.append(self._make(DISCOVERY_RULE, row))
        return out

    def _make(self, rule: SqlRule, row: dict[str, Any], every_ref: bool = False) -> Finding:
        made = finding(rule, row, self.NAME, self.engine_version, DETAILS)
        return replace(made, refs=as_refs(row["refs"])) if every_ref else made
