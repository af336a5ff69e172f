"""Entra ID sign-in logs and directory audit logs: Graph JSON (page, array, NDJSON) and portal CSV.

Sign-ins (`entra:signin`): one event per sign-in attempt; errorCode 0 is success. The portal
CSV names its columns in words ("Date (UTC)", "IP address", "Sign-in error code", "Autonomous
system  number" with its double space); columns are found by name, loosely compared.
Directory audits (`entra:audit`): one event per activity; the target's modifiedProperties are
read by displayName into the same {Name: {old, new}} map the UAL uses, so role adds, consents
and security-info changes carry the same attrs whichever log they came from.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue
from ...taxonomy import classify_action
from . import m365_fields as f
from ..base import Sample, Source
from ..records import RecordParser, column, header_has, sample_records
from .m365_directory import NAME_TYPE, UPN_TYPE, directory_details
from ..registry import register

LEGACY_CLIENTS = frozenset(c.lower() for c in (
    "Exchange ActiveSync", "IMAP4", "IMAP", "POP3", "POP", "Authenticated SMTP", "SMTP",
    "AutoDiscover", "Exchange Online PowerShell", "Exchange Web Services", "MAPI Over HTTP",
    "Offline Address Book", "Outlook Anywhere (RPC over HTTP)", "Other clients",
    "Reporting Web Services", "Universal Outlook", "Outlook Service",
))
MFA_REQUIREMENT = "multifactorauthentication"


def is_legacy_client(client: str | None) -> bool:
    return bool(client) and client.strip().lower() in LEGACY_CLIENTS


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --- sign-ins -------------------------------------------------------------------------------

@register
class EntraSignInParser(RecordParser):
    name = "entra-signin"
    version = "1"
    priority = 55
    description = "Entra ID sign-in logs (Graph JSON or portal CSV)"

    def sniff(self, sample: Sample) -> str | None:
        if header_has(sample.csv_header, "Date (UTC)", "IP address") and (
                header_has(sample.csv_header, "Sign-in error code")
                or header_has(sample.csv_header, "Client app")):
            return "CSV with Date (UTC), IP address and sign-in columns (Entra portal export)"
        for record in sample_records(sample)[:3]:
            if "createdDateTime" in record and ("userPrincipalName" in record
                                                or "servicePrincipalId" in record) and (
                    "status" in record or "clientAppUsed" in record):
                return "JSON records with createdDateTime, userPrincipalName and status (Graph signIns)"
        return None

    def record(self, source: Source, ref: EvidenceRef, record: dict[str, Any]
               ) -> Iterator[Event | ParseIssue]:
        fields = signin_fields(record) if "createdDateTime" in record else csv_signin_fields(record)
        yield from signin_event(ref, fields, record, source.path)


def signin_fields(record: dict[str, Any]) -> dict[str, Any]:
    status, location = _dict(record.get("status")), _dict(record.get("location"))
    mfa = None
    for step in record.get("authenticationDetails") or []:
        if isinstance(step, dict) and step.get("succeeded") and "multi" in str(
                step.get("authenticationStepRequirement", "")).lower():
            mfa = step.get("authenticationMethod")
    user = record.get("userPrincipalName") or record.get("servicePrincipalName")
    return {
        "time": record.get("createdDateTime"), "user": user,
        "service": not record.get("userPrincipalName") and bool(record.get("servicePrincipalId")),
        "ip": record.get("ipAddress"), "country": location.get("countryOrRegion"),
        "city": location.get("city"), "asn": record.get("autonomousSystemNumber"),
        "agent": record.get("userAgent"), "app_id": record.get("appId"),
        "app_name": record.get("appDisplayName"), "client_app": record.get("clientAppUsed"),
        "protocol": record.get("authenticationProtocol"),
        "error_code": status.get("errorCode"), "failure_reason": status.get("failureReason"),
        "conditional_access": record.get("conditionalAccessStatus"),
        "risk": record.get("riskLevelDuringSignIn"), "mfa_method": mfa,
        "requirement": record.get("authenticationRequirement"),
        "session": record.get("correlationId"), "record_id": record.get("id"),
    }


def csv_signin_fields(row: dict[str, Any]) -> dict[str, Any]:
    location = column(row, "Location") or ""
    status = (column(row, "Status") or "").lower()
    code = column(row, "Sign-in error code", "Error code")
    return {
        "time": column(row, "Date (UTC)", "Date"), "user": column(row, "Username", "User"),
        "service": False, "ip": column(row, "IP address"),
        "country": location.rsplit(",", 1)[-1].strip() or None,
        "city": location.split(",", 1)[0].strip() if "," in location else None,
        "asn": column(row, "Autonomous system number", "ASN"),
        "agent": column(row, "User agent"), "app_id": column(row, "Application ID"),
        "app_name": column(row, "Application"), "client_app": column(row, "Client app"),
        "protocol": column(row, "Authentication Protocol"),
        "error_code": code if code is not None else (0 if status == "success" else None),
        "failure_reason": column(row, "Failure reason"),
        "conditional_access": column(row, "Conditional Access"),
        "risk": column(row, "Risk level during sign-in"),
        "mfa_method": column(row, "Multifactor authentication auth method"),
        "requirement": column(row, "Authentication requirement"),
        "session": column(row, "Correlation ID"), "record_id": column(row, "Request ID"),
    }


def signin_event(ref: EvidenceRef, v: dict[str, Any], raw: dict[str, Any], path: str,
                 require_time: bool = True) -> Iterator[Event | ParseIssue]:
    """The sign-in event of fields `v`; without `require_time` (a caller that reports time
    problems itself, sentinel.py) a sign-in without a readable time is an event with none."""
    time = f.utc_time(v["time"])
    if time is None and require_time:
        yield ParseIssue(path, ref.locator, f"sign-in has no readable time ({str(v['time'])[:40]!r})")
        return
    code = _int(v["error_code"])
    user = v["user"] if isinstance(v["user"], str) else None
    requirement = str(v["requirement"] or "").replace(" ", "").lower()
    attrs = {
        "user_id": user, "client_ip": f.client_ip(v["ip"]), "country": v["country"] or None,
        "city": v["city"] or None, "asn": _int(v["asn"]), "user_agent": v["agent"] or None,
        "app_id": str(v["app_id"]).lower() if v["app_id"] else None,
        "app_name": v["app_name"] or None, "client_app": v["client_app"] or None,
        "legacy_auth": is_legacy_client(v["client_app"]), "auth_protocol": v["protocol"] or None,
        "error_code": code, "failure_reason": v["failure_reason"] if code else None,
        "conditional_access": v["conditional_access"] or None, "risk_level": v["risk"] or None,
        "mfa_method": v["mfa_method"] or None,
        "mfa_required": requirement == MFA_REQUIREMENT if requirement else None,
        "record_id": v["record_id"] or None,
    }
    kind = "service-principal" if v["service"] else ("human" if user and "@" in user else "unknown")
    yield Event(ref=ref, source="entra:signin", time=time, action="Sign-in",
                action_class="authentication", actor_id=f.actor_id(user), actor_kind=kind,
                target_id=attrs["app_name"], target_type="application",
                outcome=None if code is None else ("success" if code == 0 else "failure"),
                session=v["session"] or None, attrs=attrs, raw=raw)


# --- directory audits -----------------------------------------------------------------------

@register
class EntraAuditParser(RecordParser):
    name = "entra-audit"
    version = "1"
    priority = 55
    description = "Entra ID directory audit logs (Graph JSON or portal CSV)"

    def sniff(self, sample: Sample) -> str | None:
        if header_has(sample.csv_header, "Activity", "Category") and (
                header_has(sample.csv_header, "ActorUserPrincipalName")
                or header_has(sample.csv_header, "Target1DisplayName")):
            return "CSV with Activity, Category and Actor / Target columns (Entra audit export)"
        for record in sample_records(sample)[:3]:
            if "activityDisplayName" in record and "activityDateTime" in record:
                return "JSON records with activityDisplayName and activityDateTime (Graph directoryAudits)"
        return None

    def record(self, source: Source, ref: EvidenceRef, record: dict[str, Any]
               ) -> Iterator[Event | ParseIssue]:
        fields = audit_fields(record) if "activityDisplayName" in record else csv_audit_fields(record)
        yield from audit_event(ref, fields, record, source.path)


def audit_fields(record: dict[str, Any]) -> dict[str, Any]:
    initiated = _dict(record.get("initiatedBy"))
    user, app = _dict(initiated.get("user")), _dict(initiated.get("app"))
    modified: dict[str, dict[str, Any]] = {}
    targets: list[dict[str, Any]] = []
    for target in record.get("targetResources") or []:
        if not isinstance(target, dict):
            continue
        if target.get("userPrincipalName"):
            targets.append({"ID": target["userPrincipalName"], "Type": UPN_TYPE})
        if target.get("displayName"):
            targets.append({"ID": target["displayName"], "Type": NAME_TYPE})
        for prop in target.get("modifiedProperties") or []:
            if isinstance(prop, dict) and prop.get("displayName") is not None:
                modified.setdefault(f.text_value(prop["displayName"]), {
                    "old": f.text_value(prop.get("oldValue")),
                    "new": f.text_value(prop.get("newValue"))})
    return {
        "time": record.get("activityDateTime"), "activity": record.get("activityDisplayName"),
        "category": record.get("category"), "result": record.get("result"),
        "reason": record.get("resultReason"),
        "user": user.get("userPrincipalName"), "app": app.get("appId") or app.get("displayName"),
        "ip": user.get("ipAddress"), "modified": modified, "targets": targets,
        "session": record.get("correlationId"), "record_id": record.get("id"),
        "service": record.get("loggedByService"),
    }


def csv_audit_fields(row: dict[str, Any]) -> dict[str, Any]:
    modified: dict[str, dict[str, Any]] = {}
    targets: list[dict[str, Any]] = []
    for n in range(1, 10):
        upn = column(row, f"Target{n}UserPrincipalName")
        name = column(row, f"Target{n}DisplayName")
        if upn:
            targets.append({"ID": upn, "Type": UPN_TYPE})
        if name:
            targets.append({"ID": name, "Type": NAME_TYPE})
        for m in range(1, 20):
            prop = column(row, f"Target{n}ModifiedProperty{m}Name")
            if prop:
                modified.setdefault(prop, {
                    "old": column(row, f"Target{n}ModifiedProperty{m}OldValue"),
                    "new": column(row, f"Target{n}ModifiedProperty{m}NewValue")})
    return {
        "time": column(row, "Date (UTC)", "Date"), "activity": column(row, "Activity"),
        "category": column(row, "Category"), "result": column(row, "Result"),
        "reason": column(row, "ResultReason"), "user": column(row, "ActorUserPrincipalName"),
        "app": column(row, "ActorDisplayName"), "ip": column(row, "IPAddress"),
        "modified": modified, "targets": targets, "session": column(row, "CorrelationId"),
        "record_id": None, "service": column(row, "Service"),
    }


def audit_event(ref: EvidenceRef, v: dict[str, Any], raw: dict[str, Any], path: str,
                require_time: bool = True) -> Iterator[Event | ParseIssue]:
    action = f.canonical_operation(v["activity"])
    time = f.utc_time(v["time"])
    if not action or (time is None and require_time):
        yield ParseIssue(path, ref.locator, "audit record has no activity name or readable time")
        return
    actor = v["user"] or v["app"]
    attrs: dict[str, Any] = {
        "user_id": actor if isinstance(actor, str) else None, "category": v["category"],
        "result_status": v["result"], "failure_reason": v["reason"] or None,
        "client_ip": f.client_ip(v["ip"]), "modified_properties": v["modified"],
        "record_id": v["record_id"], "workload": v["service"],
    }
    details = directory_details(action, v["modified"], v["targets"], None)
    attrs.update(details)
    target = details.get("target_user") or next((t["ID"] for t in v["targets"]), None)
    result = str(v["result"] or "").lower()
    yield Event(ref=ref, source="entra:audit", time=time, action=action,
                action_class=classify_action(action), actor_id=f.actor_id(actor),
                actor_kind="human" if v["user"] else ("service-principal" if v["app"] else "unknown"),
                target_id=target, target_type="user" if details.get("target_user") else None,
                outcome="success" if result == "success" else ("failure" if result else None),
                session=v["session"] or None, attrs=attrs, raw=raw)
