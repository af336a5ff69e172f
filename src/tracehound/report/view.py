"""Everything the report template shows, assembled from one Case.

The order matters once: every section cites evidence refs through the same `Citations`, and
the excerpt appendix is collected last, so it holds exactly the records the text links to.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..model import AGENT_CATEGORIES
from .charts import drift_chart, drift_rows, finding_timeline, step_timeline
from .citations import Citations, anchor_of, file_name
from .declaration import expert_paragraph, outline
from .excerpts import MAX_EXCERPT_CHARS, collect_excerpts
from .facts import (PHASE_LEGEND, PHASE_ORDER, deployed_scope, events_by_ref, instant,
                    number_findings, sessions, severity_counts, step_rows, window)
from .graphs import graph_picture, start_dot
from .handoff import handoff
from .impact import approvals, credentials, data_and_egress, persistence
from .limits import case_limits

MAX_TIMELINE_ROWS = 400
MAX_PARSE_ISSUES = 200
PRINT_ROWS = 10         # rows of a long supporting table (indicators) in print; all on screen


def _evidence_rows(doc: Mapping[str, Any], hashed_at: Mapping[str, str], events: Sequence[Any]
                   ) -> list[dict[str, Any]]:
    spans: dict[str, tuple[str, str]] = {}
    for event in events:
        if event.time:
            first, last = spans.get(event.ref.sha256, (event.time, event.time))
            spans[event.ref.sha256] = (min(first, event.time, key=instant),
                                       max(last, event.time, key=instant))
    rows = []
    for number, e in enumerate(doc.get("evidence") or (), start=1):
        first, last = spans.get(e["sha256"], (None, None))
        rows.append({**e, "code": f"E{number}", "file": file_name(e["path"]),
                     "hashed_at": hashed_at.get(e["sha256"]), "first": first, "last": last})
    return rows


def _classification(doc: Mapping[str, Any], cite: Citations) -> dict[str, Any] | None:
    found = doc.get("classification")
    if not found:
        return None
    signals = [{**s, "links": cite.cite(s.get("refs"), limit=4, excerpt=0)}
               for s in found.get("signals") or ()]
    return {**found, "signals": signals, "explained_by_signals": _explained(found)}


def _explained(found: Mapping[str, Any]) -> bool:
    """True when the explanation is exactly the sentences of the case type's signals (which
    the signal table lists): the print edition then leaves the repeat out."""
    case_type = found.get("case_type")
    sentences = [str(s.get("sentence") or "").rstrip(".") for s in found.get("signals") or ()
                 if s.get("case_type") == case_type]
    return bool(sentences) and found.get("explanation") == (
        f"Lean toward {case_type} because: " + "; ".join(sentences) + ".")


def _timeline(doc: Mapping[str, Any], cite: Citations) -> dict[str, Any] | None:
    rows = doc.get("timeline")
    if not isinstance(rows, list):
        return None
    shown = []
    for row in rows[:MAX_TIMELINE_ROWS]:
        refs = row.get("refs") or ([{"sha256": row["sha256"], "locator": row["locator"]}]
                                   if row.get("sha256") and row.get("locator") else [])
        shown.append({**row, "links": cite.cite(refs, limit=2, excerpt=0)})
    return {"rows": shown, "total": len(rows)}


def _iocs(doc: Mapping[str, Any], cite: Citations) -> list[dict[str, Any]]:
    out = []
    for ioc in doc.get("iocs") or ():
        sightings = ioc.get("sightings") or []
        out.append({**ioc, "links": cite.cite(sightings, limit=3, excerpt=0),
                    "count": ioc.get("sighting_count", len(sightings))})
    return out


def _graphs(doc: Mapping[str, Any], traces: Sequence[Mapping[str, Any]], cite: Citations,
            started: Sequence[Any]) -> list[dict[str, Any]]:
    tone, anchors = {}, {}
    for trace in traces:
        for row in trace["rows"]:
            for ref in (row.get("refs") or [])[:1]:
                key = (ref["sha256"], ref["locator"])
                tone[key] = row["phase"]
                if row["shown"]:
                    anchors[key] = row["anchor"]
    pictures = []
    for graph, run in zip(doc.get("graphs") or (), started):
        for node in graph.get("nodes") or ():
            refs = node.get("refs") if isinstance(node, Mapping) else None
            for link in cite.cite(refs, limit=1, excerpt=0):
                key = (link["sha256"], link["locator"])
                if key not in anchors and key in cite.cited:
                    anchors[key] = anchor_of(*key)
        pictures.append(graph_picture(graph, tone, anchors, run))
    return pictures


def _cloud_calls(doc: Mapping[str, Any]) -> int:
    return sum(1 for g in doc.get("graphs") or () for n in g.get("nodes") or ()
               if isinstance(n, Mapping) and n.get("kind") == "cloud-api-call")


def _aibom(doc: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    found = doc.get("aibom")
    if not isinstance(found, Mapping):
        return []
    rows = []
    for key in sorted(found):
        value = found[key]
        values = value if isinstance(value, list) else [value]
        rows.append((key.replace("_", " "), [str(v) for v in values if v not in (None, "")]))
    return rows


def _sigma_credits(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The licensed Sigma rules any finding rests on (DRL 1.1: name each rule's author), from
    Sigma findings and from hits folded into our findings (`also_matched_sigma`)."""
    rules: dict[str, dict[str, Any]] = {}
    for finding in doc.get("findings") or ():
        details = finding.get("details") or {}
        if details.get("sigma_license"):
            rules.setdefault(details["sigma_id"], {
                "id": details["sigma_id"], "title": details.get("sigma_title"),
                "author": details.get("sigma_author"), "license": details["sigma_license"],
                "source": details.get("sigma_source")})
        for credit in details.get("also_matched_sigma") or ():
            if credit.get("license"):
                rules.setdefault(credit["id"], credit)
    if not rules:
        return None
    shown = [rules[key] for key in sorted(rules)]
    return {"rules": shown, "licenses": sorted({r["license"] for r in shown}),
            "sources": sorted({r["source"] for r in shown if r.get("source")})}


def _core(case: Any, doc: Mapping[str, Any], cite: Citations, reproducible: bool
          ) -> dict[str, Any]:
    """Who, when, which steps, what was used and touched: the facts other sections build on."""
    lookup = events_by_ref(case.events)
    numbered = number_findings(doc, cite)
    traces = step_rows(doc, numbered, cite)
    hashed_at = {} if reproducible else dict(getattr(case, "hashed_at", {}) or {})
    f: dict[str, Any] = {
        "doc": doc, "numbered": numbered, "traces": traces, "sessions": sessions(doc),
        "lookup": lookup, "engine_version": doc["engine"]["version"],
        "changed": list(case.changed), "evidence": _evidence_rows(doc, hashed_at, case.events),
        "hashed_times": bool(hashed_at), "aibom": doc.get("aibom"),
        "scope": deployed_scope(case.events, cite),
        "credentials": credentials(numbered, case.events, traces, cite),
        "data": data_and_egress(numbered, case.events, lookup),
        "persistence": persistence(numbered, case.events, lookup),
        "window": window(r.get("time") for t in traces for r in t["rows"])
        or window(n.get("time") for n in numbered),
        "cloud_calls": _cloud_calls(doc),
        "step_index": {(t["session"], r.get("index")): r for t in traces for r in t["rows"]},
        "approvals": approvals(doc, traces, numbered),
        "agent_view": bool(traces) or any(n["category"] in AGENT_CATEGORIES
                                          for n in numbered),
    }
    f["export_spans"] = [e for e in f["evidence"] if e["first"]]
    f["limits"] = case_limits(doc, case.changed)
    return f


def build_view(case: Any, reproducible: bool, generated_at: str | None) -> dict[str, Any]:
    doc = case.to_json()
    started = start_dot(doc.get("graphs") or ())      # the graph layouts run meanwhile
    cite = Citations(doc.get("evidence") or ())
    f = _core(case, doc, cite, reproducible)
    f["handoff"] = handoff(f)
    f["declaration"] = outline(f)
    f["paragraph"] = expert_paragraph(f)
    f["classification"] = _classification(doc, cite)
    f["timeline"] = _timeline(doc, cite)
    f["iocs"] = _iocs(doc, cite)
    f["graphs"] = _graphs(doc, f["traces"], cite, started)
    metrics = doc.get("drift_metrics") or case.artifacts.get("drift_metrics")
    f["drift"] = drift_rows(metrics) if metrics else None
    f["drift_svg"] = drift_chart(f["drift"]) if f["drift"] else None
    f["step_charts"] = [step_timeline(t) for t in f["traces"]]
    f["finding_chart"] = None if f["traces"] else finding_timeline(f["numbered"])
    f["severity_counts"] = severity_counts(f["numbered"])
    f["phase_order"], f["phase_legend"] = PHASE_ORDER, PHASE_LEGEND
    f["aibom_rows"] = _aibom(doc)
    f["sigma_credits"] = _sigma_credits(doc)
    f["runbook"] = doc.get("runbook") if isinstance(doc.get("runbook"), Mapping) else None
    f["preservation"] = doc.get("preservation") if isinstance(doc.get("preservation"),
                                                               Mapping) else None
    f["parse_issues"] = (doc.get("parse_issues") or [])[:MAX_PARSE_ISSUES]
    f["parse_issue_total"] = len(doc.get("parse_issues") or [])
    f["appendix"] = _appendix(doc, cite, f.pop("lookup"))
    f["excerpt_limit"] = MAX_EXCERPT_CHARS
    f["print_rows"] = PRINT_ROWS
    f["generated_at"] = None if reproducible else generated_at
    f["title"] = _title(f)
    return f


def _appendix(doc: Mapping[str, Any], cite: Citations, lookup: Mapping) -> list[dict]:
    """The excerpt behind every cited ref; call last, once every section has cited."""
    keys = cite.finish()
    raw = {key: event.raw for key, event in lookup.items()}
    excerpts = collect_excerpts(keys, doc.get("evidence") or (), raw)
    return [{"excerpt": excerpts[key], "anchor": anchor_of(*key),
             "code": cite.codes.get(key[0], "E?"),
             "file": file_name(cite.files[key[0]]["path"]) if key[0] in cite.files
             else key[0][:12], "path": cite.files.get(key[0], {}).get("path")}
            for key in keys]


def _title(f: Mapping[str, Any]) -> str:
    agents = sorted({s["agent"] for s in f["sessions"] if s.get("agent")})
    if agents:
        return f"Case report: agent {', '.join(agents[:3])}"
    case_type = (f.get("classification") or {}).get("case_type")
    return f"Case report: {case_type}" if case_type else "Case report"
