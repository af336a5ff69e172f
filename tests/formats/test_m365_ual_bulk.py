"""The UAL bulk loader fills the events table exactly as the record-by-record parser does."""

from __future__ import annotations

import json

import pytest

from m365_support import FIXTURES, parse, records as R, source_at, source_of
from tracehound import pipeline
from tracehound.formats.cloud import m365_ual_bulk as bulk
from tracehound.formats.cloud.m365_ual import UnifiedAuditLogParser
from tracehound.pipeline import Options, analyze
from tracehound.store import EVENT_SCHEMA, CaseStore, branches, events_with_attrs

PARSER = UnifiedAuditLogParser()
COLUMNS = [f.name for f in EVENT_SCHEMA]


def table(store: CaseStore) -> list[dict]:
    """The events table with attrs / raw decoded (the two paths write the same JSON values)."""
    found = store.con.execute(f"SELECT {', '.join(COLUMNS)} FROM events "
                              "ORDER BY sha256, locator").fetchall()
    out = []
    for row in found:
        record = dict(zip(COLUMNS, row))
        record["attrs"], record["raw"] = json.loads(record["attrs"]), json.loads(record["raw"])
        out.append(record)
    return out


def both_paths(source):
    events, issues = parse(PARSER, source)
    with CaseStore() as python_store, CaseStore() as bulk_store:
        python_store.load_events(events)
        loaded = PARSER.bulk_load(source, bulk_store)
        assert loaded is not None
        return (table(python_store), [(i.locator) for i in issues],
                table(bulk_store), [i.locator for i in loaded[1]], loaded[0])


@pytest.mark.parametrize("case", ["bec", "benign-admin"])
def test_bulk_rows_equal_python_rows_on_the_fixtures(case):
    python_rows, python_issues, bulk_rows, bulk_issues, count = both_paths(
        source_at(FIXTURES / case / "ual-export.csv"))
    assert count == len(python_rows) == {"bec": 91, "benign-admin": 25}[case]
    assert bulk_rows == python_rows
    assert bulk_issues == python_issues == (["row 12"] if case == "bec" else [])


def test_bulk_renumbers_rows_after_a_rejected_row(tmp_path):
    rule = R.exchange("2024-03-11T02:31:07", "New-InboxRule", "Megan.Bowen@contoso.com",
                      "[2001:db8::7]:443", "Megan Bowen\\..", Name="..", MarkAsRead="True")
    text = R.ual_csv([rule] * 5, R.NEW_HEADER, corrupt={3: "{not json"})
    lines = text.splitlines(keepends=True)
    text = "".join(lines[:2] + ['a,b,c\r\n'] + lines[2:5] + ['only,two\r\n'] + lines[5:])
    python_rows, python_issues, bulk_rows, bulk_issues, count = both_paths(
        source_of(tmp_path, text, "ragged.csv"))
    assert python_issues == bulk_issues == ["row 2", "row 5", "row 6"]
    assert [r["locator"] for r in bulk_rows] == ["row 1", "row 3", "row 4", "row 7"]
    assert bulk_rows == python_rows and count == 4


def test_bulk_steps_aside_for_utf16_and_json(tmp_path):
    text = R.ual_csv([R.login("2024-03-11T02:14:30", "a@b.c", "1.2.3.4", "x")], R.NEW_HEADER)
    with CaseStore() as store:
        assert PARSER.bulk_load(source_of(tmp_path, b"\xff\xfe" + text.encode("utf-16-le"),
                                          "u16.csv"), store) is None
        assert PARSER.bulk_load(source_of(tmp_path, "[]", "a.json"), store) is None


def test_pipeline_findings_are_the_same_through_the_bulk_path(monkeypatch):
    tools = ["o365-audit", "ual-analyzer", "account-activity"]
    path = FIXTURES / "bec" / "ual-export.csv"
    small = analyze([path], Options(tools=tools))
    monkeypatch.setattr(pipeline, "BULK_BYTES", 1)
    bulk = analyze([path], Options(tools=tools))
    assert bulk.events == [] and bulk.counts == small.counts
    assert [f.to_json() for f in bulk.findings] == [f.to_json() for f in small.findings]
    assert [i.locator for i in bulk.parse_issues] == [i.locator for i in small.parse_issues]


def test_rows_too_long_for_duckdb_are_parsed_by_python_with_their_numbers(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(bulk, "MAX_LINE", 4096)
    short = R.login("2024-03-11T02:14:30", "a@b.c", "1.2.3.4", "x")
    long = R.login("2024-03-11T02:15:30", "Long@B.c", "5.6.7.8", "y" * 6000)
    text = R.ual_csv([short, long, short, long, short], R.NEW_HEADER, corrupt={4: "{not json"})
    python_rows, python_issues, bulk_rows, bulk_issues, count = both_paths(
        source_of(tmp_path, text, "long.csv"))
    assert bulk_rows == python_rows and count == 4
    assert bulk_issues == python_issues == ["row 5"]
    assert [r["locator"] for r in bulk_rows if r["actor_id"] == "long@b.c"] == ["row 2", "row 4"]
    with CaseStore() as store:              # the two long rows took the Python path
        PARSER.bulk_load(source_at(tmp_path / "long.csv"), store)
        assert store.con.execute("SELECT locator FROM parsed_events ORDER BY locator"
                                 ).fetchall() == [("row 2",), ("row 4",)]


def test_a_numeric_user_type_given_as_text_counts_as_a_service_in_both_paths(tmp_path):
    record = R.login("2024-03-11T02:14:30", "sync@b.c", "1.2.3.4", "x")
    python_rows, _, bulk_rows, _, _ = both_paths(source_of(tmp_path, R.ual_csv(
        [{**record, "UserType": "5"}, {**record, "UserType": 5}, {**record, "UserType": True}],
        R.NEW_HEADER), "types.csv"))
    assert bulk_rows == python_rows
    assert [r["actor_kind"] for r in bulk_rows] == ["service-principal", "service-principal",
                                                    "human"]


def test_typed_attrs_agree_with_the_attrs_json_for_every_key():
    keys = ["workload", "client_ip", "user_agent", "operation", "user_id", "object_id",
            "result_status", "record_id", "site_url", "app_id", "client_app_id", "error_code",
            "failure_reason", "target_user", "mfa_method",
            "mfa_change", "role_name", "scopes", "service", "country"]
    with CaseStore() as store:
        PARSER.bulk_load(source_at(FIXTURES / "bec" / "ual-export.csv"), store)
        typed = store.con.execute(f"SELECT locator, _attrs FROM ({events_with_attrs(store.con, keys)}) "
                                  "ORDER BY locator").fetchall()
        paths = "[" + ", ".join(f"'$.{k}'" for k in keys) + "]"
        parsed = store.con.execute(f"SELECT locator, json_extract_string(attrs, {paths}) "
                                   "FROM events ORDER BY locator").fetchall()
    assert len(typed) == 91 and typed == parsed
    assert any(values[keys.index("role_name")] for _, values in typed)


def test_the_events_view_of_a_store_on_disk_survives_reopening(tmp_path):
    path = str(tmp_path / "case.duckdb")
    with CaseStore(path) as store:
        PARSER.bulk_load(source_at(FIXTURES / "bec" / "ual-export.csv"), store)
        before = store.con.execute("SELECT event_id, attrs FROM events ORDER BY event_id").fetchall()
    with CaseStore(path) as again:
        assert [b.name for b in branches(again.con)] == ["m365-ual-bulk"]
        assert again.con.execute("SELECT event_id, attrs FROM events "
                                 "ORDER BY event_id").fetchall() == before


def test_iocs_across_exports_are_the_same_through_the_bulk_path(monkeypatch):
    paths = [FIXTURES / "bec" / "ual-export.csv", FIXTURES / "bec" / "entra-signins.json"]
    small = analyze(paths, Options(tools=[]))
    monkeypatch.setattr(pipeline, "BULK_BYTES", 80 * 1024)        # the UAL export only
    bulk = analyze(paths, Options(tools=[]))
    assert [e.source for e in bulk.events] == [e.source for e in small.events
                                               if e.source != "m365:ual"]
    assert small.extra["iocs"] and bulk.extra["iocs"] == small.extra["iocs"]
