"""The terminal tables: the answer first (summary, findings worst first, evidence; the
preservation checklist, AI-BOM and runbook only with --details), and evidence text is shown,
never obeyed by the terminal nor read as Rich markup."""

from __future__ import annotations

import io

from rich.console import Console

from tracehound.report.terminal import render_case

# Clear the screen, conceal text, retitle the window, write the clipboard (OSC 52), CSI in C1.
ESCAPES = "\x1b[2J\x1b[8mhidden\x1b]0;owned\x07\x1b]52;c;ZXZpbA==\x07\x9b31m"
SHA = "a" * 64


def document(text: str) -> dict:
    finding = {"time": "2026-04-12T14:00:00Z", "severity": "high", "category": "exfiltration",
               "step": 3, "statement": "copied " + text,
               "refs": [{"sha256": SHA, "locator": "line 3"}]}
    return {"evidence": [{"path": "pack/trace" + text + ".ndjson", "format": None,
                          "sha256": SHA, "bytes": 10, "events": 1, "parse_issues": 0}],
            "findings": [finding], "parse_issues": [],
            "classification": {"case_type": "agent-runaway", "confidence": 0.5,
                               "incident_type": "none", "explanation": "because " + text},
            "preservation": {"supplied": [{"artifact": "trace" + text, "evidence": ["E1"]}],
                             "missing": [{"artifact": "mcp logs", "note": text}]}}


def rendered(doc: dict, details: bool = False, plain: bool = False) -> str:
    """As a terminal shows it (colour codes included), or `plain`: no colour, 1,000 wide."""
    out = io.StringIO()
    console = (Console(file=out, width=1000, color_system=None, highlight=False) if plain
               else Console(file=out, force_terminal=True, width=400, highlight=False))
    render_case(doc, console, details=details)
    return out.getvalue()


def test_control_sequences_in_evidence_are_shown_not_sent():
    text = rendered(document(ESCAPES))
    for raw in ("\x1b[2J", "\x1b[8m", "\x1b]", "\x07", "\x9b"):
        assert raw not in text, repr(raw)
    assert "<U+001B>[2J" in text and "<U+009B>31m" in text
    assert "copied <U+001B>" in text and "because <U+001B>" in text


def test_plain_evidence_is_unchanged():
    text = rendered(document("plain"))
    assert "copied plain" in text and "because plain" in text and "tracepl" in text


def test_drift_metrics_show_control_sequences_in_agent_resource_and_policy():
    from tracehound.report.terminal import metrics_table
    metric = {"agent_id": "agent" + ESCAPES, "governed": True, "week": "2026-W15",
              "actions": {"blocked": 1, "total": 3}, "drift_events_total": 1,
              "drift_events_by_type": {"D1": 1}, "s1": {"events": 0},
              "top_new_resources": [{"resource": "s3://b" + ESCAPES}],
              "top_policy_blocks": [{"policy": "deny" + ESCAPES}]}
    out = io.StringIO()
    Console(file=out, force_terminal=True, width=800, highlight=False).print(
        metrics_table([metric]))
    text = out.getvalue()
    for raw in ("\x1b[2J", "\x1b]", "\x07", "\x9b"):
        assert raw not in text, repr(raw)
    assert text.count("<U+001B>[2J") == 3


# A nine-step session: two single findings, one grouped finding over steps 5-7 (count 3), a
# low one, and the sections --details adds.
MARKUP = "[red]x[/red][bold]y[/bold]:warning:"
SIGNALS = [("a read of the roster", 0.2), ("a push to a public remote", 0.5),
           ("a cron entry", 0.3), ("an unapproved token read", 0.1)]


def session_document(text: str = "") -> dict:
    steps = [{"index": i, "time": f"2026-04-12T14:0{i}:00Z", "tool": "shell"}
             for i in range(1, 10)]

    def finding(severity, category, step, statement, **more):
        return {"time": f"2026-04-12T14:0{step}:00Z", "severity": severity,
                "category": category, "step": step, "statement": statement + text,
                "refs": [{"sha256": SHA, "locator": f"line {step}"}], **more}
    findings = [  # the document's order: time, then step
        finding("low", "scope-creep", 2, "listed the home folder"),
        finding("critical", "exfiltration", 4, "pushed the repo to a public remote"),
        finding("high", "persistence", 5, "wrote a cron entry", steps=[5, 6, 7], count=3,
                refs=[{"sha256": SHA, "locator": f"line {n}"} for n in (5, 6, 7)]),
        finding("high", "credential-exposure", 8, "read the deploy token"),
    ]
    explanation = ("Lean toward agent-runaway because: "
                   + "; ".join(s for s, _ in SIGNALS) + "." + text)
    doc = document(text)
    doc.update({
        "traces": [{"session": "s1", "agent": "claude-code", "steps": steps}],
        "findings": findings,
        "classification": {
            "case_type": "agent-runaway", "confidence": 0.9, "incident_type": "none",
            "explanation": explanation,
            "signals": [{"case_type": "agent-runaway", "sentence": s + ".", "weight": w}
                        for s, w in SIGNALS]},
        "aibom": {"models": ["model" + text], "tools_used": ["shell" + text]},
        "runbook": {"incident_type": "none", "containment_rung": "kill",
                    "containment_reason": "persistence" + text, "eradication_owner": "platform",
                    "phases": [{"phase": "contain", "action": "stop the schedule" + text}]},
    })
    return doc


def positions(text: str, *markers: str) -> list[int]:
    found = [text.find(m) for m in markers]
    assert -1 not in found, dict(zip(markers, found))
    return found


def test_summary_then_findings_then_evidence_and_no_details_by_default():
    text = rendered(session_document(), plain=True)
    summary, findings, evidence = positions(text, "Summary", "Findings (4), worst first",
                                            "Evidence (1 file)")
    assert summary < findings < evidence
    for detail in ("Preservation checklist", "AI-BOM", "Runbook", "stop the schedule"):
        assert detail not in text, detail


def test_details_adds_preservation_aibom_and_runbook_after_the_evidence():
    text = rendered(session_document(), details=True, plain=True)
    order = positions(text, "Summary", "Findings (4)", "Evidence (1 file)",
                      "Preservation checklist", "AI-BOM", "Runbook (incident type none)")
    assert order == sorted(order)
    assert "stop the schedule" in text
    assert "Containment: kill (persistence); eradication owner: platform" in text
    assert "tools used" in text and "shell" in text


def test_summary_says_case_type_why_window_and_counts_by_severity():
    summary = rendered(session_document(), plain=True).split("Findings (4)")[0]
    assert "Case type: agent-runaway (confidence 0.90), incident type: none" in summary
    # the three strongest signals as the classification words them, and how many are left
    assert ("Why: a push to a public remote; a cron entry; a read of the roster; "
            "and 1 more signal (--details lists all).") in summary
    assert "an unapproved token read" not in summary
    assert ("Window: 2026-04-12T14:01:00Z to 2026-04-12T14:09:00Z (8 minutes on 2026-04-12), "
            "from 9 trace steps") in summary
    assert "Findings: 4 (1 critical, 2 high, 1 low)" in summary
    assert "Evidence: 1 file, 0 parse issues" in summary


def test_details_gives_the_whole_explanation():
    text = rendered(session_document(), details=True, plain=True)
    assert "Why: Lean toward agent-runaway because: a read of the roster; " in text
    assert "an unapproved token read." in text and "more signal" not in text


def test_a_long_explanation_without_signals_is_cut_at_a_sentence():
    doc = document("")
    doc["classification"]["explanation"] = "First sentence. " + "Second one is long. " * 30
    text = rendered(doc, plain=True)
    assert "Why: First sentence. Second one is long." in text
    assert "(--details shows all of it)" in text
    assert text.count("Second one is long.") < 30
    assert rendered(doc, details=True, plain=True).count("Second one is long.") == 30


def finding_lines(text: str) -> list[str]:
    table = text.split("Findings (")[1].split("Evidence (")[0]
    return [line for line in table.splitlines() if any(
        s in line for s in ("critical", "high", "medium", "low", "info"))]


def test_findings_worst_first_and_a_group_is_one_row_with_its_count():
    rows = finding_lines(rendered(session_document(), plain=True))
    assert [row.split("\u2502")[1].strip() for row in rows] == [
        "critical", "high", "high", "low"]
    cron = [row for row in rows if "wrote a cron entry" in row]
    assert len(cron) == 1
    assert cron[0].split("\u2502")[2].strip() == "3"
    assert [row.split("\u2502")[2].strip() for row in rows] == ["1", "3", "1", "1"]
    text = rendered(session_document(), plain=True)
    assert "steps 5, 6, 7" in text and text.count("wrote a cron entry") == 1


def test_no_findings_says_none():
    doc = session_document()
    doc["findings"] = []
    assert "Findings: none" in rendered(doc, plain=True)


def test_rich_markup_in_evidence_is_printed_literally_in_every_section():
    text = rendered(session_document(MARKUP + ESCAPES), details=True)
    # statement, why, path, preservation, AI-BOM, runbook: the markup survives as typed
    assert text.count(MARKUP) >= 8, text.count(MARKUP)
    for raw in ("\x1b[2J", "\x1b[8m", "\x1b]", "\x07", "\x9b"):
        assert raw not in text, repr(raw)
    assert text.count("<U+001B>[2J") == text.count(MARKUP)
    assert "\u26a0" not in text          # `:warning:` is not turned into an emoji
