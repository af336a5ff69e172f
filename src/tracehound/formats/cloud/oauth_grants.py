"""OAuth grant exports: delegated grants, app-role assignments and service principals.

Shapes read: Graph pages / arrays / NDJSON of `oauth2PermissionGrant`, `appRoleAssignment` and
`servicePrincipal` objects (camelCase from Graph, PascalCase from the Graph PowerShell SDK), a
combined object holding those lists under their collection names, and the one-row-per-
permission CSV of the widely used Get-AzureADPSPermissions script.

Events: `oauth:grant` (actor = the client service principal's object id, target = the resource)
and `oauth:app` (actor = the service principal's object id, so grants join on it).
"""

from __future__ import annotations

from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue, pointer_ref
from . import m365_fields as f
from ..base import Sample, Source
from ..records import RecordParser, column, header_has, sample_records
from ..registry import register

COLLECTIONS = ("oauth2PermissionGrants", "appRoleAssignments", "servicePrincipals")
# Application permissions (app roles) whose ids are stable across tenants.
APP_ROLE_NAMES = {
    "dc890d15-9560-4a4c-9b7f-a736ec74ec40": "full_access_as_app",
    "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": "RoleManagement.ReadWrite.Directory",
    "06b708a9-e830-4db3-a914-8e69da51d44f": "AppRoleAssignment.ReadWrite.All",
    "1bfefb4e-e0b5-418b-a88f-73c6d2e4e8df": "Application.ReadWrite.All",
    "e2a3a72e-5f79-4c64-b1b1-878b674786c9": "Mail.ReadWrite",
    "810c84a8-4a9e-49e6-bf7d-12d183f40d01": "Mail.Read",
    "b633e1c5-b582-4048-a93e-9f11b44c7e96": "Mail.Send",
    "19dbc75e-c2e2-444c-a770-ec69d8559fc7": "Directory.ReadWrite.All",
    "75359482-378d-4052-8f01-80520e7db3cd": "Files.ReadWrite.All",
    "9492366f-7969-46a4-8d15-ed1a20078fff": "Sites.ReadWrite.All",
}


def kind_of(record: dict[str, Any]) -> str | None:
    keys = {k.lower() for k in record}
    if {"clientid", "consenttype", "scope"} <= keys:
        return "grant"
    if {"approleid", "principalid", "resourceid"} <= keys:
        return "app-role"
    if "appid" in keys and keys & {"serviceprincipaltype", "publishername", "verifiedpublisher",
                                   "appownerorganizationid"}:
        return "service-principal"
    return None


def get(record: dict[str, Any], name: str) -> Any:
    """A key in Graph camelCase or SDK PascalCase."""
    return f.pick(record, *f.spellings(name[:1].upper() + name[1:]))


@register
class OAuthGrantParser(RecordParser):
    name = "oauth-grants"
    version = "1"
    priority = 55
    description = "OAuth grants, app-role assignments and service principals (Graph / CSV)"

    def sniff(self, sample: Sample) -> str | None:
        if header_has(sample.csv_header, "ClientObjectId", "Permission", "ConsentType"):
            return "CSV with ClientObjectId, Permission and ConsentType (permission grant export)"
        if isinstance(sample.document, dict) and any(k in sample.document for k in COLLECTIONS):
            return "JSON object holding OAuth grant / service principal collections"
        for record in sample_records(sample)[:3]:
            kind = kind_of(record)
            if kind:
                return f"JSON records shaped as {kind} objects (Graph)"
        return None

    def record(self, source: Source, ref: EvidenceRef, record: dict[str, Any]
               ) -> Iterator[Event | ParseIssue]:
        if ref.locator == "json:" and any(k in record for k in COLLECTIONS):
            yield from self._collections(source, record)
            return
        yield from record_events(ref, record, source.path)

    def _collections(self, source: Source, document: dict[str, Any]
                     ) -> Iterator[Event | ParseIssue]:
        for key in COLLECTIONS:
            for index, record in enumerate(document.get(key) or []):
                ref = pointer_ref(source.sha256, key, index)
                if isinstance(record, dict):
                    yield from record_events(ref, record, source.path)
                else:
                    yield ParseIssue(source.path, ref.locator, "expected a JSON object")


def record_events(ref: EvidenceRef, record: dict[str, Any], path: str
                  ) -> Iterator[Event | ParseIssue]:
    if column(record, "ClientObjectId") and column(record, "Permission"):
        yield script_row_event(ref, record)
        return
    kind = kind_of(record)
    if kind == "grant":
        yield grant_event(ref, record)
    elif kind == "app-role":
        yield app_role_event(ref, record)
    elif kind == "service-principal":
        yield service_principal_event(ref, record)
    else:
        yield ParseIssue(path, ref.locator, "record is not a grant, app-role assignment or "
                                            "service principal")


def _time(value: Any) -> str | None:
    time = f.utc_time(value)
    return None if time is None or time.startswith("0001-") else time


def _lower(value: Any) -> str | None:
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def grant_event(ref: EvidenceRef, record: dict[str, Any]) -> Event:
    scope = get(record, "scope")
    consent = get(record, "consentType")
    attrs = {"client_id": _lower(get(record, "clientId")), "resource_id": _lower(get(record, "resourceId")),
             "principal_id": _lower(get(record, "principalId")), "consent_type": consent,
             "scopes": sorted(set(scope.split())) if isinstance(scope, str) else [],
             "permission_type": "Delegated", "record_id": get(record, "id")}
    return _grant_event(ref, "oauth2PermissionGrant", _time(get(record, "startTime")), attrs,
                        record)


def app_role_event(ref: EvidenceRef, record: dict[str, Any]) -> Event:
    role_id = _lower(get(record, "appRoleId"))
    name = get(record, "appRoleValue") or APP_ROLE_NAMES.get(role_id or "") or role_id
    attrs = {"client_id": _lower(get(record, "principalId")),
             "app_name": get(record, "principalDisplayName"),
             "resource_id": _lower(get(record, "resourceId")),
             "resource_name": get(record, "resourceDisplayName"),
             "consent_type": "AllPrincipals", "scopes": [name] if name else [],
             "permission_type": "Application", "record_id": get(record, "id")}
    return _grant_event(ref, "appRoleAssignment", _time(get(record, "createdDateTime")), attrs,
                        record)


def script_row_event(ref: EvidenceRef, row: dict[str, Any]) -> Event:
    kind = column(row, "PermissionType") or "Delegated"
    attrs = {"client_id": _lower(column(row, "ClientObjectId")),
             "app_name": column(row, "ClientDisplayName"),
             "resource_id": _lower(column(row, "ResourceObjectId")),
             "resource_name": column(row, "ResourceDisplayName"),
             "principal_id": _lower(column(row, "PrincipalObjectId")),
             "principal_name": column(row, "PrincipalUserPrincipalName", "PrincipalDisplayName"),
             "consent_type": column(row, "ConsentType") or (
                 "AllPrincipals" if kind.lower().startswith("app") else None),
             "scopes": sorted(set((column(row, "Permission") or "").split())),
             "permission_type": kind}
    action = "appRoleAssignment" if kind.lower().startswith("app") else "oauth2PermissionGrant"
    return _grant_event(ref, action, None, attrs, row)


def _grant_event(ref: EvidenceRef, action: str, time: str | None, attrs: dict[str, Any],
                 raw: Any) -> Event:
    """A grant: the client application (a service principal) consented to the resource."""
    return Event(ref=ref, source="oauth:grant", time=time, action=action, action_class="consent",
                 actor_id=attrs["client_id"], actor_kind="service-principal",
                 target_id=attrs["resource_id"], target_type="application", attrs=attrs, raw=raw)


def service_principal_event(ref: EvidenceRef, record: dict[str, Any]) -> Event:
    verified = get(record, "verifiedPublisher")
    verified_name = verified.get("displayName") or verified.get("DisplayName") if isinstance(
        verified, dict) else None
    attrs = {"app_id": _lower(get(record, "appId")),
             "app_name": get(record, "displayName") or get(record, "appDisplayName"),
             "publisher_name": get(record, "publisherName"),
             "verified_publisher": verified_name or None,
             "app_owner_tenant": _lower(get(record, "appOwnerOrganizationId")),
             "sp_type": get(record, "servicePrincipalType"), "record_id": get(record, "id")}
    return Event(ref=ref, source="oauth:app", time=_time(get(record, "createdDateTime")),
                 action="servicePrincipal", action_class="other",
                 actor_id=_lower(get(record, "id")), actor_kind="service-principal",
                 target_id=attrs["app_id"], target_type="application", attrs=attrs, raw=record)
