"""Azure activity log records -> `azure:activity` events.

Containers: a JSON array (locator `json:/N`), the REST list `{"value": [...]}`
(`json:/value/N`), the Event Hub / storage export `{"records": [...]}` (`json:/records/N`),
or NDJSON (`line N`). Record shapes, all read through one key-insensitive lookup (case and
underscores ignored, so `operationName`, `OperationName` and `operation_name` are one key):

- REST / `az monitor activity-log list` / SDK: `operationName {value, localizedValue}`,
  `status {value}`, `caller`, `eventTimestamp`, `resourceId`, `claims`,
  `httpRequest {clientIpAddress, method}`, `properties`, `correlationId`;
- diagnostic-settings export: `time`, `operationName` (text), `category`, `resultType`,
  `callerIpAddress`, `identity {claims, authorization}`, `properties`;
- Log Analytics `AzureActivity` rows: `TimeGenerated`, `OperationNameValue`,
  `ActivityStatusValue`, `Caller`, `CallerIpAddress`, `ResourceId`, `Properties`.

`properties.requestbody` / `responseBody` (JSON text) are decoded into attrs `request_body` /
`response_body` so detections can read role ids and NSG rules. Keys: docs/events-cloud.md.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue
from ...taxonomy import classify_action
from ..base import Sample, Source
from ..records import RecordParser, sample_records
from .m365_fields import client_ip, utc_time
from ..registry import register

SOURCE = "azure:activity"
TIME_KEYS = ("eventtimestamp", "time", "timegenerated", "submissiontimestamp")
OPERATION_KEYS = ("operationnamevalue", "operationname")
_RESOURCE_TYPE = re.compile(r"/providers/([^/]+/[^/]+)(?:/[^/]+(/[^/]+))?", re.IGNORECASE)
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def _norm(key: str) -> str:
    return key.replace("_", "").lower()


class Fields:
    """Key-insensitive read access to one record (and its nested dicts)."""

    def __init__(self, record: dict):
        self.record = record
        self.keys = {_norm(k): k for k in record if isinstance(k, str)}

    def get(self, *names: str) -> Any:
        for name in names:
            key = self.keys.get(name)
            if key is not None and self.record[key] not in (None, ""):
                return self.record[key]
        return None

    def text(self, *names: str) -> str | None:
        """A value as text; `{value, localizedValue}` objects give their value."""
        value = self.get(*names)
        if isinstance(value, dict):
            value = Fields(value).get("value", "localizedvalue")
        return str(value) if value not in (None, "") else None

    def sub(self, name: str) -> "Fields":
        value = self.get(name)
        return Fields(value if isinstance(value, dict) else {})


def looks_like_activity(record: Any) -> bool:
    if not isinstance(record, dict):
        return False
    fields = Fields(record)
    operation = fields.text(*OPERATION_KEYS) or ""
    has_time = fields.get(*TIME_KEYS) is not None
    return ("/" in operation and has_time and fields.get("resourceid", "id") is not None
            and fields.get("caller", "identity", "calleripaddress", "category", "claims")
            is not None)


@register
class AzureActivityParser(RecordParser):
    name = "azure-activity"
    version = "1"
    priority = 55
    description = "Azure activity log: REST / SDK JSON, diagnostic export, NDJSON"

    def sniff(self, sample: Sample) -> str | None:
        records = sample_records(sample)
        if records and looks_like_activity(records[0]):
            return "Azure activity log records (operation name, time, resource, caller)"
        return None

    def record(self, source: Source, ref: EvidenceRef, record: dict[str, Any]
               ) -> Iterator[Event | ParseIssue]:
        return _one(source, record, ref)


def _one(source: Source, value: Any, ref: EvidenceRef) -> Iterator[Event | ParseIssue]:
    if not looks_like_activity(value):
        yield ParseIssue(source.path, ref.locator, "not an Azure activity log record: no "
                                               "operation name, time and resource")
        return
    try:
        yield to_event(value, ref)
    except (TypeError, ValueError, AttributeError) as exc:
        yield ParseIssue(source.path, ref.locator, f"unreadable activity record: {exc}")


def to_event(record: dict, ref) -> Event:
    fields = Fields(record)
    operation = fields.text(*OPERATION_KEYS) or ""
    caller = _caller(fields)
    resource_id = fields.text("resourceid") or _resource_from_id(fields.text("id"))
    status = fields.text("status", "activitystatusvalue", "resulttype", "activitystatus")
    return Event(
        ref=ref, source=SOURCE, time=utc_time(fields.text(*TIME_KEYS)), action=operation,
        action_class=classify_action(operation), actor_id=caller.lower() if caller else None,
        actor_kind=_actor_kind(caller, fields), target_id=resource_id,
        target_type=_resource_type(fields, resource_id), outcome=_outcome(status),
        session=fields.text("correlationid"), attrs=_attrs(fields, operation, caller,
                                                           resource_id, status),
        raw=record)


def _caller(fields: Fields) -> str | None:
    caller = fields.text("caller")
    if caller:
        return caller
    claims = _claims(fields)
    for key in ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "appid"):
        if claims.get(key):
            return str(claims[key])
    return None


def _claims(fields: Fields) -> dict:
    claims = fields.get("claims")
    if not isinstance(claims, dict):
        claims = fields.sub("identity").get("claims")
    return claims if isinstance(claims, dict) else {}


def _actor_kind(caller: str | None, fields: Fields) -> str:
    if caller and "@" in caller:
        return "human"
    if caller and _GUID.match(caller) or _claims(fields).get("idtyp") == "app":
        return "service-principal"
    return "unknown"


def _outcome(status: str | None) -> str | None:
    word = (status or "").lower()
    if word in ("succeeded", "success", "resolved", "active"):
        return "success"
    if word in ("failed", "failure"):
        return "failure"
    return None


def _resource_from_id(event_id: str | None) -> str | None:
    if event_id and "/events/" in event_id:
        return event_id.split("/events/", 1)[0]
    return None


def _resource_type(fields: Fields, resource_id: str | None) -> str | None:
    given = fields.text("resourcetype", "resourcetypevalue")
    if given:
        return given
    match = _RESOURCE_TYPE.search(resource_id or "")
    if not match:
        return None
    return match.group(1) + (match.group(2) or "")


def _attrs(fields: Fields, operation: str, caller: str | None, resource_id: str | None,
           status: str | None) -> dict[str, Any]:
    properties = fields.get("properties")
    if not isinstance(properties, dict):
        properties = _json_or_none(properties) if isinstance(properties, str) else None
    props = Fields(properties or {})
    http = fields.sub("httprequest")
    caller_ip = http.text("clientipaddress") or fields.text("calleripaddress") \
        or _claims(fields).get("ipaddr")
    localized = fields.get("operationname")
    attrs = {
        "operation_name": operation,
        "operation_display": Fields(localized).get("localizedvalue")
        if isinstance(localized, dict) else None,
        "resource_id": resource_id, "caller": caller, "client_ip": client_ip(caller_ip),
        "caller_ip": caller_ip, "status": status,
        "sub_status": fields.text("substatus", "activitysubstatusvalue")
        or props.text("statuscode"),
        "category": fields.text("category", "categoryvalue") or props.text("eventcategory"),
        "level": fields.text("level"), "event_name": fields.text("eventname"),
        "correlation_id": fields.text("correlationid"),
        "operation_id": fields.text("operationid"),
        "subscription_id": fields.text("subscriptionid") or _segment(resource_id,
                                                                      "subscriptions"),
        "resource_group": fields.text("resourcegroupname", "resourcegroup")
        or _segment(resource_id, "resourcegroups"),
        "resource_provider": fields.text("resourceprovidername", "resourceprovidervalue"),
        "http_method": http.text("method"), "properties": properties,
        "request_body": _body(props.get("requestbody")),
        "response_body": _body(props.get("responsebody")),
        "tenant_id": fields.text("tenantid"),
    }
    return {k: v for k, v in attrs.items() if v not in (None, "", {})}


def _segment(resource_id: str | None, name: str) -> str | None:
    parts = (resource_id or "").split("/")
    for index, part in enumerate(parts[:-1]):
        if part.lower() == name:
            return parts[index + 1]
    return None


def _body(value: Any) -> Any:
    if isinstance(value, str):
        return _json_or_none(value)
    return value if isinstance(value, (dict, list)) else None


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
