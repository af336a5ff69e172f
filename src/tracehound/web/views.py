"""What the case page shows, computed from the case document (CONTRACT.md) and the case meta.

The page is rendered from case.json and the `views/` folder the worker writes beside it (the
per-row views, which are not in the case JSON: report/views_files.py), so a case reopened
after a restart looks exactly as it did when it was analyzed. Sections the contract does not
name (timeline, IOCs, drift metrics, the views ...) are shown generically as tables, so a new
section never needs a new template.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

from ..model import SEVERITIES
from ..report.facts import parse_time
from .charts import describe_span, graph_layout, timeline_chart
from .excerpt import LOCATOR

CONTRACT_SECTIONS = frozenset({"schema", "engine", "evidence", "traces", "findings", "graphs",
                               "classification", "parse_issues"})
DRIFT_SECTIONS = ("drift", "drift_metrics")
DETECTIONS = ("D1", "D2", "D3", "D4", "D5", "D6")
MAX_SECTION_ROWS = 300
MAX_SECTION_COLUMNS = 12
MAX_CELL = 300


def case_summary(doc: dict[str, Any]) -> dict[str, Any]:
    """The few numbers the case list shows (kept in the case meta)."""
    findings = doc.get("findings") or []
    severities = Counter(f.get("severity") for f in findings)
    classification = doc.get("classification") or {}
    worst = next((s for s in reversed(SEVERITIES) if severities.get(s)), None)
    return {
        "findings": len(findings),
        "by_severity": {s: severities[s] for s in SEVERITIES if severities.get(s)},
        "worst": worst,
        "steps": sum(len(t.get("steps") or []) for t in doc.get("traces") or []),
        "traces": len(doc.get("traces") or []),
        "evidence": len(doc.get("evidence") or []),
        "parse_issues": len(doc.get("parse_issues") or []),
        "case_type": classification.get("case_type"),
        "incident_type": classification.get("incident_type"),
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True,
                                                          ensure_ascii=False, default=str)
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "\u2026"


def section_table(value: Any) -> dict[str, Any]:
    """Any JSON value as {columns, rows, omitted}: a list of objects becomes a table, an object
    becomes key/value rows, anything else a single cell."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        columns = list(dict.fromkeys(k for row in value for k in row))[:MAX_SECTION_COLUMNS]
        rows = [[_cell(row.get(c)) for c in columns] for row in value[:MAX_SECTION_ROWS]]
        return {"columns": columns, "rows": rows,
                "omitted": max(0, len(value) - MAX_SECTION_ROWS)}
    if isinstance(value, dict):
        items = sorted(value.items())
        rows = [[str(k), _cell(v)] for k, v in items[:MAX_SECTION_ROWS]]
        return {"columns": ["key", "value"], "rows": rows,
                "omitted": max(0, len(items) - MAX_SECTION_ROWS)}
    if isinstance(value, list):
        rows = [[_cell(v)] for v in value[:MAX_SECTION_ROWS]]
        return {"columns": ["value"], "rows": rows,
                "omitted": max(0, len(value) - MAX_SECTION_ROWS)}
    return {"columns": ["value"], "rows": [[_cell(value)]], "omitted": 0}


def drift_weeks(metrics: Any) -> list[dict[str, Any]] | None:
    """Weekly drift metrics (one record per agent and week) as table rows; None when the
    section is absent or not in that shape."""
    if not isinstance(metrics, list) or not metrics or not all(
            isinstance(m, dict) and "week" in m for m in metrics):
        return None
    peak = max((int(m.get("drift_events_total") or 0) for m in metrics), default=0) or 1
    rows = []
    for m in metrics:
        by_type = m.get("drift_events_by_type") or {}
        actions = m.get("actions") or {}
        rows.append({"agent": str(m.get("agent_name") or m.get("agent_id") or ""),
                     "week": str(m["week"]), "total": int(m.get("drift_events_total") or 0),
                     "by_type": [by_type.get(d, 0) for d in DETECTIONS],
                     "actions": actions.get("total"), "blocked": actions.get("blocked"),
                     "policy_hits": m.get("policy_hits"), "peak": peak})
    return rows


def _named_refs(refs: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, str]]:
    out = []
    for ref in refs or []:
        path = names.get(ref.get("sha256", ""), "")
        out.append({"sha256": ref.get("sha256", ""), "locator": ref.get("locator", ""),
                    "path": path, "name": PurePosixPath(path).name if path else "unknown file"})
    return out


def _window(doc: dict[str, Any]) -> dict[str, str] | None:
    times = [t for t in (parse_time(s.get("time")) for tr in doc.get("traces") or []
                         for s in tr.get("steps") or []) if t]
    if not times:
        times = [t for t in (parse_time(f.get("time")) for f in doc.get("findings") or []) if t]
    if not times:
        return None
    start, end = min(times), max(times)
    return {"start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "span": describe_span((end - start).total_seconds())}


def _filters(findings: list[dict[str, Any]]) -> dict[str, list[str]]:
    present = {key: {str(f.get(key)) for f in findings} for key in ("category", "tool")}
    severities = [s for s in SEVERITIES if any(f.get("severity") == s for f in findings)]
    return {"category": sorted(present["category"]), "severity": severities,
            "tool": sorted(present["tool"])}


def view_sections(folder: Path | None) -> list[tuple[str, dict[str, Any]]]:
    """The per-row views in `folder` (`<view>.jsonl`, one row a line) as section tables of
    at most MAX_SECTION_ROWS rows each, `omitted` counting the rest; none when it is absent."""
    if folder is None or not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.jsonl")):
        rows, total = [], 0
        with open(path, "rb") as handle:
            for line in handle:
                if not line.strip():
                    continue
                total += 1
                if len(rows) < MAX_SECTION_ROWS:
                    try:
                        row = json.loads(line)
                    except ValueError:
                        continue
                    rows.append(row if isinstance(row, dict) else {"value": row})
        if total:
            table = section_table(rows)
            table["omitted"] = max(0, total - len(table["rows"]))
            out.append((f"view {path.stem}", table))
    return out


def _graph(graph: dict[str, Any]) -> dict[str, Any]:
    totals = graph.get("totals") or {}
    return {**graph_layout(graph), "summarized": bool(graph.get("summarized")),
            "total_nodes": totals.get("nodes"), "total_edges": totals.get("edges")}


def case_view(doc: dict[str, Any], meta: dict[str, Any], views: Path | None = None
              ) -> dict[str, Any]:
    """Everything the case template needs, precomputed and ordered; `views` is the folder of
    the case's per-row views."""
    evidence = doc.get("evidence") or []
    names = {e["sha256"]: e["path"] for e in evidence if e.get("sha256")}
    sha_of_path = {e["path"]: e["sha256"] for e in evidence if e.get("path")}
    received = {u["path"]: u for u in meta.get("uploads", [])}
    traces = []
    for trace in doc.get("traces") or []:
        steps = [{**s, "named_refs": _named_refs(s.get("refs"), names)}
                 for s in trace.get("steps") or []]
        traces.append({**trace, "steps": steps})
    findings = [{**f, "named_refs": _named_refs(f.get("refs"), names)}
                for f in doc.get("findings") or []]
    classification = doc.get("classification")
    if classification:
        classification = {**classification, "signals": [
            {**s, "named_refs": _named_refs(s.get("refs"), names)}
            for s in classification.get("signals") or []]}
    extra = {k: v for k, v in doc.items() if k not in CONTRACT_SECTIONS}
    drift = drift_weeks(extra.get("drift_metrics"))
    if drift is not None:
        extra.pop("drift_metrics")
    drift_tables = [(k, section_table(extra.pop(k))) for k in DRIFT_SECTIONS if k in extra]
    return {
        "summary": case_summary(doc),
        "engine": doc.get("engine") or {},
        "window": _window(doc),
        "agents": sorted({str(t.get("agent")) for t in traces if t.get("agent")}),
        "sessions": sorted({str(t.get("session")) for t in traces if t.get("session")}),
        "classification": classification,
        "traces": traces,
        "findings": findings,
        "filters": _filters(findings),
        "severity_counts": case_summary(doc)["by_severity"],
        "evidence": [{**e, "received": received.get(e.get("path", ""))} for e in evidence],
        "uploads": meta.get("uploads", []),
        "baseline": meta.get("baseline"),
        "parse_issues": [{**i, "sha256": sha_of_path.get(i.get("path", ""))
                          if LOCATOR.match(str(i.get("locator", ""))) else None}
                         for i in doc.get("parse_issues") or []],
        "timeline": timeline_chart(doc),
        "graphs": [_graph(g) for g in doc.get("graphs") or [] if isinstance(g, dict)],
        "drift": drift,
        "drift_tables": drift_tables,
        "drift_findings": sum(1 for f in findings
                              if str(f.get("category", "")).startswith("drift-")),
        "sections": [(k, section_table(v)) for k, v in sorted(extra.items())]
        + view_sections(views),
    }
