"""`tracehound views` and `analyze --views DIR`: every per-row view as formula-safe CSV or
deterministic JSON lines; the case JSON holds none of them."""

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from tracehound.cli import app
from tracehound.pipeline import VIEWS

runner = CliRunner()
FIXTURES = Path(__file__).parents[1] / "fixtures"
BEC = FIXTURES / "cloud" / "bec"
AZURE = FIXTURES / "cloud" / "azure"
ALL_VIEWS = ["azure_operations", "inbox_rules", "ips", "mailbox", "saas_cross_service",
             "saas_timeline", "signins", "suspicious", "timeline", "ual_users", "users"]


def test_views_are_listed_with_row_counts():
    out = runner.invoke(app, ["views", str(BEC), str(AZURE), "-q"]).stdout
    counts = dict(line.split("\t") for line in out.splitlines())
    assert list(counts) == ALL_VIEWS
    assert counts["inbox_rules"] == "3 rows" and counts["azure_operations"] == "19 rows"


def test_inbox_rules_view_as_csv_cites_its_rows():
    result = runner.invoke(app, ["views", str(BEC), "--view", "inbox_rules"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.exit_code == 0
    names = [r["rule_name"] for r in rows]
    assert ".." in names
    assert all(r["locator"].startswith("row ") and len(r["sha256"]) == 64 for r in rows)


def test_the_sign_in_table_answers_to_both_names():
    signins = runner.invoke(app, ["views", str(BEC), "--view", "signins", "-q"]).stdout
    assert runner.invoke(app, ["views", str(BEC), "--view", "account_activity",
                               "-q"]).stdout == signins
    assert signins.startswith("time,actor,source,outcome,ip,")


def test_a_view_as_json_lines_is_the_same_bytes_twice(tmp_path):
    paths = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    for path in paths:
        result = runner.invoke(app, ["views", str(BEC), "--view", "ual_users", "--out",
                                     str(path), "-q"])
        assert result.exit_code == 0
    data = paths[0].read_bytes()
    assert data == paths[1].read_bytes()
    rows = [json.loads(line) for line in data.splitlines()]
    assert len(rows) == 9 and rows[0]["user"] == "adele.vance@contoso.com"
    assert all(line == json.dumps(json.loads(line), sort_keys=True, ensure_ascii=False,
                                  separators=(",", ":")).encode()
               for line in data.splitlines())


def test_unknown_view_is_a_usage_error():
    result = runner.invoke(app, ["views", str(BEC), "--view", "nope"])
    assert result.exit_code == 2 and "--view 'nope'" in result.stderr


def test_analyze_writes_every_view_beside_a_case_json_without_them(tmp_path):
    written = {}
    for run in ("one", "two"):
        result = runner.invoke(app, ["analyze", str(BEC), str(AZURE), "--format", "json",
                                     "--out", str(tmp_path / f"{run}.json"),
                                     "--views", str(tmp_path / run), "-q"])
        assert result.exit_code == 0, result.stderr
        written[run] = {p.relative_to(tmp_path / run).as_posix(): p.read_bytes()
                        for p in sorted((tmp_path / run).rglob("*")) if p.is_file()}
    assert written["one"] == written["two"]
    assert sorted(written["one"]) == sorted(f"{name}.{suffix}" for name in ALL_VIEWS
                                            for suffix in ("csv", "jsonl"))
    doc = json.loads((tmp_path / "one.json").read_text())
    assert not set(VIEWS) & set(doc) and doc["findings"]
    timeline = written["one"]["saas_timeline.jsonl"].splitlines()
    assert len(timeline) == 168 and json.loads(timeline[0])["ref"]["locator"]


def test_analyze_writes_every_graph_whole_as_dot(tmp_path):
    result = runner.invoke(app, ["analyze", str(FIXTURES / "agent" / "mcp_jsonrpc"),
                                 "--format", "json", "--out", str(tmp_path / "case.json"),
                                 "--views", str(tmp_path / "views"), "-q"])
    assert result.exit_code in (0, 1), result.stderr
    doc = json.loads((tmp_path / "case.json").read_text())
    kinds = sorted({g["kind"] for g in doc["graphs"]})
    assert kinds and sorted(p.name for p in (tmp_path / "views" / "graphs").iterdir()) == [
        f"{kind}.dot" for kind in kinds]
    dot = (tmp_path / "views" / "graphs" / f"{kinds[0]}.dot").read_text()
    assert dot.startswith(f'digraph "{kinds[0]}" {{') and dot.endswith("}\n")
