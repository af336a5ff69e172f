"""The Codex and OpenTelemetry benchmark generators at a tiny size: the analyzer reads every
generated call as a step and flags the planted risky steps, so the generators cannot rot
(drift from the shape the parsers read) without a test saying so."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from benchmarks import agent_codex, agent_otel  # noqa: E402  (the benchmarks' own test)
from benchmarks.agent_trace import AGENT_TOOLS  # noqa: E402

CALLS, RISKY_EVERY = 200, 50        # risky steps at calls 25, 75, 125, 175: one of each kind
CASES = {
    "codex": (agent_codex, f"sessions/2026/03/01/rollout-2026-03-01T10-00-00-"
                           f"{agent_codex.SESSION}.jsonl", "codex"),
    "otel": (agent_otel, "otel-traces.ndjson", "otel"),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def analyzed(request, tmp_path_factory):
    from tracehound.pipeline import Options, analyze
    module, relative, runtime = CASES[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    counts = module.write_session(path, CALLS, risky_every=RISKY_EVERY)
    case = analyze([folder], Options(tools=AGENT_TOOLS, reproducible=True))
    return request.param, counts, case, runtime


def test_every_generated_call_is_one_step_of_one_session(analyzed):
    name, counts, case, runtime = analyzed
    assert counts["risky"] == CALLS // RISKY_EVERY
    assert sum(counts["tools"].values()) == CALLS
    shell = counts["tools"]["shell_command" if name == "codex" else "shell"]
    assert shell >= 0.3 * CALLS                      # shell calls are at least 30% of a session
    calls = [e for e in case.events if e.source == "agent:tool_call"]
    assert len(calls) == CALLS
    assert {e.attrs["runtime"] for e in calls} == {runtime}
    traces = case.artifacts["traces"]
    assert len(traces) == 1 and len(traces[0]["steps"]) == CALLS
    assert [s["index"] for s in traces[0]["steps"]] == list(range(1, CALLS + 1))
    turns = [e for e in case.events if e.source == "agent:prompt"
             and e.attrs.get("turn_kind") == "human-typed"]
    assert len(turns) == counts["turns"] > 1         # a human turn every few dozen calls
    assert not [i for i in case.parse_issues if not i.notice]


def test_the_planted_risky_steps_give_the_findings(analyzed):
    _, _, case, _ = analyzed
    tools = {f.tool for f in case.findings}
    # the .env read, the shell rc write and the POST of a secret
    assert {"credential-audit", "persistence-detector", "exfiltration-detector",
            "prompt-action-divergence"} <= tools
    high = [f for f in case.findings if f.severity in ("high", "critical")]
    assert 3 <= len(high) <= 8                       # findings exist but stay few
    assert len(case.findings) <= 10


def test_every_step_is_judged_against_the_turn_that_asked_for_it(analyzed):
    """The OTLP exporter writes a turn's root span (with the prompt) after the calls it asked
    for; the calls still belong to that turn, not to the turn before, and none is turnless."""
    _, counts, case, _ = analyzed
    steps = case.artifacts["traces"][0]["steps"]
    assert all(step.get("turn") is not None for step in steps)
    turns = [step["turn"] for step in steps]
    assert turns == sorted(turns) and len(set(turns)) == counts["turns"]
