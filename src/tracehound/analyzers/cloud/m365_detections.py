"""The Microsoft 365 audit-log detections, once, as SQL over the case store.

`th_ual` (see `cloud_tables`) holds the `m365:ual` events of the operations below with the
attrs the rules read; tenant provisioning by NT AUTHORITY\\SYSTEM is left out of it. Each
Detection is a query returning one row per suspicious event (or per user-hour for bursts)
with the columns its wording uses, a `severity`, and the evidence (`sha256`/`locator` or
`refs`). O365_DETECTIONS are tool 1's (o365-audit); UAL_DETECTIONS add the further privilege
and data-access operations tool 2 (ual-analyzer) reports; tool 3's "suspicious" view lists
the hits of both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Iterable, Mapping, Sequence

from ...formats.cloud.m365_directory import ROLE_ADDS
from ...model import SEVERITY_RANK, Finding
from ..registry import Context
from .entra_roles import PRIVILEGED_ROLES
from .cloud_tables import ensure_ual
from .oauth_risk import consent_severity, grade
from .sql import MAX_REFS, REFS, refs_of, rows, sql_list
from .sql_rules import lowered, wording
from ...formats.times import parse_utc as _when

INBOX_OPS = ("New-InboxRule", "Set-InboxRule", "UpdateInboxRules")
DOWNLOAD_OPS = ("FileDownloaded", "FileSyncDownloadedFull")
APP_CREDENTIAL_OPS = ("Add service principal credentials",
                      "Update application – Certificates and secrets management",
                      "Update application - Certificates and secrets management")
# operations whose attrs the detections read (`th_ual`); bulk downloads need only typed columns
DETECTION_OPS = frozenset({
    *INBOX_OPS, *ROLE_ADDS, *APP_CREDENTIAL_OPS, "Set-Mailbox",
    "New-TransportRule", "Set-TransportRule", "Consent to application",
    "Set-AdminAuditLogConfig", "Set-MailboxAuditBypassAssociation", "Add-MailboxPermission",
    "Add-RecipientPermission", "Add-MailboxFolderPermission", "New-ComplianceSearchAction",
    "SearchExported", "SearchExportDownloaded"})
# the settings the detection SQL reads (`{name}` placeholders), with their defaults
DEFAULT_SETTINGS = {"bulk_download_per_hour": 50}


def detection_settings(ctx: Context) -> dict[str, Any]:
    return {name: int(ctx.setting(name, default)) for name, default in DEFAULT_SETTINGS.items()}


@dataclass(frozen=True)
class Detection:
    rule: str
    category: str
    title: str                      # templates over the row's columns
    statement: str
    sql: str                        # rows with time, actor, target, severity and evidence
    techniques: tuple[str, ...] = ()
    details: tuple[str, ...] = ()   # row columns kept in Finding.details
    refine: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None
    burst: "Burst | None" = None    # like rows close in time are one grouped finding


@dataclass(frozen=True)
class Burst:
    """Rows of one detection with equal `keys` columns, each at most `gap_minutes` after the
    previous, are one finding (CONTRACT.md, grouped findings): time the first row's, severity
    the worst, a ref per row, `details.count` and the members' `details.members`. Different
    objects (the key columns) never merge."""
    keys: tuple[str, ...]
    title: str                      # templates over the first row plus {count}, {last}
    statement: str                  # ... plus {names} and {whys}
    name_column: str = ""           # listed in {names}
    gap_minutes: int = 30


def bursts(items: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], Any],
           gap: timedelta) -> list[list[dict[str, Any]]]:
    """Items (in time order) with equal `key` whose times (ISO text, `time`) are at most `gap`
    apart, groups in order of their first member; an item without a time stands alone."""
    groups: list[list[dict[str, Any]]] = []
    last: dict[Any, list[dict[str, Any]]] = {}
    for item in items:
        k = key(item)
        group = last.get(k) if item.get("time") else None
        if group is not None and _when(item["time"]) - _when(group[-1]["time"]) <= gap:
            group.append(item)
            continue
        group = [item]
        groups.append(group)
        if item.get("time"):
            last[k] = group
    return groups


def inbox_rule_name(params: str) -> str:
    """SQL: an inbox rule's name from the cmdlet parameters JSON `params`."""
    return f"coalesce({params}->>'$.Name', {params}->>'$.RuleName', {params}->>'$.Identity')"


def prepare(con: Any) -> None:
    ensure_ual(con, DETECTION_OPS)
    values = ", ".join(f"('{t}', '{n.lower()}', '{n}', '{s}')"
                       for t, (n, s) in PRIVILEGED_ROLES.items())
    con.execute("CREATE OR REPLACE TEMP TABLE th_priv_roles AS SELECT * FROM (VALUES "
                f"{values}) AS r(template, lname, name, severity)")


def run(con: Any, detections: Iterable[Detection], tool: str, engine_version: str,
        settings: Mapping[str, Any], cache: dict | None = None) -> list[Finding]:
    prepare(con)
    found = []
    for spec in detections:
        found_rows = detection_rows(con, spec, settings, cache)
        if spec.burst is None:
            found += [to_finding(spec, row, tool, engine_version) for row in found_rows]
            continue
        burst = spec.burst
        for group in bursts(found_rows, lambda r: tuple(r.get(k) for k in burst.keys),
                            timedelta(minutes=burst.gap_minutes)):
            found.append(to_finding(spec, group[0], tool, engine_version) if len(group) == 1
                         else burst_finding(spec, group, tool, engine_version))
    return found


def hits(con: Any, detections: Iterable[Detection], settings: Mapping[str, Any],
         cache: dict | None = None) -> list[dict[str, Any]]:
    """Every detection's rows with its rule id (for views), without building findings."""
    prepare(con)
    return [{**row, "rule": spec.rule, "category": spec.category}
            for spec in detections for row in detection_rows(con, spec, settings, cache)]


def detection_rows(con: Any, spec: Detection, settings: Mapping[str, Any],
                   cache: dict | None = None) -> list[dict[str, Any]]:
    """The refined rows of one detection; with a `cache` (one case store), queried once for
    the tools that report it and the view that lists it."""
    key = ("m365-detection", spec.rule, tuple(sorted(settings.items())))
    if cache is not None and key in cache:
        return cache[key]
    found = []
    for row in rows(con, spec.sql.format(**settings)):
        row = spec.refine(row) if spec.refine else row
        if row is not None:
            found.append(row)
    if cache is not None:
        cache[key] = found
    return found


def to_finding(spec: Detection, row: dict[str, Any], tool: str, engine_version: str) -> Finding:
    severity, statement = row["severity"], wording(spec.statement, row)
    if row.get("outcome") == "failure":
        severity = lowered(severity)
        statement += " The audit record says the operation failed."
    details = {k: row[k] for k in spec.details if row.get(k) not in (None, "", [])}
    return Finding(rule=spec.rule, tool=tool, category=spec.category, severity=severity,
                   title=wording(spec.title, row), statement=statement, refs=refs_of(row),
                   time=row.get("time"), actor=row.get("actor"), target=row.get("target"),
                   techniques=spec.techniques, engine_version=engine_version, details=details)


def burst_finding(spec: Detection, group: list[dict[str, Any]], tool: str,
                  engine_version: str) -> Finding:
    """One finding for a burst of like rows: the first row's time, actor and target, the
    worst severity, one ref per row (at most MAX_REFS), every row's time and name."""
    members = [to_finding(spec, row, tool, engine_version) for row in group]
    first, burst = group[0], spec.burst
    names = [str(r.get(burst.name_column)) for r in group if r.get(burst.name_column) is not None]
    whys = sorted({w for r in group for w in (r.get("reasons") or [])})
    values = {**first, "count": len(group), "last": group[-1]["time"],
              "names": ", ".join(f'"{n}"' for n in list(dict.fromkeys(names))[:10])
              + (f" and {len(set(names)) - 10} more" if len(set(names)) > 10 else ""),
              "whys": "; ".join(whys) or "match this rule"}
    refs = tuple(dict.fromkeys(r for f in members for r in f.refs))[:MAX_REFS]
    details = {k: first[k] for k in spec.details if first.get(k) not in (None, "", [])}
    details.update(count=len(group), members=[
        {"time": r["time"], "name": r.get(burst.name_column), "ref": {"sha256": r["sha256"],
         "locator": r["locator"]}} for r in group if r.get("sha256")][:MAX_REFS],
        reasons=whys)
    worst = max((f.severity for f in members), key=SEVERITY_RANK.__getitem__)
    failed = sum(f.statement.endswith("the operation failed.") for f in members)
    statement = wording(burst.statement, values)
    if failed:
        statement += f" {failed} of the audit records say the operation failed."
    return Finding(rule=spec.rule, tool=tool, category=spec.category, severity=worst,
                   title=wording(burst.title, values), statement=statement, refs=refs,
                   time=first.get("time"), actor=first.get("actor"), target=first.get("target"),
                   techniques=spec.techniques, engine_version=engine_version, details=details,
                   count=len(group))


def _consent_refine(row: dict[str, Any]) -> dict[str, Any] | None:
    scopes = row.get("scopes") or []
    scored = grade(scopes)
    tenant_wide = bool(row.get("all_principals"))
    severity = consent_severity(scored.level, tenant_wide)
    if severity is None:
        return None
    who = "every user in the tenant" if tenant_wide else "the consenting user"
    return {**row, "severity": severity, "risk": scored.describe(), "who": who,
            "risky_scopes": list(scored.risky),
            "risky_text": ", ".join(scored.risky) or "sign-in and profile scopes"}


INBOX_RULE = Detection(
    rule="TH-M365-INBOX-RULE", category="inbox-rule", techniques=("T1114.003", "T1564.008"),
    title="Inbox rule \"{rule_name}\" in the mailbox of {target}",
    statement="{actor} ran {operation} from {client_ip} for an inbox rule named \"{rule_name}\" in "
              "the mailbox of {target} that {why}.",
    details=("client_ip", "rule_name", "reasons"),
    burst=Burst(keys=("actor", "target", "client_ip", "operation", "why"),
                name_column="rule_name",
                title="{count} inbox rules in the mailbox of {target} in one burst",
                statement="{actor} ran {operation} {count} times from {client_ip} between "
                          "{time} and {last} for inbox rules in the mailbox of {target} "
                          "named {names}; each {whys}."),
    sql=f"""
WITH r AS (
  SELECT * REPLACE (coalesce(nullif(p->>'$.Mailbox', ''), nullif(split_part(target, '\\', 1), ''),
                             actor) AS target),
    {inbox_rule_name("p")} AS rule_name,
    coalesce(nullif(p->>'$.ForwardTo', ''), nullif(p->>'$.ForwardAsAttachmentTo', ''),
             nullif(p->>'$.RedirectTo', '')) AS forward_to,
    coalesce(p->>'$.MoveToFolder', '') AS folder,
    lower(coalesce(p->>'$.RuleActions', '')) AS actions
  FROM th_ual WHERE operation IN {sql_list(INBOX_OPS)}
), s AS (
  SELECT *, list_filter([
    CASE WHEN forward_to IS NOT NULL OR regexp_matches(actions, 'forward|redirect')
         THEN 'forwards or redirects messages to ' || coalesce(forward_to, 'another recipient') END,
    CASE WHEN lower(p->>'$.DeleteMessage') = 'true' OR lower(p->>'$.SoftDeleteMessage') = 'true'
              OR contains(actions, 'delete') THEN 'deletes messages' END,
    CASE WHEN lower(p->>'$.MarkAsRead') = 'true' OR contains(actions, 'markasread')
         THEN 'marks messages as read' END,
    CASE WHEN regexp_matches(lower(folder) || ' ' || actions, 'rss|conversation history')
         THEN 'moves messages to ' || coalesce(nullif(folder, ''), 'an obscure folder') END,
    CASE WHEN regexp_matches(lower(folder), '(^|[\\\\/:])archive$')
         THEN 'moves messages to ' || folder END,
    CASE WHEN length(trim(rule_name)) BETWEEN 1 AND 3 OR NOT regexp_matches(rule_name, '[A-Za-z0-9]')
         THEN 'has a short or symbol-only name' END
  ], lambda x: x IS NOT NULL) AS reasons
  FROM r
)
SELECT *, array_to_string(reasons, '; ') AS why,
  CASE WHEN len(list_filter(reasons, lambda x: NOT starts_with(x, 'has a short')
                            AND NOT regexp_matches(x, 'Archive$'))) > 0
       THEN 'high' ELSE 'medium' END AS severity
FROM s WHERE len(reasons) > 0 ORDER BY time, sha256, locator""")

MAIL_FORWARDING = Detection(
    rule="TH-M365-MAIL-FORWARDING", category="mail-forwarding", techniques=("T1114.003",),
    title="Mailbox {target} forwarded to {forward_to}",
    statement="{actor} set forwarding on mailbox {target} to {forward_to} ({where}) from "
              "{client_ip}; {copy}.",
    details=("client_ip", "forward_to", "where"),
    sql="""
WITH f AS (
  SELECT *, regexp_replace(coalesce(nullif(p->>'$.ForwardingSmtpAddress', ''),
                     nullif(p->>'$.ForwardingAddress', '')), '^[sS][mM][tT][pP]:', '') AS forward_to,
    lower(p->>'$.DeliverToMailboxAndForward') AS keep_copy
  FROM th_ual WHERE operation = 'Set-Mailbox'
), home AS (
  SELECT DISTINCT split_part(actor_id, '@', 2) AS domain FROM events
  WHERE actor_kind = 'human' AND contains(actor_id, '@')
)
SELECT *, CASE WHEN external THEN 'an external domain' ELSE 'inside the tenant' END AS "where",
  CASE WHEN external THEN 'high' ELSE 'medium' END AS severity,
  CASE keep_copy WHEN 'false' THEN 'no copy is kept in the mailbox'
    WHEN 'true' THEN 'a copy stays in the mailbox'
    ELSE 'the record does not say whether a copy is kept' END AS copy
FROM (SELECT *, contains(forward_to, '@') AND lower(regexp_extract(forward_to, '@([^@>\\s]+)$', 1))
                NOT IN (SELECT domain FROM home) AS external FROM f WHERE forward_to IS NOT NULL)
ORDER BY time, sha256, locator""")

TRANSPORT_RULE = Detection(
    rule="TH-M365-TRANSPORT-RULE", category="transport-rule", techniques=("T1114.003",),
    title="Transport rule {rule_name} copies or diverts mail",
    statement="{actor} ran {operation} for transport rule {rule_name} from {client_ip}; the "
              "rule {why}.",
    details=("client_ip", "rule_name"),
    sql="""
WITH t AS (
  SELECT *, coalesce(p->>'$.Name', p->>'$.Identity') AS rule_name, list_filter([
    'redirects messages to ' || nullif(p->>'$.RedirectMessageTo', ''),
    'blind-copies messages to ' || nullif(p->>'$.BlindCopyTo', ''),
    'adds recipient ' || nullif(p->>'$.AddToRecipients', ''),
    'copies messages to ' || nullif(p->>'$.CopyTo', ''),
    CASE WHEN lower(p->>'$.DeleteMessage') = 'true' THEN 'deletes messages' END
  ], lambda x: x IS NOT NULL) AS reasons
  FROM th_ual WHERE operation IN ('New-TransportRule', 'Set-TransportRule')
)
SELECT *, array_to_string(reasons, '; ') AS why, 'high' AS severity
FROM t WHERE len(reasons) > 0 ORDER BY time, sha256, locator""")

BULK_DOWNLOAD = Detection(
    rule="TH-M365-BULK-DOWNLOAD", category="bulk-download", techniques=("T1530",),
    title="{actor} downloaded {files} files in one hour",
    statement="{actor} downloaded {files} files between {time} and {last} from {sites} "
              "(addresses {ips}), more than the {limit} an hour this case allows.",
    details=("files", "ips", "sites"),
    # the user-hours over the limit first, then the lists of just their downloads (building
    # them for every user-hour and dropping most cost a million-row UAL half a second)
    sql=f"""
WITH d AS (
  SELECT *, substr(time, 1, 13) AS th_hour FROM th_ual_all
  WHERE operation IN {sql_list(DOWNLOAD_OPS)} AND time IS NOT NULL
    AND NOT starts_with(coalesce(actor, ''), 'nt authority\')),
over AS (SELECT actor, th_hour FROM d GROUP BY actor, th_hour
         HAVING count(*) > {{bulk_download_per_hour}})
SELECT actor, min(time) AS time, max(time) AS last, count(*) AS files,
  list(DISTINCT client_ip ORDER BY client_ip) FILTER (WHERE client_ip IS NOT NULL) AS ips,
  list(DISTINCT site_url ORDER BY site_url) FILTER (WHERE site_url IS NOT NULL) AS sites,
  {{bulk_download_per_hour}} AS "limit", 'high' AS severity, NULL AS target, {REFS} AS refs
FROM d SEMI JOIN over o ON d.actor IS NOT DISTINCT FROM o.actor AND d.th_hour = o.th_hour
GROUP BY actor, th_hour HAVING count(*) > {{bulk_download_per_hour}}
ORDER BY time, actor""")

ROLE_ASSIGNMENT = Detection(
    rule="TH-M365-PRIVILEGED-ROLE-ADD", category="role-assignment", techniques=("T1098.003",),
    title="{role} granted to {target}",
    statement="{actor} added {target} to the privileged directory role {role} "
              "(template {template}) from {client_ip}.",
    details=("role", "template", "client_ip"),
    sql=f"""
SELECT u.*, coalesce(rt.name, rn.name) AS role, coalesce(rt.severity, rn.severity) AS severity,
  coalesce(a->>'$.role_template_id', rn.template) AS template
FROM th_ual u
LEFT JOIN th_priv_roles rt ON a->>'$.role_template_id' = rt.template
LEFT JOIN th_priv_roles rn ON lower(a->>'$.role_name') = rn.lname
WHERE operation IN {sql_list(sorted(ROLE_ADDS))} AND coalesce(rt.name, rn.name) IS NOT NULL
ORDER BY time, sha256, locator""")

OAUTH_CONSENT = Detection(
    rule="TH-M365-OAUTH-CONSENT", category="oauth-consent", techniques=("T1528",),
    title="Consent to {app}: {risky_text}",
    statement="{actor} consented to application {app} ({app_id}) on behalf of {who} from "
              "{client_ip}, granting {risk}.",
    details=("app", "app_id", "scopes", "consent_type", "client_ip"),
    refine=_consent_refine,
    sql="""
SELECT *, coalesce(a->>'$.app_name', target) AS app, a->>'$.app_id' AS app_id,
  coalesce(from_json(a->'$.scopes', '["VARCHAR"]'), []) AS scopes, a->>'$.consent_type' AS consent_type,
  coalesce(a->>'$.consent_type' = 'AllPrincipals', false)
    OR coalesce((a->>'$.on_behalf_of_all')::BOOLEAN, false) AS all_principals
FROM th_ual WHERE operation = 'Consent to application' ORDER BY time, sha256, locator""")

AUDIT_TAMPERING = Detection(
    rule="TH-M365-AUDIT-DISABLED", category="audit-tampering", techniques=("T1562.008",),
    title="Audit logging turned off by {actor}",
    statement="{actor} ran {operation} from {client_ip} and {why}.",
    details=("client_ip",),
    sql="""
WITH t AS (SELECT *, list_filter([
    CASE WHEN lower(p->>'$.UnifiedAuditLogIngestionEnabled') = 'false'
         THEN 'turned off unified audit log ingestion' END,
    CASE WHEN lower(p->>'$.AdminAuditLogEnabled') = 'false' THEN 'turned off admin audit logging' END,
    CASE WHEN operation = 'Set-MailboxAuditBypassAssociation' AND lower(p->>'$.AuditBypassEnabled') = 'true'
         THEN 'exempted ' || coalesce(target, 'an account') || ' from mailbox auditing' END,
    CASE WHEN operation = 'Set-Mailbox' AND lower(p->>'$.AuditEnabled') = 'false'
         THEN 'turned off mailbox auditing for ' || coalesce(target, 'a mailbox') END
  ], lambda x: x IS NOT NULL) AS reasons
  FROM th_ual WHERE operation IN ('Set-AdminAuditLogConfig', 'Set-MailboxAuditBypassAssociation', 'Set-Mailbox'))
SELECT *, array_to_string(reasons, ' and ') AS why,
  CASE WHEN operation = 'Set-Mailbox' THEN 'medium' ELSE 'high' END AS severity
FROM t WHERE len(reasons) > 0 ORDER BY time, sha256, locator""")

O365_DETECTIONS: Sequence[Detection] = (INBOX_RULE, MAIL_FORWARDING, TRANSPORT_RULE,
                                        BULK_DOWNLOAD, ROLE_ASSIGNMENT, OAUTH_CONSENT,
                                        AUDIT_TAMPERING)

MAILBOX_DELEGATION = Detection(
    rule="TH-M365-MAILBOX-DELEGATION", category="rbac-change", techniques=("T1098.002",),
    title="Mailbox rights granted by {actor}",
    statement="{actor} ran {operation} from {client_ip} and {why}.",
    details=("client_ip",),
    sql="""
WITH d AS (
  SELECT *, lower(coalesce(p->>'$.AccessRights', '')) AS rights,
    coalesce(p->>'$.User', p->>'$.Trustee', p->>'$.GrantSendOnBehalfTo', 'an account') AS grantee,
    coalesce(p->>'$.Identity', target, 'a mailbox') AS mailbox
  FROM th_ual WHERE operation IN ('Add-MailboxPermission', 'Add-RecipientPermission',
                                  'Set-Mailbox', 'Add-MailboxFolderPermission')
), r AS (
  SELECT *, CASE
    WHEN operation = 'Add-MailboxPermission' AND contains(rights, 'fullaccess')
      THEN 'full access to mailbox '
    WHEN operation = 'Add-RecipientPermission' AND contains(rights, 'sendas')
      THEN 'send-as rights on '
    WHEN operation = 'Set-Mailbox' AND coalesce(p->>'$.GrantSendOnBehalfTo', '') <> ''
      THEN 'send-on-behalf rights on '
    WHEN operation = 'Add-MailboxFolderPermission' AND regexp_matches(rights, 'owner|editor|reviewer')
      THEN (p->>'$.AccessRights') || ' rights on folder '
  END AS granted FROM d
)
SELECT *, 'gave ' || grantee || ' ' || granted || mailbox AS why, 'medium' AS severity
FROM r WHERE granted IS NOT NULL ORDER BY time, sha256, locator""")

APP_CREDENTIAL = Detection(
    rule="TH-M365-APP-CREDENTIAL", category="resource-change", techniques=("T1098.001",),
    title="Credentials added to application {app}",
    statement="{actor} ran {operation} on application {app} from {client_ip}; whoever holds the "
              "new secret or certificate can sign in as the application.",
    details=("app", "client_ip"),
    sql=f"""
SELECT *, coalesce(a->>'$.app_name', target) AS app, 'medium' AS severity FROM th_ual
WHERE operation IN {sql_list(APP_CREDENTIAL_OPS)}
ORDER BY time, sha256, locator""")

SEARCH_EXPORT = Detection(
    rule="TH-M365-SEARCH-EXPORT", category="bulk-download", techniques=("T1114.002",),
    title="Content search exported by {actor}",
    statement="{actor} ran {operation} for {search} from {client_ip}: an export of the mail or "
              "files a content search matched.",
    details=("search", "client_ip"),
    sql="""
SELECT *, coalesce(p->>'$.SearchName', p->>'$.Name', a->>'$.object_id', 'a content search') AS search,
  'high' AS severity FROM th_ual
WHERE (operation = 'New-ComplianceSearchAction' AND lower(coalesce(p->>'$.Export', '')) = 'true')
   OR operation IN ('SearchExported', 'SearchExportDownloaded')
ORDER BY time, sha256, locator""")

UAL_DETECTIONS: Sequence[Detection] = (MAILBOX_DELEGATION, APP_CREDENTIAL, SEARCH_EXPORT)
# what tool 2 reports as findings: credentials added to applications are identity.py's (it
# reads the Entra directory audit too and tells rotations apart); the view still lists them
UAL_FINDINGS: Sequence[Detection] = (MAILBOX_DELEGATION, SEARCH_EXPORT)
