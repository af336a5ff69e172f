"""Real Log Analytics exports (tests/data/real/sentinel/README.md): each parses into the
expected events, with no parse issue."""

from __future__ import annotations

from sentinel_support import PARSER, REAL, parse


def test_real_awscloudtrail_export():
    events, issues, name = parse(REAL / "AWSCloudTrail_ConsoleLogin.csv")
    assert name == PARSER and issues == []
    assert [e.source for e in events] == ["aws:cloudtrail"] * 4
    assert [e.time for e in events] == ["2025-04-21T09:45:54Z", "2025-04-16T05:50:00Z",
                                        "2025-03-29T11:10:09Z", "2025-03-29T11:10:47Z"]
    assert [e.outcome for e in events] == ["success", "success", "failure", "success"]
    assert {e.action for e in events} == {"ConsoleLogin"}
    assert {e.action_class for e in events} == {"authentication"}
    failed = events[2]
    assert failed.actor_id == "sharmamanis" and failed.actor_kind == "human"
    assert failed.attrs["error_message"] == "Failed authentication"
    assert failed.attrs["event_id"] == "6db58122-d1e7-4eb8-a90f-6be95bd0691b"
    assert failed.attrs["client_ip"] == "128.94.16.112"
    assert failed.attrs["additional_event_data"]["MFAUsed"] == "Yes"
    assert events[0].attrs["principal_arn"] == "arn:aws:iam::072643944673:user/CATTeamIDC"
    assert events[0].raw["responseElements"] == {"ConsoleLogin": "Success"}
    assert events[0].attrs["read_only"] is False
