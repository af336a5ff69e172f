"""The case as Rich tables for the terminal (`analyze` / `run` / `drift` with `--format table`).

Evidence strings go in as Text, never as markup, and through `visible` first: Rich passes
ESC and other control characters straight to the terminal, so an evidence string could
otherwise clear the screen, hide text, retitle the window or write the clipboard (OSC 52).
"""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .escaping import visible

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan",
                  "info": "dim"}


def _t(value: Any, style: str = "") -> Text:
    return Text(visible("" if value is None else str(value)), style=style)


def evidence_table(doc: dict[str, Any]) -> Table:
    table = Table(title="Evidence", title_justify="left")
    for column in ("path", "format", "sha256", "bytes", "events", "issues"):
        table.add_column(column, overflow="fold")
    for e in doc["evidence"]:
        table.add_row(_t(e["path"]), _t(e["format"] or "unknown"), _t(e["sha256"]),
                      _t(e["bytes"]), _t(e["events"]), _t(e["parse_issues"]))
    return table


def findings_table(doc: dict[str, Any]) -> Table:
    table = Table(title=f"Findings ({len(doc['findings'])})", title_justify="left")
    for column in ("time", "sev", "category", "step", "statement", "refs"):
        table.add_column(column, overflow="fold")
    for f in doc["findings"]:
        refs = ", ".join(f"{r['sha256'][:12]} {r['locator']}" for r in f["refs"][:3])
        if len(f["refs"]) > 3:
            refs += f" (+{len(f['refs']) - 3})"
        table.add_row(_t(f["time"]), _t(f["severity"], SEVERITY_STYLE[f["severity"]]),
                      _t(f["category"]), _t(f["step"]), _t(f["statement"]), _t(refs))
    return table


def classification_text(doc: dict[str, Any]) -> Text:
    c = doc.get("classification")
    if not c:
        return Text("")
    text = Text("Case type: ", style="bold")
    text.append(visible(f"{c['case_type']} (confidence {c['confidence']:.2f}), "
                        f"incident type: {c.get('incident_type')}"))
    if c.get("explanation"):
        text.append("\n" + visible(c["explanation"]))
    return text


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


def render_case(doc: dict[str, Any], console: Console) -> None:
    parts: list[Any] = [evidence_table(doc)]
    if doc.get("classification"):
        parts.append(classification_text(doc))
    preservation = preservation_table(doc)
    if preservation is not None:
        parts.append(preservation)
    parts.append(findings_table(doc))
    if doc["parse_issues"]:
        parts.append(Text(f"{len(doc['parse_issues'])} parse issues (see stderr or --format json)"))
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
