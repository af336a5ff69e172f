"""The UAL bulk loader reads JSON lines and JSON arrays into the events table exactly as the
record-by-record parser does (the CSV export is checked in test_m365_ual_bulk)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from m365_support import FIXTURES, source_of
from test_m365_ual_bulk import PARSER, both_paths
from tracehound.formats.cloud import m365_ual_bulk as bulk
from tracehound.store import CaseStore

BEC = FIXTURES / "bec" / "ual-export.csv"


def bec_records(shape: str) -> list[dict]:
    """The bec export's rows as JSON records: AuditData nested (`object`), as a JSON string
    (`string`, as Microsoft-Extractor-Suite writes it), or the AuditData record alone
    (`bare`). The export's one corrupt row stays a string (or is left out, bare)."""
    out = []
    for row in csv.DictReader(io.StringIO(BEC.read_text(encoding="utf-8-sig"), newline="")):
        try:
            audit = json.loads(row["AuditData"])
        except json.JSONDecodeError:
            audit = None
        if shape == "bare":
            if audit is not None:
                out.append(audit)
            continue
        envelope = {k: v for k, v in row.items() if k != "AuditData"}
        envelope["RecordType"] = int(envelope["RecordType"]) if envelope.get(
            "RecordType", "").isdigit() else envelope.get("RecordType")
        nested = audit if shape == "object" and audit is not None else row["AuditData"]
        out.append({**envelope, "AuditData": nested})
    return out


def lines_text(records: list, newline: str = "\n") -> str:
    return "".join(json.dumps(r, separators=(",", ":")) + newline for r in records)


@pytest.mark.parametrize("shape", ["object", "string", "bare"])
@pytest.mark.parametrize("kind", ["lines", "array"])
def test_json_exports_load_as_the_python_parser_reads_them(tmp_path, shape, kind, monkeypatch):
    monkeypatch.setattr(bulk, "UNREADABLE", ())      # a DuckDB error fails the test
    records = bec_records(shape)
    text = lines_text(records) if kind == "lines" else json.dumps(records, indent=2)
    python_rows, python_issues, bulk_rows, bulk_issues, count = both_paths(
        source_of(tmp_path, text, f"ual.{'jsonl' if kind == 'lines' else 'json'}"))
    assert count == len(python_rows) == 91
    assert bulk_rows == python_rows
    assert bulk_issues == python_issues
    with CaseStore() as store:          # every record went through SQL, none through Python
        bulk.bulk_load(source_of(tmp_path, text, "again"), store)
        assert store.con.execute("SELECT count(*) FROM parsed_events").fetchone() == (0,)


def test_odd_lines_keep_their_numbers_and_the_python_parsers_issues(tmp_path):
    records = bec_records("object")[:6]
    graph = {"id": "g1", "createdDateTime": "2024-03-11T02:14:30Z", "operation": "UserLoggedIn",
             "userPrincipalName": "Graph.User@contoso.com", "auditLogRecordType": 15,
             "service": "AzureActiveDirectory", "auditData": {"ClientIP": "5.6.7.8:1"}}
    lines = [json.dumps(r) for r in records]
    lines[2:2] = ["", "   ", "[1, 2]", "{not json", json.dumps({"AuditData": 5}),
                  json.dumps({"AuditData": "[1]"}), json.dumps({"Operation": " "}),
                  json.dumps(graph), '{"AuditData": {"Operation": "X", "V": NaN}}']
    data = ("\r\n".join(lines) + "\r\n").encode()
    data = data.replace(b"Graph.User", b"Graph.\xffUser")          # not UTF-8: Python reads it
    python_rows, python_issues, bulk_rows, bulk_issues, count = both_paths(
        source_of(tmp_path, data, "odd.jsonl"))
    assert bulk_rows == python_rows and count == len(python_rows) == 8
    assert bulk_issues == python_issues == ["line 5", "line 6", "line 7", "line 8", "line 9",
                                            "line 10"]
    # the Graph record (line 10: its bad byte is an issue too) and the NaN one (line 11)
    assert sorted(r["locator"] for r in bulk_rows)[:4] == ["line 1", "line 10", "line 11",
                                                           "line 12"]


def test_lines_too_long_for_duckdb_are_read_by_python(tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_LINE", 4096)
    records = bec_records("string")[:5]
    records[2]["AuditData"] = json.dumps({**json.loads(records[2]["AuditData"]),
                                          "Padding": "y" * 6000})
    python_rows, python_issues, bulk_rows, bulk_issues, count = both_paths(
        source_of(tmp_path, lines_text(records), "long.jsonl"))
    assert bulk_rows == python_rows and count == 5 and bulk_issues == python_issues == []


def test_a_single_document_and_an_empty_array_step_aside(tmp_path):
    with CaseStore() as store:
        page = json.dumps({"value": bec_records("bare")[:3]})
        assert bulk.bulk_load(source_of(tmp_path, page, "page.json"), store) is None
        assert bulk.bulk_load(source_of(tmp_path, "[\n]", "empty.json"), store) is None
        one = json.dumps(bec_records("bare")[0], indent=1)
        assert bulk.bulk_load(source_of(tmp_path, one, "one.json"), store) is None
        assert store.con.execute("SELECT count(*) FROM events").fetchone() == (0,)


def test_a_first_record_longer_than_the_sniffed_prefix_is_still_json_lines(tmp_path):
    records = bec_records("string")[:4]
    records[0]["AuditData"] = json.dumps({**json.loads(records[0]["AuditData"]),
                                          "Padding": "p" * 9000})
    python_rows, python_issues, bulk_rows, bulk_issues, count = both_paths(
        source_of(tmp_path, lines_text(records), "first-long.jsonl"))
    assert bulk_rows == python_rows and count == len(python_rows) == 4
    assert [r["locator"] for r in python_rows] == ["line 1", "line 2", "line 3", "line 4"]


def test_a_json_array_too_large_to_sniff_whole_is_known_by_its_first_records(tmp_path,
                                                                               monkeypatch):
    from tracehound.formats import base
    from tracehound.sniff import sniff
    monkeypatch.setattr(base, "DOCUMENT_SNIFF_LIMIT", 1024)
    text = json.dumps(bec_records("object"), indent=2)
    assert len(text) > 1024
    found = sniff(source_of(tmp_path, text, "large.json"))
    assert found.parser is not None and found.parser.name == "m365-ual"
