"""Agent decision logs (seed 003 T3): NDJSON, one decision a line, as CONTRACT.md shows.

Required per line: `decision_id` and `agent_id`. Optional: time, agent_version,
confidence_band, routing, action_result, policy_ids, tool_calls [{tool, operation}], and the
additions docs/events-drift.md lists (action, audit_record_id, ticket). One event per decision,
source `decision:log`; a line that is not JSON, or lacks an id, is one ParseIssue.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ...model import Event, ParseIssue, line_ref
from ..base import Parser, Sample, Source
from ..times import utc_time
from ..readers import iter_ndjson
from ..registry import register

SOURCE = "decision:log"
DECISION_KEYS = {"confidence_band", "routing", "action_result", "policy_ids", "tool_calls"}
_BLOCKED = re.compile(r"block|den(y|ied)|reject|refus|prevent", re.IGNORECASE)
_FAILED = re.compile(r"fail|error", re.IGNORECASE)
OPERATION_CLASS = {"read": "read", "write": "write", "execute": "execute"}


@register
class DecisionLogParser(Parser):
    name = "decision-log"
    version = "1"
    priority = 65
    description = "Agent decision log (NDJSON: decision_id, agent_id, routing, tool_calls)"

    def sniff(self, sample: Sample) -> str | None:
        records = sample.records
        if records and all("decision_id" in r and "agent_id" in r and DECISION_KEYS & set(r)
                           for r in records):
            return "NDJSON decisions with decision_id, agent_id and routing / tool_calls"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        for item in iter_ndjson(source.data, source.path):
            if isinstance(item, ParseIssue):
                yield item
                continue
            number, record = item
            problem = _missing(record)
            if problem:
                yield ParseIssue(source.path, f"line {number}", problem)
            else:
                yield decision_event(source.sha256, number, record)


def _missing(record: dict[str, Any]) -> str | None:
    for key in ("decision_id", "agent_id"):
        if _text(record.get(key)) is None:
            return f"decision has no {key}; skipped"
    return None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value).strip() or None


def tool_calls(value: Any) -> list[dict[str, Any]]:
    """[{index, tool, operation}]; `index` is the call's position in the record's list."""
    calls = []
    for index, item in enumerate(value if isinstance(value, list) else []):
        if isinstance(item, dict):
            tool = _text(item.get("tool") or item.get("name"))
            operation = _text(item.get("operation"))
        else:
            tool, operation = _text(item), None
        if tool:
            calls.append({"index": index, "tool": tool,
                          "operation": operation.lower() if operation else None})
    return calls


def ticket(record: dict[str, Any]) -> dict[str, str | None]:
    """{id, opened, resolved} from `ticket` (text or object) or flat ticket_* keys."""
    value = record.get("ticket")
    nested = value if isinstance(value, dict) else {}
    return {
        "id": _text(nested.get("id")) or _text(value) or _text(record.get("ticket_id")),
        "opened": utc_time(nested.get("opened") or record.get("ticket_opened")),
        "resolved": utc_time(nested.get("resolved") or record.get("ticket_resolved")),
    }


def outcome(action_result: str | None) -> str | None:
    if not action_result:
        return None
    if _BLOCKED.search(action_result):
        return "blocked"
    return "failure" if _FAILED.search(action_result) else "success"


def decision_event(sha256: str, number: int, record: dict[str, Any]) -> Event:
    calls = tool_calls(record.get("tool_calls"))
    result = _text(record.get("action_result"))
    ids = record.get("policy_ids")
    policy_ids = [p for p in map(_text, ids if isinstance(ids, list) else [ids]) if p]
    blocked = outcome(result) == "blocked"
    tracked = ticket(record)
    classes = {OPERATION_CLASS.get(c["operation"] or "", "other") for c in calls}
    action_class = next((c for c in ("execute", "write", "read") if c in classes), "other")
    attrs = {
        "decision_id": _text(record["decision_id"]),
        "agent_version": _text(record.get("agent_version")),
        "confidence_band": _text(record.get("confidence_band")),
        "routing": _text(record.get("routing")),
        "action_result": result,
        "action_category": _text(record.get("action")),
        "policy_ids": policy_ids,
        "policies": [{"resource_index": None, "id": p, "name": p, "blocked": blocked}
                     for p in policy_ids],
        "policy_hit": bool(policy_ids),
        "tool_calls": calls,
        "audit_record_id": _text(record.get("audit_record_id")),
        "ticket_id": tracked["id"],
        "ticket_opened": tracked["opened"],
        "ticket_resolved": tracked["resolved"],
    }
    return Event(
        ref=line_ref(sha256, number), source=SOURCE, time=utc_time(record.get("time")),
        action="decision", action_class=action_class, actor_id=_text(record["agent_id"]),
        actor_kind="agent", target_id=calls[0]["tool"] if len(calls) == 1 else None,
        target_type="tool" if len(calls) == 1 else None, outcome=outcome(result),
        approver=_text(record.get("approver")), attrs=attrs, raw=record)
