"""Trace reconstruction: ordering, parent links, merged records, mutations, the artifact."""

from agent_builders import (SESSION, approval, config, intent, mcp_message, network, sha,
                            tool_call)

from tracehound.analyzers import Context, get
from tracehound.analyzers.agent.steps import traces_of


def kepler_like():
    return [
        tool_call(3, "aws.s3.get-object", "arn:aws:s3:::pay/claims.csv", parent=2,
                  credential="arn:aws:sts::1:assumed-role/AgentRole/s"),
        tool_call(1, "aws.s3.list-buckets", approver="taylor"),
        tool_call(2, "aws.s3.list-objects", "arn:aws:s3:::pay", parent=1),
        approval(2), intent(3, "tag expired buckets", "aws.s3.get-object"),
        network(3, 5_000, "pay.s3.amazonaws.com"),
    ]


def test_steps_are_ordered_with_parents_and_merged_records():
    traces = traces_of(kepler_like(), Context())
    trace = traces.traces[SESSION]
    assert [(s.index, s.parent, s.tool) for s in trace.steps] == [
        (1, None, "aws.s3.list-buckets"), (2, 1, "aws.s3.list-objects"),
        (3, 2, "aws.s3.get-object")]
    step3 = trace.by_index[3]
    assert [r.locator for r in step3.refs] == ["line 3", "line 3"]
    assert step3.stated_intent == "tag expired buckets"
    assert step3.transfer_bytes == 5_000
    assert step3.credential == "arn:aws:sts::1:assumed-role/AgentRole/s"
    assert trace.by_index[2].approval is not None and trace.by_index[2].approver is None
    assert trace.window == ("2026-04-12T14:00:10Z", "2026-04-12T14:00:30Z")


def test_artifact_is_the_contract_traces_section():
    out = get("trace-reconstructor").artifacts(kepler_like(), Context())
    step = out["traces"][0]["steps"][2]
    assert out["traces"][0]["session"] == SESSION and out["traces"][0]["agent"] == "agent-1"
    assert step == {
        "index": 3, "parent": 2, "time": "2026-04-12T14:00:30Z", "tool": "aws.s3.get-object",
        "action_class": "read", "target": "arn:aws:s3:::pay/claims.csv", "approver": None,
        "outcome": "success", "mutation": "read", "tool_call_id": "call-3",
        "credential": "arn:aws:sts::1:assumed-role/AgentRole/s",
        "refs": [{"sha256": sha("trace"), "locator": "line 3"},
                 {"sha256": sha("intent"), "locator": "line 3"}],
        "effects": [{"kind": "cloud-read", "object": "arn:aws:s3:::pay/claims.csv",
                     "direction": "in", "public": False, "production": False}]}
    assert list(get("trace-reconstructor").run(kepler_like(), Context())) == []


def test_mutations_follow_the_action():
    events = [tool_call(1, "write_file", "/tmp/a", action_class="write"),
              tool_call(2, "create_bucket", "b"), tool_call(3, "rm", "/tmp/a"),
              tool_call(4, "http.post", "https://x.example/upload"),
              tool_call(5, "bash", action_class="execute")]
    steps = traces_of(events, Context()).traces[SESSION].steps
    assert [s.mutation for s in steps] == ["changed", "created", "deleted", "sent", "changed"]


def test_reconstruction_is_shared_through_ctx():
    ctx = Context()
    events = kepler_like()
    first = traces_of(events, ctx)
    assert ctx.shared["traces"] is first and traces_of(list(events), ctx) is first
    assert traces_of(events[:2], ctx) is not first


def test_mcp_only_session_becomes_a_trace():
    events = [mcp_message("mcp:request", 1, method="tools/call", tool="read_file",
                          jsonrpc_id=7, arguments={"path": "/etc/hosts"}),
              mcp_message("mcp:result", 2, method="result", jsonrpc_id=7, result="127.0.0.1"),
              mcp_message("mcp:request", 3, method="tools/list", jsonrpc_id=8)]
    trace = traces_of(events, Context()).traces["mcp-1"]
    assert [(s.index, s.tool, s.tool_call_id, s.result_text) for s in trace.steps] == [
        (1, "read_file", "7", "127.0.0.1")]


def test_scope_breach_is_computed_once_per_step():
    events = [config(actions=["list"]), tool_call(1, "aws.s3.list-buckets"),
              tool_call(2, "aws.s3.get-object", "arn:aws:s3:::b/k")]
    steps = traces_of(events, Context()).traces[SESSION].steps
    assert [s.breach for s in steps] == [
        None, "reads cloud resource arn:aws:s3:::b/k, which the declared scope of agent-1 does "
              "not include; no human turn is in the evidence"]
