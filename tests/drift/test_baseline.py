"""The scope baseline: CONTRACT.md's YAML, a typed API, and errors that name file, line, key."""

from __future__ import annotations

import pytest

from tracehound.baseline import (BaselineError, BusinessHours, Limits, ToolGrant,
                                 VersionApproval, glob_regex, load_baseline, parse_baseline)

CONTRACT_EXAMPLE = b"""\
agents:
  - agent_id: "hr-policy-assistant"          # matches AgentId / gen_ai.agent.id
    name: "HR Policy Assistant"
    owner: "hr-it@contoso.com"
    zone: 3
    versions:                                # D6: approved versions and their change tickets
      - {version: "1.3.0", ticket: "CHG-1042"}
    tools:                                   # B1 + D1
      - {name: "SharePointSearch", operations: [read]}
    data_sources:                            # B2 + D2
      - "https://contoso.sharepoint.com/sites/HRPolicies*"
    labels:                                  # B3 + D3
      allowed: ["General", "Internal", "Confidential"]
      prohibited: ["Highly Confidential"]
      names: {"a1b2c3d4-0000-4000-8000-00000000000c": "Confidential"}
    actions: [Read, Generate, Notify]        # B4
    limits:                                  # B5 + D4/D5
      max_actions_per_minute: 20
      max_notifications_per_hour: 10
      business_hours: null
      volume_factor: 3.0
"""


def errors(text: str) -> list[str]:
    with pytest.raises(BaselineError) as caught:
        parse_baseline(text.encode(), "b.yaml")
    return caught.value.problems


def test_the_contract_example_loads_into_the_typed_api(tmp_path):
    path = tmp_path / "baseline.yaml"
    path.write_bytes(CONTRACT_EXAMPLE)
    baseline = load_baseline(path)
    agent = baseline.agent("HR-Policy-Assistant")           # ids compare case-insensitively
    assert [a.agent_id for a in baseline.agents] == ["hr-policy-assistant"]
    assert (agent.name, agent.owner, agent.zone, agent.line) == (
        "HR Policy Assistant", "hr-it@contoso.com", 3, 2)
    assert agent.versions == [VersionApproval("1.3.0", "CHG-1042", 7)]
    assert agent.tools == [ToolGrant("SharePointSearch", ("read",), 9)]
    assert agent.data_sources == ["https://contoso.sharepoint.com/sites/HRPolicies*"]
    assert agent.labels.names == {"a1b2c3d4-0000-4000-8000-00000000000c": "Confidential"}
    assert agent.actions == ["Read", "Generate", "Notify"]
    assert agent.limits == Limits(20, 10, None, 3.0)
    assert agent.key_lines["data_sources"] == 10
    assert "hr-policy-assistant" in baseline and "someone-else" not in baseline
    assert len(baseline.sha256) == 64 and baseline.path == str(path)


def test_allowlist_helpers_answer_like_the_sql_does():
    agent = parse_baseline(CONTRACT_EXAMPLE, "b.yaml").agents[0]
    assert agent.allows_tool("sharepointsearch", "READ")
    assert not agent.allows_tool("SharePointSearch", "write")
    assert not agent.allows_tool("WebSearch")
    assert agent.allows_resource("https://contoso.sharepoint.com/sites/hrpolicies/a/b.docx")
    assert not agent.allows_resource("https://contoso.sharepoint.com/sites/Finance")
    assert agent.labels.status("A1B2C3D4-0000-4000-8000-00000000000C") == "allowed"
    assert agent.labels.status("highly confidential") == "prohibited"
    assert agent.labels.status("Public") == "unlisted"
    assert agent.allows_action("notify") and not agent.allows_action("Execute")
    assert agent.approval("1.3.0").approved and agent.approval("1.4.0") is None


def test_absent_keys_are_not_checked():
    agent = parse_baseline(b"agents:\n  - agent_id: bare\n", "b.yaml").agents[0]
    assert agent.allows_tool("anything", "execute") and agent.allows_resource("s3://x")
    assert agent.allows_action("Execute") and agent.labels.status("Secret") == "allowed"


def test_versions_stay_text_as_written():
    text = b"agents:\n  - agent_id: a\n    versions: [{version: 1.10, ticket: CHG-1}]\n"
    assert parse_baseline(text, "b.yaml").agents[0].versions[0].version == "1.10"


def test_business_hours_read_days_ranges_and_clock_times():
    text = ('agents:\n  - agent_id: a\n    limits:\n      business_hours: '
            '{tz: "Europe/London", days: "Sat-Mon", from: "22:00", to: "06:30"}\n')
    hours = parse_baseline(text.encode(), "b.yaml").agents[0].limits.business_hours
    assert hours == BusinessHours("Europe/London", (1, 6, 7), "22:00", "06:30")
    assert BusinessHours.minutes(hours.end) == 390


def test_unknown_keys_name_file_line_and_key():
    assert errors("agents:\n  - agent_id: a\n    toolz: []\nextra: 1\n") == [
        "b.yaml:line 3: unknown key 'toolz' in an agent entry (known: agent_id, name, owner, "
        "zone, versions, tools, data_sources, labels, actions, limits)",
        "b.yaml:line 4: unknown key 'extra' in the baseline (known: agents)"]


def test_every_problem_of_the_file_is_reported_with_its_line():
    text = """agents:
  - agent_id: x
    zone: 7
    tools:
      - {name: a, operations: [fly]}
    actions: [Read, Execute, Dance]
    limits: {business_hours: {tz: Mars/Base, days: Mon-Fxi, from: "8", to: "18:00"}}
  - agent_id: X
  - name: nameless
"""
    assert errors(text) == [
        "b.yaml:line 3: key 'zone': 7 must be between 1 and 3",
        "b.yaml:line 5: key 'operations': 'fly' is not one of read, write, execute",
        "b.yaml:line 6: key 'actions' of agent 'x': Execute requires "
        "limits.max_actions_per_minute",
        "b.yaml:line 6: key 'actions': 'Dance' is not one of Read Generate DraftWrite Notify "
        "Execute Block Escalate",
        "b.yaml:line 7: key 'days': 'Mon-Fxi' is not a day or a range like Mon-Fri",
        "b.yaml:line 7: key 'from': '8' is not a HH:MM time",
        "b.yaml:line 7: key 'tz': 'Mars/Base' is not a known time zone",
        "b.yaml:line 8: key 'agent_id': agent 'X' is listed twice (first at line 2)",
        "b.yaml:line 9: key 'agent_id' is missing from an agent entry",
    ]


@pytest.mark.parametrize("text, expected", [
    ("", "b.yaml:line 1: the baseline is empty; expected a mapping with 'agents'"),
    ("agents: [\n", "b.yaml:line 2: not valid YAML: expected the node content"),
    ("- a\n", "b.yaml:line 1: the baseline must be a mapping"),
    ("agents:\n  - agent_id: a\n    limits: {volume_factor: -1}\n",
     "b.yaml:line 3: key 'volume_factor': -1.0 must be greater than 0"),
    ("agents:\n  - agent_id: a\n    tools: [{name: t}]\n",
     "b.yaml:line 3: key 'operations' is missing from a tools entry"),
    ("agents:\n  - agent_id: a\n    agent_id: b\n", "b.yaml:line 3: key 'agent_id' appears twice"),
])
def test_single_problems(text, expected):
    assert errors(text)[0].startswith(expected)


def test_the_error_message_names_the_first_problem_and_counts_the_rest():
    with pytest.raises(BaselineError) as caught:
        parse_baseline(b"agents:\n  - agent_id: a\n    zone: 9\n    toolz: 1\n", "b.yaml")
    assert str(caught.value) == ("b.yaml:line 3: key 'zone': 9 must be between 1 and 3 "
                                 "(and 1 more problems)")


@pytest.mark.parametrize("pattern, value, matches", [
    ("https://x.com/sites/HR*", "https://x.com/sites/hr/a.docx", True),
    ("https://x.com/sites/HR*", "https://x.com/sites/Finance", False),
    ("https://x.com/sites/HR/?.docx", "https://x.com/sites/hr/a.docx", True),
    ("https://x.com/sites/a+b(1)", "https://x.com/sites/a+b(1)", True),
    ("https://x.com/sites/a.b", "https://x.com/sites/aXb", False),
])
def test_glob_patterns_are_anchored_and_escape_regex_characters(pattern, value, matches):
    import re
    assert bool(re.match(glob_regex(pattern), value.lower())) is matches
