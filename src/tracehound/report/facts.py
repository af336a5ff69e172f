"""What the case shows, gathered from the case document for the report's sections.

Nothing here adds knowledge: every value is read from the CONTRACT.md document (traces,
findings, evidence, classification) or from the normalized events those cite. Each function
returns plain data the templates lay out; sentences are built only from the values found, and
a missing value is reported as missing, never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from ..model import SEVERITIES, Event
from .citations import Citations

# A step's phase in the escalation arc: the first rule whose finding categories match wins.
PHASE_RULES: tuple[tuple[str, frozenset[str]], ...] = (
    ("persistence", frozenset({"persistence"})),
    ("exfiltration", frozenset({"exfiltration"})),
    ("scope creep", frozenset({"scope-creep", "prompt-action-divergence", "mcp-tool-escalation",
                               "drift-new-tool", "drift-new-data-scope", "drift-label-breach"})),
)
MAX_STEP_ROWS = 400              # per trace; longer traces show flagged steps first
MAX_FINDINGS = 500               # findings shown in full; the JSON output has every one
PHASE_ORDER = ("enumeration", "scope creep", "exfiltration", "persistence", "other")
PHASE_LEGEND = {
    "enumeration": "listing or reading calls with no scope, exfiltration or persistence "
                   "finding",
    "scope creep": "a scope-creep, divergence or tool-escalation finding names this step",
    "exfiltration": "an exfiltration finding names this step",
    "persistence": "a persistence finding names this step, or the call installs a schedule, "
                   "trigger or similar",
    "other": "any other call with no scope, exfiltration or persistence finding",
}


LATEST = datetime.max.replace(tzinfo=timezone.utc)


def parse_time(iso: Any) -> datetime | None:
    """An ISO 8601 time as an aware datetime (naive means UTC); None when it is not one."""
    if not isinstance(iso, str) or not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def instant(iso: Any) -> tuple[datetime, str]:
    """Sort key putting ISO times in time order; the text alone would not, since the canonical
    form carries a fraction only when it is non-zero ("…:00.5Z" sorts before "…:00Z").
    Unreadable times go last."""
    return parse_time(iso) or LATEST, str(iso)


def duration_text(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} seconds"
    if seconds < 2 * 3600:
        return f"{round(seconds / 60, 1):g} minutes"
    if seconds < 3 * 86400:
        return f"{round(seconds / 3600, 1):g} hours"
    return f"{round(seconds / 86400, 1):g} days"


def window(times: Iterable[str | None]) -> dict[str, Any] | None:
    """Start, end and a plain-words length of the times given (None when there are none)."""
    parsed = sorted((p, t) for t in times if t and (p := parse_time(t)) is not None)
    if not parsed:
        return None
    (first, start), (last, end) = parsed[0], parsed[-1]
    seconds = (last - first).total_seconds()
    same_day = first.date() == last.date()
    text = duration_text(seconds)
    text += f" on {first.date().isoformat()}" if same_day else (
        f" from {first.date().isoformat()} to {last.date().isoformat()}")
    return {"start": start, "end": end, "seconds": seconds, "text": text}


def byte_text(count: int) -> str:
    units = (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024))
    for name, size in units:
        if count >= size:
            return f"{count:,} bytes ({count / size:.1f} {name})"
    return f"{count:,} bytes"


def number_findings(doc: Mapping[str, Any], cite: Citations) -> list[dict[str, Any]]:
    """The findings in document order, numbered F1.. with an anchor; the first MAX_FINDINGS
    are shown (and cite their evidence), the rest are counted in the findings section."""
    out = []
    for number, finding in enumerate(doc.get("findings") or (), start=1):
        shown = number <= MAX_FINDINGS
        out.append({**finding, "number": f"F{number}",
                    "anchor": f"f-{finding['id']}" if shown else None, "shown": shown,
                    "links": cite.cite(finding.get("refs"), limit=8) if shown else []})
    return out


def severity_counts(findings: Sequence[Mapping[str, Any]]) -> list[tuple[str, int]]:
    counts = defaultdict(int)
    for finding in findings:
        counts[finding["severity"]] += 1
    return [(s, counts[s]) for s in reversed(SEVERITIES) if counts[s]]


def sessions(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per trace: agent, session, step count and its wall-clock window."""
    rows = []
    for trace in doc.get("traces") or ():
        steps = trace.get("steps") or []
        rows.append({"agent": trace.get("agent"), "session": trace.get("session"),
                     "steps": len(steps), "window": window(s.get("time") for s in steps)})
    return rows


def findings_by_step(findings: Sequence[Mapping[str, Any]], doc: Mapping[str, Any]
                     ) -> dict[tuple[str | None, int], list[Mapping[str, Any]]]:
    single = len(doc.get("traces") or ()) == 1
    only = (doc["traces"][0].get("session") if single else None)
    found: dict[tuple[str | None, int], list[Mapping[str, Any]]] = defaultdict(list)
    for finding in findings:
        if finding.get("step") is None:
            continue
        session = finding.get("session") or (only if single else None)
        for step in finding.get("steps") or [finding["step"]]:     # every member of a group
            found[(session, step)].append(finding)
    return found


def phase_of(step: Mapping[str, Any], categories: set[str]) -> str:
    """The step's phase: a schedule or trigger the call installs counts as persistence even
    when the finding that names it is a scope finding; otherwise the findings decide."""
    if step.get("action_class") == "persistence":
        return "persistence"
    for phase, wanted in PHASE_RULES:
        if categories & wanted:
            return phase
    return "enumeration" if step.get("action_class") in ("list", "read") else "other"


def step_rows(doc: Mapping[str, Any], numbered: Sequence[Mapping[str, Any]],
              cite: Citations) -> list[dict[str, Any]]:
    """Every trace with its steps: what was called, on what, who approved, which phase.

    A trace longer than MAX_STEP_ROWS shows its first steps and every step a finding names
    or that is not plain enumeration; the counts say how many were left out. A step's own
    record is excerpted in the appendix when the step is flagged or approved; plain
    enumeration steps link to it only if another sentence cites it.
    """
    by_step = findings_by_step(numbered, doc)
    traces = []
    for trace_number, trace in enumerate(doc.get("traces") or (), start=1):
        rows = []
        for step in trace.get("steps") or ():
            mine = by_step.get((trace.get("session"), step.get("index")), [])
            categories = {f["category"] for f in mine}
            rows.append({**step, "phase": phase_of(step, categories),
                         "anchor": f"t{trace_number}-s{step.get('index')}",
                         "findings": [{"number": f["number"], "anchor": f["anchor"],
                                       "category": f["category"]} for f in mine],
                         "links": [], "shown": False})
        shown = _shown(rows)
        for row in shown:
            row["shown"] = True
            row["plain"] = not (row["findings"] or row["phase"] != "enumeration"
                                or row.get("approver"))
            row["links"] = cite.cite((row.get("refs") or [])[:1],
                                     excerpt=0 if row["plain"] else 1)
        _mark_plain_runs(shown)
        runs = _phase_runs(rows)
        traces.append({"agent": trace.get("agent"), "session": trace.get("session"),
                       "rows": rows, "shown": shown, "hidden": len(rows) - len(shown),
                       "window": window(r.get("time") for r in rows),
                       "phases": runs, "arc": arc(runs)})
    return traces


def _shown(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(rows) <= MAX_STEP_ROWS:
        return rows
    keep = {id(r) for r in rows[:MAX_STEP_ROWS // 4]}
    keep |= {id(r) for r in rows if r["findings"] or r["phase"] not in ("enumeration",)}
    return [r for r in rows if id(r) in keep][:MAX_STEP_ROWS]


def _mark_plain_runs(shown: Sequence[dict[str, Any]]) -> None:
    """The printed report lists plain steps (enumeration, no finding, no approver) as one
    line per run of consecutive shown ones: the run's first row carries `plain_run`."""
    start = 0
    while start < len(shown):
        if not shown[start]["plain"]:
            start += 1
            continue
        end = start
        while end + 1 < len(shown) and shown[end + 1]["plain"]:
            end += 1
        run = shown[start:end + 1]
        shown[start]["plain_run"] = {
            "first": run[0].get("index"), "last": run[-1].get("index"), "count": len(run),
            "start": run[0].get("time"), "end": run[-1].get("time"),
            "tools": sorted({r.get("tool") for r in run if r.get("tool")})}
        start = end + 1


def arc(runs: Sequence[Mapping[str, Any]], most: int = 12) -> list[dict[str, Any]]:
    """Phases in the order they first appear, each with its step ranges ('other' left out)."""
    order: dict[str, list[str]] = {}
    for run in runs:
        if run["phase"] == "other":
            continue
        span = (f"{run['first']}" if run["first"] == run["last"]
                else f"{run['first']}\u2013{run['last']}")
        order.setdefault(run["phase"], []).append(span)
    return [{"phase": phase, "steps": spans[:most] + (["\u2026"] if len(spans) > most else []),
             "count": sum(r["count"] for r in runs if r["phase"] == phase)}
            for phase, spans in order.items()]


def _phase_runs(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive steps of the same phase: 'steps 1-4 enumeration, step 5 scope creep'."""
    runs: list[dict[str, Any]] = []
    for row in rows:
        if runs and runs[-1]["phase"] == row["phase"]:
            runs[-1]["last"] = row.get("index")
            runs[-1]["count"] += 1
        else:
            runs.append({"phase": row["phase"], "first": row.get("index"),
                         "last": row.get("index"), "count": 1})
    return runs


def events_by_ref(events: Iterable[Event]) -> dict[tuple[str, str], Event]:
    return {(e.ref.sha256, e.ref.locator): e for e in events}


def cited_events(finding: Mapping[str, Any], lookup: Mapping[tuple[str, str], Event]
                 ) -> list[Event]:
    found = []
    for ref in finding.get("refs") or ():
        event = lookup.get((ref["sha256"], ref["locator"]))
        if event is not None:
            found.append(event)
    return found


def deployed_scope(events: Sequence[Event], cite: Citations) -> list[dict[str, Any]]:
    """What each agent was deployed to do, as its runtime config or deployed prompt says."""
    rows = []
    for event in sorted(events, key=lambda e: (e.actor_id or "", e.time or "", e.ref)):
        attrs = event.attrs
        if event.source == "agent:config":
            text = attrs.get("scope_text") or attrs.get("deployed_prompt")
            rows.append({"agent": event.actor_id, "source": "runtime config",
                         "text": text, "actions": _listed(attrs.get("scope_actions")),
                         "resources": _listed(attrs.get("scope_resources")),
                         "tools": _listed(attrs.get("tool_allowlist")),
                         "model": attrs.get("model"), "deployer": attrs.get("deployer"),
                         "links": cite.cite([event.ref.to_json()])})
        elif event.source == "agent:prompt" and attrs.get("role") in ("deployed", "system"):
            rows.append({"agent": event.actor_id, "source": f"{attrs.get('role')} prompt",
                         "text": attrs.get("text"), "actions": [], "resources": [],
                         "tools": [], "model": attrs.get("model"), "deployer": None,
                         "links": cite.cite([event.ref.to_json()])})
    return rows


def _listed(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v.get("name") if isinstance(v, Mapping) else v) for v in value]
    return [str(value)] if value else []


def first_of(values: Iterable[Any]) -> Any:
    return next((v for v in values if v not in (None, "", [], {})), None)
