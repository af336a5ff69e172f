"""AWS CloudTrail records -> `aws:cloudtrail` events, in the shapes responders get.

- trail log files: `{"Records": [...]}` (S3 delivery, usually `.json.gz`; intake unzips), one
  event per record, locator `json:/Records/N`;
- a bare JSON array of records (how Stratus Red Team publishes its detonation logs, and what
  `jq .Records` or many SIEM exports give), locator `json:/N`;
- `aws cloudtrail lookup-events` output: `{"Events": [{"EventId", "EventName", "EventTime",
  "Username", "Resources", "CloudTrailEvent": "<the record as a JSON string>"}]}`, locator
  `json:/Events/N`;
- NDJSON, one record per line (a bare record, a lookup-events envelope, or an EventBridge
  `{"detail-type": "AWS API Call via CloudTrail", "detail": {...}}` wrapper), locator `line N`.

`Event.raw` is always the CloudTrail record itself (decoded from `CloudTrailEvent` for
lookup-events), so detections and Sigma rules see one shape. Keys: docs/events-cloud.md.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue, pointer_ref
from ...taxonomy import classify_action
from ..base import Sample, Source
from ..records import RecordParser
from .m365_fields import client_ip, utc_time
from ..registry import register

SOURCE = "aws:cloudtrail"
RECORD_KEYS = ("eventName", "eventSource")
# requestParameters keys that name what was acted on, most specific first, with its type.
TARGET_KEYS = (
    ("userName", "iam-user"), ("roleName", "iam-role"), ("groupName", "group"),
    ("policyArn", "iam-policy"), ("name", "trail"), ("trailName", "trail"),
    ("snapshotId", "snapshot"), ("imageId", "image"), ("dBSnapshotIdentifier", "db-snapshot"),
    ("functionName", "lambda-function"), ("secretId", "secret"), ("instanceId", "instance"),
    ("bucketName", "s3-bucket"), ("keyId", "kms-key"), ("logGroupName", "log-group"),
)
HUMAN_TYPES = {"IAMUser", "Root", "SAMLUser", "WebIdentityUser", "FederatedUser",
               "IdentityCenterUser"}


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and all(k in value for k in RECORD_KEYS)


def _is_lookup(value: Any) -> bool:
    return isinstance(value, dict) and "CloudTrailEvent" in value and "EventName" in value


def _is_bridge(value: Any) -> bool:
    return (isinstance(value, dict) and _is_record(value.get("detail"))
            and "CloudTrail" in str(value.get("detail-type", "")))


def _is_any_record(value: Any) -> bool:
    """A CloudTrail record in any of the per-record shapes (bare, lookup-events, EventBridge)."""
    return _is_record(value) or _is_lookup(value) or _is_bridge(value)


def _large_document(head: str) -> str | None:
    """The sniff of a document too large to load for sniffing, from its first 4 KiB."""
    if head.startswith("{") and '"Records"' in head[:64] \
            and '"eventSource"' in head and '"eventVersion"' in head:
        return "large JSON object with a Records list of CloudTrail events"
    if head.startswith("{") and '"Events"' in head[:64] \
            and '"CloudTrailEvent"' in head and '"EventName"' in head:
        return "large aws cloudtrail lookup-events output (Events with CloudTrailEvent)"
    if head.startswith("[") and head[1:].lstrip().startswith("{") \
            and '"eventSource"' in head and '"eventVersion"' in head:
        return "large JSON array of CloudTrail events"
    return None


@register
class CloudTrailParser(RecordParser):
    name = "aws-cloudtrail"
    version = "1"
    priority = 60
    description = "AWS CloudTrail: Records files, JSON arrays, lookup-events output, NDJSON"

    def sniff(self, sample: Sample) -> str | None:
        doc = sample.document
        if isinstance(doc, dict):
            records = doc.get("Records")
            if isinstance(records, list) and records and _is_record(records[0]):
                return "JSON object with a Records list of CloudTrail events"
            events = doc.get("Events")
            if isinstance(events, list) and events and _is_lookup(events[0]):
                return "aws cloudtrail lookup-events output (Events with CloudTrailEvent)"
        if isinstance(doc, list) and doc and _is_any_record(doc[0]):
            return "JSON array of CloudTrail events"
        if sample.records and _is_any_record(sample.records[0]):
            return "NDJSON of CloudTrail events"
        return _large_document(sample.text.lstrip()[:4096]) if doc is None else None

    def record(self, source: Source, ref: EvidenceRef, value: dict[str, Any]
               ) -> Iterator[Event | ParseIssue]:
        events = value.get("Events") if ref.locator == "json:" else None
        if isinstance(events, list):
            for index, inner in enumerate(events):
                yield from _record_events(source, inner,
                                          pointer_ref(source.sha256, "Events", index))
        else:
            yield from _record_events(source, value, ref)


def _record_events(source: Source, value: Any, ref: EvidenceRef
                   ) -> Iterator[Event | ParseIssue]:
    """One record (bare, lookup-events envelope or EventBridge wrapper) -> event or issue."""
    if _is_lookup(value):
        record = _decode_lookup(value)
        if record is None:
            yield ParseIssue(source.path, ref.locator,
                             "CloudTrailEvent is not a JSON object; event built from the "
                             "lookup-events envelope only")
            record = _envelope_record(value)
    elif _is_bridge(value):
        record = value["detail"]
    elif _is_record(value):
        record = value
    else:
        yield ParseIssue(source.path, ref.locator, "not a CloudTrail event: no eventName / "
                                               "eventSource")
        return
    try:
        yield to_event(record, ref)
    except (TypeError, ValueError, AttributeError) as exc:
        yield ParseIssue(source.path, ref.locator, f"unreadable CloudTrail event: {exc}")


def _decode_lookup(envelope: dict) -> dict | None:
    text = envelope.get("CloudTrailEvent")
    if isinstance(text, dict):
        return text
    try:
        record = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def _envelope_record(envelope: dict) -> dict:
    return {"eventName": envelope.get("EventName"), "eventSource": envelope.get("EventSource"),
            "eventTime": envelope.get("EventTime"), "eventID": envelope.get("EventId"),
            "userIdentity": {"userName": envelope.get("Username")},
            "readOnly": envelope.get("ReadOnly")}


def to_event(record: dict, ref) -> Event:
    identity = record.get("userIdentity") if isinstance(record.get("userIdentity"), dict) \
        else {}
    name = str(record.get("eventName") or "")
    params = record.get("requestParameters")
    target_id, target_type = _target(record, params)
    return Event(
        ref=ref, source=SOURCE, time=utc_time(record.get("eventTime")), action=name,
        action_class=_action_class(name, record), actor_id=_principal(identity, record),
        actor_kind=_actor_kind(identity), target_id=target_id, target_type=target_type,
        outcome=_outcome(record), attrs=_attrs(record, identity), raw=record)


def _action_class(name: str, record: dict) -> str:
    if name in ("ConsoleLogin", "GetSessionToken", "GetFederationToken"):
        return "authentication"
    klass = classify_action(name)
    if klass == "other" and _bool(record.get("readOnly")):
        return "read"
    return klass


def _principal(identity: dict, record: dict) -> str | None:
    for key in ("arn", "userName", "principalId", "invokedBy"):
        if identity.get(key):
            return str(identity[key])
    if identity.get("type") == "AWSService" and identity.get("invokedBy"):
        return str(identity["invokedBy"])
    return None


def _actor_kind(identity: dict) -> str:
    kind = identity.get("type")
    if kind in HUMAN_TYPES:
        return "human"
    if kind in ("AWSService", "AWSAccount") or (not kind and identity.get("invokedBy")):
        return "service-principal"
    if kind == "AssumedRole":
        issuer = ((identity.get("sessionContext") or {}).get("sessionIssuer") or {})
        if str(issuer.get("userName", "")).startswith("AWSReservedSSO_"):
            return "human"
    return "unknown"


def _outcome(record: dict) -> str:
    if record.get("errorCode"):
        return "failure"
    response = record.get("responseElements")
    if isinstance(response, dict) and response.get("ConsoleLogin") == "Failure":
        return "failure"
    return "success"


def _target(record: dict, params: Any) -> tuple[str | None, str | None]:
    for candidate in (params, record.get("serviceEventDetails")):
        if not isinstance(candidate, dict):
            continue
        for key, kind in TARGET_KEYS:
            value = candidate.get(key)
            if isinstance(value, str) and value:
                return value, _target_type(kind, str(record.get("eventSource") or ""))
        instance = _first_instance(candidate)
        if instance:
            return instance, "instance"
    for resource in record.get("resources") or ():
        if isinstance(resource, dict) and resource.get("ARN"):
            return str(resource["ARN"]), str(resource.get("type") or "resource")
    return None, None


def _target_type(kind: str, event_source: str) -> str:
    if kind == "group":
        return "iam-group" if event_source.startswith("iam.") else "security-group"
    if kind == "trail" and not event_source.startswith("cloudtrail."):
        return "resource"
    return kind


def _first_instance(params: dict) -> str | None:
    items = (params.get("instancesSet") or {}).get("items") if isinstance(
        params.get("instancesSet"), dict) else None
    if isinstance(items, list) and items and isinstance(items[0], dict):
        value = items[0].get("instanceId")
        return str(value) if value else None
    return None


def _attrs(record: dict, identity: dict) -> dict[str, Any]:
    context = identity.get("sessionContext") if isinstance(
        identity.get("sessionContext"), dict) else {}
    attributes = context.get("attributes") or {}
    issuer = context.get("sessionIssuer") if isinstance(context.get("sessionIssuer"),
                                                        dict) else {}
    source_ip = record.get("sourceIPAddress")
    attrs = {
        "event_source": record.get("eventSource"), "event_name": record.get("eventName"),
        "event_id": record.get("eventID"), "event_type": record.get("eventType"),
        "aws_region": record.get("awsRegion"), "source_ip": source_ip,
        "client_ip": _ip_or_none(source_ip), "user_agent": record.get("userAgent"),
        "user_identity_type": identity.get("type"), "principal_arn": identity.get("arn"),
        "principal_id": identity.get("principalId"), "account_id": identity.get("accountId"),
        "user_id": identity.get("userName"), "access_key_id": identity.get("accessKeyId"),
        "invoked_by": identity.get("invokedBy"), "session_name": _session_name(identity),
        "session_issuer_arn": _text(issuer.get("arn")),
        "session_issuer_type": _text(issuer.get("type")),
        "ec2_role_delivery": _text(context.get("ec2RoleDelivery")),
        "mfa_authenticated": _bool(attributes.get("mfaAuthenticated")) if isinstance(
            attributes, dict) and "mfaAuthenticated" in attributes else None,
        "request_parameters": record.get("requestParameters"),
        "response_elements": record.get("responseElements"),
        "additional_event_data": record.get("additionalEventData"),
        "error_code": record.get("errorCode"), "error_message": record.get("errorMessage"),
        "read_only": _bool(record.get("readOnly")) if "readOnly" in record else None,
        "recipient_account_id": record.get("recipientAccountId"),
    }
    return {k: v for k, v in attrs.items() if v is not None}


def _session_name(identity: dict) -> str | None:
    arn = str(identity.get("arn") or "")
    if identity.get("type") == "AssumedRole" and arn.count("/") >= 2:
        return arn.rsplit("/", 1)[1]
    return None


def _text(value: Any) -> str | None:
    """A scalar identity field as text (None when absent or empty)."""
    if value is None or value == "" or isinstance(value, (dict, list)):
        return None
    return str(value)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


def _ip_or_none(value: Any) -> str | None:
    """sourceIPAddress when it is an address (it may name an AWS service instead)."""
    address = client_ip(value)
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None
