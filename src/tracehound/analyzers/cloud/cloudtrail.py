"""CloudTrail: the API calls an intruder in an AWS account makes, one finding per call.

Audit tampering (trail stopped or deleted, event selectors changed), new credentials (access
keys, console passwords), privilege grants (policies attached or written, role trust widened),
data leaving through shared snapshots and AMIs, bursts of secret reads, Lambda code and
permission changes, console sign-ins without MFA and root-account use. Each finding names the
principal, the source IP and the region. Detections are SQL over the case store.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from ...model import Event, Finding
from ..registry import Analyzer, Context, register
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
       attrs->'$.additional_event_data' AS extra, attrs->'$.response_elements' AS response
FROM events WHERE source = 'aws:cloudtrail'
"""

# Accounts a snapshot / AMI / DB snapshot was opened to (12-digit ids, or 'all' = public).
SHARED_WITH = """list_distinct(list_concat(
    coalesce(json_extract_string(params, '$.createVolumePermission.add.items[*].userId'), []),
    coalesce(json_extract_string(params, '$.createVolumePermission.add.items[*].group'), []),
    coalesce(json_extract_string(params, '$.launchPermission.add.items[*].userId'), []),
    coalesce(json_extract_string(params, '$.launchPermission.add.items[*].group'), []),
    coalesce(json_extract_string(params, '$.valuesToAdd[*]'), [])))"""
SHARE_EVENTS = ("'ModifySnapshotAttribute', 'ModifyImageAttribute', "
                "'ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'")
SHARED = f"list_filter({SHARED_WITH}, lambda a: a IS DISTINCT FROM account)"
PUBLIC = f"list_contains(list_transform({SHARED_WITH}, lambda a: lower(a)), 'all')"
POLICY_EVENTS = ("'AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy', "
                 "'PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy', 'CreatePolicyVersion'")
ADMIN_POLICY = ("(params->>'$.policyArn' LIKE '%:policy/AdministratorAccess' OR "
                "regexp_matches(coalesce(params->>'$.policyDocument', ''), "
                "'\"Action\"\\s*:\\s*\\[?\\s*\"(\\*|iam:\\*)\"'))")
TRUST_ACCOUNTS = ("list_filter(regexp_extract_all(coalesce(params->>'$.policyDocument', ''), "
                  "'arn:aws:iam::([0-9]{12}):', 1), lambda a: a <> account)")
TRUST_ANYONE = ("regexp_matches(coalesce(params->>'$.policyDocument', ''), "
                "'\"AWS\"\\s*:\\s*\\[?\\s*\"\\*\"')")
OTHER_USER = ("(params->>'$.userName' IS NOT NULL AND "
              "params->>'$.userName' IS DISTINCT FROM user_name)")
TARGET_USER = "params->>'$.userName' AS target_user"
WHO = "{actor} from {source_ip} in {region}"

RULES: tuple[SqlRule, ...] = (
    SqlRule("TH-AWS-TRAIL-STOPPED", "audit-tampering", "high",
            "CloudTrail logging stopped or trail deleted",
            WHO + " called {event_name} on trail {target}; API activity after it may be "
            "missing from this trail.",
            "event_name IN ('StopLogging', 'DeleteTrail')", ("T1562.008",)),
    SqlRule("TH-AWS-TRAIL-SELECTORS", "audit-tampering", "medium",
            "CloudTrail event selectors or trail settings changed",
            WHO + " called {event_name} on trail {target}, changing what the trail records.",
            "event_name IN ('PutEventSelectors', 'UpdateTrail')", ("T1562.008",)),
    SqlRule("TH-AWS-ACCESS-KEY-OTHER-USER", "role-assignment", "high",
            "Access key created for another IAM user",
            WHO + " created an access key for IAM user {target_user}.",
            f"event_name = 'CreateAccessKey' AND {OTHER_USER}", ("T1098.001",),
            (TARGET_USER,)),
    SqlRule("TH-AWS-ACCESS-KEY-CREATED", "role-assignment", "medium",
            "Access key created", WHO + " created an access key for itself.",
            f"event_name = 'CreateAccessKey' AND NOT coalesce({OTHER_USER}, false)",
            ("T1098.001",)),
    SqlRule("TH-AWS-LOGIN-PROFILE-CREATED", "role-assignment", "high",
            "Console password created for an IAM user",
            WHO + " gave IAM user {target_user} a console password (CreateLoginProfile).",
            "event_name = 'CreateLoginProfile'", ("T1098.001",), (TARGET_USER,)),
    SqlRule("TH-AWS-LOGIN-PROFILE-RESET", "role-assignment", "high",
            "Console password of another IAM user changed",
            WHO + " changed the console password of IAM user {target_user}.",
            f"event_name = 'UpdateLoginProfile' AND {OTHER_USER}", ("T1098.001",),
            (TARGET_USER,)),
    SqlRule("TH-AWS-LOGIN-PROFILE-UPDATED", "role-assignment", "medium",
            "Console password changed", WHO + " changed its own console password settings.",
            f"event_name = 'UpdateLoginProfile' AND NOT coalesce({OTHER_USER}, false)",
            ("T1098.001",)),
    SqlRule("TH-AWS-ADMIN-POLICY-ATTACHED", "role-assignment", "high",
            "Administrator-equivalent policy granted",
            WHO + " called {event_name} on {target} granting administrator-equivalent "
            "permissions ({policy}).",
            f"event_name IN ({POLICY_EVENTS}) AND {ADMIN_POLICY}", ("T1098.003",),
            ("coalesce(params->>'$.policyArn', params->>'$.policyName') AS policy",)),
    SqlRule("TH-AWS-POLICY-ATTACHED", "role-assignment", "medium",
            "IAM policy attached or written",
            WHO + " called {event_name} on {target} ({policy}).",
            f"event_name IN ({POLICY_EVENTS}) AND NOT coalesce({ADMIN_POLICY}, false)",
            ("T1098.003",),
            ("coalesce(params->>'$.policyArn', params->>'$.policyName') AS policy",)),
    SqlRule("TH-AWS-ROLE-TRUST-EXTERNAL", "role-assignment", "high",
            "Role trust policy opened to another account",
            WHO + " changed the trust policy of role {target} so that {trusted} can assume "
            "it.",
            f"event_name = 'UpdateAssumeRolePolicy' AND (len({TRUST_ACCOUNTS}) > 0 "
            f"OR {TRUST_ANYONE})", ("T1098.003",),
            (f"CASE WHEN {TRUST_ANYONE} THEN ['*'] ELSE {TRUST_ACCOUNTS} END AS trusted",)),
    SqlRule("TH-AWS-ROLE-TRUST-CHANGED", "role-assignment", "medium",
            "Role trust policy changed",
            WHO + " changed the trust policy of role {target}.",
            f"event_name = 'UpdateAssumeRolePolicy' AND len({TRUST_ACCOUNTS}) = 0 "
            f"AND NOT {TRUST_ANYONE}", ("T1098.003",)),
    SqlRule("TH-AWS-SHARED-PUBLIC", "resource-change", "critical",
            "Snapshot or image made public",
            WHO + " made {target} public with {event_name} (permission group 'all').",
            f"event_name IN ({SHARE_EVENTS}) AND {PUBLIC}", ("T1537",)),
    SqlRule("TH-AWS-SHARED-EXTERNAL", "resource-change", "high",
            "Snapshot or image shared with another account",
            WHO + " shared {target} with account {shared_with} using {event_name}.",
            f"event_name IN ({SHARE_EVENTS}) AND NOT {PUBLIC} AND len({SHARED}) > 0",
            ("T1537",), (f"{SHARED} AS shared_with",)),
    SqlRule("TH-AWS-LAMBDA-PUBLIC-PERMISSION", "resource-change", "high",
            "Lambda function opened to any principal",
            WHO + " added a permission on Lambda function {target} that lets any "
            "principal ('*') call it.",
            "event_name LIKE 'AddPermission%' AND event_source = 'lambda.amazonaws.com' "
            "AND params->>'$.principal' = '*'", ("T1648",)),
    SqlRule("TH-AWS-LAMBDA-PERMISSION", "resource-change", "medium",
            "Lambda function permission added",
            WHO + " added a permission on Lambda function {target} for {principal}.",
            "event_name LIKE 'AddPermission%' AND event_source = 'lambda.amazonaws.com' "
            "AND params->>'$.principal' IS DISTINCT FROM '*'", ("T1648",),
            ("params->>'$.principal' AS principal",)),
    SqlRule("TH-AWS-LAMBDA-CHANGED", "resource-change", "low",
            "Lambda function code or configuration changed",
            WHO + " called {event_name} on Lambda function {target}.",
            "event_name LIKE 'UpdateFunctionCode%' OR "
            "event_name LIKE 'UpdateFunctionConfiguration%'", ("T1648",)),
    SqlRule("TH-AWS-CONSOLE-NO-MFA", "anomalous-signin", "medium",
            "Console sign-in without MFA",
            "{actor} signed in to the AWS console without MFA from {source_ip}.",
            "event_name = 'ConsoleLogin' AND NOT failed AND identity_type = 'IAMUser' "
            "AND extra->>'$.MFAUsed' = 'No'", ("T1078.004",)),
    SqlRule("TH-AWS-ROOT-CONSOLE-LOGIN", "anomalous-signin", "high",
            "Root account console sign-in",
            "The root user of account {account} signed in to the AWS console from "
            "{source_ip} (MFA used: {mfa}).",
            "event_name = 'ConsoleLogin' AND NOT failed AND identity_type = 'Root'",
            ("T1078.004",), ("coalesce(extra->>'$.MFAUsed', 'unknown') AS mfa",)),
)

# one row per account, address and hour; every region the calls went to is named
ROOT_ACTIVITY = f"""
SELECT min(time) AS time, any_value(actor ORDER BY time, sha256, locator) AS actor, source_ip,
       string_agg(DISTINCT region, ', ' ORDER BY region) AS region, account, count(*) AS calls,
       list_sort(list_distinct(list(event_name))) AS event_names,
       {REFS} AS refs
FROM {TABLE}
WHERE identity_type = 'Root' AND event_name <> 'ConsoleLogin' AND invoked_by IS NULL
GROUP BY account, source_ip, date_trunc('hour', time::TIMESTAMP)
ORDER BY time, account, source_ip
"""
ROOT_RULE = SqlRule(
    "TH-AWS-ROOT-ACTIVITY", "anomalous-signin", "medium", "Root account used for API calls",
    "The root user of account {account} made {calls} API calls from {source_ip} in "
    "{region} within the hour ({event_names}).", "true", ("T1078.004",))

SECRET_BURSTS = f"""
WITH reads AS (
  SELECT *, time::TIMESTAMP AS ts FROM {TABLE}
  WHERE event_name IN ('GetSecretValue', 'GetPasswordData')),
windowed AS (
  SELECT *, count(*) OVER (PARTITION BY actor ORDER BY ts
                           RANGE BETWEEN INTERVAL 10 MINUTE PRECEDING AND CURRENT ROW) AS recent,
         CASE WHEN ts - lag(ts) OVER (PARTITION BY actor ORDER BY ts, sha256, locator)
                   <= INTERVAL 10 MINUTE
              THEN 0 ELSE 1 END AS starts
  FROM reads),
-- the lag above and this running sum walk the reads in one order, so reads of the same
-- second cannot start an island of their own
islands AS (
  SELECT *, sum(starts) OVER (PARTITION BY actor ORDER BY ts, sha256, locator) AS island
  FROM windowed)
SELECT min(time) AS time, actor, max(recent) AS peak, count(*) AS calls,
       list_sort(list_distinct(list(source_ip))) AS source_ips,
       list_sort(list_distinct(list(region))) AS regions,
       count(DISTINCT target) AS targets, {REFS} AS refs
FROM islands GROUP BY actor, island HAVING max(recent) > ?
ORDER BY time, actor
"""
BURST_RULE = SqlRule(
    "TH-AWS-SECRET-READ-BURST", "bulk-download", "high", "Burst of secret reads",
    "{actor} read secrets or instance passwords {calls} times ({targets} distinct targets, "
    "up to {peak} within 10 minutes) from {source_ips} in {regions}.", "true",
    ("T1555.006",))
DETAILS = ("event_name", "source_ip", "region", "target_user", "policy", "trusted",
           "shared_with", "principal", "mfa", "calls", "event_names", "peak", "targets",
           "source_ips", "regions", "account")


@register
class CloudTrailAnalyzer(Analyzer):
    NAME = "cloudtrail"
    VERSION = "1"
    FAMILY = "cloud"
    TITLE = ("CloudTrail: trail tampering, new keys and passwords, policy and trust changes, "
             "snapshot/AMI sharing, secret-read bursts, Lambda changes, no-MFA and root use")
    CONSUMES = ("aws:",)

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        threshold = int(ctx.setting("secret_read_burst", 10))
        with connection(events, ctx) as con:
            if not has_events(con, "aws:cloudtrail"):
                return []
            con.execute(BASE)
            found = list(run_rules(con, TABLE, RULES, self.NAME, self.engine_version, DETAILS))
            for row in rows(con, ROOT_ACTIVITY):
                found.append(finding(ROOT_RULE, row, self.NAME, self.engine_version, DETAILS))
            for row in rows(con, SECRET_BURSTS, [threshold]):
                found.append(finding(BURST_RULE, row, self.NAME, self.engine_version, DETAILS))
            con.execute(f"DROP TABLE IF EXISTS {TABLE}")
        return sorted(found, key=Finding.sort_key)
