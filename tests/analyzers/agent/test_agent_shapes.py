"""The seven tools on every agent log shape's own fixtures (tests/fixtures/agent/<shape>/):
each runaway arc is found (credential read, upload, persistence, steps beyond what was asked)
and each benign session has nothing above `low`. None of these runtimes records approvals, so
none raises unattended-action by itself (issue 13)."""

from pathlib import Path

import pytest

from tracehound.model import SEVERITY_RANK
from tracehound.pipeline import Options, analyze

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "agent"
SHAPES = ("claude_code", "langfuse", "mcp_jsonrpc", "openai_chat", "otel_genai")
TOOLS = ["trace-reconstructor", "prompt-action-divergence", "accountability-tracer",
         "credential-audit", "mcp-call-graph", "persistence-detector", "exfiltration-detector"]
RUNAWAY = {"credential-exposure", "exfiltration", "persistence", "scope-creep"}


def run_shape(shape: str, kind: str):
    paths = sorted((FIXTURES / shape).glob(f"{kind}.*"))
    assert paths, f"no {kind} fixture for {shape}"   # a missing fixture fails, never skips
    case = analyze(paths, Options(tools=TOOLS, reproducible=True))
    assert [r for r in case.extra.get("tool_runs", []) if r["status"] == "error"] == []
    return case


@pytest.mark.parametrize("shape", SHAPES)
def test_runaway_arc_is_found(shape):
    case = run_shape(shape, "runaway")
    assert case.artifacts["traces"]
    found = {f.category for f in case.findings}
    assert RUNAWAY <= found and "unattended-action" not in found
    assert case.classification["case_type"] == "agent-runaway"


@pytest.mark.parametrize("shape", SHAPES)
def test_benign_session_has_nothing_above_low(shape):
    case = run_shape(shape, "benign")
    assert case.artifacts["traces"]
    assert [(f.category, f.step, f.severity) for f in case.findings
            if SEVERITY_RANK[f.severity] > SEVERITY_RANK["low"]] == []
    assert case.classification["case_type"] == "no-incident"
