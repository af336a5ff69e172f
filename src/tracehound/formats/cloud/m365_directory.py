"""What an Entra directory change says: role, target user, consented scopes, MFA change.

Entra ID writes these changes into the Unified Audit Log ("Add member to role.",
"Consent to application.", "Update user.") and into its own audit log
(`targetResources[].modifiedProperties`). Both carry the facts as named properties; this module
reads them by Name into the attrs keys of docs/events-cloud.md. It runs only for the operations
in DIRECTORY_OPERATIONS (a small share of any export), so the bulk loader can call it for just
those rows and still give the same result as the record-by-record parser.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

ROLE_ADDS = frozenset({
    "Add member to role", "Add eligible member to role", "Add scoped member to role",
    "Add member to role in PIM completed (permanent)",
    "Add member to role in PIM completed (timebound)",
    "Add eligible member to role in PIM completed (permanent)",
    "Add eligible member to role in PIM completed (timebound)",
})
CONSENTS = frozenset({"Consent to application", "Add delegated permission grant",
                      "Add app role assignment to service principal",
                      "Add app role assignment grant to user"})
MFA_OPERATIONS = frozenset({
    "User registered security info", "User registered all required security info",
    "User changed default security info", "User deleted security info",
    "Admin registered security info", "Admin updated security info",
    "Admin deleted security info", "Update user", "Reset user password",
    "Disable Strong Authentication", "Enable Strong Authentication",
})
APP_OPERATIONS = frozenset({
    "Add service principal", "Add service principal credentials",
    "Update application – Certificates and secrets management",
    "Update application - Certificates and secrets management",
    "Add owner to application", "Add owner to service principal", "Add application",
})
DIRECTORY_OPERATIONS = ROLE_ADDS | CONSENTS | MFA_OPERATIONS | APP_OPERATIONS

MFA_PROPERTIES = {
    "StrongAuthenticationPhoneAppDetail": "Microsoft Authenticator",
    "StrongAuthenticationUserDetails": "Phone",
    "StrongAuthenticationMethod": "Authentication methods",
    "StrongAuthenticationRequirement": "Per-user MFA requirement",
    "SearchableDeviceKey": "FIDO2 / device key",
}
_SCOPE = re.compile(r"Scope:\s*([^,\]]*)")
_CONSENT_TYPE = re.compile(r"ConsentType:\s*(\w+)")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
UPN_TYPE = 5           # UAL Target/Actor identity type for a user principal name
NAME_TYPE = 1          # ... for a display name


def directory_details(operation: str, modified: Mapping[str, Mapping[str, Any]],
                      targets: Any, object_id: Any) -> dict[str, Any]:
    """Attrs for a directory change, from its {Name: {old, new}} properties and targets."""
    details: dict[str, Any] = {}
    user = target_of_type(targets, UPN_TYPE)
    if user is None and isinstance(object_id, str) and "@" in object_id:
        user = object_id
    if user:
        details["target_user"] = user.strip().lower()
    if operation in ROLE_ADDS:
        details["role_name"] = new_value(modified, "Role.DisplayName")
        template = new_value(modified, "Role.TemplateId")
        details["role_template_id"] = template.lower() if template else None
    if operation in CONSENTS:
        details.update(consent_details(modified))
        details["app_name"] = (target_of_type(targets, NAME_TYPE)
                               or new_value(modified, "ServicePrincipal.DisplayName"))
        details["app_id"] = consent_app_id(modified)
    if operation in APP_OPERATIONS:
        details["app_name"] = target_of_type(targets, NAME_TYPE)
    if operation in MFA_OPERATIONS:
        method = mfa_method(operation, modified)
        if method:
            details["mfa_method"] = method
            details["mfa_change"] = True
    return details


def new_value(modified: Mapping[str, Mapping[str, Any]], name: str) -> str | None:
    value = (modified.get(name) or {}).get("new")
    if not isinstance(value, str):
        return None
    value = value.strip().strip('"').strip()
    return value or None


def target_of_type(targets: Any, kind: int) -> str | None:
    if not isinstance(targets, list):
        return None
    for target in targets:
        if isinstance(target, dict) and target.get("Type") == kind:
            ident = target.get("ID", target.get("Id"))
            if isinstance(ident, str) and ident.strip():
                return ident.strip()
    return None


def consent_details(modified: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Scopes, consent type, admin / all-users flags of a consent or grant record."""
    permissions = new_value(modified, "ConsentAction.Permissions") or ""
    scopes: set[str] = set()
    for chunk in _SCOPE.findall(permissions):
        scopes.update(chunk.split())
    for name in ("DelegatedPermissionGrant.Scope", "AppRole.Value"):
        scopes.update((new_value(modified, name) or "").split())
    kind = _CONSENT_TYPE.search(permissions)
    consent_type = kind.group(1) if kind else new_value(modified, "DelegatedPermissionGrant.ConsentType")
    return {
        "scopes": sorted(scopes),
        "consent_type": consent_type,
        "is_admin_consent": _flag(new_value(modified, "ConsentContext.IsAdminConsent")),
        "on_behalf_of_all": _flag(new_value(modified, "ConsentContext.OnBehalfOfAll")),
    }


def consent_app_id(modified: Mapping[str, Mapping[str, Any]]) -> str | None:
    for name in ("TargetId.ServicePrincipalNames", "ServicePrincipal.AppId"):
        value = new_value(modified, name) or ""
        match = _GUID.search(value)
        if match:
            return match.group(0).lower()
    return None


def mfa_method(operation: str, modified: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The security-info method a record changes, or None when it changes none."""
    if "security info" in operation or "Strong Authentication" in operation:
        return new_value(modified, "Method") or "security info"
    changed = " ".join(filter(None, (new_value(modified, "Included Updated Properties"),
                                     *modified.keys())))
    for prop, method in MFA_PROPERTIES.items():
        if prop in changed:
            return method
    return None


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().lower() == "true"
