"""`tracehound analyze` on the kepler pack and on each kind of bad input (issue: foundation).

Each bad input gives a ParseIssue with its exact locator, the rest is still analyzed, the
counts appear in the JSON, and exit 3 only when nothing at all could be read.
"""

import hashlib
import json
import os

import pytest
from typer.testing import CliRunner

from tracehound.cli import app
from tracehound.fixtures.kepler import write_pack

runner = CliRunner()


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("kepler-pack")
    write_pack(out)
    return out


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def analyze_json(*args):
    result = runner.invoke(app, ["analyze", *map(str, args), "--format", "json"])
    return result, (json.loads(result.stdout) if result.stdout.strip() else None)


def test_analyze_lists_every_kepler_file_with_sha256_and_format(pack):
    before = {p.name: sha(p) for p in pack.iterdir()}
    result, doc = analyze_json(pack)
    assert result.exit_code == 0, result.output
    listed = {os.path.basename(e["path"]): e for e in doc["evidence"]}
    assert set(listed) == set(before) and len(listed) == 9
    for name, entry in listed.items():
        assert entry["sha256"] == before[name]
        assert entry["format"] and entry["events"] > 0 and entry["parse_issues"] == 0
        assert entry["reason"]
    assert {p.name: sha(p) for p in pack.iterdir()} == before, "evidence must not change"
    assert doc["schema"] == "tracehound/1" and doc["parse_issues"] == []
    failed = [r for r in doc["tool_runs"] if r["status"] == "error"]
    assert failed == []


def test_output_is_byte_identical_across_runs(pack):
    first = runner.invoke(app, ["analyze", str(pack), "--format", "json"]).stdout
    second = runner.invoke(app, ["analyze", str(pack), "--format", "json"]).stdout
    assert first == second


def test_fail_on_sets_exit_1(pack):
    assert runner.invoke(app, ["analyze", str(pack), "--fail-on", "high",
                               "--format", "json"]).exit_code == 1


def test_usage_errors_exit_2(pack, tmp_path):
    assert runner.invoke(app, ["analyze", str(pack), "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["analyze", str(pack), "--fail-on", "urgent"]).exit_code == 2
    missing = runner.invoke(app, ["analyze", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert missing.stderr.startswith(f"tracehound: {tmp_path / 'nope'}: no such file")
    assert runner.invoke(app, ["run", "no-such-tool", str(pack)]).exit_code == 2


def bad_inputs(folder, pack):
    """One file per kind of bad input, next to a good trace. Returns {name: expected issue}."""
    trace = (pack / "agent-tool-call-trace.ndjson").read_bytes().splitlines(keepends=True)
    (folder / "truncated.ndjson").write_bytes(b"".join(trace[:25]) + trace[25][:40])
    (folder / "empty.json").write_bytes(b"")
    (folder / "garbage.bin").write_bytes(bytes(range(256)) * 8)
    latin1 = trace[:2] + [trace[2].replace(b'"kepler-sre-agent-01"', b'"kepler-\xe9"', 1)]
    (folder / "latin1.ndjson").write_bytes(b"".join(latin1))
    (folder / "saas-audit.csv").write_bytes(
        b"Timestamp,Actor,Action,Resource\n"
        b"2026-04-12T14:00:00Z,ana@example.com,file.view,doc-1\n"
        b"2026-04-12T14:01:00Z,ana@example.com,file.view\n"
        b"2026-04-12T14:02:00Z,ana@example.com,file.share,doc-2\n")
    (folder / "unknown.json").write_bytes(b'{"hello": "world"}')
    return {
        "truncated.ndjson": ("line 26", "truncated JSON"),
        "empty.json": ("file", "file is empty"),
        "garbage.bin": ("file", "unknown format: binary content"),
        "latin1.ndjson": ("line 3", "bytes are not valid UTF-8"),
        "saas-audit.csv": ("row 2", "ragged row: 3 fields where the header has 4"),
        "unknown.json": ("file", "unknown format"),
    }


def test_each_bad_input_is_a_parse_issue_with_its_locator(pack, tmp_path):
    expected = bad_inputs(tmp_path, pack)
    result, doc = analyze_json(tmp_path)
    assert result.exit_code == 0, result.output
    issues = {os.path.basename(i["path"]): i for i in doc["parse_issues"]}
    assert set(issues) == set(expected)
    for name, (locator, problem) in expected.items():
        assert issues[name]["locator"] == locator, name
        assert issues[name]["problem"].startswith(problem), (name, issues[name]["problem"])
        assert f"tracehound: {issues[name]['path']}:{locator}: " in result.stderr
    counts = {os.path.basename(e["path"]): (e["events"], e["parse_issues"])
              for e in doc["evidence"]}
    assert counts["truncated.ndjson"] == (25, 1)
    assert counts["latin1.ndjson"] == (3, 1)
    assert counts["saas-audit.csv"] == (2, 1)
    assert counts["garbage.bin"] == (0, 1)


def test_exit_3_only_when_nothing_could_be_read(tmp_path):
    (tmp_path / "garbage.bin").write_bytes(os.urandom(2048))
    (tmp_path / "empty.ndjson").write_bytes(b"")
    result = runner.invoke(app, ["analyze", str(tmp_path), "--format", "json"])
    assert result.exit_code == 3
    assert "tracehound: no input could be read" in result.stderr


def test_forced_format_reports_the_reason(pack):
    result, doc = analyze_json(pack / "agent-network-events.ndjson", "--as",
                               "agent-network-ndjson")
    assert doc["evidence"][0]["reason"] == "forced with --as agent-network-ndjson"
    bad = runner.invoke(app, ["analyze", str(pack), "--as", "no-such-format"])
    assert bad.exit_code == 2 and "unknown format 'no-such-format'" in bad.stderr


def test_csv_and_ndjson_outputs(pack):
    csv_out = runner.invoke(app, ["analyze", str(pack), "--format", "csv"]).stdout
    assert csv_out.splitlines()[0].startswith("id,time,severity,category")
    lines = runner.invoke(app, ["analyze", str(pack), "--format", "ndjson"]).stdout.splitlines()
    assert lines and all(json.loads(line)["refs"] for line in lines)


def test_zip_of_the_pack_gives_the_same_findings(pack, tmp_path):
    import zipfile
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in sorted(pack.iterdir()):
            z.write(p, f"kepler/{p.name}")
    _, from_zip = analyze_json(archive)
    _, from_dir = analyze_json(pack)
    assert [f["id"] for f in from_zip["findings"]] == [f["id"] for f in from_dir["findings"]]
    assert all("!kepler/" in e["path"] for e in from_zip["evidence"])


def test_tools_lists_the_seven_agent_tools():
    out = runner.invoke(app, ["tools"]).stdout
    for name in ("trace-reconstructor", "prompt-action-divergence", "accountability-tracer",
                 "credential-audit", "mcp-call-graph", "persistence-detector",
                 "exfiltration-detector"):
        assert name in out


def test_evidence_cannot_send_control_sequences_to_the_terminal(tmp_path):
    hostile = tmp_path / "x\x1b]52;c;ZXZpbA==\x07\x1b[2J.json"
    hostile.write_bytes(b'{"hello": "world"}')
    (tmp_path / "good.ndjson").write_bytes(b"")
    result = runner.invoke(app, ["analyze", str(tmp_path)])
    assert "unknown format" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "x<U+001B>]52;c;ZXZpbA==<U+0007><U+001B>[2J.json" in result.stderr
    assert "\x1b" not in result.stdout and "<U+001B>" in result.stdout


def table_of(*args):
    """`analyze --format table` written to a file (160 columns, no colour) and read back."""
    result = runner.invoke(app, ["analyze", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def test_table_answers_first_and_keeps_the_checklist_for_details(pack, tmp_path):
    plain, detailed = tmp_path / "plain.txt", tmp_path / "details.txt"
    table_of(pack, "--out", plain)
    table_of(pack, "--out", detailed, "--details")
    text = plain.read_text()
    marks = [text.find(m) for m in ("Summary", "Case type: agent-runaway", "Why: ",
                                    "Window: 2026-04-12T14:00:00Z to 2026-04-12T14:08:30Z",
                                    "Findings: 23 (4 critical, 16 high, 3 medium)",
                                    "Findings (23), worst first", "Evidence (9 files)")]
    assert -1 not in marks and marks == sorted(marks), marks
    for detail in ("Preservation checklist", "AI-BOM", "Runbook"):
        assert detail not in text
    full = detailed.read_text()
    marks = [full.find(m) for m in ("Summary", "Findings (23)", "Evidence (9 files)",
                                    "Preservation checklist", "AI-BOM", "Runbook")]
    assert -1 not in marks and marks == sorted(marks), marks


def test_table_shows_a_grouped_finding_as_one_row_with_its_count(pack, tmp_path):
    out = tmp_path / "table.txt"
    table_of(pack, "--out", out)
    rows = [line for line in out.read_text().splitlines()
            if "Steps 18 and 19" in line]            # kepler's two groups over steps 18-19
    assert len(rows) == 2
    assert all(row.split("\u2502")[1].strip() == "high" for row in rows)
    assert all(row.split("\u2502")[2].strip() == "2" for row in rows)
    assert out.read_text().count("steps 18, 19") == 2


def test_run_takes_details(pack, tmp_path):
    out = tmp_path / "run.txt"
    result = runner.invoke(app, ["run", "persistence-detector", str(pack), "--details",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.index("Summary") < text.index("Findings (") < text.index("Evidence (")
    assert "Preservation checklist" in text


def test_rich_markup_in_evidence_is_printed_literally(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "[red]x[bold]y:warning:\x1b[2J.json"        # a file name cannot hold "/"
    (tmp_path / name).write_bytes(b'{"hello": "world"}')
    result = runner.invoke(app, ["analyze", name, "--out", "t.txt"])
    assert result.exit_code == 3
    text = (tmp_path / "t.txt").read_text()
    assert "[red]x[bold]y:warning:<U+001B>[2J.json" in text and "\x1b" not in text
