"""A benign session through all seven tools: nothing above `low`."""

from agent_builders import (approval, config, grant, intent, mcp_node, network, prompt, run,
                            tool_call)

from tracehound.model import SEVERITY_RANK

TOOLS = ("trace-reconstructor", "prompt-action-divergence", "accountability-tracer",
         "credential-audit", "mcp-call-graph", "persistence-detector", "exfiltration-detector")


def benign_session():
    return [
        config(actions=["list", "read"], resources=["arn:aws:s3:::kepler-*"],
               tools=["aws.s3.list-buckets", "aws.s3.get-bucket-tagging"],
               env={"LOG_LEVEL": "info"}),
        prompt("List the kepler buckets and read their tags."),
        grant(["s3:ListAllMyBuckets", "s3:GetBucketTagging"], ["arn:aws:s3:::*"],
              intended=True),
        tool_call(1, "aws.s3.list-buckets", "arn:aws:s3:::kepler-logs", result="2 buckets"),
        approval(1, deployer_status="online"),
        intent(1, "list all buckets", "aws.s3.list-buckets"),
        network(1, 3_100, "s3.us-east-1.amazonaws.com"),
        tool_call(2, "aws.s3.get-bucket-tagging", "arn:aws:s3:::kepler-logs", parent=1,
                  result="owner=platform"),
        intent(2, "read the tags of kepler-logs", "aws.s3.get-bucket-tagging"),
        mcp_node("n1", None, "aws.s3.list-buckets", depth=0, step=1),
        mcp_node("n2", "n1", "aws.s3.get-bucket-tagging", depth=1, step=2, line=2),
    ]


def test_benign_session_yields_nothing_above_low():
    events = benign_session()
    found = [f for tool in TOOLS for f in run(tool, events)]
    assert [f for f in found if SEVERITY_RANK[f.severity] > SEVERITY_RANK["low"]] == []


def test_every_agent_finding_carries_evidence_and_engine_version():
    from test_agent_mcp_graph import export_graph
    found = [f for tool in TOOLS for f in run(tool, export_graph())]
    assert found
    for finding in found:
        assert finding.refs and finding.engine_version.startswith("tracehound ")
        from tracehound.analyzers import get
        assert finding.engine_version.endswith(f"{finding.tool} {get(finding.tool).VERSION}")
