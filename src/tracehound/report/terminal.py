"""The case as Rich tables for the terminal (`analyze` / `run` / `drift` with `--format table`).

The answer comes first: one summary (case type and why, the time window, findings by
severity), then the findings worst first (a grouped finding is one row with its count), then
the evidence. The preservation checklist, AI-BOM and runbook follow only with `--details`.

Evidence strings go in as Text, never as markup, and through `visible` first: Rich passes
ESC and other control characters straight to the terminal, so an evidence string could
otherwise clear the screen, hide text, retitle the window or write the clipboard (OSC 52).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..model import SEVERITIES, SEVERITY_RANK
from .escaping import shorten, visible
from .facts import window

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan",
                  "info": "dim"}
WORST_FIRST = tuple(reversed(SEVERITIES))
MAX_REASONS = 3          # signals named in the summary's "why" without --details
MAX_WHY_CHARS = 320      # an explanation without signals is cut at a sentence near this
MAX_STEPS_SHOWN = 6      # member steps of a grouped finding listed in its row
MAX_REFS_SHOWN = 3


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _t(value: Any, style: str = "") -> Text:
    return Text(visible("" if value is None else str(value)), style=style)


def _line(label: str, value: str) -> Text:
    """`label: value`, the label bold, the value as text (never markup)."""
    text = Text(f"{label}: ", style="bold")
    text.append(visible(value))
    return text


def evidence_table(doc: dict[str, Any]) -> Table:
    table = Table(title=f"Evidence ({_count(len(doc['evidence']), 'file')})",
                  title_justify="left")
    for column in ("file", "format", "sha256", "events", "issues"):
        table.add_column(column, overflow="fold")
    for e in doc["evidence"]:
        table.add_row(_t(e["path"]), _t(e["format"] or "unknown"), _t(e["sha256"]),
                      _t(e.get("events")), _t(e.get("parse_issues")))
    return table


def by_severity(findings: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Worst severity first; within one severity the document's order (time, step, rule)."""
    return sorted(findings, key=lambda f: -SEVERITY_RANK.get(f["severity"], -1))


def _steps(finding: Mapping[str, Any]) -> str:
    steps = finding.get("steps") or ([] if finding.get("step") is None else [finding["step"]])
    shown = ", ".join(str(s) for s in steps[:MAX_STEPS_SHOWN])
    if len(steps) > MAX_STEPS_SHOWN:
        shown += f", \u2026 (+{len(steps) - MAX_STEPS_SHOWN})"
    return shown


def _refs(finding: Mapping[str, Any]) -> str:
    refs = finding.get("refs") or []
    text = ", ".join(f"{r['sha256'][:12]} {r['locator']}" for r in refs[:MAX_REFS_SHOWN])
    if len(refs) > MAX_REFS_SHOWN:
        text += f" (+{len(refs) - MAX_REFS_SHOWN})"
    return text


def findings_table(doc: dict[str, Any]) -> Table:
    """One row per finding, worst first; a grouped finding is one row with its `count`.
    The finding cell holds the category, the statement and (dim) the first refs."""
    table = Table(title=f"Findings ({len(doc['findings'])}), worst first", title_justify="left")
    table.add_column("sev", no_wrap=True)
    table.add_column("count", justify="right", no_wrap=True)
    table.add_column("time / step", min_width=20, overflow="fold")
    table.add_column("finding", ratio=1, min_width=24, overflow="fold")
    for f in by_severity(doc["findings"]):
        when = _t(f["time"])
        steps = _steps(f)
        if steps:
            when.append(("\nsteps " if "," in steps else "\nstep ") + visible(steps))
        finding = _t(f["category"], "bold")
        finding.append(": " + visible(str(f["statement"])))
        refs = _refs(f)
        if refs:
            finding.append("\n" + visible(refs), style="dim")
        table.add_row(_t(f["severity"], SEVERITY_STYLE.get(f["severity"], "")),
                      _t(f.get("count", 1)), when, finding)
    return table


def severity_counts(findings: Iterable[Mapping[str, Any]]) -> str:
    """`23 (4 critical, 16 high, 3 medium)`, severities with none left out; or `none`."""
    counts = {s: 0 for s in WORST_FIRST}
    total = 0
    for f in findings:
        counts[f["severity"]] = counts.get(f["severity"], 0) + 1
        total += 1
    if not total:
        return "none"
    return f"{total} (" + ", ".join(f"{n} {s}" for s, n in counts.items() if n) + ")"


def _why(c: Mapping[str, Any], details: bool) -> str:
    """The classification's explanation; without --details the strongest few signals of the
    case type (as the explanation words them), else the explanation cut at a sentence."""
    explanation = c.get("explanation") or ""
    if details:
        return explanation
    mine = [s for s in c.get("signals") or ()
            if s.get("case_type") == c.get("case_type") and s.get("sentence")]
    if len(mine) > MAX_REASONS:
        strongest = sorted(mine, key=lambda s: -(s.get("weight") or 0))[:MAX_REASONS]
        return ("; ".join(s["sentence"].rstrip(".") for s in strongest)
                + f"; and {_count(len(mine) - MAX_REASONS, 'more signal')} (--details lists "
                "all).")
    if len(explanation) <= MAX_WHY_CHARS:
        return explanation
    return _first_sentences(explanation, MAX_WHY_CHARS) + " (--details shows all of it)"


def _first_sentences(text: str, limit: int) -> str:
    """Whole sentences up to about `limit` characters; the first one cut when it is longer."""
    end = text.rfind(". ", 0, limit)
    return text[:end + 1] if end > 0 else shorten(text, limit)


def _window(doc: dict[str, Any]) -> str:
    steps = [s.get("time") for t in doc.get("traces") or () for s in t.get("steps") or ()]
    found, source = window(steps), f"{len(steps)} trace steps"
    if found is None:
        found, source = window(f.get("time") for f in doc["findings"]), "the findings' times"
    if found is None:
        return "no times in the evidence read"
    return f"{found['start']} to {found['end']} ({found['text']}), from {source}"


def summary_panel(doc: dict[str, Any], details: bool = False) -> Panel:
    lines: list[Text] = []
    c = doc.get("classification")
    if c:
        lines.append(_line("Case type", f"{c['case_type']} (confidence {c['confidence']:.2f}), "
                           f"incident type: {c.get('incident_type')}"))
        lines.append(_line("Why", _why(c, details)))
    lines.append(_line("Window", _window(doc)))
    lines.append(_line("Findings", severity_counts(doc["findings"])))
    issues = len(doc.get("parse_issues") or ())
    lines.append(_line("Evidence", f"{_count(len(doc['evidence']), 'file')}, "
                       f"{_count(issues, 'parse issue')}"))
    return Panel(Text("\n").join(lines), title="Summary", title_align="left")


def preservation_table(doc: dict[str, Any]) -> Table | None:
    checklist = doc.get("preservation")
    if not checklist:
        return None
    table = Table(title="Preservation checklist (seed 001, first 10 minutes)",
                  title_justify="left")
    table.add_column("artifact", overflow="fold")
    table.add_column("status", overflow="fold")
    for item in checklist["supplied"]:
        table.add_row(_t(item["artifact"]),
                      _t("supplied: " + ", ".join(item["evidence"]), "green"))
    for item in checklist["missing"]:
        table.add_row(_t(item["artifact"]), _t(item["note"], "yellow"))
    return table


def aibom_table(doc: dict[str, Any]) -> Table | None:
    aibom = doc.get("aibom")
    if not aibom:
        return None
    table = Table(title="AI-BOM (what the agent loaded, read and called)", title_justify="left")
    table.add_column("component", overflow="fold")
    table.add_column("found in the evidence", overflow="fold")
    for key, values in aibom.items():
        listed = values if isinstance(values, list) else [values]
        table.add_row(_t(key.replace("_", " ")),
                      _t(", ".join(str(v) for v in listed) if listed else "none"))
    return table


def runbook_section(doc: dict[str, Any]) -> Group | None:
    """The NIST phases as a table, then the containment rung and its reason."""
    runbook = doc.get("runbook")
    if not runbook:
        return None
    title = Text(visible(f"Runbook (incident type {runbook.get('incident_type')})"))
    table = Table(title=title, title_justify="left")
    table.add_column("phase", overflow="fold")
    table.add_column("action", overflow="fold")
    for step in runbook.get("phases") or ():
        table.add_row(_t(step.get("phase")), _t(step.get("action")))
    parts: list[Any] = [table]
    if runbook.get("containment_rung"):
        parts.append(_line("Containment", f"{runbook['containment_rung']} "
                           f"({runbook.get('containment_reason')}); eradication owner: "
                           f"{runbook.get('eradication_owner')}"))
    return Group(*parts)


def render_case(doc: dict[str, Any], console: Console, *, details: bool = False,
                results: Iterable[Any] = ()) -> None:
    """Summary, findings worst first, `results` (e.g. drift metrics), evidence, the parse
    issue count; with `details` also the preservation checklist, AI-BOM and runbook."""
    parts: list[Any] = [summary_panel(doc, details), findings_table(doc), *results,
                        evidence_table(doc)]
    if doc["parse_issues"]:
        parts.append(Text(f"{len(doc['parse_issues'])} parse issues (see stderr or --format json)"))
    if details:
        parts.extend(t for t in (preservation_table(doc), aibom_table(doc), runbook_section(doc))
                     if t is not None)
    console.print(Group(*parts))


def metrics_table(metrics: list[Mapping[str, Any]]) -> Table:
    table = Table(title=f"Weekly drift metrics ({len(metrics)} agent-weeks)", title_justify="left")
    for column in ("agent", "week", "actions blocked/total", "drift", "by type", "S1",
                   "MTTD / MTTR", "top new resource", "top policy block"):
        table.add_column(column, overflow="fold")
    for m in metrics:
        by_type = " ".join(f"{d}:{n}" for d, n in m["drift_events_by_type"].items() if n)
        top_resource = m["top_new_resources"][0]["resource"] if m["top_new_resources"] else ""
        top_policy = m["top_policy_blocks"][0]["policy"] if m["top_policy_blocks"] else ""
        s1 = m["s1"]
        table.add_row(
            _t(m["agent_id"] + ("" if m["governed"] else " (no baseline)")), _t(m["week"]),
            Text(f"{m['actions']['blocked']}/{m['actions']['total']}"),
            Text(str(m["drift_events_total"]), style="bold" if m["drift_events_total"] else ""),
            _t(by_type), Text(str(s1["events"]) if s1["events"] else ""),
            Text(f"{_duration(s1['mttd_seconds'])} / {_duration(s1['mttr_seconds'])}"
                 if s1["events"] else ""),
            _t(top_resource), _t(top_policy))
    return table


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"
