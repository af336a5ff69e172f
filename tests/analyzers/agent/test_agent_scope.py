"""The allowed envelope: from a baseline, from the runtime config, inferred from text."""

from agent_builders import config, intent, prompt

from tracehound.scope import (Envelope, ScopeEvidence, classes_in_text, envelope_for,
                              resource_matches)


def evidence(*events):
    gathered = ScopeEvidence()
    for event in events:
        gathered.add(event)
    return gathered


def test_config_scope_is_used_and_marked_inferred():
    env = envelope_for("agent-1", evidence(config(actions=["list", "read"],
                                                   resources=["arn:aws:s3:::kepler-*"])))
    assert (env.origin, env.inferred, env.actions) == ("agent:config", True,
                                                      frozenset({"list", "read"}))
    assert env.describe() == "scope inferred from the agent:config (line 1)"
    assert env.leaves("read", "arn:aws:s3:::kepler-logs/a.txt", "aws.s3.get-object") is None
    assert env.leaves("write", "arn:aws:s3:::kepler-logs", "aws.s3.put-object") == \
        "action class write is not among the allowed {list, read}"
    assert env.leaves("read", "arn:aws:s3:::other/a", "x") == \
        "resource arn:aws:s3:::other/a matches none of the allowed resource patterns"


def test_scope_tools_allow_their_own_class_and_refuse_other_tools():
    env = envelope_for("agent-1", evidence(config(actions=["list", "read"])))
    tools_env = Envelope("agent-1", frozenset({"list", "read"}),
                         tools=(("aws.sts.assume-role", None), ("aws.s3.list-*", None)),
                         origin="agent:config")
    assert env.leaves("permission-change", None, "aws.sts.assume-role") is not None
    assert tools_env.leaves("permission-change", None, "aws.sts.assume-role") is None
    assert tools_env.leaves("list", None, "aws.s3.list-buckets") is None
    assert tools_env.leaves("read", None, "aws.s3.get-object") == \
        "tool aws.s3.get-object is not among the tools the scope allows"


def test_baseline_wins_and_is_not_inferred():
    baseline = {"agents": [{"agent_id": "agent-1", "actions": ["Read"],
                            "tools": [{"name": "SharePointSearch", "operations": ["read"]}],
                            "data_sources": ["https://contoso.sharepoint.com/sites/HR*"]}]}
    env = envelope_for("agent-1", evidence(config(actions=["write"])), baseline)
    assert (env.origin, env.inferred) == ("baseline", False)
    assert env.describe() == "baseline scope for agent agent-1"
    assert env.leaves("read", "https://contoso.sharepoint.com/sites/HRPolicies/a.docx",
                      "SharePointSearch") is None
    assert env.leaves("write", None, "SharePointSearch") == \
        "a write action through SharePointSearch is not an allowed operation"


def test_inferred_from_deployed_prompt_then_stated_intent():
    deployed = prompt("Read-only: list the buckets and read their tags. Do not delete.",
                      role="deployed")
    env = envelope_for("agent-1", evidence(deployed))
    assert (env.origin, env.actions) == ("deployed prompt", frozenset({"list", "read"}))
    env = envelope_for("agent-1", evidence(intent(1, "tag all buckets", "aws.s3.list-buckets")))
    assert (env.origin, env.actions) == ("stated intent", frozenset({"list", "read", "write"}))
    assert envelope_for("agent-1", evidence()).known is False


def test_negated_verbs_are_not_allowed_actions():
    assert classes_in_text("summarise the report; never upload or delete anything") == \
        frozenset()
    assert classes_in_text("list files and edit README, do not delete") == \
        frozenset({"list", "write"})


def test_resource_forms_match_across_arn_and_uri():
    assert resource_matches("s3://kepler-logs/a", ["arn:aws:s3:::kepler-*"])
    assert resource_matches("arn:aws:s3:::kepler-logs/a", ["s3://kepler-logs/*"])
    assert not resource_matches("arn:aws:s3:::payments/a", ["arn:aws:s3:::kepler-*"])


def test_real_baseline_file_gives_the_envelope_with_its_line(tmp_path):
    from tracehound.baseline import load_baseline
    path = tmp_path / "baseline.yaml"
    path.write_text("agents:\n  - agent_id: \"Agent-1\"\n    tools:\n"
                    "      - {name: \"aws.s3.list-buckets\", operations: [read]}\n"
                    "    data_sources: [\"arn:aws:s3:::kepler-*\"]\n    actions: [Read]\n")
    baseline = load_baseline(path)
    env = envelope_for("agent-1", evidence(), baseline)
    assert (env.origin, env.inferred, [r.locator for r in env.refs]) == (
        "baseline", False, ["line 2"])
    assert env.leaves("list", "arn:aws:s3:::KEPLER-logs", "aws.s3.list-buckets") is None
    assert env.leaves("read", None, "aws.s3.get-object") == \
        "tool aws.s3.get-object is not among the tools the scope allows"
