"""Accountability: who approved each high-impact step."""

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
    assert [(f.step, f.severity) for f in found] == [(3, "high"), (4, "medium")]
    assert found[0].statement == (
        "Step 3 (aws.s3.get-object on arn:aws:s3:::payments/claims.csv) is high impact "
        "(outside the allowed envelope and 5,000,000 bytes moved on the network) and ran "
        "without a human approver: its accountability record names no approver; the deployer "
        "taylor.keel was offline at the time.")
    assert "its approver policy-bot is recorded as auto" in found[1].statement
    assert [r.locator for r in found[0].refs] == ["line 3", "line 3", "line 3"]


def test_small_transfers_and_in_scope_reads_are_not_high_impact():
    events = [SCOPE, tool_call(1, "aws.s3.list-buckets", "arn:aws:s3:::kepler-logs"),
              network(1, 2_000, "s3.amazonaws.com"),
              tool_call(2, "aws.s3.get-object", "arn:aws:s3:::kepler-logs/a")]
    assert run("accountability-tracer", events) == []
    assert [f.step for f in run("accountability-tracer", events, exfil_bytes=1_000)] == [1]


def test_without_any_approval_record_the_statement_says_so():
    [found] = run("accountability-tracer", [tool_call(1, "rm", "/var/data", action_class="delete")])
    assert found.statement.endswith("ran without a human approver: no approval record exists "
                                    "for it.")
