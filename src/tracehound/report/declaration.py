"""A declaration outline and an example expert paragraph, written from this case's facts.

Counsel adapts both; neither is legal advice. The outline follows the usual order (who, what
was received, how it was examined, what was found, where the examination stops, what follows)
and every finding line points at its step, tool-call id and evidence locator.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..model import SEVERITY_RANK
from .facts import instant

DECLARED_FROM = "medium"       # findings at or above this severity are numbered in the outline


def arc_text(trace: Mapping[str, Any]) -> str:
    """'enumeration (steps 2–9, 11–12), then exfiltration (step 10)...' from the trace's arc."""
    parts = [f"{a['phase']} (step{'s' if a['count'] > 1 else ''} {', '.join(a['steps'])})"
             for a in trace["arc"]]
    return ", then ".join(parts) if parts else "no steps"


def finding_lines(findings: Sequence[Mapping[str, Any]], steps: Mapping[tuple, Mapping]
                  ) -> list[dict[str, Any]]:
    """The numbered timeline: one line per step that findings name (with its tool-call id and
    record), then one per finding that names no step; medium severity and above."""
    groups: dict[tuple, list[Mapping[str, Any]]] = {}
    for finding in findings:
        if SEVERITY_RANK[finding["severity"]] < SEVERITY_RANK[DECLARED_FROM]:
            continue
        key = ((finding.get("session"), finding["step"]) if finding.get("step") is not None
               else ("", finding["id"]))
        groups.setdefault(key, []).append(finding)
    lines = []
    for key, members in groups.items():
        step = steps.get(key) if members[0].get("step") is not None else None
        lines.append(_line(members, step))
    return sorted(lines, key=lambda line: (bool(line["time"]), instant(line["time"]),
                                           line["sort"]))


def _line(members: Sequence[Mapping[str, Any]], step: Mapping[str, Any] | None
          ) -> dict[str, Any]:
    first = members[0]
    categories = list(dict.fromkeys(f["category"].replace("-", " ") for f in members))
    if step is not None:
        link = (step.get("links") or [{}])[0]
        what = f"{step.get('tool')}" + (f" on {step['target']}" if step.get("target") else "")
        where = [f"step {step.get('index')}"] + (
            [f"tool call {step['tool_call_id']}"] if step.get("tool_call_id") else []) + (
            [f"{link['file']} {link['locator']}"] if link.get("file") else [])
        sort = (0, step.get("index"))
    else:
        what = first["title"]
        where = [f"{link['code']} {link['locator']}" for link in (first.get("links") or [])[:3]
                 if link.get("code")]
        sort = (1, int(first["number"][1:]))
    return {"time": first.get("time") or (step or {}).get("time"), "where": ", ".join(where),
            "what": what, "is_step": step is not None, "categories": categories, "sort": sort,
            "findings": [{"number": f["number"], "anchor": f["anchor"]} for f in members]}


def conclusions(f: Mapping[str, Any]) -> list[str]:
    out = []
    creep = [n for n in f["numbered"] if n["category"] in ("scope-creep",
                                                            "prompt-action-divergence")]
    if creep:
        out.append(f"{len(creep)} finding(s) record calls outside the deployed or stated scope.")
    data = f["data"]
    if data["rows"]:
        amount = data["finding_bytes_text"] or "an unrecorded amount"
        out.append(f"{len(data['rows'])} exfiltration finding(s) name the objects "
                   f"involved; the bytes they record add up to {amount} (a floor: see Limits).")
    approvals = f["approvals"]
    if approvals["unapproved"]:
        out.append(f"No approver is recorded for {len(approvals['unapproved'])} high-impact or "
                   "flagged step(s).")
    if f["persistence"]:
        out.append(f"{len(f['persistence'])} finding(s) record a persistence mechanism set "
                   "by the agent.")
    if f["credentials"]["exceeded"]:
        out.append("The agent's principal held grants beyond the written intent.")
    return out or ["The supplied records support no finding at medium severity or above."]


def outline(f: Mapping[str, Any]) -> dict[str, Any]:
    tools = sorted({(n["tool"], n.get("engine_version") or "") for n in f["numbered"]})
    return {
        "tools": [f"{tool} ({version})" if version else tool for tool, version in tools],
        "materials": f["evidence"],
        "methods": [
            f"Each file was hashed with SHA-256 on intake and again after analysis "
            f"({'no file changed' if not f['changed'] else 'a file changed: see Limits'}).",
            f"Files were read by tracehound {f['engine_version']} on the examiner's own "
            "machine; the format of each file was recognised from its content and is named "
            "in the materials list.",
            "The analysis ran deterministic rules, each named with its version next to every "
            "finding; the same files and options give the same output byte for byte.",
            "No evidence was uploaded or sent over a network, and the report was rendered "
            "with every network fetch refused.",
        ],
        "findings": finding_lines(f["numbered"], f["step_index"]),
        "limits": [limit["text"] for limit in f["limits"]],
        "conclusions": conclusions(f),
    }


def expert_paragraph(f: Mapping[str, Any]) -> str:
    """First-person paragraph built only from counts, names and times found in the case."""
    sentences = []
    sessions = f["sessions"]
    files = len(f["evidence"])
    if sessions:
        s = sessions[0]
        w = s.get("window")
        span = (f", covering {w['start']} to {w['end']} ({w['text']})" if w else "")
        sentences.append(f"I examined {files} exported file(s) relating to agent "
                         f"{s.get('agent') or '(unnamed)'}, session {s['session']}{span}.")
    else:
        sentences.append(f"I examined {files} exported file(s).")
    sentences.append("Each file is listed with its SHA-256 digest among the materials.")
    if sessions:
        trace = f["traces"][0]
        sentences.append(f"Using tracehound {f['engine_version']} on my own workstation, I "
                         f"rebuilt a {s['steps']}-step tool-call sequence: {arc_text(trace)}.")
    data = f["data"]
    objects = [str(r["object"]) for r in data["rows"] if r.get("object")]
    if objects:
        sentences.append(f"Exfiltration findings name {len(objects)} object(s) "
                         f"({', '.join(objects[:4])}{', ...' if len(objects) > 4 else ''})"
                         + (f" totalling {data['finding_bytes_text']} in the records"
                            if data["finding_bytes_text"] else "") + ".")
    approvals = f["approvals"]
    if approvals["steps"]:
        sentences.append(f"The approval records show no approver for "
                         f"{len(approvals['unapproved'])} high-impact or flagged step(s).")
    for row in f["persistence"][:2]:
        sentences.append(f"A persistence record at step {row.get('step')} shows "
                         f"{row.get('mechanism') or 'a mechanism'}"
                         + (f" ({row['schedule']})" if row.get("schedule") else "")
                         + f" set on {row.get('target')}.")
    sentences.append("My conclusions rest only on these exports: I did not inspect the live "
                     "cloud account or agent runtime, and the exports do not show the model's "
                     "reasoning.")
    return " ".join(sentences)
