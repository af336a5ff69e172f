"""The sniff matrix (issue 12): every fixture and every committed real session is claimed by
its own parser and declined by every other, so no format can swallow another's files (as the
OpenAI chat parser once swallowed Gemini CLI sessions and Cline histories)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tracehound.fixtures.kepler import write_pack
from tracehound.formats import all_parsers
from tracehound.formats.base import Sample, Source

TESTS = Path(__file__).resolve().parents[1]
REAL = TESTS / "data" / "real"
# folder -> the formats its files may be (each file: exactly one of them claims it)
EXPECTED = {
    "fixtures/agent/aider": {"aider"},
    "fixtures/agent/claude_code": {"claude-code"},
    "fixtures/agent/claude_code_project": {"claude-code"},
    "fixtures/agent/cline": {"cline", "cline-ui"},
    "fixtures/agent/codex": {"codex"},
    "fixtures/agent/gemini_cli": {"gemini-cli", "gemini-cli-logs", "gemini-cli-stream"},
    "fixtures/agent/langfuse": {"langfuse"},
    "fixtures/agent/mcp_desktop": {"mcp-desktop"},
    "fixtures/agent/mcp_jsonrpc": {"mcp-jsonrpc"},
    "fixtures/agent/openai_chat": {"openai-chat"},
    "fixtures/agent/openhands": {"openhands"},
    "fixtures/agent/otel_genai": {"otel-genai"},
    "fixtures/agent/swe_agent": {"swe-agent"},
    "fixtures/cases/prompt-injection": {"openai-chat"},
    "fixtures/cases/inconclusive": {"saas-audit-csv"},
    "fixtures/cloud/azure": {"azure-activity"},
    "fixtures/cloud/cloudtrail": {"aws-cloudtrail"},
    "fixtures/cloud/bec": {"m365-ual", "entra-signin", "oauth-grants",
                           "defender-cloudapps-alerts"},
    "fixtures/cloud/benign-admin": {"m365-ual", "entra-signin", "oauth-grants"},
    "fixtures/cloud/bec-ual": {"m365-ual"},
    "fixtures/cloud/sentinel": {"sentinel-log-analytics"},
    "fixtures/cloud/sentinel/native": {"entra-audit"},
    "fixtures/cloud/sentinel/copies": {"sentinel-log-analytics", "m365-ual"},
    "fixtures/cloud/busy-office": {"m365-ual"},
    "fixtures/cloud/oauth-mail-theft": {"m365-ual", "entra-audit"},
    "fixtures/cloud/identity-benign": {"m365-ual", "entra-audit"},
    "fixtures/kepler-cloudtrail": {"aws-cloudtrail"},
    "fixtures/drift/multiweek": {"purview-copilot", "decision-log"},
    "fixtures/web/xss-agent-trace.ndjson": {"agent-tool-call-ndjson"},
}
RUNTIME_FORMATS = {
    "aider": {"aider"}, "claude-code": {"claude-code"}, "codex": {"codex"},
    "gemini-cli": {"gemini-cli", "gemini-cli-logs", "gemini-cli-stream"},
    "cline": {"cline", "cline-ui"}, "roo-code": {"cline", "cline-ui"},
    "openhands": {"openhands"}, "swe-agent": {"swe-agent"}, "mcp-desktop": {"mcp-desktop"},
}
# Claims that overlap on purpose: a Purview CopilotInteraction export is a unified audit log
# export too; the more specific parser sniffs first (priority), the UAL parser could read it.
# Log Analytics exports: AzureActivity rows are read by azure-activity too, and JSON sign-in
# rows carry the columns the Microsoft-account sniff looks for (Type, IPAddress, Location,
# CreatedDateTime); the Sentinel parser sniffs first (priority 65).
OVERLAPS = {frozenset({"purview-copilot", "m365-ual"}),
            frozenset({"sentinel-log-analytics", "azure-activity"}),
            frozenset({"sentinel-log-analytics", "ms-account-activity"})}
NOT_EVIDENCE = {"baseline.yaml", "xss-payloads.json"}   # inputs of other kinds, not evidence


def claims(path: Path) -> list[str]:
    data = path.read_bytes()
    source = Source(str(path), path, hashlib.sha256(data).hexdigest(), len(data))
    sample = Sample.of(source)
    return [p.name for p in all_parsers() if p.sniff(sample)]


def fixture_cases() -> list[tuple[Path, set[str]]]:
    cases = []
    for path in sorted((TESTS / "fixtures").rglob("*")):
        if not path.is_file() or path.suffix == ".py" or "__pycache__" in path.parts \
                or path.name in NOT_EVIDENCE or path.stat().st_size == 0:
            continue
        relative = path.relative_to(TESTS).as_posix()
        key = next((k for k in sorted(EXPECTED, key=len, reverse=True)
                    if relative == k or relative.startswith(k + "/")), None)
        assert key is not None, f"{relative}: give its folder an expected format"
        cases.append((path, EXPECTED[key]))
    return cases


def corpus_cases() -> list[tuple[Path, set[str]]]:
    manifest = json.loads((REAL / "manifest.json").read_text())
    return [(TESTS.parent / e["committed_path"], RUNTIME_FORMATS[e["runtime"]])
            for e in manifest if e.get("committed_path")]


def check(path: Path, allowed: set[str]) -> None:
    found = claims(path)
    if frozenset(found) in OVERLAPS:
        found = found[:1]                    # priority order: the specific one first
    assert len(found) == 1 and found[0] in allowed, (path.name, found, allowed)


@pytest.mark.parametrize("path,allowed", fixture_cases(), ids=lambda v: v.name
                         if isinstance(v, Path) else "")
def test_fixture_claimed_by_its_own_parser_only(path: Path, allowed: set[str]) -> None:
    check(path, allowed)


@pytest.mark.parametrize("path,allowed", corpus_cases(), ids=lambda v: v.name
                         if isinstance(v, Path) else "")
def test_real_session_claimed_by_its_own_parser_only(path: Path, allowed: set[str]) -> None:
    check(path, allowed)


def test_kepler_pack_files_each_claimed_once(tmp_path: Path) -> None:
    write_pack(tmp_path)
    found = {p.name: claims(p) for p in sorted(tmp_path.iterdir())}
    assert all(len(names) == 1 for names in found.values()), found
    assert len({names[0] for names in found.values()}) == len(found)


def test_every_agent_runtime_has_fixtures_and_a_real_example() -> None:
    fixtures = {name for _, allowed in fixture_cases() for name in allowed}
    runtime_parsers = {name for names in RUNTIME_FORMATS.values() for name in names}
    assert runtime_parsers <= fixtures
    by_name = {p.name: p for p in all_parsers()}
    assert all(by_name[name].example for name in runtime_parsers), \
        [n for n in runtime_parsers if not by_name[n].example]
