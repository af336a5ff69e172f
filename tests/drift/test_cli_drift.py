"""`tracehound drift --baseline FILE PATH... [--engine duckdb|spark] [--format json|table]`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from drift_fixture import OUT
from tracehound.cli import app

runner = CliRunner()
FILES = ["purview-copilot.csv", "decisions.ndjson"]


def drift(*args: str):
    return runner.invoke(app, ["drift", *args])


def test_json_output_has_findings_metrics_and_the_baseline(monkeypatch):
    monkeypatch.chdir(OUT)
    result = drift("--baseline", "baseline.yaml", *FILES, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "tracehound/1" and doc["drift_engine"] == "duckdb"
    assert doc["baseline"]["path"] == "baseline.yaml"
    assert doc["baseline"]["agents"] == ["hr-policy-assistant", "it-helpdesk-agent"]
    assert [e["format"] for e in doc["evidence"]] == ["purview-copilot", "decision-log"]
    assert len(doc["findings"]) == 10 and len(doc["drift_metrics"]) == 14
    assert {f["category"] for f in doc["findings"]} == {
        "drift-new-tool", "drift-new-data-scope", "drift-label-breach", "drift-volume",
        "drift-policy-hit-rate", "drift-version-change"}


def test_table_output_and_fail_on(monkeypatch, tmp_path):
    monkeypatch.chdir(OUT)
    out = tmp_path / "drift.txt"
    result = drift("--baseline", "baseline.yaml", *FILES, "--out", str(out),
                   "--fail-on", "critical")
    assert result.exit_code == 1
    text = out.read_text()
    assert "Weekly drift metrics (14 agent-weeks)" in text and "Findings (10)" in text


def test_table_answers_first_and_takes_details(monkeypatch, tmp_path):
    monkeypatch.chdir(OUT)
    for extra in ([], ["--details"]):
        out = tmp_path / "drift.txt"
        result = drift("--baseline", "baseline.yaml", *FILES, "--out", str(out), *extra)
        assert result.exit_code == 0, result.output
        text = out.read_text()
        marks = [text.find(m) for m in ("Summary", "Findings: 10 (3 critical, 1 high, 6 medium)",
                                        "Findings (10), worst first",
                                        "Weekly drift metrics (14 agent-weeks)",
                                        "Evidence (2 files)")]
        assert -1 not in marks and marks == sorted(marks), (extra, marks)


def test_baseline_problems_are_listed_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("agents:\n  - agent_id: a\n    toolz: []\n    zone: 9\n")
    result = drift("--baseline", str(bad), str(OUT / FILES[0]))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"tracehound: {bad}:line 3: unknown key 'toolz' in an agent entry (known: agent_id, "
        "name, owner, zone, versions, tools, data_sources, labels, actions, limits)",
        f"tracehound: {bad}:line 4: key 'zone': 9 must be between 1 and 3"]


def test_usage_errors_exit_2():
    for args in (["--engine", "presto"], ["--format", "csv"]):
        result = drift("--baseline", str(OUT / "baseline.yaml"), str(OUT / FILES[0]), *args)
        assert result.exit_code == 2 and "choose one of" in result.stderr
