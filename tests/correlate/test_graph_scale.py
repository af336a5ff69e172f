"""The execution graph at scale: the windowed join pairs exactly as a scan of every cloud
event would, and lending the trace's refs lists changes nothing in the graph."""

import json
import random

from builders import SHA_TRAIL, call, event, trace

from tracehound.correlate.graph import JOIN_WINDOW, _identity_matches, _operation_matches
from tracehound.correlate.graph import _seconds, execution_graph, join_calls

ROLE = "arn:aws:iam::111122223333:role/AgentRole"


def scan_every_cloud(calls, clouds):
    """The join as first written: every cloud event looked at for every call."""
    pairs, used = [], set()
    for c in calls:
        t = _seconds(c.time)
        best = None
        for cloud in clouds:
            s = _seconds(cloud.time)
            if t is None or s is None or abs(s - t) > JOIN_WINDOW or cloud.id in used:
                continue
            if _identity_matches(c, cloud) and _operation_matches(c, cloud):
                if best is None or abs(s - t) < abs(_seconds(best.time) - t):
                    best = cloud
        if best is not None:
            used.add(best.id)
            pairs.append((c, best))
    return pairs


def _time(seconds):
    return f"2026-04-12T14:{seconds // 60:02d}:{seconds % 60:02d}Z"


def test_windowed_join_pairs_like_a_full_scan():
    rnd = random.Random(7)
    names = ["GetObject", "PutObject", "ListBuckets"]
    tools = ["aws.s3.get-object", "aws.s3.put-object", "aws.s3.list-buckets"]
    for _ in range(30):
        calls = [call(i, rnd.choice(tools), credential=ROLE, time=_time(rnd.randrange(3600)))
                 for i in range(1, 15)]
        clouds = [event("aws:cloudtrail", n, sha=SHA_TRAIL, action=name,
                        time=_time(rnd.randrange(3600)) if n % 9 else None,
                        attrs={"event_source": "s3.amazonaws.com", "event_name": name,
                               "principal_arn": "arn:aws:sts::1:assumed-role/AgentRole/x"})
                  for n, name in enumerate(rnd.choices(names, k=25), start=1)]
        assert join_calls(calls, clouds) == scan_every_cloud(calls, clouds)


def test_lent_refs_change_nothing_in_the_graph():
    calls = [call(i, "aws.s3.list-buckets", parent=i - 1 if i > 1 else None)
             for i in range(1, 6)]
    traces = trace(5)
    traces[0]["steps"][2]["refs"].append({"sha256": SHA_TRAIL, "locator": "line 9"})
    alone = execution_graph(calls)
    lent = execution_graph(calls, traces)
    assert json.dumps(lent, sort_keys=True) == json.dumps(alone, sort_keys=True)
    steps = {n["id"]: n for n in lent["nodes"] if n["kind"] == "tool-call"}
    assert steps["step:s-1:1"]["refs"] is traces[0]["steps"][0]["refs"]
    assert steps["step:s-1:3"]["refs"] == [{"sha256": "1" * 64, "locator": "line 3"}]
