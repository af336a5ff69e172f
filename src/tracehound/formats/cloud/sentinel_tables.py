"""Microsoft Sentinel / Log Analytics table rows -> the events the native exports give.

Each table's row is turned into the record the native export carries (a Graph sign-in or
directory audit, UAL AuditData, a CloudTrail record, an Azure activity record) and handed to
that export's own event builder, so the events carry the same source, attrs and `raw` shape
whichever way the evidence arrived: every tool and Sigma rule runs on them unchanged.

| table | source | native shape it becomes |
|---|---|---|
| SigninLogs, AADNonInteractiveUserSignInLogs | `entra:signin` | Graph `signIn` |
| AuditLogs | `entra:audit` | Graph `directoryAudit` |
| OfficeActivity | `m365:ual` | UAL AuditData |
| AzureActivity | `azure:activity` | the Log Analytics row itself (azure_activity reads it) |
| AWSCloudTrail | `aws:cloudtrail` | the CloudTrail record |
| CloudAppEvents | `m365:ual` when RawEventData is a UAL record, else `mcas:activity` | AuditData |
| IdentityDirectoryEvents | `mdi:directory` | the row |

Rows reach these functions with their times already placed in UTC (sentinel.py applies the
CSV time rules) and JSON text cells decoded.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping

from ...model import Event, EvidenceRef, ParseIssue
from ...taxonomy import classify_action
from . import m365_fields as f
from .azure_activity import looks_like_activity, to_event as azure_event
from .cloudtrail import to_event as cloudtrail_event
from .entra import audit_event, audit_fields, signin_event, signin_fields
from .m365_ual import record_event

Row = Mapping[str, Any]
Builder = Callable[[EvidenceRef, Row, str], Iterator[Event | ParseIssue]]

# UAL UserType and RecordType as OfficeActivity names them -> the numbers AuditData carries
USER_TYPES = {"Regular": 0, "Reserved": 1, "Admin": 2, "DcAdmin": 3, "System": 4,
              "Application": 5, "ServicePrincipal": 6, "CustomPolicy": 7, "SystemPolicy": 8}
RECORD_TYPES = {"ExchangeAdmin": 1, "ExchangeItem": 2, "ExchangeItemGroup": 3, "SharePoint": 4,
                "SharePointFileOperation": 6, "AzureActiveDirectory": 8,
                "AzureActiveDirectoryAccountLogon": 9, "SharePointSharingOperation": 14,
                "AzureActiveDirectoryStsLogon": 15, "MicrosoftTeams": 25,
                "ExchangeItemAggregated": 50}
# OfficeActivity columns whose AuditData key is spelt differently
OFFICE_RENAMES = {"OfficeWorkload": "Workload", "OfficeId": "Id", "OfficeObjectId": "ObjectId",
                  "Site_Url": "SiteUrl", "Site_": "Site", "Logon_Type": "LogonType",
                  "AzureActiveDirectory_EventType": "AzureActiveDirectoryEventType",
                  "AADTarget": "Target", "Source_Name": "EventSource",
                  "OfficeTenantId": "OrganizationId"}
# columns Log Analytics adds to every table: not part of the vendor's record
BOOKKEEPING = frozenset({"TenantId", "SourceSystem", "Type", "_ResourceId", "_SubscriptionId",
                         "_BilledSize", "_IsBillable", "_ItemId", "MG", "ManagementGroupName",
                         "Computer", "RawData", "SourceRecordId"})


def value(row: Row, *names: str) -> Any:
    """The first present, non-empty value among the columns `names`."""
    return f.pick(row, *names)


def _dict(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else {}


def _int_or_text(item: Any) -> Any:
    if isinstance(item, str) and item.strip().lstrip("-").isdigit():
        return int(item.strip())
    return item


def _flag(item: Any) -> Any:
    """`true` / `false` as a CSV cell gives them -> the JSON boolean the record had."""
    if isinstance(item, str) and item.strip().lower() in ("true", "false"):
        return item.strip().lower() == "true"
    return item


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v not in (None, "", {}, [])}


# --- Entra ID ---------------------------------------------------------------------------------

SIGNIN_COLUMNS = {   # Graph signIn key <- SigninLogs column
    "id": "Id", "userPrincipalName": "UserPrincipalName", "userDisplayName": "UserDisplayName",
    "userId": "UserId", "appId": "AppId", "appDisplayName": "AppDisplayName",
    "ipAddress": "IPAddress", "clientAppUsed": "ClientAppUsed", "userAgent": "UserAgent",
    "correlationId": "CorrelationId", "conditionalAccessStatus": "ConditionalAccessStatus",
    "riskLevelDuringSignIn": "RiskLevelDuringSignIn", "riskDetail": "RiskDetail",
    "riskState": "RiskState", "authenticationRequirement": "AuthenticationRequirement",
    "authenticationProtocol": "AuthenticationProtocol",
    "autonomousSystemNumber": "AutonomousSystemNumber",
    "authenticationDetails": "AuthenticationDetails", "deviceDetail": "DeviceDetail",
    "servicePrincipalId": "ServicePrincipalId", "servicePrincipalName": "ServicePrincipalName",
    "isInteractive": "IsInteractive", "resourceDisplayName": "ResourceDisplayName",
    "resourceId": "ResourceIdentity", "homeTenantId": "HomeTenantId",
    "crossTenantAccessType": "CrossTenantAccessType", "incomingTokenType": "IncomingTokenType",
    "originalRequestId": "OriginalRequestId", "tokenIssuerType": "TokenIssuerType",
    "uniqueTokenIdentifier": "UniqueTokenIdentifier", "userType": "UserType",
    "appliedConditionalAccessPolicies": "ConditionalAccessPolicies",
}


def graph_signin(row: Row) -> dict[str, Any]:
    """A SigninLogs / AADNonInteractiveUserSignInLogs row as a Graph signIn record."""
    record = {key: row.get(column) for key, column in SIGNIN_COLUMNS.items()}
    status = _dict(row.get("Status"))
    location = _dict(row.get("LocationDetails"))
    code = status.get("errorCode", _int_or_text(row.get("ResultType")))
    record.update({
        "createdDateTime": value(row, "CreatedDateTime", "TimeGenerated"),
        "status": _compact({"errorCode": code,
                            "failureReason": status.get("failureReason")
                            or row.get("ResultDescription"),
                            "additionalDetails": status.get("additionalDetails")}),
        "location": _compact({"city": location.get("city"), "state": location.get("state"),
                              "countryOrRegion": location.get("countryOrRegion")
                              or row.get("Location"),
                              "geoCoordinates": location.get("geoCoordinates")}),
    })
    return _compact(record)


def signin_row(ref: EvidenceRef, row: Row, path: str) -> Iterator[Event | ParseIssue]:
    record = graph_signin(row)
    yield from signin_event(ref, signin_fields(record), record, path, require_time=False)


def graph_audit(row: Row) -> dict[str, Any]:
    """An AuditLogs row as a Graph directoryAudit record."""
    return _compact({
        "id": row.get("Id"), "category": row.get("Category"),
        "correlationId": row.get("CorrelationId"), "result": row.get("Result"),
        "resultReason": value(row, "ResultReason", "ResultDescription"),
        "activityDisplayName": value(row, "ActivityDisplayName", "OperationName"),
        "activityDateTime": value(row, "ActivityDateTime", "TimeGenerated"),
        "loggedByService": row.get("LoggedByService"),
        "operationType": row.get("AADOperationType"),
        "initiatedBy": _dict(row.get("InitiatedBy")),
        "targetResources": [t for t in row.get("TargetResources") or [] if isinstance(t, dict)]
        if isinstance(row.get("TargetResources"), list) else [],
        "additionalDetails": row.get("AdditionalDetails"),
    })


def audit_row(ref: EvidenceRef, row: Row, path: str) -> Iterator[Event | ParseIssue]:
    record = graph_audit(row)
    record.setdefault("activityDateTime", None)
    yield from audit_event(ref, audit_fields(record), record, path, require_time=False)


# --- Microsoft 365 ----------------------------------------------------------------------------

def office_audit_data(row: Row) -> dict[str, Any]:
    """An OfficeActivity row as the UAL AuditData record it was ingested from."""
    audit: dict[str, Any] = {}
    for column, item in row.items():
        if column in BOOKKEEPING or column == "TimeGenerated" or item in (None, ""):
            continue
        audit.setdefault(OFFICE_RENAMES.get(column, column), item)
    audit["CreationTime"] = row.get("TimeGenerated")
    if "ClientIP" not in audit and row.get("Client_IPAddress"):
        audit["ClientIP"] = row["Client_IPAddress"]
    audit.pop("Client_IPAddress", None)
    for key, names in (("UserType", USER_TYPES), ("RecordType", RECORD_TYPES)):
        if isinstance(audit.get(key), str) and audit[key] in names:
            audit[key] = names[audit[key]]
    return audit


def office_row(ref: EvidenceRef, row: Row, path: str) -> Iterator[Event | ParseIssue]:
    yield from record_event(ref, office_audit_data(row), {}, path)


def is_ual_record(item: Any) -> bool:
    return isinstance(item, dict) and f.pick(item, "Operation") is not None and \
        f.pick(item, "Workload", "RecordType") is not None


def cloud_app_row(ref: EvidenceRef, row: Row, path: str) -> Iterator[Event | ParseIssue]:
    """CloudAppEvents: a Microsoft 365 activity carries its UAL record in RawEventData and
    becomes that record's `m365:ual` event; any other app's activity is `mcas:activity`."""
    raw = row.get("RawEventData")
    if is_ual_record(raw):
        envelope = {"CreationDate": row.get("Timestamp") or row.get("TimeGenerated"),
                    "Operation": row.get("ActionType"), "clientIp": row.get("IPAddress")}
        yield from record_event(ref, raw, envelope, path)
        return
    action = f.canonical_operation(row.get("ActionType"))
    if not action:
        yield ParseIssue(path, ref.locator, "CloudAppEvents row names no ActionType")
        return
    user = value(row, "AccountId", "AccountDisplayName", "AccountObjectId")
    user = str(user) if user is not None else None
    app = row.get("Application")
    attrs = _compact({
        "user_id": user, "user_name": row.get("AccountDisplayName"),
        "account_object_id": row.get("AccountObjectId"),
        "client_ip": f.client_ip(row.get("IPAddress")), "country": row.get("CountryCode"),
        "city": row.get("City"), "isp": row.get("Isp"), "user_agent": row.get("UserAgent"),
        "app_name": app, "app_id": f.text_value(row.get("ApplicationId")),
        "activity_type": row.get("ActivityType"), "object_name": row.get("ObjectName"),
        "object_type": row.get("ObjectType"), "object_id": f.text_value(row.get("ObjectId")),
        "record_id": f.text_value(row.get("ReportId")),
        "oauth_app_id": row.get("OAuthAppId"), "activity_objects": row.get("ActivityObjects"),
        "is_admin_operation": _flag(row.get("IsAdminOperation")),
        "is_anonymous_proxy": _flag(row.get("IsAnonymousProxy")),
    })
    yield Event(ref=ref, source="mcas:activity", time=value(row, "Timestamp", "TimeGenerated"),
                action=action, action_class=classify_action(action), actor_id=f.actor_id(user),
                actor_kind=f.actor_kind(user), target_id=attrs.get("object_name") or app,
                target_type=row.get("ObjectType") or ("application" if app else None),
                attrs=attrs, raw=dict(row))


def identity_directory_row(ref: EvidenceRef, row: Row, path: str
                           ) -> Iterator[Event | ParseIssue]:
    """IdentityDirectoryEvents (Defender for Identity): on-premises directory changes."""
    action = f.canonical_operation(row.get("ActionType"))
    if not action:
        yield ParseIssue(path, ref.locator, "IdentityDirectoryEvents row names no ActionType")
        return
    domain, name = row.get("AccountDomain"), row.get("AccountName")
    user = row.get("AccountUpn") or (f"{domain}\\{name}" if domain and name else name)
    target = row.get("TargetAccountUpn") or row.get("TargetAccountDisplayName")
    attrs = _compact({
        "user_id": user, "user_name": row.get("AccountDisplayName"),
        "account_sid": row.get("AccountSid"), "client_ip": f.client_ip(row.get("IPAddress")),
        "device_name": row.get("DeviceName"), "application": row.get("Application"),
        "protocol": row.get("Protocol"),
        "target_user": target.strip().lower() if isinstance(target, str) else None,
        "target_device": row.get("TargetDeviceName"),
        "destination_device": row.get("DestinationDeviceName"),
        "destination_ip": row.get("DestinationIPAddress"),
        "additional_fields": row.get("AdditionalFields"),
        "record_id": f.text_value(row.get("ReportId")),
    })
    yield Event(ref=ref, source="mdi:directory", time=value(row, "Timestamp", "TimeGenerated"),
                action=action, action_class=classify_action(action), actor_id=f.actor_id(user),
                actor_kind=f.actor_kind(user), target_id=attrs.get("target_user"),
                target_type="user" if target else None, attrs=attrs, raw=dict(row))


# --- Azure and AWS ----------------------------------------------------------------------------

def azure_row(ref: EvidenceRef, row: Row, path: str) -> Iterator[Event | ParseIssue]:
    record = {k: v for k, v in row.items() if not k.endswith("_d")}
    for column, item in row.items():      # Properties_d, Claims_d ...: the decoded twins
        if column.endswith("_d") and isinstance(item, dict) \
                and not isinstance(record.get(column[:-2]), dict):
            record[column[:-2]] = item
    probe = {**record, "TimeGenerated": record.get("TimeGenerated") or "?"}   # time: ours
    if not looks_like_activity(probe):
        yield ParseIssue(path, ref.locator, "AzureActivity row has no operation name, time, "
                                            "resource and caller")
        return
    yield azure_event(record, ref)


def cloudtrail_record(row: Row) -> dict[str, Any]:
    """An AWSCloudTrail row as the CloudTrail record it was ingested from."""
    issuer = _compact({"type": row.get("SessionIssuerType"),
                       "principalId": row.get("SessionIssuerPrincipalId"),
                       "arn": row.get("SessionIssuerArn"),
                       "accountId": row.get("SessionIssuerAccountId"),
                       "userName": row.get("SessionIssuerUserName")})
    attributes = _compact({"mfaAuthenticated": row.get("SessionMfaAuthenticated"),
                           "creationDate": row.get("SessionCreationDate")})
    context = _compact({"attributes": attributes, "sessionIssuer": issuer})
    identity = _compact({
        "type": row.get("UserIdentityType"), "principalId": row.get("UserIdentityPrincipalid"),
        "arn": row.get("UserIdentityArn"), "accountId": row.get("UserIdentityAccountId"),
        "accessKeyId": row.get("UserIdentityAccessKeyId"),
        "userName": row.get("UserIdentityUserName"),
        "invokedBy": row.get("UserIdentityInvokedBy"), "sessionContext": context,
        "userId": row.get("UserIdentityUserId"),
        "identityStoreArn": row.get("UserIdentityStoreArn"),
    })
    tls = _compact({"tlsVersion": row.get("TlsVersion"), "cipherSuite": row.get("CipherSuite"),
                    "clientProvidedHostHeader": row.get("ClientProvidedHostHeader")})
    return _compact({
        "eventVersion": row.get("EventVersion"), "userIdentity": identity,
        "eventTime": row.get("TimeGenerated"), "eventSource": row.get("EventSource"),
        "eventName": row.get("EventName"), "awsRegion": value(row, "AWSRegion", "AwsRegion"),
        "sourceIPAddress": row.get("SourceIpAddress"), "userAgent": row.get("UserAgent"),
        "errorCode": row.get("ErrorCode"), "errorMessage": row.get("ErrorMessage"),
        "requestParameters": row.get("RequestParameters"),
        "responseElements": row.get("ResponseElements"),
        "additionalEventData": row.get("AdditionalEventData"),
        "requestID": value(row, "AwsRequestId", "AwsRequestId_"),
        "eventID": row.get("AwsEventId"), "eventType": row.get("EventTypeName"),
        "apiVersion": row.get("APIVersion"), "readOnly": _flag(row.get("ReadOnly")),
        "resources": row.get("Resources"), "recipientAccountId": row.get("RecipientAccountId"),
        "serviceEventDetails": row.get("ServiceEventDetails"),
        "sharedEventID": row.get("SharedEventId"), "vpcEndpointId": row.get("VpcEndpointId"),
        "managementEvent": _flag(row.get("ManagementEvent")),
        "eventCategory": row.get("Category"),
        "tlsDetails": tls,
    })


def cloudtrail_row(ref: EvidenceRef, row: Row, path: str) -> Iterator[Event | ParseIssue]:
    record = cloudtrail_record(row)
    if not record.get("eventName") or not record.get("eventSource"):
        yield ParseIssue(path, ref.locator, "AWSCloudTrail row has no EventName / EventSource")
        return
    yield cloudtrail_event(record, ref)
