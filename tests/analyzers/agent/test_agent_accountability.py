"""Accountability: who approved each high-impact step."""

from dataclasses import replace

from agent_builders import approval, config, network, run, tool_call

SCOPE = config(actions=["list", "read"], resources=["arn:aws:s3:::kepler-*"])


def test_one_unattended_finding_per_high_impact_step_without_a_human():
    events = [SCOPE,
              tool_call(1, "aws.sts.assume-role", "arn:aws:iam::1:role/R", approver="taylor"),
              approval(1, "taylor", deployer_status="online"),
              tool_call(2, "aws.s3.list-buckets", "arn:aws:s3:::kepler-logs"), approval(2),
              tool_call(3, "aws.s3.get-object", "arn:aws:s3:::payments/claims.csv"),
              approval(3), network(3, 5_000_000, "agent-runtime"),
              tool_call(4, "aws.s3.put-object", "arn:aws:s3:::kepler-logs/x"),
              approval(4, "policy-bot", status="auto"),
              tool_call(5, "aws.s3.get-object", "arn:aws:s3:::kepler-logs/y")]
    found = run("accountability-tracer", events)
    # an unasked write to a cloud resource is high on its own (effects.kinds)
    assert [(f.step, f.severity) for f in found] == [(3, "high"), (4, "high")]
    assert found[0].statement == (
        "Step 3 (aws.s3.get-object on arn:aws:s3:::payments/claims.csv) is high impact "
        "(reads cloud resource arn:aws:s3:::payments/claims.csv, which matches none of the "
        "resources the declared scope of agent-1 allows and 5,000,000 bytes moved on the "
        "network) and ran without a human approver: its accountability record names no "
        "approver; the deployer taylor.keel was offline at the time.")
    assert "its approver policy-bot is recorded as auto" in found[1].statement
    assert [r.locator for r in found[0].refs] == ["line 3", "line 3", "line 3"]


def test_small_transfers_and_in_scope_reads_are_not_high_impact():
    events = [SCOPE, tool_call(1, "aws.s3.list-buckets", "arn:aws:s3:::kepler-logs"),
              approval(1), network(1, 2_000, "s3.amazonaws.com"),
              tool_call(2, "aws.s3.get-object", "arn:aws:s3:::kepler-logs/a"), approval(2)]
    assert run("accountability-tracer", events) == []
    assert [f.step for f in run("accountability-tracer", events, exfil_bytes=1_000)] == [1]


def test_a_source_that_records_no_approvals_never_raises_it_by_itself():
    delete = tool_call(1, "Bash", args={"command": "rm -rf /var/data"})
    assert run("accountability-tracer", [delete]) == []
    # the same step in a log that records approvals (another step was approved)
    approved = tool_call(2, "Bash", args={"command": "ls"}, approver="dana")
    [found] = run("accountability-tracer", [delete, approved, approval(2, "dana")])
    assert (found.step, found.severity) == (1, "medium")
    assert found.statement.endswith("ran without a human approver: no approval of it is "
                                    "recorded.")


def _marked(event, value):
    return replace(event, attrs={**event.attrs, "approval": value})


def test_a_log_of_denials_only_does_not_record_approvals_but_auto_approval_counts():
    delete = tool_call(1, "Bash", args={"command": "rm -rf /var/data"})
    refused = _marked(tool_call(2, "Bash", args={"command": "git push origin main"}),
                      "rejected")
    # Claude Code logs the calls a human refused, never the ones it let through
    assert run("accountability-tracer", [delete, refused]) == []
    # a permission mode that approves everything: the step ran with no human deciding
    [found] = run("accountability-tracer", [_marked(delete, "auto-approved"), refused])
    assert (found.step, found.category) == (1, "unattended-action")
    # an explicit approval of another call says the log records approvals
    approved = _marked(tool_call(3, "Bash", args={"command": "ls"}), "approved")
    assert [f.step for f in run("accountability-tracer", [delete, approved])] == [1]
