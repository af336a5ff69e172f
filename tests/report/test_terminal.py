"""The terminal tables: evidence text is shown, never obeyed by the terminal."""

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


def rendered(doc: dict) -> str:
    out = io.StringIO()
    render_case(doc, Console(file=out, force_terminal=True, width=400, highlight=False))
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
