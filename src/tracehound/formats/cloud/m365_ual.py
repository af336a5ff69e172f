"""Microsoft 365 Unified Audit Log: Purview CSV exports, JSON arrays and NDJSON of AuditData.

Shapes read:
- Purview CSV, new header `RecordId,CreationDate,RecordType,Operation,UserId,AuditData,
  AssociatedAdminUnits,AssociatedAdminUnitsNames` and legacy `CreationDate,UserIds,Operations,
  AuditData`; AuditData is the JSON record, the other columns are its envelope.
- JSON array / NDJSON / Graph page of AuditData records (PascalCase), of Graph audit-log query
  records (camelCase, the AuditData under `auditData`), or of PowerShell objects that carry
  AuditData as a JSON string.

The AuditData fields win over the envelope's; the envelope fills what AuditData lacks. One
event per record (source `m365:ual`, attrs in docs/events-cloud.md); a row whose AuditData is
not a JSON object, or that names no operation, is one ParseIssue. Files of 64 MB and more (CSV,
JSON lines, a JSON array) are loaded by `m365_ual_bulk` with DuckDB SQL that applies the same
rules.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue
from ...taxonomy import classify_action
from . import m365_fields as f
from ..base import Sample, Source
from ..records import RecordParser, sample_records
from .m365_directory import DIRECTORY_OPERATIONS, directory_details
from ..registry import register

SOURCE = "m365:ual"
AUDIT_DATA_KEYS = ("AuditData", "auditData")
CSV_MARKERS = {"AuditData", "CreationDate"}

# attrs key -> (AuditData keys, envelope keys), first present non-empty value wins.
TEXT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "time": (f.spellings("CreationTime"), ("CreationDate", "createdDateTime")),
    "operation": (f.spellings("Operation"), ("Operation", "Operations", "operation")),
    "user_id": (f.spellings("UserId"), ("UserId", "UserIds", "userPrincipalName", "userId")),
    "workload": (f.spellings("Workload"), ("Workload", "service")),
    "record_id": (f.spellings("Id"), ("RecordId", "id")),
    "client_ip": (f.spellings("ClientIP", "ClientIp", "ActorIpAddress"), ("clientIp",)),
    "user_agent": (f.spellings("UserAgent"), ()),
    "result_status": (f.spellings("ResultStatus"), ()),
    "object_id": (f.spellings("ObjectId"), ("objectId",)),
    "app_id": (f.spellings("AppId", "ApplicationId"), ()),
    "client_app_id": (f.spellings("ClientAppId"), ()),
    "site_url": (f.spellings("SiteUrl"), ()),
    "file_name": (f.spellings("SourceFileName"), ()),
    "failure_reason": (f.spellings("LogonError"), ()),
}
# the sign-in's error number (UserLoggedIn / UserLoginFailed), an integer in attrs `error_code`
ERROR_NUMBER = f.spellings("ErrorNumber")
JSON_FIELDS = {   # kept with their JSON type
    "record_type": (f.spellings("RecordType"), ("RecordType", "auditLogRecordType")),
    "user_type": (f.spellings("UserType"), ("userType",)),
}
LIST_FIELDS = {
    "parameters": f.spellings("Parameters", "OperationProperties"),
    "modified_properties": f.spellings("ModifiedProperties"),
    "extended_properties": f.spellings("ExtendedProperties"),
    "targets": f.spellings("Target"),
}
WORKLOAD_TARGETS = {"Exchange": "mailbox", "SharePoint": "file", "OneDrive": "file",
                    "AzureActiveDirectory": "directory-object", "MicrosoftTeams": "team"}


@register
class UnifiedAuditLogParser(RecordParser):
    name = "m365-ual"
    version = "1"
    priority = 60
    description = "Microsoft 365 Unified Audit Log (Purview CSV, JSON, NDJSON)"

    def sniff(self, sample: Sample) -> str | None:
        header = set(sample.csv_header)
        if "AuditData" in header and header & {"CreationDate", "Operations", "Operation"}:
            return "CSV with AuditData and CreationDate columns (Purview audit export)"
        for record in sample_records(sample)[:3]:
            if any(key in record for key in AUDIT_DATA_KEYS):
                return "JSON records that carry AuditData (M365 audit search)"
            if (f.pick(record, *f.spellings("CreationTime")) is not None
                    and f.pick(record, *f.spellings("Operation")) is not None
                    and f.pick(record, *f.spellings("Workload", "RecordType")) is not None):
                return "JSON records with CreationTime, Operation and Workload (UAL AuditData)"
        return None

    def record(self, source: Source, ref: EvidenceRef, record: dict[str, Any]
               ) -> Iterator[Event | ParseIssue]:
        audit, envelope, problem = split_record(record)
        if problem:
            yield ParseIssue(source.path, ref.locator, problem)
            return
        yield from record_event(ref, audit, envelope, source.path)

    def bulk_load(self, source: Source, store: Any) -> tuple[int, list[ParseIssue]] | None:
        from .m365_ual_bulk import bulk_load
        return bulk_load(source, store)


def split_record(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    """(AuditData, envelope, problem): the audit record apart from the export's wrapper."""
    key = next((k for k in AUDIT_DATA_KEYS if k in record), None)
    if key is None:
        return record, {}, None
    envelope = {k: v for k, v in record.items() if k != key}
    value = record[key]
    if isinstance(value, dict):
        return value, envelope, None
    if not isinstance(value, str) or not value.strip():
        return {}, envelope, "record has no AuditData"
    try:
        audit = json.loads(value, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        return {}, envelope, f"AuditData is not valid JSON: {str(exc)[:120]}"
    if not isinstance(audit, dict):
        return {}, envelope, f"AuditData is a JSON {type(audit).__name__}, not an object"
    return audit, envelope, None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def field(audit: dict[str, Any], envelope: dict[str, Any], keys: tuple[tuple[str, ...], ...]
          ) -> Any:
    audit_keys, envelope_keys = keys
    value = f.pick(audit, *audit_keys)
    return value if value is not None else f.pick(envelope, *envelope_keys)


def record_event(ref: EvidenceRef, audit: dict[str, Any], envelope: dict[str, Any],
                 path: str) -> Iterator[Event | ParseIssue]:
    text = {name: f.text_value(field(audit, envelope, keys)) for name, keys in TEXT_FIELDS.items()}
    action = f.canonical_operation(text["operation"])
    if not action:
        yield ParseIssue(path, ref.locator, "record names no Operation")
        return
    time = f.utc_time(text.pop("time"))
    parameters = f.name_value_map(f.pick(audit, *LIST_FIELDS["parameters"]))
    modified = f.modified_map(f.pick(audit, *LIST_FIELDS["modified_properties"]))
    extended = f.name_value_map(f.pick(audit, *LIST_FIELDS["extended_properties"]))
    record_type = field(audit, envelope, JSON_FIELDS["record_type"])
    user_type = field(audit, envelope, JSON_FIELDS["user_type"])
    attrs: dict[str, Any] = {
        **text,
        "client_ip": f.client_ip(text["client_ip"]),
        "user_agent": text["user_agent"] or extended.get("UserAgent"),
        "app_id": text["app_id"].lower() if text["app_id"] else None,
        "client_app_id": text["client_app_id"].lower() if text["client_app_id"] else None,
        "error_code": f.error_number(f.pick(audit, *ERROR_NUMBER)),
        "record_type": record_type,
        "parameters": parameters,
        "modified_properties": modified,
        "extended_properties": extended,
    }
    target_id = parameters.get("Identity") or text["object_id"]
    target_type = WORKLOAD_TARGETS.get(text["workload"] or "")
    if action in DIRECTORY_OPERATIONS:
        details = directory_details(action, modified, f.pick(audit, *LIST_FIELDS["targets"]),
                                    text["object_id"])
        attrs.update(details)
        if details.get("target_user"):
            target_id, target_type = details["target_user"], "user"
    yield Event(
        ref=ref, source=SOURCE, time=time, action=action, action_class=classify_action(action),
        actor_id=f.actor_id(text["user_id"]), actor_kind=f.actor_kind(text["user_id"], user_type),
        target_id=target_id, target_type=target_type,
        outcome=f.outcome(text["result_status"], action), attrs=attrs, raw=audit,
    )
