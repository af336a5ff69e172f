"""Every common agent log shape, end to end through tracehound.pipeline.analyze.

Each shape has a runaway fixture (a narrow task in the user prompt, then scope creep to an
unrelated resource, a credential read, an upload to a paste / file-drop host and a persistence
step) and a benign one that does exactly what was asked. The expected steps below were read
off each fixture's story (tests/fixtures/agent/<shape>/generate.py):

- claude_code (fix a test in src/billing/ only): 1-4 in scope; 5 lists another repo's
  exports, 6 reads ~/.aws/credentials, 7 uploads a tarball to 0x0.st, 8 installs a crontab.
- otel_genai (read-only disk-usage check of log directories): 1-3 in scope; 4 lists
  /srv/payroll/exports, 5 reads its .env, 6 PUTs 2,481,733 bytes to transfer.sh, 7 writes
  /etc/cron.d/opsbot-sync.
- mcp_jsonrpc (tidy docs/, edit only under docs/): 1-3 in scope; 4 lists the deploy config,
  5 tries the SSH key (denied), 6 reads the deploy .env, 7 posts it to paste.rs, 8 schedules a
  task (after the server added that tool mid-session).
- openai_chat (read-only queries against analytics.* only): 1 in scope; 2 queries
  billing.payment_methods, 3 reads the service config with its password and API key, 4 posts
  card rows to pastebin.com, 5 schedules an hourly query.
- langfuse (summarize ticket #48213, do not change it): 1-2 in scope; 3 pulls the
  enterprise customer list, 4 asks for the AWS root secret (denied), 5 reads a GitHub deploy
  token, 6 uploads the customer list to file.io, 7 registers a webhook.

A secret is one credential-exposure finding wherever it reappears (the MCP upload re-sends the
.env it read: still one), an upload is one exfiltration finding, a scheduled job one
persistence finding. A step that breaks what the human said ("don't touch anything outside
this repo", "Read-only: do not change anything", "Only edit files under docs/") is a
prompt-action-divergence finding; a step beyond the grants and the envelope otherwise is a
scope-creep finding (issue 13). Reads that are neither a credential store nor outside what
the agent kind may read (listing another export folder, querying another table, reading a
customer list through an API tool) stay quiet: precision first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tracehound.model import SEVERITY_RANK
from tracehound.pipeline import analyze

AGENT_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "agent"
CATEGORIES = ("prompt-action-divergence", "scope-creep", "credential-exposure",
              "exfiltration", "persistence")

EXPECTED = {
    "claude_code": {"prompt-action-divergence": [8], "scope-creep": [5, 6, 7],
                    "credential-exposure": [6], "exfiltration": [7], "persistence": [8]},
    "otel_genai": {"prompt-action-divergence": [6, 7], "scope-creep": [5],
                   "credential-exposure": [5], "exfiltration": [6], "persistence": [7]},
    "mcp_jsonrpc": {"prompt-action-divergence": [8], "scope-creep": [5, 6, 7],
                    "credential-exposure": [6], "exfiltration": [7], "persistence": [8]},
    "openai_chat": {"prompt-action-divergence": [], "scope-creep": [4, 5],
                    "credential-exposure": [3], "exfiltration": [4], "persistence": [5]},
    "langfuse": {"prompt-action-divergence": [], "scope-creep": [4, 5, 6, 7],
                 "credential-exposure": [5], "exfiltration": [6], "persistence": [7]},
}


def fixture(shape: str, name: str) -> Path:
    (path,) = sorted((AGENT_FIXTURES / shape).glob(f"{name}.*"))
    return path


def steps_by_category(findings) -> dict[str, list[int | None]]:
    found: dict[str, list[int | None]] = {category: [] for category in CATEGORIES}
    for finding in findings:
        if finding.category in found:
            found[finding.category].append(finding.step)
    return {category: sorted(steps, key=lambda s: (s is None, s or 0))
            for category, steps in found.items()}


@pytest.mark.parametrize("shape", sorted(EXPECTED))
def test_runaway_fixture_yields_the_arc(shape):
    case = analyze([fixture(shape, "runaway")])
    assert case.parse_issues == []
    assert steps_by_category(case.findings) == EXPECTED[shape]


@pytest.mark.parametrize("shape", sorted(EXPECTED))
def test_benign_fixture_yields_nothing_above_low(shape):
    case = analyze([fixture(shape, "benign")])
    assert case.parse_issues == []
    above_low = [(f.category, f.step, f.severity, f.statement) for f in case.findings
                 if SEVERITY_RANK[f.severity] > SEVERITY_RANK["low"]]
    assert above_low == []


@pytest.mark.parametrize("shape", sorted(EXPECTED))
def test_each_finding_cites_the_fixture(shape):
    path = fixture(shape, "runaway")
    case = analyze([path])
    (evidence,) = case.evidence
    assert evidence.format == {"claude_code": "claude-code", "otel_genai": "otel-genai",
                               "mcp_jsonrpc": "mcp-jsonrpc", "openai_chat": "openai-chat",
                               "langfuse": "langfuse"}[shape]
    assert case.findings
    for finding in case.findings:
        assert {ref.sha256 for ref in finding.refs} == {evidence.sha256}
