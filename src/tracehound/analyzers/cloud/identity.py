"""Tool 11, identity attacks: application backdoors, tenant-wide grants, mail read by apps,
federation trust changes; over the UAL and Entra directory audits (any export the parsers
normalize into `m365:ual` / `entra:audit`, Sentinel's AuditLogs and OfficeActivity too).

- TH-M365-APP-CREDENTIAL (resource-change): a secret or certificate added to an application
  or service principal ("Add service principal credentials", "Update application –
  Certificates and secrets management", or an update whose KeyCredentials /
  PasswordCredentials / KeyDescription grows). Medium; high when the same application also
  holds a consent or grant in the case or reads mail; low when the update only replaces
  credentials (as many after as before: a rotation). Records of one change (Entra logs an
  "Update application" beside it) within two minutes are one finding.
- TH-M365-OAUTH-CONSENT (oauth-consent): a consent or delegated grant read from the directory
  audit (Entra's "Consent to application", "Add delegated permission grant", app role
  assignments), and the UAL's grant records. o365-audit reports the UAL's "Consent to
  application"; a grant within ten minutes of a consent by the same account is part of it and
  not reported again. Graded by oauth_risk, one step up for AllPrincipals.
- TH-M365-APP-MAIL-READ (bulk-download): MailItemsAccessed by an application (attrs `app_id`,
  else `client_app_id`: AppId, else ClientAppId), Microsoft's first-party clients excluded
  (data/first_party_apps.yaml). High when the app's consent or credential-add is in the case;
  medium when the app is absent from the first 24 hours of a UAL window of at least three
  days; else not reported.
- TH-ENTRA-FEDERATION-CHANGE (resource-change): a domain set to federated authentication or
  its federation settings changed (high), with the records that added or verified that domain;
  other authentication changes and a domain added or verified alone are low.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from ...formats.cloud.m365_directory import CONSENTS
from ...model import Event, EvidenceRef, Finding
from ...store import events_with_attrs
from ..registry import Analyzer, Context, register
from .m365_detections import APP_CREDENTIAL_OPS, bursts
from .oauth_risk import consent_severity, grade
from .sql import MAX_REFS, connection, rows, sql_list
from ...formats.times import parse_utc as _time

FIRST_PARTY = Path(__file__).parent / "data" / "first_party_apps.yaml"
APP_UPDATES = ("Update application", "Update service principal")
CREDENTIAL_PROPS = re.compile(r"keycredentials|passwordcredentials|keydescription", re.I)
KEY_IDS = re.compile(r"key ?id(entifier)?\"?\s*[=:]", re.I)
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
ALIAS_OPS = ("Add service principal", "Add application", "Consent to application")
FEDERATE = ("Set federation settings on domain",)
DOMAIN_AUTH = ("Set domain authentication", "Set DirSyncEnabled flag", "Update domain")
DOMAIN_ADDS = ("Add unverified domain", "Verify domain", "Add verified domain",
               "Verify email verified domain", "Add domain to company")
SOURCES = "source IN ('m365:ual', 'entra:audit')"
RECORDS = f"""
SELECT sha256, locator, time, source, action, actor_id AS actor, target_id AS target, outcome,
  attrs, CASE WHEN action IN {{raw_ops}} THEN raw END AS raw
FROM events WHERE {SOURCES} AND time IS NOT NULL AND action IN {{ops}}
ORDER BY time, sha256, locator
"""
MAIL_READS = """
SELECT app, min(time) AS time, max(time) AS last, count(*) AS records,
  list(DISTINCT owner ORDER BY owner) FILTER (WHERE owner IS NOT NULL) AS mailboxes,
  list(DISTINCT ip ORDER BY ip) FILTER (WHERE ip IS NOT NULL) AS ips,
  list(struct_pack(sha256 := sha256, locator := locator) ORDER BY time, sha256, locator) AS refs
FROM (SELECT sha256, locator, time, lower(coalesce(nullif(_attrs[1], ''),
        nullif(_attrs[2], ''))) AS app,
        coalesce(raw->>'$.MailboxOwnerUPN', actor_id) AS owner, _attrs[3] AS ip
      FROM ({events}) WHERE source = 'm365:ual' AND action = 'MailItemsAccessed'
        AND time IS NOT NULL)
WHERE app IS NOT NULL AND app NOT IN {first_party}
GROUP BY app ORDER BY time, app
"""
# read typed where a bulk loader keeps them (store.events_with_attrs), not out of attrs JSON
MAIL_READ_KEYS = ("app_id", "client_app_id", "client_ip")
UAL_WINDOW = "SELECT min(time), max(time) FROM events WHERE source = 'm365:ual'"


@lru_cache(maxsize=1)
def first_party_apps() -> dict[str, str]:
    table = yaml.safe_load(FIRST_PARTY.read_text(encoding="utf-8"))
    return {str(k).lower(): str(v) for k, v in table["apps"].items()}


def _attrs(row: dict[str, Any]) -> dict[str, Any]:
    value = row.get("attrs")
    return json.loads(value) if isinstance(value, str) else (value or {})


def _ref(row: dict[str, Any]) -> EvidenceRef:
    return EvidenceRef(row["sha256"], row["locator"])


def credential_counts(modified: dict[str, Any]) -> tuple[int, int] | None:
    """(credentials before, after) from the credential properties, None when none changed."""
    props = {k: v for k, v in (modified or {}).items() if CREDENTIAL_PROPS.search(k)}
    if not props:
        return None
    old = sum(len(KEY_IDS.findall(str((v or {}).get("old") or ""))) for v in props.values())
    new = sum(len(KEY_IDS.findall(str((v or {}).get("new") or ""))) for v in props.values())
    return old, new


def mentions_credentials(modified: dict[str, Any]) -> bool:
    """Whether an update changes credentials: a credential property, or one named in
    "Included Updated Properties"."""
    if credential_counts(modified) is not None:
        return True
    listed = str(((modified or {}).get("Included Updated Properties") or {}).get("new") or "")
    return bool(CREDENTIAL_PROPS.search(listed))


def guids_of(row: dict[str, Any], attrs: dict[str, Any]) -> set[str]:
    """Application / service principal ids a record names (targets, properties, attrs)."""
    text = " ".join(filter(None, (row.get("raw") if isinstance(row.get("raw"), str) else "",
                                  json.dumps(attrs.get("modified_properties") or {}),
                                  attrs.get("app_id") or "", row.get("target") or "")))
    return {g.lower() for g in GUID.findall(text)}


class CaseApps:
    """What the case says about applications: consents / grants and credential adds, by id
    and by name (lower case). Records that create or consent to one application ("Add
    service principal", "Add application", "Consent to application") name its display name,
    object ids and app id together: those are aliases of one another."""

    def __init__(self, records: Iterable[dict[str, Any]] = ()) -> None:
        self.consented: dict[str, list[str]] = defaultdict(list)      # key -> record times
        self.credentialed: dict[str, list[str]] = defaultdict(list)
        self.aliases: dict[str, set[str]] = {}
        self.names: dict[str, str] = {}
        for r in records:
            if r["action"] in ALIAS_OPS:
                names = {r["a"].get("app_name"), *guids_of(r, r["a"])}
                if r["a"].get("app_name"):
                    self.names.update({n.lower(): r["a"]["app_name"] for n in names if n})
                group = {n.lower() for n in names if n}
                for key in list(group):
                    group |= self.aliases.get(key, set())
                for key in group:
                    self.aliases[key] = group

    def expand(self, keys: Iterable[str | None]) -> set[str]:
        out: set[str] = set()
        for key in keys:
            if key:
                out |= self.aliases.get(key.lower(), {key.lower()})
        return out

    def name(self, keys: Iterable[str | None]) -> str | None:
        """The display name an alias group gives the application, if any."""
        for key in sorted(self.expand(keys)):        # a set: sorted, so one name every run
            if key in self.names:
                return self.names[key]
        return None

    def knows(self, table: dict[str, list[str]], keys: Iterable[str | None]) -> bool:
        return any(k in table for k in self.expand(keys))


@register
class IdentityAttackAnalyzer(Analyzer):
    NAME = "identity-attacks"
    VERSION = "1"
    FAMILY = "cloud"
    TITLE = ("Identity attacks: credentials added to applications, tenant-wide grants from "
             "directory audits, mail read by applications, federation trust changes")
    CONSUMES = ("m365:ual", "entra:audit")

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        ops = (*APP_CREDENTIAL_OPS, *APP_UPDATES, *CONSENTS, *FEDERATE, *DOMAIN_AUTH,
               *DOMAIN_ADDS, *ALIAS_OPS)
        raw_ops = (*APP_CREDENTIAL_OPS, *APP_UPDATES, *CONSENTS, *ALIAS_OPS)
        with connection(events, ctx) as con:
            records = rows(con, RECORDS.format(ops=sql_list(sorted(set(ops))),
                                               raw_ops=sql_list(sorted(set(raw_ops)))))
            reads = rows(con, MAIL_READS.format(
                first_party=sql_list(sorted(first_party_apps())),
                events=events_with_attrs(con, MAIL_READ_KEYS, raw=True)))
            window = con.execute(UAL_WINDOW).fetchone()
        for r in records:
            r["a"] = _attrs(r)
        apps = CaseApps(records)
        consents = self._consents(records, apps)
        mail_apps = {r["app"] for r in reads}
        credentials = self._credentials(records, apps, mail_apps)
        found = consents + credentials + self._federation(records)
        found += self._mail_reads(reads, apps, window)
        return found

    # --- consents and grants ----------------------------------------------------------------

    def _consents(self, records: list[dict[str, Any]], apps: CaseApps) -> list[Finding]:
        mine = [r for r in records if r["action"] in CONSENTS]
        consent_times = [(r["actor"], _time(r["time"])) for r in mine
                         if r["action"] == "Consent to application"]
        found = []
        for r in mine:
            a = r["a"]
            for key in (a.get("app_id"), a.get("app_name"), *guids_of(r, a)):
                if key:
                    apps.consented[key.lower()].append(r["time"])
            if r["source"] == "m365:ual" and r["action"] == "Consent to application":
                continue                                    # o365-audit reports it
            if r["action"] != "Consent to application" and any(
                    actor == r["actor"] and abs(t - _time(r["time"])) <= timedelta(minutes=10)
                    for actor, t in consent_times):
                continue                                    # part of that consent
            finding = self._consent(r, a, apps)
            if finding is not None:
                found.append(finding)
        return found

    def _consent(self, r: dict[str, Any], a: dict[str, Any], apps: CaseApps) -> Finding | None:
        scored = grade(a.get("scopes") or [])
        tenant_wide = a.get("consent_type") == "AllPrincipals" or bool(a.get("on_behalf_of_all"))
        severity = consent_severity(scored.level, tenant_wide)
        if severity is None:
            return None
        app = a.get("app_name") or r["target"] or "an application"
        client = GUID.search(str((a.get("modified_properties") or {}).get(
            "ServicePrincipal.ObjectID", {}).get("new") or ""))
        client_name = apps.name([client.group(0)]) if client else None
        if client_name and r["action"] != "Consent to application":
            app = f"{client_name} (resource {app})"
        who = "every user in the tenant" if tenant_wide else "the consenting user"
        return Finding(
            rule="TH-M365-OAUTH-CONSENT", tool=self.NAME, category="oauth-consent",
            severity=severity, title=f"{r['action']} for {app}: "
                                     f"{', '.join(scored.risky) or 'sign-in and profile scopes'}",
            statement=(f"{r['actor'] or 'An unnamed principal'} recorded {r['action']} for "
                       f"{app}{' (' + a['app_id'] + ')' if a.get('app_id') else ''} on behalf "
                       f"of {who} from {a.get('client_ip') or 'an unrecorded address'}, "
                       f"granting {scored.describe()}."),
            refs=(_ref(r),), time=r["time"], actor=r["actor"], target=app,
            techniques=("T1528",), engine_version=self.engine_version,
            details={k: v for k, v in {"app": app, "app_id": a.get("app_id"),
                                       "scopes": a.get("scopes"),
                                       "consent_type": a.get("consent_type"),
                                       "client_ip": a.get("client_ip"),
                                       "source": r["source"]}.items() if v not in (None, [])})

    # --- credentials --------------------------------------------------------------------------

    def _credentials(self, records: list[dict[str, Any]], apps: CaseApps,
                     mail_apps: set[str]) -> list[Finding]:
        changes = []
        for r in records:
            if r["action"] not in (*APP_CREDENTIAL_OPS, *APP_UPDATES):
                continue
            modified = r["a"].get("modified_properties") or {}
            if r["action"] in APP_UPDATES and not mentions_credentials(modified):
                continue                                    # an update of something else
            counts = credential_counts(modified)
            r["counts"], r["app"] = counts, r["a"].get("app_name") or r["target"] or "an application"
            r["ids"] = guids_of(r, r["a"])
            for key in (r["app"], *r["ids"]):
                apps.credentialed[key.lower()].append(r["time"])
            changes.append(r)
        found = []
        for group in bursts(changes, lambda r: r["app"].lower(), timedelta(minutes=2)):
            found.append(self._credential(group, apps, mail_apps))
        return found

    def _credential(self, group: list[dict[str, Any]], apps: CaseApps,
                    mail_apps: set[str]) -> Finding:
        first = group[0]
        counted = [r["counts"] for r in group if r["counts"]]
        rotation = bool(counted) and all(0 < old and new <= old for old, new in counted)
        keys = {first["app"], *(i for r in group for i in r["ids"])}
        consented = apps.knows(apps.consented, keys)
        reads = bool(mail_apps & {k.lower() for k in keys})
        severity = "low" if rotation else ("high" if consented or reads else "medium")
        context = []
        if rotation:
            context.append("the record lists as many credentials after the change as before "
                           "(a replacement)")
        if consented:
            context.append("the application also holds a consent or grant in this case")
        if reads:
            context.append("the application read mail in this case")
        ip = first["a"].get("client_ip")
        statement = (f"{first['actor'] or 'An unnamed principal'} recorded "
                     f"{' and '.join(dict.fromkeys(r['action'] for r in group))} on application "
                     f"{first['app']} from {ip or 'an unrecorded address'}; whoever holds the "
                     f"new secret or certificate can sign in as the application")
        statement += ("; " + "; ".join(context) if context else "") + "."
        failed = all(r["outcome"] == "failure" for r in group)
        if failed:
            severity = "low"
            statement += " The audit record says the operation failed."
        return Finding(
            rule="TH-M365-APP-CREDENTIAL", tool=self.NAME, category="resource-change",
            severity=severity, title=f"Credentials added to application {first['app']}",
            statement=statement, refs=tuple(_ref(r) for r in group), time=first["time"],
            actor=first["actor"], target=first["app"], techniques=("T1098.001",),
            engine_version=self.engine_version,
            details={k: v for k, v in {"app": first["app"], "client_ip": ip,
                                       "rotation": rotation or None,
                                       "credentials_before_after": list(counted[0]) if counted else None,
                                       "count": len(group) if len(group) > 1 else None}.items()
                     if v is not None})

    # --- federation ---------------------------------------------------------------------------

    def _federation(self, records: list[dict[str, Any]]) -> list[Finding]:
        mine = [r for r in records if r["action"] in (*FEDERATE, *DOMAIN_AUTH, *DOMAIN_ADDS)]
        for r in mine:
            r["domain"] = (r["a"].get("app_name") or r["target"] or "a domain").lower()
            values = " ".join(str((v or {}).get("new") or "")
                              for v in (r["a"].get("modified_properties") or {}).values())
            r["federated"] = r["action"] in FEDERATE or "federated" in values.lower()
        federated = {r["domain"] for r in mine if r["federated"]}
        kept = [r for r in mine if not (r["action"] in DOMAIN_ADDS and r["domain"] in federated)]
        found = []                                  # adds of a federated domain are cited by it
        for group in bursts(kept, lambda r: (r["domain"], r["federated"]), timedelta(minutes=10)):
            found.append(self._domain(group, [x for x in mine if x["domain"] == group[0]["domain"]
                                              and x["action"] in DOMAIN_ADDS]))
        return found

    def _domain(self, group: list[dict[str, Any]], adds: list[dict[str, Any]]) -> Finding:
        r = group[0]
        ip = r["a"].get("client_ip") or "an unrecorded address"
        who = r["actor"] or "An unnamed principal"
        if r["federated"]:
            severity, title = "high", f"Domain {r['domain']} set to federated authentication"
            before = (f"; the domain was added or verified by {adds[0]['actor']} at "
                      f"{adds[0]['time']}" if adds else "")
            actions = " and ".join(dict.fromkeys(x["action"] for x in group))
            statement = (f"{who} recorded {actions} for {r['domain']} from {ip}: sign-ins "
                         f"for the domain are then trusted to the federation server the "
                         f"settings name{before}.")
            refs = (*(_ref(x) for x in group), *(_ref(x) for x in adds))
        else:
            actions = " and ".join(dict.fromkeys(x["action"] for x in group))
            severity, title = "low", f"{actions} for {r['domain']}"
            statement = f"{who} recorded {actions} for {r['domain']} from {ip}."
            refs = tuple(_ref(x) for x in group)
        if all(x["outcome"] == "failure" for x in group):
            severity = "low"
            statement += " The audit record says the operation failed."
        return Finding(
            rule="TH-ENTRA-FEDERATION-CHANGE", tool=self.NAME, category="resource-change",
            severity=severity, title=title, statement=statement, refs=refs, time=r["time"],
            actor=r["actor"], target=r["domain"], techniques=("T1484.002",),
            engine_version=self.engine_version,
            details={"domain": r["domain"], "federated": r["federated"],
                     "operations": list(dict.fromkeys(x["action"] for x in group))})

    # --- mail read by applications ------------------------------------------------------------

    def _mail_reads(self, reads: list[dict[str, Any]], apps: CaseApps,
                    window: tuple[str | None, str | None] | None) -> list[Finding]:
        start, end = window or (None, None)
        long_enough = bool(start and end) and _time(end) - _time(start) >= timedelta(days=3)
        found = []
        for r in reads:
            consented = apps.knows(apps.consented, [r["app"]])
            credentialed = apps.knows(apps.credentialed, [r["app"]])
            late = long_enough and _time(r["time"]) >= _time(start) + timedelta(hours=24)
            if not (consented or credentialed or late):
                continue
            why = []
            if consented:
                why.append("the application's consent or grant is in this case")
            if credentialed:
                why.append("credentials were added to the application in this case")
            if late and not why:
                why.append(f"the application read no mail in the first 24 hours of the "
                           f"audit log, which runs from {start} to {end}")
            severity = "high" if consented or credentialed else "medium"
            mailboxes = r["mailboxes"] or []
            name = apps.name([r["app"]])
            shown = f"{name} ({r['app']})" if name else r["app"]
            found.append(Finding(
                rule="TH-M365-APP-MAIL-READ", tool=self.NAME, category="bulk-download",
                severity=severity, title=f"Mail read by application {shown}",
                statement=(f"Application {shown} accessed mail items in "
                           f"{len(mailboxes)} mailbox(es) ({', '.join(mailboxes[:5])}"
                           f"{', …' if len(mailboxes) > 5 else ''}) in {r['records']} "
                           f"MailItemsAccessed record(s) between {r['time']} and {r['last']} "
                           f"from {', '.join(r['ips'] or ['unrecorded addresses'])}; "
                           f"{'; '.join(why)}."),
                refs=tuple(EvidenceRef(x["sha256"], x["locator"]) for x in r["refs"][:MAX_REFS]),
                time=r["time"], actor=r["app"], target=mailboxes[0] if mailboxes else None,
                techniques=("T1114.002",), engine_version=self.engine_version,
                details={"app_id": r["app"], "app": name, "mailboxes": mailboxes, "ips": r["ips"] or [],
                         "count": r["records"]}))
        return found

