"""Azure activity log: the control-plane operations an intruder in a subscription performs.

Records are grouped into operations first (an operation's BeginRequest, Accepted and
EndRequest records share operation name, resource and correlation id), so each operation is
one finding citing all its records, and its outcome is the final status. Then: RBAC role
assignments (Owner / Contributor / User Access Administrator above all), VM run command and
extensions, VM create / delete, Key Vault access-policy and secret changes, Defender plans
and diagnostic settings switched off, NSG rules open to the Internet, public IPs. The
operations themselves are handed back, in time order, as the `azure_operations` artifact.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from ...model import Event, Finding
from ..registry import Analyzer, Context, register
from .sql import REFS, connection, rows
from .sql_rules import SqlRule, has_events, run_rules

TABLE = "th_azure_ops"
# an operation's records, first to last; records of one second: the one with an outcome (the
# EndRequest) last, then by evidence position, so the same records give the same operation
FIRST = "time, outcome IS NOT NULL, sha256, locator"
LAST = "time DESC, outcome IS NULL, sha256, locator"
BASE = f"""
CREATE OR REPLACE TEMP TABLE {TABLE} AS
WITH rec AS (
  SELECT *, lower(action) AS op, lower(coalesce(target_id, '')) AS resource_key,
         coalesce(session, sha256 || locator) AS corr,
         CAST(attrs->'$.request_body' AS VARCHAR) AS body_text
  FROM events WHERE source = 'azure:activity')
SELECT min(time) AS time, op, any_value(action ORDER BY {FIRST}) AS operation,
       any_value(actor_id ORDER BY {FIRST}) AS actor,
       any_value(target_id ORDER BY {FIRST}) AS target, any_value(session) AS session,
       any_value(attrs->>'$.client_ip' ORDER BY {FIRST}) AS source_ip,
       any_value(attrs->>'$.subscription_id' ORDER BY {FIRST}) AS subscription,
       CAST(lower(any_value(body_text ORDER BY {FIRST}) FILTER (WHERE body_text IS NOT NULL))
            AS JSON) AS body,
       any_value(body_text ORDER BY {FIRST}) FILTER (WHERE body_text IS NOT NULL) AS body_raw,
       bool_or(outcome = 'failure') AND NOT bool_or(outcome = 'success') AS failed,
       bool_or(outcome = 'success') AS succeeded,
       any_value(coalesce(attrs->>'$.sub_status', attrs->>'$.status') ORDER BY {LAST})
         FILTER (WHERE outcome = 'failure') AS error,
       any_value(attrs->>'$.status' ORDER BY {LAST}) AS status,
       min(sha256) AS sha256, min(locator) AS locator, {REFS} AS refs, count(*) AS records
FROM rec GROUP BY op, resource_key, corr
"""

ROLES = {"8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
         "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
         "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator"}
OTHER_ROLES = {"acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader"}
ROLE_ID = "nullif(regexp_extract(CAST(body AS VARCHAR), 'roledefinitions/([0-9a-f-]{36})', 1), '')"
ROLE_NAME = ("CASE " + " ".join(f"WHEN {ROLE_ID} = '{k}' THEN '{v}'"
                                for k, v in {**ROLES, **OTHER_ROLES}.items())
             + f" ELSE {ROLE_ID} END AS role")
PRIVILEGED = f"{ROLE_ID} IN ({', '.join(repr(k) for k in ROLES)})"
PRINCIPAL = ("nullif(regexp_extract(body_raw, '(?i)\"principalid\"\\s*:\\s*\"([^\"]+)\"', 1), '')"
             " AS principal")
SCOPE = ("coalesce(nullif(regexp_extract(body_raw, '(?i)\"scope\"\\s*:\\s*\"([^\"]+)\"', 1), ''),"
         " target) AS scope")
OPEN_SOURCES = "['*', '0.0.0.0/0', '0.0.0.0', 'internet', 'any', '::/0']"


def open_inbound(rule: str) -> str:
    """SQL: the (lower-cased) NSG rule properties JSON allows inbound traffic from anywhere."""
    prefixes = f"coalesce(json_extract_string({rule}, '$.sourceaddressprefixes[*]'), [])"
    return (f"(coalesce({rule}->>'$.access', '') = 'allow' "
            f"AND coalesce({rule}->>'$.direction', 'inbound') = 'inbound' "
            f"AND (list_contains({OPEN_SOURCES}, {rule}->>'$.sourceaddressprefix') "
            f"OR list_has_any({OPEN_SOURCES}, {prefixes})))")


NSG_RULE_OPEN = open_inbound("body->'$.properties'")
NSG_ANY_OPEN = ("len(list_filter(coalesce(json_extract(body, "
                "'$.properties.securityrules[*].properties'), []), "
                f"lambda r: {open_inbound('r')})) > 0")
PORTS = ("coalesce(body->>'$.properties.destinationportrange', array_to_string("
         "json_extract_string(body, '$.properties.destinationportranges[*]'), ','), 'any') "
         "AS ports")
WHO = "{actor} from {source_ip}"


def ops(*names: str) -> str:
    return "op IN (" + ", ".join(f"'{n.lower()}'" for n in names) + ")"


RULE_WRITE = ops("Microsoft.Network/networkSecurityGroups/securityRules/write")
RULES: tuple[SqlRule, ...] = (
    SqlRule("TH-AZ-ELEVATE-ACCESS", "rbac-change", "critical",
            "Global administrator elevated to User Access Administrator at root scope",
            WHO + " called {operation}, taking User Access Administrator over every "
            "subscription of the tenant.", ops("Microsoft.Authorization/elevateAccess/action"),
            ("T1098.003",)),
    SqlRule("TH-AZ-RBAC-PRIVILEGED", "rbac-change", "high",
            "Privileged Azure role assigned",
            WHO + " assigned the {role} role to principal {principal} at scope {scope}.",
            f"{ops('Microsoft.Authorization/roleAssignments/write')} AND {PRIVILEGED}",
            ("T1098.003",), (ROLE_NAME, PRINCIPAL, SCOPE)),
    SqlRule("TH-AZ-RBAC-UNKNOWN-ROLE", "rbac-change", "medium",
            "Azure role assigned (role not recorded)",
            WHO + " created role assignment {target}; the record does not name the role.",
            f"{ops('Microsoft.Authorization/roleAssignments/write')} AND {ROLE_ID} IS NULL",
            ("T1098.003",)),
    SqlRule("TH-AZ-RBAC-ASSIGNED", "rbac-change", "low", "Azure role assigned",
            WHO + " assigned role {role} to principal {principal} at scope {scope}.",
            f"{ops('Microsoft.Authorization/roleAssignments/write')} AND {ROLE_ID} IS NOT NULL "
            f"AND NOT {PRIVILEGED}", ("T1098.003",), (ROLE_NAME, PRINCIPAL, SCOPE)),
    SqlRule("TH-AZ-RBAC-REMOVED", "rbac-change", "low", "Azure role assignment removed",
            WHO + " removed role assignment {target}.",
            ops("Microsoft.Authorization/roleAssignments/delete"), ("T1531",)),
    SqlRule("TH-AZ-ROLE-DEFINITION", "rbac-change", "medium", "Custom Azure role written",
            WHO + " created or changed the role definition {target}.",
            ops("Microsoft.Authorization/roleDefinitions/write"), ("T1098.003",)),
    SqlRule("TH-AZ-VM-RUN-COMMAND", "resource-change", "high", "Command run on a VM",
            WHO + " ran a command on {target} ({operation}).",
            ops("Microsoft.Compute/virtualMachines/runCommand/action",
                "Microsoft.Compute/virtualMachines/runCommands/write",
                "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action"),
            ("T1651",)),
    SqlRule("TH-AZ-VM-EXTENSION", "resource-change", "medium", "VM extension installed",
            WHO + " installed or changed the VM extension {target} ({extension}).",
            ops("Microsoft.Compute/virtualMachines/extensions/write",
                "Microsoft.Compute/virtualMachineScaleSets/extensions/write"), ("T1651",),
            ("coalesce(nullif(regexp_extract(body_raw, '(?i)\"type\"\\s*:\\s*\"([^\"]+)\"', 1), ''), "
             "'type not recorded') AS extension",)),
    SqlRule("TH-AZ-VM-CHANGED", "resource-change", "low", "VM created, changed or deleted",
            WHO + " called {operation} on {target}.",
            ops("Microsoft.Compute/virtualMachines/write",
                "Microsoft.Compute/virtualMachines/delete"), ()),
    SqlRule("TH-AZ-KEYVAULT-ACCESS", "resource-change", "medium",
            "Key Vault access policy changed",
            WHO + " changed the access policies of Key Vault {target}.",
            ops("Microsoft.KeyVault/vaults/accessPolicies/write"), ("T1098",)),
    SqlRule("TH-AZ-KEYVAULT-CHANGED", "resource-change", "medium",
            "Key Vault secret written or vault deleted",
            WHO + " called {operation} on {target}.",
            ops("Microsoft.KeyVault/vaults/secrets/write", "Microsoft.KeyVault/vaults/delete"),
            ("T1555.006",)),
    SqlRule("TH-AZ-DEFENDER-DISABLED", "audit-tampering", "high",
            "Microsoft Defender for Cloud plan switched to Free",
            WHO + " set the Defender for Cloud plan {target} to the Free tier, turning its "
            "threat protection off.",
            f"{ops('Microsoft.Security/pricings/write')} "
            "AND body->>'$.properties.pricingtier' = 'free'", ("T1562.001",)),
    SqlRule("TH-AZ-SECURITY-SETTING-REMOVED", "audit-tampering", "medium",
            "Defender for Cloud setting removed",
            WHO + " called {operation} on {target}.",
            f"{ops('Microsoft.Security/securityContacts/delete', 'Microsoft.Security/workspaceSettings/delete')}"
            f" OR ({ops('Microsoft.Security/autoProvisioningSettings/write')} "
            "AND body->>'$.properties.autoprovision' = 'off')", ("T1562.001",)),
    SqlRule("TH-AZ-DIAGNOSTICS-REMOVED", "audit-tampering", "high",
            "Diagnostic or activity-log export removed",
            WHO + " called {operation} on {target}; logs it exported stop reaching their "
            "destination.",
            ops("Microsoft.Insights/diagnosticSettings/delete",
                "Microsoft.Insights/logProfiles/delete"), ("T1562.008",)),
    SqlRule("TH-AZ-ALERT-RULE-REMOVED", "audit-tampering", "medium",
            "Activity log alert removed", WHO + " deleted the activity log alert {target}.",
            ops("Microsoft.Insights/activityLogAlerts/delete"), ("T1562.008",)),
    SqlRule("TH-AZ-NSG-OPEN-INBOUND", "network-change", "high",
            "Network security group opened to the Internet",
            WHO + " wrote {target} allowing inbound traffic from any address to port(s) "
            "{ports}.",
            f"({RULE_WRITE} AND {NSG_RULE_OPEN}) OR "
            f"({ops('Microsoft.Network/networkSecurityGroups/write')} AND {NSG_ANY_OPEN})",
            ("T1562.007",), (PORTS,)),
    SqlRule("TH-AZ-NSG-RULE-CHANGED", "network-change", "low",
            "Network security rule changed",
            WHO + " called {operation} on {target}.",
            f"({RULE_WRITE} AND NOT coalesce({NSG_RULE_OPEN}, false)) OR "
            f"{ops('Microsoft.Network/networkSecurityGroups/securityRules/delete')}",
            ("T1562.007",)),
    SqlRule("TH-AZ-SQL-FIREWALL-OPEN", "network-change", "high",
            "SQL server firewall opened to every address",
            WHO + " wrote the SQL firewall rule {target} admitting 0.0.0.0-255.255.255.255.",
            f"{ops('Microsoft.Sql/servers/firewallRules/write')} "
            "AND body->>'$.properties.endipaddress' = '255.255.255.255'", ("T1562.007",)),
    SqlRule("TH-AZ-PUBLIC-IP", "network-change", "low", "Public IP address created",
            WHO + " created or changed the public IP address {target}.",
            ops("Microsoft.Network/publicIPAddresses/write"), ()),
)
DETAILS = ("operation", "source_ip", "subscription", "status", "role", "principal", "scope",
           "extension", "ports", "records")
TIMELINE = f"""
SELECT time, operation, actor, target, source_ip, status, failed, records, refs
FROM {TABLE} ORDER BY time, sha256, locator
"""


@register
class AzureActivityAnalyzer(Analyzer):
    NAME = "azure-activity"
    VERSION = "1"
    FAMILY = "cloud"
    TITLE = ("Azure activity log: operations timeline, RBAC role assignments, VM run "
             "command / extensions, Key Vault and Defender changes, NSG rules and public IPs")
    CONSUMES = ("azure:",)
    ARTIFACTS_ARE_VIEWS = True

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        with connection(events, ctx) as con:
            if not has_events(con, "azure:activity"):
                return []
            con.execute(BASE)
            found = list(run_rules(con, TABLE, RULES, self.NAME, self.engine_version, DETAILS))
            con.execute(f"DROP TABLE IF EXISTS {TABLE}")
        return sorted(found, key=Finding.sort_key)

    def artifacts(self, events: Sequence[Event], ctx: Context) -> Mapping[str, list]:
        with connection(events, ctx) as con:
            if not has_events(con, "azure:activity"):
                return {}
            con.execute(BASE)
            entries = [_timeline_entry(row) for row in rows(con, TIMELINE)]
            con.execute(f"DROP TABLE IF EXISTS {TABLE}")
        return {"azure_operations": entries} if entries else {}


def _timeline_entry(row: dict) -> dict:
    return {"time": row["time"], "operation": row["operation"], "actor": row["actor"],
            "target": row["target"], "source_ip": row["source_ip"], "status": row["status"],
            "outcome": "failure" if row["failed"] else None, "records": row["records"],
            "refs": [{"sha256": r["sha256"], "locator": r["locator"]} for r in row["refs"]]}
