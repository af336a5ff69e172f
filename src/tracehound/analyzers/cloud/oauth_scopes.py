"""Tool 5, over-privileged OAuth scope detector over grant exports.

One finding per app grant (grants of one app to one resource with the same consent type and
permission type are one finding, citing every grant row and the app's service-principal
record): scopes graded by `oauth_risk` (critical / high / medium; offline_access with a write
scope counts as high), one step up when the grant covers every user (AllPrincipals, or an
application permission). An app whose publisher is not verified is said so, and is a low
finding on its own; Microsoft's first-party apps are not flagged for it.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from ...model import Event, EvidenceRef, Finding
from ..registry import Analyzer, Context, register
from .oauth_risk import consent_severity, grade
from .sql import REFS, connection, refs_of, rows

MICROSOFT_TENANTS = ("f8cdef31-a31e-4b4a-93e4-5f571e91255a", "72f988bf-86f1-41af-91ab-2d7cd011db47")
GRANTS = f"""
WITH g AS (
  SELECT *, actor_id AS client, attrs->>'$.consent_type' AS consent_type,
    attrs->>'$.permission_type' AS permission_type, target_id AS resource,
    coalesce(from_json(attrs->'$.scopes', '["VARCHAR"]'), []) AS scope_list
  FROM events WHERE source = 'oauth:grant'),
apps AS (
  SELECT DISTINCT ON (actor_id) actor_id AS client, attrs->>'$.app_name' AS app_name,
    attrs->>'$.app_id' AS app_id, attrs->>'$.publisher_name' AS publisher,
    attrs->>'$.verified_publisher' AS verified, attrs->>'$.app_owner_tenant' AS owner,
    sha256 AS app_sha, locator AS app_locator
  FROM events WHERE source = 'oauth:app' ORDER BY actor_id, sha256, locator)
SELECT g.client, g.consent_type, g.permission_type, g.resource, min(g.time) AS time,
  max(g.attrs->>'$.resource_name') AS resource_name, max(g.attrs->>'$.app_name') AS grant_app,
  list_sort(list_distinct(flatten(list(g.scope_list)))) AS scopes,
  count(DISTINCT g.attrs->>'$.principal_id') AS principals,
  any_value(apps.app_name) AS app_name, any_value(apps.app_id) AS app_id,
  any_value(apps.publisher) AS publisher, any_value(apps.verified) AS verified,
  any_value(apps.owner) AS owner, any_value(apps.app_sha) AS app_sha,
  any_value(apps.app_locator) AS app_locator, any_value(res.app_name) AS resource_app,
  {REFS} AS refs
FROM g LEFT JOIN apps USING (client) LEFT JOIN apps AS res ON res.client = g.resource
GROUP BY g.client, g.consent_type, g.permission_type, g.resource
ORDER BY client, consent_type, permission_type, resource
"""


@register
class OAuthScopeRiskAnalyzer(Analyzer):
    NAME = "oauth-scope-risk"
    VERSION = "1"
    FAMILY = "cloud"
    TITLE = "Over-privileged OAuth grants: risky scopes, tenant-wide grants, unverified publishers"
    CONSUMES = ("oauth:",)

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        with connection(events, ctx) as con:
            found = rows(con, GRANTS)
        return [f for f in (self._finding(r) for r in found) if f is not None]

    def _finding(self, r: dict[str, Any]) -> Finding | None:
        scored = grade(r["scopes"])
        tenant_wide = r["consent_type"] == "AllPrincipals" or (
            (r["permission_type"] or "").lower().startswith("app"))
        unverified = (r["app_sha"] is not None and not r["verified"]
                      and r["owner"] not in MICROSOFT_TENANTS)
        severity = consent_severity(scored.level, tenant_wide) or ("low" if unverified else None)
        if severity is None:
            return None
        app = r["app_name"] or r["grant_app"] or r["client"]
        who = ("every user in the tenant" if r["consent_type"] == "AllPrincipals" else
               "the application itself, without a user" if tenant_wide else
               f"{r['principals']} user(s)")
        publisher = (f"; its publisher {r['publisher'] or '(none named)'} is not verified"
                     if unverified else "")
        refs = refs_of(r)
        resource = r["resource_name"] or r["resource_app"] or r["resource"]
        if r["app_sha"] is not None:
            refs += (EvidenceRef(r["app_sha"], r["app_locator"]),)
        return Finding(
            rule="TH-OAUTH-SCOPE-RISK", tool=self.NAME, category="oauth-consent",
            severity=severity, title=f"{app} holds {scored.level}-risk scopes"
            if scored.risky else f"{app} has an unverified publisher",
            statement=f"Application {app} ({r['app_id'] or 'client ' + r['client']}) is granted "
                      f"{scored.describe()} on {resource} for {who}"
                      f"{publisher}.",
            refs=refs, time=r["time"], actor=r["client"], target=r["resource"],
            techniques=("T1528",), engine_version=self.engine_version,
            details={"scopes": r["scopes"], "risky_scopes": list(scored.risky),
                     "consent_type": r["consent_type"], "permission_type": r["permission_type"],
                     "verified_publisher": r["verified"], "app_id": r["app_id"]})
