"""The multi-week fixture: five clean weeks and a sixth that drifts on D1-D6 (golden)."""

from __future__ import annotations

from pathlib import Path

import pytest
from goldens import check_golden

from fixture_data import OUT, render
from tracehound.pipeline import Options, analyze

FILES = ("purview-copilot.csv", "decisions.ndjson")


def drift_case(folder: Path, monkeypatch, **settings):
    monkeypatch.chdir(folder)              # relative paths: no absolute path in the goldens
    return analyze(list(FILES), Options(baseline_path=Path("baseline.yaml"), tools=["drift"],
                                        settings=settings, reproducible=True))


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
    assert sorted((f.details["detection"], f.details["kind"]) for f in multiweek.findings) == [
        ("D1", "tool"), ("D2", "scope"), ("D3", "prohibited-label"), ("D4", "notify-hour"),
        ("D4", "off-hours"), ("D4", "rate-minute"), ("D4", "weekly-volume"),
        ("D5", "policy-hit-rate"), ("D6", "unlisted-version")]


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
