"""Issue 4's checks end to end: each reference case classifies as what it is."""

import json
from pathlib import Path

import pytest

from tracehound.fixtures.kepler import write_pack
from tracehound.pipeline import Options, analyze

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def kepler(tmp_path_factory):
    pack = tmp_path_factory.mktemp("kepler")
    write_pack(pack)
    return analyze([pack, FIXTURES / "kepler-cloudtrail" / "cloudtrail.json"])


def signal_refs(case, name):
    [signal] = [s for s in case.classification["signals"] if s["signal"] == name]
    return {r["locator"] for r in signal["refs"]}, {r["sha256"] for r in signal["refs"]}


def sha_of(case, filename):
    return next(e.sha256 for e in case.evidence if e.path.endswith(filename))


def test_kepler_is_agent_runaway_privilege_escape_citing_cron_graph_and_divergence(kepler):
    verdict = kepler.classification
    assert (verdict["case_type"], verdict["incident_type"]) == ("agent-runaway",
                                                                "privilege-escape")
    persistence_locators, persistence_files = signal_refs(kepler, "agent-persistence")
    assert sha_of(kepler, "persistence-mechanism-artifacts.json") in persistence_files
    assert "line 17" in persistence_locators
    _, graph_files = signal_refs(kepler, "mcp-escalation")
    assert sha_of(kepler, "mcp-server-call-graph.json") in graph_files
    divergence_locators, divergence_files = signal_refs(kepler, "agent-against-instructions")
    corpus = sha_of(kepler, "prompt-action-divergence-corpus.ndjson")
    assert corpus in divergence_files
    assert {"line 10", "line 13", "line 14", "line 17"} <= divergence_locators
    assert kepler.extra["runbook"]["incident_type"] == "privilege-escape"
    assert len(kepler.extra["runbook"]["phases"]) == 6


def test_kepler_iocs_correlate_trace_network_and_cloudtrail(kepler):
    files = {name: sha_of(kepler, name) for name in (
        "agent-tool-call-trace.ndjson", "agent-network-events.ndjson", "cloudtrail.json")}
    by = {(i["type"], i["value"]): {s["sha256"] for s in i["sightings"]}
          for i in kepler.extra["iocs"]}
    claims = by[("object", "exports/2026-q1-claims-export.csv")]
    assert set(files.values()) <= claims
    assert set(files.values()) <= by[("bucket", "kepler-payments-prod")]
    assert {files["agent-network-events.ndjson"], files["cloudtrail.json"]} <= \
        by[("ip", "198.51.100.24")]


def test_kepler_execution_graph_joins_steps_to_cloudtrail_by_identity(kepler):
    [graph] = [g for g in kepler.artifacts["graphs"] if g["kind"] == "execution-graph"]
    caused = [e for e in graph["edges"] if e["kind"] == "caused"]
    steps = {e["from"].rsplit(":", 1)[1] for e in caused}
    assert {"13", "14", "17"} <= steps


def test_kepler_aibom_and_preservation(kepler):
    bom = kepler.extra["aibom"]
    assert bom["agents"] == ["kepler-sre-agent-01"]
    assert bom["models"] and bom["prompts"] and bom["tools_used"]
    assert any("synthetickeplersreagentrole" in i.lower() for i in bom["identities"])
    supplied = {s["artifact"] for s in kepler.extra["preservation"]["supplied"]}
    assert any(a.startswith("cloud audit log") for a in supplied)
    assert any(a.startswith("MCP server logs") for a in supplied)


def test_bec_fixture_is_cloud_account_compromise():
    case = analyze([FIXTURES / "cloud" / "bec"])
    assert case.classification["case_type"] == "cloud-account-compromise"
    assert case.classification["incident_type"] == "none"
    names = {s["signal"] for s in case.classification["signals"]}
    assert {"tenant-wide-consent", "mail-rule-tampering"} <= names
    assert "runbook" not in case.extra and "aibom" not in case.extra


def test_instructions_in_an_email_carried_out_is_prompt_injection():
    case = analyze([FIXTURES / "cases" / "prompt-injection"])
    verdict = case.classification
    assert (verdict["case_type"], verdict["incident_type"]) == ("prompt-injection",
                                                                "reasoning-compromise")
    [signal] = [s for s in verdict["signals"] if s["signal"] == "instructions-in-tool-output"]
    assert signal["refs"]
    assert case.extra["runbook"]["containment_rung"] == "soft-quarantine"


def test_ordinary_saas_rows_with_nothing_above_low_are_no_incident():
    case = analyze([FIXTURES / "cases" / "inconclusive"], Options())
    verdict = case.classification
    assert (verdict["case_type"], verdict["confidence"], verdict["missing_evidence"]) == \
        ("no-incident", 0.0, [])
    assert verdict["explanation"] == "Nothing above low was found in the records supplied."


def test_agent_steps_without_any_instruction_are_undetermined(tmp_path):
    lines = [json.dumps({"type": "assistant", "uuid": f"a{i}", "parentUuid": None,
                         "sessionId": "s", "timestamp": f"2026-05-04T08:0{i}:00Z",
                         "message": {"role": "assistant", "content": [
                             {"type": "tool_use", "id": f"t{i}", "name": "Bash",
                              "input": {"command": "ls"}}]}}) for i in range(3)]
    (tmp_path / "s.jsonl").write_text("\n".join(lines) + "\n")
    verdict = analyze([tmp_path], Options()).classification
    assert verdict["case_type"] == "undetermined"
    assert verdict["thin_evidence"] == ["no human turn or stated instruction is in the evidence"]
