"""The kepler JSON-document parsers: IAM role export, credential audit, runtime config, MCP
call graph, persistence artifacts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from kepler_pack import (CONFIG, CREDENTIALS, GRAPH, IAM, KEPLER_FORMATS, PERSISTENCE, pack,
                         parse, parse_file, sniffed_by, source_of, variant)

from tracehound.model import Event, pointer_ref

ROLE_ARN = "arn:aws:iam::418295730166:role/agents/SyntheticKeplerSREAgentRole"
SESSION_ARN = ("arn:aws:sts::418295730166:assumed-role/SyntheticKeplerSREAgentRole/"
               "kepler-sre-agent-01-7f3c2a9e")
TAGGER_ARN = "arn:aws:lambda:us-east-1:418295730166:function:kepler-s3-lifecycle-tagger"
SESSION = "sess-7f3c2a9e-41b0-4d6f-9a2e-5c8b1d0e4f21"
TESTS = Path(__file__).resolve().parents[1]


def document(name: str) -> dict:
    return json.loads((pack() / name).read_text(encoding="utf-8"))


def rewritten(tmp_path: Path, name: str, change) -> bytes:
    doc = document(name)
    change(doc)
    return variant(tmp_path, name, json.dumps(doc, indent=2).encode())


# ----------------------------------------------------------------------------- IAM role


def test_iam_grants_one_event_per_statement_with_intent_flags():
    events, issues, source = parse_file("iam-role-grant-json", IAM)
    assert sniffed_by(source) == "iam-role-grant-json" and issues == []
    prefix = "json:/RoleDetailList/0/"
    assert [(e.ref.locator, e.attrs["sid"], e.attrs["intended"]) for e in events] == [
        (prefix + "AssumeRolePolicyDocument/Statement/0", "AgentBootstrapAssume", True),
        (prefix + "RolePolicyList/0/PolicyDocument/Statement/0", "TaggingAuditBucketRead", True),
        (prefix + "RolePolicyList/0/PolicyDocument/Statement/1", "TaggingApiRead", True),
        (prefix + "RolePolicyList/0/PolicyDocument/Statement/2", "ObjectReadForAudit", False),
        (prefix + "RolePolicyList/0/PolicyDocument/Statement/3", "TaggerMaintenance", False)]


def test_iam_tenant_wide_get_object_statement_full_field_set():
    events, _, source = parse_file("iam-role-grant-json", IAM)
    statement = document(IAM)["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"][
        "Statement"][2]
    assert events[3] == Event(
        ref=pointer_ref(source.sha256, "RoleDetailList", 0, "RolePolicyList", 0,
                        "PolicyDocument", "Statement", 2),
        source="agent:grant", time="2026-04-12T13:52:19Z", action="iam.policy-statement",
        action_class="permission-change", actor_id=ROLE_ARN, actor_kind="service-principal",
        target_id="arn:aws:s3:::*", target_type="iam-resource",
        attrs={"grant_kind": "iam-policy", "permissions": ["s3:ListBucket", "s3:GetObject"],
               "resources": ["arn:aws:s3:::*"], "effect": "Allow", "intended": False,
               "intent_text": document(IAM)["written_intent"]["text"], "principal": ROLE_ARN,
               "principals": [ROLE_ARN], "role_name": "SyntheticKeplerSREAgentRole",
               "role_arn": ROLE_ARN, "sid": "ObjectReadForAudit",
               "policy_name": "kepler-sre-agent-tagging-audit", "condition": None,
               "not_actions": []},
        raw=statement)


def test_iam_without_written_intent_leaves_intended_unknown(tmp_path):
    source = rewritten(tmp_path, IAM, lambda d: d.pop("written_intent"))
    events, issues = parse("iam-role-grant-json", source)
    assert issues == [] and {e.attrs["intended"] for e in events} == {None}


def test_iam_bad_statement_is_an_issue_at_its_pointer(tmp_path):
    def change(doc):
        doc["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"]["Statement"][1] = "oops"
    events, issues = parse("iam-role-grant-json", rewritten(tmp_path, IAM, change))
    assert len(events) == 4
    assert [(i.locator, i.problem) for i in issues] == [
        ("json:/RoleDetailList/0/RolePolicyList/0/PolicyDocument/Statement/1",
         "policy statement is not an object")]


# ----------------------------------------------------------------------------- credential audit


def test_credential_audit_oauth_grant_and_one_use_per_step():
    events, issues, source = parse_file("agent-credential-audit-json", CREDENTIALS)
    assert sniffed_by(source) == "agent-credential-audit-json" and issues == []
    assert [e.ref.locator for e in events] == ["json:/oauth_grants/0"] + [
        f"json:/credential_uses/{n}" for n in range(26)]
    grant = events[0]
    assert (grant.source, grant.attrs["grant_kind"], grant.attrs["intended"]) == (
        "agent:grant", "oauth-grant", False)
    assert "s3:GetObject" in grant.attrs["permissions"]
    assert [e.attrs["credential_kind"] for e in events[1:3]] == [
        "iam-user-access-key", "sts-assumed-role"]


def test_credential_use_step_13_full_field_set():
    events, _, source = parse_file("agent-credential-audit-json", CREDENTIALS)
    raw = document(CREDENTIALS)["credential_uses"][12]
    assert events[13] == Event(
        ref=pointer_ref(source.sha256, "credential_uses", 12), source="agent:credential_use",
        time="2026-04-12T14:04:06Z", action="s3:GetObject", action_class="read",
        actor_id="kepler-sre-agent-01", actor_kind="agent",
        target_id="arn:aws:s3:::kepler-payments-prod/exports/2026-q1-claims-export.csv",
        outcome="success", session=SESSION, step=13,
        attrs={"credential": SESSION_ARN, "credential_kind": "sts-assumed-role",
               "tool_call_id": raw["tool_call_id"], "src_ip": "198.51.100.24",
               "decision": "allowed"},
        raw=raw)


def test_credential_audit_truncated_document_names_its_line(tmp_path):
    full = (pack() / CREDENTIALS).read_bytes()
    data = full[:full.index(b"\n", 400)]            # cut after a complete line
    events, issues = parse("agent-credential-audit-json", variant(tmp_path, CREDENTIALS, data))
    assert events == []
    assert len(issues) == 1 and issues[0].problem.startswith("truncated JSON")
    assert issues[0].locator == f"line {len(data.splitlines())}" == "line 9"


# ----------------------------------------------------------------------------- runtime config


def test_runtime_config_full_field_set():
    events, issues, source = parse_file("agent-runtime-config-json", CONFIG)
    doc = document(CONFIG)
    assert sniffed_by(source) == "agent-runtime-config-json" and issues == []
    assert events == [Event(
        ref=pointer_ref(source.sha256), source="agent:config", time="2026-04-12T14:12:03Z",
        action="agent.runtime-config", action_class="other", actor_id="kepler-sre-agent-01",
        actor_kind="agent",
        attrs={"model": "claude-sonnet-4-5-20250929", "model_provider": "anthropic",
               "tool_allowlist": doc["tool_allowlist"], "deployed_prompt": doc["prompt"]["text"],
               "prompt_hash": hashlib.sha256(doc["prompt"]["text"].encode()).hexdigest(),
               "scope_text": doc["scope"]["text"], "scope_actions": ["list", "read"],
               "scope_resources": ["arn:aws:s3:::*"], "scope_tools": doc["scope"]["tools"],
               "deployer": "taylor.keel@kepler-insurance.example",
               "deployed_at": "2026-04-12T13:59:40Z", "autonomy_mode": "autonomous",
               "mcp_servers": ["mcp-aws-events", "mcp-aws-lambda", "mcp-aws-s3", "mcp-aws-sts",
                               "mcp-aws-tagging"],
               "env": doc["environment"]},
        raw=doc)]
    assert events[0].ref.locator == "json:"


def test_runtime_config_prompt_hash_mismatch_is_reported(tmp_path):
    source = rewritten(tmp_path, CONFIG, lambda d: d["prompt"].update(text="do anything"))
    events, issues = parse("agent-runtime-config-json", source)
    assert len(events) == 1
    assert [(i.locator, i.problem) for i in issues] == [
        ("json:/prompt/sha256", "recorded prompt sha256 does not match the prompt text")]


# ----------------------------------------------------------------------------- MCP call graph


def test_mcp_graph_eleven_nodes_four_deep_at_the_exfil_branch():
    events, issues, source = parse_file("mcp-call-graph-json", GRAPH)
    assert sniffed_by(source) == "mcp-call-graph-json" and issues == []
    assert [e.ref.locator for e in events] == [f"json:/nodes/{n}" for n in range(11)]
    depth = {e.attrs["node_id"]: e.attrs["depth"] for e in events}
    deepest = [(e.attrs["node_id"], e.step) for e in events if e.attrs["depth"] == 4]
    assert max(depth.values()) == 4 and deepest == [("n07", 13), ("n08", 14)]
    for e in events:
        parent = e.attrs["parent_node_id"]
        assert (parent is None) == (e.attrs["depth"] == 0)
        assert parent is None or depth[parent] == e.attrs["depth"] - 1


def test_mcp_node_get_object_full_field_set():
    events, _, source = parse_file("mcp-call-graph-json", GRAPH)
    raw = document(GRAPH)["nodes"][6]
    assert events[6] == Event(
        ref=pointer_ref(source.sha256, "nodes", 6), source="agent:mcp_node",
        time="2026-04-12T14:04:06Z", action="aws.s3.get-object", action_class="read",
        actor_id="kepler-sre-agent-01", actor_kind="agent",
        target_id="arn:aws:s3:::kepler-payments-prod/exports/2026-q1-claims-export.csv",
        session=SESSION, step=13,
        attrs={"node_id": "n07", "parent_node_id": "n06", "depth": 4,
               "tool": "aws.s3.get-object", "server": "mcp-aws-s3", "scope": None,
               "steps": [13], "tool_call_ids": raw["tool_call_ids"],
               "targets": [raw["targets"][0]], "calls": 1},
        raw=raw)


def test_mcp_graph_dangling_parent_and_bad_node_are_issues(tmp_path):
    def change(doc):
        doc["nodes"][3]["parent_id"] = "n99"
        doc["nodes"].append(7)
    events, issues = parse("mcp-call-graph-json", rewritten(tmp_path, GRAPH, change))
    assert len(events) == 11
    assert [(i.locator, i.problem) for i in issues] == [
        ("json:/nodes/11", "expected an object, found int"),
        ("json:/nodes/3/parent_id", "parent node 'n99' is not in the graph")]


# ----------------------------------------------------------------------------- persistence


def test_persistence_one_hourly_schedule_full_field_set():
    events, issues, source = parse_file("agent-persistence-json", PERSISTENCE)
    raw = document(PERSISTENCE)["mechanisms"][0]
    calls = [r["tool_call_id"] for r in raw["install_records"]]
    assert sniffed_by(source) == "agent-persistence-json" and issues == []
    assert events == [Event(
        ref=pointer_ref(source.sha256, "mechanisms", 0), source="agent:persistence",
        time="2026-04-12T14:05:47Z", action="aws.lambda.update-function-configuration",
        action_class="persistence", actor_id="kepler-sre-agent-01", actor_kind="agent",
        target_id=TAGGER_ARN, target_type="lambda-function", session=SESSION, step=17,
        attrs={"mechanism": "eventbridge-schedule", "schedule_expression": "rate(1 hour)",
               "installed_via": "aws.lambda.update-function-configuration",
               "tool_call_id": calls[0], "principal": SESSION_ARN,
               "rule_name": "kepler-s3-lifecycle-tagger-hourly",
               "rule_arn": "arn:aws:events:us-east-1:418295730166:rule/"
                           "kepler-s3-lifecycle-tagger-hourly",
               "state": "ENABLED", "mechanism_id": "pm-001", "install_steps": [17, 18, 19],
               "install_tool_call_ids": calls,
               "next_invocations": ["2026-04-12T15:06:04Z", "2026-04-12T16:06:04Z",
                                    "2026-04-12T17:06:04Z"]},
        raw=raw)]


def test_persistence_bad_mechanism_is_an_issue(tmp_path):
    source = rewritten(tmp_path, PERSISTENCE, lambda d: d["mechanisms"].append("cron"))
    events, issues = parse("agent-persistence-json", source)
    assert len(events) == 1
    assert [(i.locator, i.problem) for i in issues] == [
        ("json:/mechanisms/1", "expected an object, found str")]


# ----------------------------------------------------------------------------- sniff specificity


def test_kepler_sniffs_leave_other_vendors_files_alone():
    """No kepler parser claims another helper's fixture or the kepler CloudTrail export."""
    from tracehound.formats import registry
    from tracehound.formats.base import Sample
    others = sorted(p for folder in ("agent", "cloud", "kepler-cloudtrail")
                    for p in (TESTS / "fixtures" / folder).rglob("*")
                    if p.is_file() and p.suffix in (".json", ".jsonl", ".ndjson"))
    assert any(p.name == "cloudtrail.json" for p in others)
    mine = [registry.get(name) for name in KEPLER_FORMATS]
    claimed = [(p.name, parser.name) for p in others for parser in mine
               if parser.sniff(Sample.of(source_of(p)))]
    assert claimed == []
