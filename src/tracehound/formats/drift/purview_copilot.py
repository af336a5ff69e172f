"""Microsoft Purview CopilotInteraction audit records (RecordType 261, Workload Copilot).

Shapes read: the Purview audit CSV export (`RecordId,CreationDate,RecordType,Operation,UserId,
AuditData,...`, AuditData a JSON string), and JSON arrays / NDJSON / Graph pages of AuditData
records or of records that wrap them under `AuditData`. Every field is optional and key casing
varies between exports, so keys are matched case-insensitively. AgentId, AgentName and
AgentVersion are read at the top of AuditData or inside CopilotEventData.

One event per record, source `copilot:interaction`; the accessed resources, plugins, policy
details and prompt-injection flags go to attrs as docs/events-drift.md lists them. The sniff
only claims files whose sampled records are all Copilot interactions, so a mixed audit export
stays with the generic UAL parser. It sorts before that parser (priority 70 against 60).
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any, Iterator, Mapping

from ...model import Event, EvidenceRef, ParseIssue
from ..base import Sample, Source
from ..records import RecordParser, sample_records
from ..times import utc_time
from ..registry import register

SOURCE = "copilot:interaction"
RECORD_TYPE = 261
OPERATION = "copilotinteraction"
_RESTRICTIVE = re.compile(r"block|restrict|den(y|ied)|prevent", re.IGNORECASE)
SNIFF_ROWS = 5


class Fields:
    """A record's keys matched case-insensitively (`AgentId`, `agentId`, `AGENTID` alike)."""

    def __init__(self, record: Any):
        self.record = record if isinstance(record, dict) else {}
        self._keys = {key.lower(): key for key in reversed(list(self.record))}

    def get(self, *names: str) -> Any:
        for name in names:
            key = self._keys.get(name.lower())
            if key is not None and self.record[key] not in (None, ""):
                return self.record[key]
        return None

    def text(self, *names: str) -> str | None:
        value = self.get(*names)
        if value is None or isinstance(value, (dict, list)):
            return None
        return str(value).strip() or None

    def items(self, *names: str) -> list[Any]:
        value = _json_value(self.get(*names))
        if isinstance(value, dict):
            return [value]
        return value if isinstance(value, list) else []

    def child(self, *names: str) -> "Fields":
        return Fields(_json_value(self.get(*names)))


def _json_value(value: Any) -> Any:
    """JSON text inside a field (CSV exports nest objects as strings) decoded; else as given."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return value
    return value


def flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def split_audit(record: dict[str, Any]) -> tuple[Fields, Fields, str | None]:
    """(AuditData, envelope, problem) for a bare AuditData record or an export's wrapper."""
    outer = Fields(record)
    wrapped = outer.get("AuditData")
    if wrapped is None:
        return outer, Fields({}), None
    audit = _json_value(wrapped)
    if not isinstance(audit, dict):
        return Fields({}), outer, "AuditData is not a JSON object"
    return Fields(audit), outer, None


def is_copilot(audit: Fields, envelope: Fields) -> bool:
    for fields in (audit, envelope):
        kind = fields.text("RecordType", "auditLogRecordType")
        operation = fields.text("Operation", "Operations")
        if (kind in (str(RECORD_TYPE), "CopilotInteraction")
                or (operation or "").lower() == OPERATION):
            return True
    return audit.get("CopilotEventData") is not None


def _csv_sample(sample: Sample) -> list[dict[str, Any]]:
    rows = []
    reader = csv.DictReader(io.StringIO(sample.text, newline=""))
    try:
        for row in reader:
            rows.append({k: v for k, v in row.items() if isinstance(k, str)})
            if len(rows) >= SNIFF_ROWS:
                break
    except csv.Error:
        pass
    return rows


@register
class PurviewCopilotParser(RecordParser):
    name = "purview-copilot"
    version = "1"
    priority = 70
    description = "Microsoft Purview CopilotInteraction audit records (CSV export, JSON, NDJSON)"

    def sniff(self, sample: Sample) -> str | None:
        header = {h.lower() for h in sample.csv_header}
        records = _csv_sample(sample) if "auditdata" in header else sample_records(sample)
        seen = 0
        for record in records[:SNIFF_ROWS]:
            audit, envelope, problem = split_audit(record)
            if problem and envelope.get("Operation", "RecordType") is None:
                continue           # a row cut off by the sample's end says nothing
            if not is_copilot(audit, envelope):
                return None
            seen += 1
        if not seen:
            return None
        shape = "CSV export" if header else "JSON records"
        return f"{shape} of CopilotInteraction audit records (RecordType 261, CopilotEventData)"

    def record(self, source: Source, ref: EvidenceRef, record: dict[str, Any]
               ) -> Iterator[Event | ParseIssue]:
        audit, envelope, problem = split_audit(record)
        if problem:
            yield ParseIssue(source.path, ref.locator, problem)
        elif not is_copilot(audit, envelope):
            operation = audit.text("Operation") or envelope.text("Operation", "Operations")
            yield ParseIssue(source.path, ref.locator, "not a CopilotInteraction record "
                             f"(Operation {operation or 'missing'}); skipped")
        else:
            yield interaction_event(ref, audit, envelope, record)

    bulk_meter = True          # the bulk load reports its own progress (formats/meter.py)

    def bulk_load(self, source: Source, store: Any) -> tuple[int, list[ParseIssue]] | None:
        """A large CSV export: DuckDB splits it, `record` maps each row, straight into the
        store (purview_copilot_bulk)."""
        from .purview_copilot_bulk import bulk_load
        return bulk_load(self, source, store)


def interaction_event(ref: EvidenceRef, audit: Fields, envelope: Fields, raw: Any) -> Event:
    copilot = audit.child("CopilotEventData")
    agent_id = audit.text("AgentId") or copilot.text("AgentId")
    user_id = audit.text("UserId", "UserKey") or envelope.text("UserId", "UserIds")
    resources = [resource(index, Fields(item)) for index, item
                 in enumerate(copilot.items("AccessedResources")) if isinstance(item, dict)]
    policies = [p for r in resources for p in r.pop("_policies")]
    one = resources[0] if len(resources) == 1 else {}
    attrs = {
        "record_id": audit.text("Id") or envelope.text("RecordId", "Id"),
        "record_type": audit.text("RecordType") or envelope.text("RecordType"),
        "workload": audit.text("Workload") or envelope.text("Workload"),
        "operation": audit.text("Operation") or envelope.text("Operation", "Operations"),
        "agent_id": agent_id,
        "agent_name": audit.text("AgentName") or copilot.text("AgentName"),
        "agent_version": audit.text("AgentVersion") or copilot.text("AgentVersion"),
        "user_id": user_id,
        "app_host": copilot.text("AppHost"),
        "contexts": [{"id": c.text("Id"), "type": c.text("Type")}
                     for c in map(Fields, copilot.items("Contexts"))],
        "plugins": plugin_names(copilot.items("AISystemPlugin")),
        "resources": resources,
        "policies": policies,
        "policy_hit": bool(policies),
        "xpia_detected": any(r["xpia"] for r in resources),
        "jailbreak_detected": any(flag(Fields(m).get("JailbreakDetected"))
                                  for m in copilot.items("Messages")),
    }
    created = audit.text("CreationTime") or envelope.text("CreationDate", "CreationTime",
                                                          "createdDateTime")
    return Event(
        ref=ref, source=SOURCE, time=utc_time(created),
        action=attrs["operation"] or "CopilotInteraction",
        action_class="read" if resources else "other",
        actor_id=agent_id or user_id, actor_kind="agent" if agent_id else
        ("human" if user_id else "unknown"),
        target_id=one.get("id") or one.get("site_url"), target_type=one.get("type"),
        target_label=one.get("label_id"),
        outcome="blocked" if any(r["blocked"] for r in resources) else "success",
        session=copilot.text("ThreadId"), attrs=attrs, raw=raw)


def resource(index: int, item: Fields) -> dict[str, Any]:
    """One AccessedResources entry, normalized; `_policies` is lifted to the record."""
    policies = [policy(index, entry) for entry in item.items("PolicyDetails")]
    status = item.text("Status")
    blocked = bool(status and _RESTRICTIVE.search(status)) or any(p["blocked"] for p in policies)
    return {
        "index": index,
        "id": item.text("ID", "Id"),
        "name": item.text("Name"),
        "type": item.text("Type"),
        "site_url": item.text("SiteUrl"),
        "action": item.text("Action"),
        "status": status,
        "label_id": item.text("SensitivityLabelId"),
        "xpia": flag(item.get("XPIADetected")),
        "policy_blocked": any(p["blocked"] for p in policies),
        "blocked": blocked,
        "_policies": policies,
    }


def policy(index: int, entry: Any) -> dict[str, Any]:
    """A PolicyDetails entry: its id and name, and whether it blocked or restricted access."""
    if isinstance(entry, Mapping):
        fields = Fields(entry)
        ident = fields.text("PolicyId", "Id")
        name = fields.text("PolicyName", "Name") or ident
        verdict = restrictive(entry)
        blocked = verdict if verdict is not None else bool(_RESTRICTIVE.search(name or ""))
    else:
        ident = None
        name = str(entry)
        blocked = bool(_RESTRICTIVE.search(name))
    return {"resource_index": index, "id": ident, "name": name or "unnamed policy",
            "blocked": blocked}


def restrictive(value: Any, depth: int = 0) -> bool | None:
    """Whether a policy entry says it blocked or restricted: a true `IsBlocked`-like key or an
    action / mode / enforcement value naming a block. None when it states no action at all."""
    if depth > 8:
        return None
    said: bool | None = None
    pairs = value.items() if isinstance(value, Mapping) else enumerate(
        value if isinstance(value, list) else [])
    for key, item in pairs:
        name = str(key).lower()
        action_like = any(word in name for word in ("action", "mode", "enforce", "outcome"))
        scalars = isinstance(item, list) and not any(isinstance(i, (dict, list)) for i in item)
        if isinstance(item, dict) or (isinstance(item, list) and not (action_like and scalars)):
            inner = restrictive(item, depth + 1)
        elif _RESTRICTIVE.search(name):
            inner = flag(item) or (type(item) in (int, float) and item > 0)
        elif action_like:
            inner = bool(_RESTRICTIVE.search(" ".join(map(str, item if scalars else [item]))))
        else:
            inner = None
        if inner is not None:
            said = bool(said) or inner
    return said


def plugin_names(items: list[Any]) -> list[str]:
    names = []
    for item in items:
        name = Fields(item).text("Name", "Id") if isinstance(item, dict) else (
            str(item).strip() if item not in (None, "") else None)
        if name and name not in names:
            names.append(name)
    return names
