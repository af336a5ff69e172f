"""Microsoft Defender for Cloud Apps alerts: the MCAS API JSON, Graph security alerts, CSV.

Shapes read: MCAS `/api/v1/alerts/` records (`_id`, epoch-millisecond `timestamp`,
`severityValue` 0 low / 1 medium / 2 high / 3 informational, `entities` with type / id /
label), Microsoft Graph `security/alerts_v2` records (`severity`, `createdDateTime`, typed
`evidence`), and the portal's CSV export (columns found by name). One `mcas:alert` event per
alert; its entities are kept as [{type, id, name}] so the analyzer can cite them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

from ...model import Event, EvidenceRef, ParseIssue
from . import m365_fields as f
from ..base import Sample, Source
from ..records import RecordParser, column, header_has, sample_records
from ..registry import register

SEVERITY_VALUES = {0: "low", 1: "medium", 2: "high", 3: "informational"}
USER_TYPES = ("account", "user", "useraccount")
EVIDENCE_TYPES = {"userEvidence": "user", "ipEvidence": "ip", "cloudApplicationEvidence": "app",
                  "fileEvidence": "file", "mailboxEvidence": "mailbox", "urlEvidence": "url",
                  "oauthApplicationEvidence": "app"}


def _is_mcas(record: dict[str, Any]) -> bool:
    return "title" in record and ("severityValue" in record or ("_id" in record and "entities" in record))


def _is_graph_alert(record: dict[str, Any]) -> bool:
    return "title" in record and "severity" in record and ("evidence" in record or "serviceSource" in record)


@register
class DefenderCloudAppsParser(RecordParser):
    name = "defender-cloudapps-alerts"
    version = "1"
    priority = 55
    description = "Defender for Cloud Apps alerts (API JSON, Graph alerts_v2, CSV export)"

    def sniff(self, sample: Sample) -> str | None:
        header = sample.csv_header
        if header_has(header, "Severity") and (header_has(header, "Title") or header_has(header, "Alert")) \
                and (header_has(header, "App") or header_has(header, "User")):
            return "CSV with title, severity, app and user columns (Defender for Cloud Apps alerts)"
        for record in sample_records(sample)[:3]:
            if _is_mcas(record):
                return "JSON alerts with title, severityValue and entities (Defender for Cloud Apps API)"
            if _is_graph_alert(record):
                return "JSON alerts with title, severity and evidence (Graph security alerts)"
        return None

    def record(self, source: Source, ref: EvidenceRef, record: dict[str, Any]
               ) -> Iterator[Event | ParseIssue]:
        if _is_mcas(record):
            fields = mcas_fields(record)
        elif _is_graph_alert(record):
            fields = graph_fields(record)
        else:
            fields = csv_fields(record)
        if not fields["title"] or fields["time"] is None:
            yield ParseIssue(source.path, ref.locator, "alert has no title or readable time")
            return
        yield alert_event(ref, fields, record)


def _epoch_ms(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f.utc_time(value)
    try:
        stamp = datetime.fromtimestamp(value / 1000, tz=timezone.utc).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None
    return f.format_utc(stamp)


def mcas_fields(record: dict[str, Any]) -> dict[str, Any]:
    entities = []
    for entity in record.get("entities") or []:
        if isinstance(entity, dict):
            entities.append({"type": str(entity.get("type") or "").lower(),
                             "id": f.text_value(entity.get("id")),
                             "name": f.text_value(entity.get("label") or entity.get("pa"))})
    severity = record.get("severityValue")
    return {"id": record.get("_id"), "title": record.get("title"),
            "time": _epoch_ms(record.get("timestamp")),
            "severity": SEVERITY_VALUES.get(severity) if isinstance(severity, int) else None,
            "description": record.get("description"), "category": None,
            "status": record.get("statusValue"), "entities": entities}


def graph_fields(record: dict[str, Any]) -> dict[str, Any]:
    entities = []
    for item in record.get("evidence") or []:
        if not isinstance(item, dict):
            continue
        kind = str(item.get("@odata.type", "")).rsplit(".", 1)[-1]
        account = item.get("userAccount") if isinstance(item.get("userAccount"), dict) else {}
        ident = (account.get("userPrincipalName") or item.get("ipAddress") or item.get("appId")
                 or item.get("url") or item.get("primaryAddress"))
        name = account.get("displayName") or item.get("displayName") or ident
        entities.append({"type": EVIDENCE_TYPES.get(kind, kind or "other"),
                         "id": f.text_value(ident), "name": f.text_value(name)})
    return {"id": record.get("id"), "title": record.get("title"),
            "time": f.utc_time(record.get("createdDateTime")),
            "severity": str(record.get("severity") or "").lower() or None,
            "description": record.get("description"), "category": record.get("category"),
            "status": record.get("status"), "entities": entities}


def csv_fields(row: dict[str, Any]) -> dict[str, Any]:
    entities = []
    for kind, names in (("user", ("User", "User name", "Users")), ("ip", ("IP address", "IP")),
                        ("app", ("App", "Application", "Apps"))):
        value = column(row, *names)
        for part in (value or "").replace(";", ",").split(","):
            if part.strip():
                entities.append({"type": kind, "id": part.strip(), "name": part.strip()})
    return {"id": column(row, "Alert ID", "ID", "Id"), "title": column(row, "Title", "Alert"),
            "time": f.utc_time(column(row, "Date (UTC)", "Date", "Time", "Created")),
            "severity": (column(row, "Severity") or "").lower() or None,
            "description": column(row, "Description"), "category": column(row, "Category"),
            "status": column(row, "Status"), "entities": entities}


def alert_event(ref: EvidenceRef, v: dict[str, Any], raw: Any) -> Event:
    def first(*kinds: str) -> str | None:
        return next((e["id"] or e["name"] for e in v["entities"] if e["type"] in kinds), None)
    user = first(*USER_TYPES)
    app = next((e["name"] or e["id"] for e in v["entities"] if e["type"] in ("app", "service")),
               None)
    attrs = {"record_id": f.text_value(v["id"]), "title": v["title"], "severity": v["severity"],
             "description": v["description"], "category": v["category"],
             "result_status": f.text_value(v["status"]), "entities": v["entities"],
             "user_id": user, "app_name": app, "client_ip": f.client_ip(first("ip"))}
    return Event(ref=ref, source="mcas:alert", time=v["time"], action=str(v["title"]),
                 action_class="other", actor_id=f.actor_id(user),
                 actor_kind="human" if user else "unknown", target_id=app,
                 target_type="application" if app else None, attrs=attrs, raw=raw)
