"""The scope a step is judged against (declared in the runtime config, or a baseline entry),
and the scope a grant or stated intent is compared with (tracehound.scope)."""

from agent_builders import SESSION, config, intent, prompt, tool_call

from tracehound.analyzers import Context
from tracehound.analyzers.agent.steps import traces_of
from tracehound.scope import ScopeEvidence, classes_in_text, envelope_for, resource_matches


def evidence(*events):
    gathered = ScopeEvidence()
    for event in events:
        gathered.add(event)
    return gathered


def judged(events, baseline=None):
    """The trace of SESSION, each step judged against the scope that governs it."""
    return traces_of(events, Context(baseline=baseline)).traces[SESSION]


def test_config_scope_judges_each_step_and_says_where_it_came_from():
    trace = judged([config(actions=["list", "read"], resources=["arn:aws:s3:::kepler-*"]),
                    tool_call(1, "aws.s3.get-object", "arn:aws:s3:::kepler-logs/a.txt"),
                    tool_call(2, "aws.s3.put-object", "arn:aws:s3:::kepler-logs"),
                    tool_call(3, "aws.s3.get-object", "arn:aws:s3:::other/a")])
    assert trace.scope.describe() == "scope inferred from the agent:config (line 1)"
    assert trace.scope.envelope.inferred is True
    assert [s.breach for s in trace.steps] == [
        None,
        "changes cloud resource arn:aws:s3:::kepler-logs, which the declared scope of "
        "agent-1 does not include; no human turn is in the evidence",
        "reads cloud resource arn:aws:s3:::other/a, which matches none of the resources "
        "the declared scope of agent-1 allows"]


def test_scope_tools_allow_what_they_do_and_refuse_other_tools():
    steps = judged([config(actions=["list", "read"],
                           scope_tools=["aws.sts.assume-role", "aws.s3.list-*"]),
                    tool_call(1, "aws.sts.assume-role", "arn:aws:iam::1:role/reader"),
                    tool_call(2, "aws.s3.list-buckets", "arn:aws:s3:::*"),
                    tool_call(3, "aws.s3.get-object", "arn:aws:s3:::kepler-logs/a")]).steps
    assert [s.breach for s in steps] == [
        None, None,
        "reads cloud resource arn:aws:s3:::kepler-logs/a through aws.s3.get-object, which "
        "is not among the tools the declared scope of agent-1 allows"]
    # the same tool, not named by a scope that names none, is judged by what it does
    unnamed = judged([config(actions=["list", "read"]),
                      tool_call(1, "aws.sts.assume-role", "arn:aws:iam::1:role/reader")])
    assert unnamed.steps[0].breach is not None


def test_baseline_wins_over_the_config_and_is_not_inferred():
    baseline = {"agents": [{"agent_id": "agent-1", "actions": ["Read"],
                            "tools": [{"name": "SharePointSearch", "operations": ["read"]}],
                            "data_sources": ["https://contoso.sharepoint.com/sites/HR*"]}]}
    trace = judged([config(actions=["write", "delete"]),
                    tool_call(1, "SharePointSearch",
                              "https://contoso.sharepoint.com/sites/HRPolicies/a.docx"),
                    tool_call(2, "aws.s3.delete-object", "arn:aws:s3:::kepler-logs/a")],
                   baseline)
    assert trace.scope.describe() == "baseline scope for agent agent-1"
    assert trace.scope.envelope.inferred is False
    assert trace.steps[0].breach is None
    assert "baseline agent-1" in trace.steps[1].breach


def test_grant_scope_inferred_from_deployed_prompt_then_stated_intent():
    deployed = prompt("Read-only: list the buckets and read their tags. Do not delete.",
                      role="deployed")
    env = envelope_for("agent-1", evidence(deployed))
    assert (env.origin, env.actions) == ("deployed prompt", frozenset({"list", "read"}))
    env = envelope_for("agent-1", evidence(intent(1, "tag all buckets", "aws.s3.list-buckets")))
    assert (env.origin, env.actions) == ("stated intent", frozenset({"list", "read", "write"}))
    assert envelope_for("agent-1", evidence()).known is False
    env = envelope_for("agent-1", evidence(config(actions=["list", "read"],
                                                   resources=["arn:aws:s3:::kepler-*"])))
    assert (env.origin, env.inferred, env.describe()) == (
        "agent:config", True, "scope inferred from the agent:config (line 1)")


def test_negated_verbs_are_not_allowed_actions():
    assert classes_in_text("summarise the report; never upload or delete anything") == \
        frozenset()
    assert classes_in_text("list files and edit README, do not delete") == \
        frozenset({"list", "write"})


def test_resource_forms_match_across_arn_and_uri():
    assert resource_matches("s3://kepler-logs/a", ["arn:aws:s3:::kepler-*"])
    assert resource_matches("arn:aws:s3:::kepler-logs/a", ["s3://kepler-logs/*"])
    assert not resource_matches("arn:aws:s3:::payments/a", ["arn:aws:s3:::kepler-*"])


def test_real_baseline_file_gives_the_scope_with_its_line(tmp_path):
    from tracehound.baseline import load_baseline
    path = tmp_path / "baseline.yaml"
    path.write_text("agents:\n  - agent_id: \"Agent-1\"\n    tools:\n"
                    "      - {name: \"aws.s3.list-buckets\", operations: [read]}\n"
                    "    data_sources: [\"arn:aws:s3:::kepler-*\"]\n    actions: [Read]\n")
    baseline = load_baseline(path)
    env = envelope_for("agent-1", evidence(), baseline)
    assert (env.origin, env.inferred, [r.locator for r in env.refs]) == (
        "baseline", False, ["line 2"])
    trace = judged([tool_call(1, "aws.s3.list-buckets", "arn:aws:s3:::KEPLER-logs"),
                    tool_call(2, "aws.s3.put-object", "arn:aws:s3:::kepler-logs/a")], baseline)
    assert [r.locator for r in trace.scope.refs] == ["line 2"]
    assert trace.steps[0].breach is None
    assert trace.steps[1].breach is not None
