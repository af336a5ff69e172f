"""A large Purview CopilotInteraction CSV export goes straight into the store (DuckDB splits it,
the parser's own `record` maps each row): the same events, issues and drift findings as the
record-by-record path, on a 20,000-row slice with drift in it."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

from drift_builders import (AGENT, CONFIDENTIAL, HR_SITE, RESTRICTED, baseline_yaml, copilot,
                            resource)
from tracehound import pipeline
from tracehound.evidence import sha256_file
from tracehound.formats.base import Source
from tracehound.formats.drift.purview_copilot import PurviewCopilotParser
from tracehound.pipeline import Options, analyze
from tracehound.store import CaseStore

ROWS = 20_000
HEADER = ["RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData",
          "AssociatedAdminUnits", "AssociatedAdminUnitsNames"]
PARSER = PurviewCopilotParser()


def interaction(rnd: random.Random, n: int) -> dict:
    """Mostly in scope; now and then a new plugin, a site outside the scope, a restricted
    label, a blocked access, an XPIA flag or a version nobody approved."""
    extra = {}
    if rnd.random() < 0.02:
        extra["XPIADetected"] = True
    if rnd.random() < 0.03:
        extra["PolicyDetails"] = [{"PolicyId": "DLP-7", "PolicyName": "Block HC",
                                   "Action": "Block"}]
    site = HR_SITE if rnd.random() > 0.02 else "https://contoso.sharepoint.com/sites/Finance"
    label = CONFIDENTIAL if rnd.random() > 0.01 else RESTRICTED
    plugins = ("SharePointSearch",) + (("WebSearch",) if rnd.random() < 0.01 else ())
    when = f"2026-03-{1 + n * 28 // ROWS:02d}T{8 + n % 10:02d}:{n % 60:02d}:{(n * 7) % 60:02d}"
    return copilot(f"rec-{n}", when, resource(f"Shared Documents/doc-{n % 500}.docx", site,
                                              label, **extra),
                   plugins=plugins, version="1.3.0" if rnd.random() > 0.005 else "1.4.0",
                   agent=AGENT if n % 7 else "Sales-Helper")


def export(path: Path, rows: int, corrupt: dict[int, str] | None = None) -> Path:
    rnd = random.Random(11)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n in range(rows):
        record = interaction(rnd, n)
        audit = (corrupt or {}).get(n, json.dumps(record))
        writer.writerow([record["Id"], record["CreationTime"] + ".0000000Z", "261",
                         "CopilotInteraction", record["UserId"], audit, "", ""])
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode())
    return path


def source(path: Path) -> Source:
    return Source(path.name, path, sha256_file(path), path.stat().st_size)


def test_rows_and_issues_equal_the_record_by_record_parser(tmp_path):
    path = export(tmp_path / "copilot.csv", 300, corrupt={4: "{not json", 9: "[]"})
    items = list(PARSER.parse(source(path)))
    with CaseStore() as python_store, CaseStore() as bulk_store:
        python_store.load_events([i for i in items if not hasattr(i, "problem")])
        loaded = PARSER.bulk_load(source(path), bulk_store)
        assert loaded is not None and loaded[0] == 298
        assert loaded[1] == [i for i in items if hasattr(i, "problem")]
        query = "SELECT * EXCLUDE (raw) FROM events ORDER BY locator"
        assert (bulk_store.con.execute(query).fetchall()
                == python_store.con.execute(query).fetchall())


def test_a_ragged_export_steps_aside_and_leaves_nothing(tmp_path):
    path = export(tmp_path / "copilot.csv", 20)
    path.write_bytes(path.read_bytes() + b"only,two\r\n")
    with CaseStore() as store:
        assert PARSER.bulk_load(source(path), store) is None
        assert store.con.execute("SELECT count(*) FROM events").fetchone() == (0,)


def test_a_20k_row_slice_finds_the_same_drift_through_either_path(tmp_path, monkeypatch):
    path = export(tmp_path / "copilot.csv", ROWS)
    (tmp_path / "baseline.yaml").write_text(baseline_yaml(), encoding="utf-8")

    def run(bulk: bool) -> tuple:
        monkeypatch.setattr(pipeline, "BULK_BYTES", 1 if bulk else 1 << 40)
        case = analyze([path], Options(baseline_path=tmp_path / "baseline.yaml",
                                       tools=["drift"], reproducible=True))
        assert len(case.events) == (0 if bulk else ROWS)
        return (json.dumps([f.to_json() for f in case.findings], sort_keys=True),
                case.counts, case.artifacts)

    python, loaded = run(False), run(True)
    assert loaded == python
    assert len(json.loads(python[0])) >= 5


def test_the_bulk_load_reports_its_progress_in_bytes(tmp_path, monkeypatch):
    from tracehound.formats.drift import purview_copilot_bulk
    path = export(tmp_path / "copilot.csv", 20_000)
    monkeypatch.setattr(purview_copilot_bulk, "BATCH", 1_000)
    monkeypatch.setattr(pipeline, "BULK_BYTES", 1)
    calls = []
    analyze([path], Options(tools=[], reading=lambda *call: calls.append(call)))
    loading = [done for what, done, total, _ in calls if what.startswith("loading ")]
    assert loading[0] == 0 and len(loading) >= 3
    assert loading == sorted(loading) and loading[-1] <= path.stat().st_size
