"""`tracehound views`: the M365 views and sign-ins as formula-safe CSV."""

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from tracehound.cli import app

runner = CliRunner()
BEC = Path(__file__).parents[1] / "fixtures" / "cloud" / "bec"


def test_views_are_listed_with_row_counts():
    out = runner.invoke(app, ["views", str(BEC)]).stdout
    names = [line.split("\t")[0] for line in out.splitlines()]
    assert names == ["inbox_rules", "ips", "mailbox", "suspicious", "timeline", "users",
                     "signins"]


def test_inbox_rules_view_as_csv_cites_its_rows():
    result = runner.invoke(app, ["views", str(BEC), "--view", "inbox_rules"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.exit_code == 0
    names = [r["rule_name"] for r in rows]
    assert ".." in names
    assert all(r["locator"].startswith("row ") and len(r["sha256"]) == 64 for r in rows)


def test_unknown_view_is_a_usage_error():
    result = runner.invoke(app, ["views", str(BEC), "--view", "nope"])
    assert result.exit_code == 2 and "--view 'nope'" in result.stderr
