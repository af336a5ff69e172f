"""Super-timeline: every timed event and every finding of a case, in one ordered list.

Rows are read from the case store (so bulk-loaded exports are on it too) and carry
Timesketch's required columns — `message`, `datetime`, `timestamp_desc` — plus `timestamp`
(microseconds since the epoch) and our own fields (kind, source, action, actor, target,
session, step, severity, category, evidence path, sha256, locator).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from ..effects.secrets import scrub
from ..model import EvidenceFile, Finding

TIMESKETCH_REQUIRED = ("message", "datetime", "timestamp_desc")
TIMELINE_COLUMNS = TIMESKETCH_REQUIRED + (
    "timestamp", "kind", "source", "action", "action_class", "actor", "target", "session",
    "step", "severity", "category", "rule", "evidence_path", "sha256", "locator", "id")

_EVENT_SQL = """
SELECT time, source, action, action_class, actor_id, target_id, session, step, outcome,
       sha256, locator, event_id
FROM events WHERE time IS NOT NULL
ORDER BY time, sha256, locator
"""


def to_epoch_micros(iso: str) -> int | None:
    """Microseconds since 1970 for an ISO 8601 UTC time with Z; None when unreadable."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _clean(value: str | None) -> str | None:
    """Evidence text on the timeline, secrets scrubbed."""
    return scrub(value) if value else value


def _event_message(source: str, action: str, actor: str | None, target: str | None,
                   outcome: str | None) -> str:
    parts = [f"{actor or 'unknown actor'} {action}"]
    if target:
        parts.append(f"on {target}")
    if outcome:
        parts.append(f"({outcome})")
    return f"[{source}] " + " ".join(parts)


def event_rows(store: Any, paths: dict[str, str]) -> Iterable[dict[str, Any]]:
    cursor = store.con.execute(_EVENT_SQL)
    while batch := cursor.fetchmany(10_000):
        for (time, source, action, klass, actor, target, session, step, outcome, sha, locator,
             event_id) in batch:
            actor, target = _clean(actor), _clean(target)
            yield {
                "message": _event_message(source, action, actor, target, outcome),
                "datetime": time, "timestamp_desc": "Event Recorded",
                "timestamp": to_epoch_micros(time), "kind": "event", "source": source,
                "action": action, "action_class": klass, "actor": actor, "target": target,
                "session": session, "step": step, "severity": None, "category": None,
                "rule": None, "evidence_path": paths.get(sha), "sha256": sha,
                "locator": locator, "id": event_id,
            }


def finding_rows(findings: Sequence[Finding], paths: dict[str, str]
                 ) -> Iterable[dict[str, Any]]:
    for finding in findings:
        if not finding.time:
            continue
        first = min(finding.refs)
        yield {
            "message": f"[{finding.severity}] {scrub(finding.statement)}",
            "datetime": finding.time, "timestamp_desc": "Finding Time",
            "timestamp": to_epoch_micros(finding.time), "kind": "finding",
            "source": finding.tool, "action": None, "action_class": None,
            "actor": _clean(finding.actor), "target": _clean(finding.target),
            "session": finding.session,
            "step": finding.step, "severity": finding.severity, "category": finding.category,
            "rule": finding.rule, "evidence_path": paths.get(first.sha256),
            "sha256": first.sha256, "locator": first.locator, "id": finding.id,
        }


def build_timeline(store: Any, findings: Sequence[Finding], evidence: Sequence[EvidenceFile]
                   ) -> list[dict[str, Any]]:
    """All timed events and findings, ordered by time, then events before findings, then by
    evidence (sha256, locator) and id."""
    paths = {e.sha256: e.path for e in evidence}
    rows = list(event_rows(store, paths)) + list(finding_rows(findings, paths))
    rows.sort(key=lambda r: (r["timestamp"] if r["timestamp"] is not None else -1,
                             r["kind"] != "event", r["sha256"], r["locator"], r["id"]))
    return rows


def untimed_count(store: Any) -> int:
    return store.con.execute("SELECT count(*) FROM events WHERE time IS NULL").fetchone()[0]


def timesketch_datetime(iso: str) -> str:
    """Timesketch's documented form: 2026-04-12T14:00:00+00:00 (fractions kept)."""
    return iso[:-1] + "+00:00" if iso.endswith("Z") else iso


def timesketch_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "datetime": timesketch_datetime(row["datetime"])} for row in rows]
