"""`tracehound timeline`: a super-timeline that Timesketch's CSV/JSONL importer accepts.

Timesketch documents three required columns for CSV and JSONL imports: message, datetime
(ISO 8601) and timestamp_desc; `timestamp` (microseconds) is optional. Every row must have
them, non-empty, and the datetime must parse.
"""

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tracehound.cli import app
from tracehound.fixtures.kepler import write_pack

runner = CliRunner()
CLOUDTRAIL = Path(__file__).parents[1] / "fixtures" / "kepler-cloudtrail" / "cloudtrail.json"
REQUIRED = ("message", "datetime", "timestamp_desc")


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("kepler")
    write_pack(out)
    return out


def check_row(row):
    for column in REQUIRED:
        assert row[column], (column, row)
    moment = datetime.fromisoformat(row["datetime"])
    assert moment.utcoffset().total_seconds() == 0
    assert int(row["timestamp"]) == int(moment.timestamp() * 1_000_000)


def test_timesketch_csv(pack, tmp_path):
    out = tmp_path / "timeline.csv"
    result = runner.invoke(app, ["timeline", str(pack), str(CLOUDTRAIL), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0])[:3] == list(REQUIRED)
    for row in rows:
        check_row(row)
    kinds = {row["kind"] for row in rows}
    assert kinds == {"event", "finding"}
    assert [r["timestamp"] for r in rows] == sorted((r["timestamp"] for r in rows), key=int)
    sources = {row["source"] for row in rows if row["kind"] == "event"}
    assert {"agent:tool_call", "agent:network", "aws:cloudtrail"} <= sources


def test_timesketch_jsonl_matches_csv_rows(pack, tmp_path):
    jsonl = runner.invoke(app, ["timeline", str(pack), "--format", "jsonl"]).stdout
    csv_text = runner.invoke(app, ["timeline", str(pack)]).stdout
    lines = [json.loads(line) for line in jsonl.splitlines()]
    for row in lines:
        check_row(row)
    assert len(lines) == len(list(csv.DictReader(io.StringIO(csv_text))))


def test_unknown_timeline_format_is_a_usage_error(pack):
    result = runner.invoke(app, ["timeline", str(pack), "--format", "xlsx"])
    assert result.exit_code == 2 and "--format 'xlsx'" in result.stderr
