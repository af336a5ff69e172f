"""What the evidence cannot show, stated plainly for this case.

Some limits hold for every case (exports record actions, not complete reasoning; egress counts
cover only what was logged); others depend on the case (files no parser read, records that
failed to parse, artifacts not supplied, a scope that had to be inferred). The wording is
checked against the must-not-claim rules in `claims.py` like the rest of the report.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

ALWAYS: tuple[tuple[str, str], ...] = (
    ("reasoning",
     "The exports record what the agent did, not a complete record of the model's reasoning. "
     "Intent or plan text in them is whatever the runtime chose to log, which is partial and "
     "differs between vendors, so this report describes actions and leaves their motive open."),
    ("purpose",
     "The records cannot settle whether any action reflects a harmful purpose or a setup "
     "error; that question belongs to counsel and the fact-finder."),
    ("egress",
     "Egress is counted only from the records supplied. A transfer outside the exported "
     "window, after a log's retention ran out, or over a channel that was not logged would "
     "not appear here, so the byte counts are a floor."),
    ("custody",
     "tracehound is a local triage workbench, not a records-management system. This report "
     "says nothing about how the evidence was collected or held before it was hashed here."),
    ("live-state",
     "No live cloud account, agent runtime or MCP server was inspected; the state described "
     "is the state the exports show."),
    ("rules",
     "Findings come from deterministic rules, each named with its version. A rule sees only "
     "its input: it can miss what the exports do not show and flag what a person would judge "
     "harmless."),
)


def case_limits(doc: Mapping[str, Any], changed: Sequence[str] = ()) -> list[dict[str, str]]:
    """The limits that apply to this case, general ones first."""
    out = [{"key": key, "text": text} for key, text in ALWAYS]
    out += [{"key": key, "text": text} for key, text in _specific(doc, changed)]
    return out


def _specific(doc: Mapping[str, Any], changed: Sequence[str]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    unread = [e["path"] for e in doc.get("evidence") or () if not e.get("format")]
    if unread:
        found.append(("unread-files", f"{len(unread)} supplied file(s) matched no known format "
                      "and were hashed but not analyzed: " + ", ".join(sorted(unread)[:10])
                      + (" ..." if len(unread) > 10 else "") + "."))
    issues = doc.get("parse_issues") or []
    if issues:
        found.append(("parse-issues", f"{len(issues)} record(s) or file(s) could not be read "
                      "as their format says (listed under Parse issues); anything in them is "
                      "missing from the findings."))
    if not doc.get("traces"):
        found.append(("no-trace", "No agent tool-call trace was supplied, so no step-by-step "
                      "sequence could be rebuilt."))
    if any("inferred" in (f.get("statement") or "") for f in doc.get("findings") or ()):
        found.append(("inferred-scope", "No scope baseline was given for at least one agent: "
                      "its allowed scope was inferred from the evidence (runtime config, "
                      "deployed prompt or stated intent), and the findings that depend on it "
                      "say so."))
    for item in (doc.get("preservation") or {}).get("missing") or ():
        text = (item.get("artifact") or item.get("note")) if isinstance(item, Mapping) else item
        found.append(("not-supplied", f"Not supplied: {text}."))
    classification = doc.get("classification") or {}
    for item in classification.get("missing_evidence") or ():
        found.append(("classification-gap", f"For the case type: {item}."))
    for item in changed:
        found.append(("changed", f"An evidence file changed while it was analyzed: {item}."))
    return found
