"""Same work at every size: a 20,000-row slice of the benchmark's UAL export (with its attack
rows) gives the same findings whether DuckDB bulk-loads it or the record-by-record parser reads
it, in every shape the bulk path takes: Purview CSV, JSON lines (Microsoft-Extractor-Suite's
shape, AuditData a JSON string) and a JSON array (AuditData a nested object)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from benchmarks import ual_cloud
from tracehound import pipeline
from tracehound.analyzers import all_analyzers
from tracehound.pipeline import Options, analyze

ROWS = 20_000
CLOUD_TOOLS = [a.NAME for a in all_analyzers() if a.FAMILY == "cloud"]


@pytest.fixture(scope="module")
def slice_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ual") / "ual-slice.csv"
    ual_cloud.generate(path, ROWS)
    return path


def json_records(path: Path, nested: bool) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        record = {k: v for k, v in row.items() if v != ""}
        record["RecordType"] = int(record["RecordType"])
        if nested:
            record["AuditData"] = json.loads(record["AuditData"])
        out.append(record)
    return out


def shaped(slice_csv: Path, shape: str) -> Path:
    if shape == "csv":
        return slice_csv
    if shape == "jsonl":
        path = slice_csv.with_suffix(".jsonl")
        path.write_text("".join(json.dumps(r) + "\r\n" for r in json_records(slice_csv, False)),
                        encoding="utf-8")
    else:
        path = slice_csv.with_suffix(".json")
        path.write_text(json.dumps(json_records(slice_csv, True), indent=2), encoding="utf-8")
    return path


def findings_json(path: Path, bulk: bool) -> tuple[str, dict, list]:
    case = analyze([path], Options(tools=CLOUD_TOOLS, reproducible=True))
    assert not [r for r in case.extra["tool_runs"] if r["status"] == "error"]
    assert len(case.events) == (0 if bulk else ROWS)     # the path asked for was taken
    return (json.dumps([f.to_json() for f in case.findings], sort_keys=True), case.counts,
            [i.to_json() for i in case.parse_issues])


@pytest.mark.parametrize("shape", ["csv", "jsonl", "json"])
def test_the_bulk_and_the_python_path_find_the_same(slice_csv, shape, monkeypatch):
    path = shaped(slice_csv, shape)
    monkeypatch.setattr(pipeline, "BULK_BYTES", 1 << 40)
    python = findings_json(path, bulk=False)
    monkeypatch.setattr(pipeline, "BULK_BYTES", 1)
    loaded = findings_json(path, bulk=True)
    assert loaded == python
    findings = json.loads(python[0])
    assert [n for n, _ in python[1].values()] == [ROWS] and len(findings) > 100
    assert {f["rule"] for f in findings} >= {"TH-M365-INBOX-RULE", "TH-M365-MAIL-FORWARDING",
                                            "TH-M365-PRIVILEGED-ROLE-ADD"}


def test_the_closing_integrity_check_hashes_the_whole_export_again(slice_csv, monkeypatch):
    """A bulk-loaded export is read whole twice by the hashing: at intake, and again when the
    analysis ends (the integrity re-check), inside the run."""
    from tracehound import evidence
    hashed: list[Path] = []
    real = evidence.sha256_file

    def counted(path, watch=None):
        hashed.append(Path(path))
        return real(path, watch)
    monkeypatch.setattr(evidence, "sha256_file", counted)
    monkeypatch.setattr(pipeline, "BULK_BYTES", 1)
    case = analyze([slice_csv], Options(tools=["o365-audit"]))
    assert hashed.count(slice_csv) == 2 and case.changed == []
