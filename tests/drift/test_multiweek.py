"""The multi-week fixture: five clean weeks and a sixth that drifts on D1-D6 (golden)."""

from __future__ import annotations

import pytest
from goldens import check_golden

from drift_builders import multiweek_case as drift_case
from drift_fixture import OUT, render


@pytest.fixture(scope="module")
def multiweek():
    with pytest.MonkeyPatch.context() as patch:
        yield drift_case(OUT, patch)


def test_committed_fixture_is_what_the_generator_renders():
    assert {p.name: p.read_bytes().decode("utf-8") for p in OUT.iterdir()} == render()


def test_every_record_is_read(multiweek):
    assert [(e.format, multiweek.counts[e.path]) for e in multiweek.evidence] == [
        ("purview-copilot", (213, 0)), ("decision-log", (75, 0))]


def test_clean_weeks_stay_clean_and_the_drift_week_fires_all_six(multiweek):
    assert {f.details["week"] for f in multiweek.findings} == {"2026-03-09"}
    assert sorted((f.actor, f.details["detection"], f.details["kind"])
                  for f in multiweek.findings) == [
        ("hr-policy-assistant", "D1", "tool"), ("hr-policy-assistant", "D2", "scope"),
        ("hr-policy-assistant", "D3", "prohibited-label"),
        ("hr-policy-assistant", "D4", "notify-hour"), ("hr-policy-assistant", "D4", "off-hours"),
        ("hr-policy-assistant", "D4", "rate-minute"),
        ("hr-policy-assistant", "D4", "weekly-volume"),
        ("hr-policy-assistant", "D5", "policy-hit-rate"),
        ("hr-policy-assistant", "D6", "unlisted-version"),
        ("it-helpdesk-agent", "D4", "off-hours")]


def test_business_hours_follow_the_clock_change(multiweek):
    """15:30 UTC is 10:30 in New York before 2026-03-08 and 11:30 (after hours) from then."""
    [late] = [f for f in multiweek.findings if f.actor == "it-helpdesk-agent"]
    assert (late.details["occurrences"], late.details["first_seen"]) == (5, "2026-03-09T15:30:00Z")


def test_one_extra_policy_hit_is_not_an_alarm(multiweek):
    """Weeks 1-5 alternate one and two policy hits: rising, but under drift_min_policy_hits."""
    weekly = [m for m in multiweek.artifacts["drift_metrics"]
              if m["agent_id"] == "hr-policy-assistant"]
    assert [m["policy_hits"] for m in weekly] == [1, 2, 1, 2, 1, 8]
    assert [m["drift_events_by_type"]["D5"] for m in weekly] == [0, 0, 0, 0, 0, 1]


def test_findings_and_metrics_match_the_goldens(multiweek):
    check_golden("drift/multiweek_findings.json", [f.to_json() for f in multiweek.findings])
    check_golden("drift/multiweek_metrics.json", multiweek.artifacts["drift_metrics"])


def test_a_lower_min_policy_hits_turns_week_two_into_an_alarm(monkeypatch):
    case = drift_case(OUT, monkeypatch, drift_min_policy_hits=1)
    assert sorted(f.details["week"] for f in case.findings
                  if f.details["detection"] == "D5") == ["2026-02-09", "2026-02-23", "2026-03-09"]
