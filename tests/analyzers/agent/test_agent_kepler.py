"""The seven agent tools on the generated kepler pack: issue 3's counts, and a golden per tool."""

import pytest
from goldens import check_golden

from tracehound.fixtures.kepler import write_pack
from tracehound.fixtures.kepler_scenario import STEPS
from tracehound.pipeline import Options, analyze

AGENT_TOOLS = ("trace-reconstructor", "prompt-action-divergence", "accountability-tracer",
               "credential-audit", "mcp-call-graph", "persistence-detector",
               "exfiltration-detector")


@pytest.fixture(scope="module")
def kepler(tmp_path_factory):
    pack = tmp_path_factory.mktemp("kepler")
    write_pack(pack)
    case = analyze([pack], Options(tools=list(AGENT_TOOLS), reproducible=True))
    names = {e.sha256: e.path.rsplit("/", 1)[-1] for e in case.evidence}
    return case, names


def by(case, tool, category=None):
    return [f for f in case.findings
            if f.tool == tool and (category is None or f.category == category)]


def cited(finding, names):
    return {(names[r.sha256], r.locator) for r in finding.refs}


def test_all_26_steps_are_reconstructed(kepler):
    case, _ = kepler
    [trace] = case.artifacts["traces"]
    assert trace["agent"] == "kepler-sre-agent-01"
    assert [s["index"] for s in trace["steps"]] == list(range(1, 27))
    assert [s["parent"] for s in trace["steps"]] == [s.parent for s in STEPS]
    assert [s["approver"] is not None for s in trace["steps"]] == [i == 0 for i in range(26)]


def test_divergence_only_on_rows_10_13_14_17(kepler):
    case, names = kepler
    found = by(case, "prompt-action-divergence", "prompt-action-divergence")
    assert [f.step for f in found] == [10, 13, 14, 17]
    assert [sorted(loc for n, loc in cited(f, names)
                   if n == "prompt-action-divergence-corpus.ndjson") for f in found] == \
        [["line 10"], ["line 13"], ["line 14"], ["line 17"]]


def members(finding):
    """Every step a (grouped) finding stands for."""
    return list(finding.steps) or [finding.step]


def test_scope_creep_on_every_out_of_scope_step(kepler):
    case, _ = kepler
    found = by(case, "prompt-action-divergence", "scope-creep")
    assert [s for f in found for s in members(f)] == [s.index for s in STEPS if not s.in_scope]
    # put-rule and put-targets write the same schedule: one finding for the two steps
    assert [members(f) for f in found] == [[10], [13], [14], [17], [18, 19]]
    assert all("scope inferred from the agent:config" in f.statement for f in found)


def test_unattended_on_each_high_impact_step_and_not_on_enumeration(kepler):
    case, _ = kepler
    found = by(case, "accountability-tracer")
    assert [s for f in found for s in members(f)] == [10, 13, 14, 17, 18, 19]
    assert [s.index for s in STEPS if not s.in_scope] == [10, 13, 14, 17, 18, 19]
    assert all("was offline at the time" in f.statement for f in found)


def test_over_privileged_grant_names_tenant_wide_get_object(kepler):
    case, names = kepler
    found = by(case, "credential-audit", "over-privileged-grant")
    object_read = [f for f in found
                   if "s3:GetObject on arn:aws:s3:::* (tenant-wide)" in
                   f.details["excess_permissions"] and f.actor == "SyntheticKeplerSREAgentRole"]
    assert len(object_read) == 1
    assert object_read[0].details["exercised_steps"] == [10, 13, 14]
    assert ("iam-role-grant.json", "json:/RoleDetailList/0/RolePolicyList/0/PolicyDocument/"
            "Statement/2") in cited(object_read[0], names)


def test_planted_keys_are_reported_redacted_only(kepler):
    from tracehound.fixtures.kepler_scenario import planted_credentials
    case, _ = kepler
    [found] = by(case, "credential-audit", "credential-exposure")
    text = repr(found.to_json())
    key_id, secret = planted_credentials()
    assert key_id not in text and secret not in text
    assert [s["redacted"] for s in found.details["secrets"]] == [key_id[:4] + "…",
                                                                 secret[:4] + "…"]


def test_mcp_graph_has_11_nodes_depth_4_and_one_finding_per_branch(kepler):
    case, _ = kepler
    [graph] = [g for g in case.artifacts["graphs"] if g["kind"] == "mcp-call-graph"]
    assert (len(graph["nodes"]), graph["depth"]) == (11, 4)
    found = by(case, "mcp-call-graph")
    assert [(f.details["branch_root"], f.details["depth"]) for f in found] == [
        ("n06", 4), ("n09", 3)]


def test_exactly_one_persistence_finding_citing_every_install_record(kepler):
    case, names = kepler
    [found] = by(case, "persistence-detector")
    refs = cited(found, names)
    for line in ("line 17", "line 18", "line 19"):
        for name in ("agent-tool-call-trace.ndjson", "accountability-attribution-corpus.ndjson",
                     "prompt-action-divergence-corpus.ndjson"):
            assert (name, line) in refs
    for pointer in ("json:/mechanisms/0", "json:/nodes/8", "json:/nodes/9", "json:/nodes/10"):
        assert any(loc == pointer for _, loc in refs), pointer
    assert found.details["steps"] == [17, 18, 19]
    assert found.details["schedule_expression"] == "rate(1 hour)"


def test_exactly_two_exfiltration_findings_with_their_bytes(kepler):
    case, names = kepler
    found = by(case, "exfiltration-detector")
    assert [(f.step, f.details["bytes"]) for f in found] == [(13, 4_837_652),
                                                             (14, 3_291_940)]
    assert [("agent-network-events.ndjson", f"line {n}") in cited(f, names)
            for f, n in zip(found, (6, 7))] == [True, True]


@pytest.mark.parametrize("tool", AGENT_TOOLS)
def test_golden_per_tool(kepler, tool):
    case, names = kepler
    out = {"findings": [f.to_json() for f in by(case, tool)],
           "evidence": sorted(names.values())}
    if tool == "trace-reconstructor":
        out["traces"] = case.artifacts["traces"]
    if tool == "mcp-call-graph":
        out["graphs"] = [g for g in case.artifacts["graphs"] if g["kind"] == "mcp-call-graph"]
    check_golden(f"kepler/{tool}.json", out)


# (tool, category, severity) -> count: the whole of what the seven tools say on kepler. A
# change here is a change of the product's answer on the reference case and must be argued.
KEPLER_COUNTS = {
    # steps 18 and 19 (put-rule, put-targets of the same schedule) are one grouped finding
    # per tool since CONTRACT.md's grouped findings (2026-12): six steps, five findings
    ("accountability-tracer", "unattended-action", "high"): 4,
    ("accountability-tracer", "unattended-action", "medium"): 1,
    ("credential-audit", "credential-exposure", "high"): 1,
    ("credential-audit", "over-privileged-grant", "critical"): 2,
    ("credential-audit", "over-privileged-grant", "high"): 1,
    ("exfiltration-detector", "exfiltration", "critical"): 2,
    ("mcp-call-graph", "mcp-tool-escalation", "high"): 2,
    ("persistence-detector", "persistence", "high"): 1,
    ("prompt-action-divergence", "prompt-action-divergence", "high"): 3,
    ("prompt-action-divergence", "prompt-action-divergence", "medium"): 1,
    ("prompt-action-divergence", "scope-creep", "high"): 4,
    ("prompt-action-divergence", "scope-creep", "medium"): 1,
}


def test_counts_and_severities_of_all_seven_tools():
    import tempfile
    from collections import Counter
    from pathlib import Path
    with tempfile.TemporaryDirectory() as folder:
        write_pack(Path(folder))
        case = analyze([folder], Options(reproducible=True))
    got = Counter((f.tool, f.category, f.severity) for f in case.findings
                  if f.tool in AGENT_TOOLS)
    assert dict(got) == KEPLER_COUNTS
    verdict = case.classification
    assert (verdict["case_type"], verdict["incident_type"]) == ("agent-runaway",
                                                                "privilege-escape")
