"""How the UAL bulk load behaves around the rows: small stores, failures, batches, fallbacks.

(The rows themselves are checked against the record-by-record parser in test_m365_ual_bulk.)
"""

from __future__ import annotations

import duckdb
import pytest

from m365_support import FIXTURES, parse, records as R, source_at, source_of
from tracehound import pipeline
from tracehound.formats.cloud import m365_ual_bulk as bulk
from tracehound.formats.cloud.m365_ual import UnifiedAuditLogParser
from tracehound.pipeline import Options, analyze
from tracehound.store import CaseStore, memory_at_least
from tracehound.taxonomy import classify_action

PARSER = UnifiedAuditLogParser()
BEC = FIXTURES / "bec" / "ual-export.csv"


def settings(store: CaseStore) -> tuple:
    return store.con.execute("SELECT current_setting('memory_limit'), "
                             "current_setting('preserve_insertion_order')").fetchone()


def event_rows(store: CaseStore) -> list[tuple]:
    return store.con.execute("SELECT event_id, locator, action_class, target_id, attrs "
                             "FROM events ORDER BY locator").fetchall()


def test_a_store_kept_small_loads_and_then_keeps_the_rows_in_memory(tmp_path):
    with CaseStore(spill_dir=str(tmp_path), memory_limit="64MB") as small, CaseStore() as plain:
        small.con.execute("SET preserve_insertion_order = false")
        assert PARSER.bulk_load(source_at(BEC), small)[0] == 91
        # insertion order is the store's own again; the memory limit stays raised, so the
        # rows just loaded (which no Python object holds) are not evicted to disk
        assert settings(small) == ("1.0 GiB", False)
        before = settings(plain)
        PARSER.bulk_load(source_at(BEC), plain)
        assert settings(plain) == before          # a limit already higher is left alone
        assert event_rows(small) == event_rows(plain)


def test_a_failure_midway_raises_and_leaves_no_rows(monkeypatch):
    def out_of_memory(*_):
        raise duckdb.OutOfMemoryException("Out of Memory Error: test")
    monkeypatch.setattr(bulk, "_classify", out_of_memory)
    with CaseStore() as store:
        before = settings(store)
        with pytest.raises(duckdb.OutOfMemoryException):
            PARSER.bulk_load(source_at(BEC), store)
        assert store.con.execute("SELECT count(*) FROM events").fetchone() == (0,)
        assert settings(store) == before


def test_a_file_duckdb_cannot_read_steps_aside_and_leaves_no_rows(tmp_path):
    text = R.ual_csv([R.login("2024-03-11T02:14:30", "a@b.c", "1.2.3.4", "x")] * 3, R.NEW_HEADER)
    old_mac = source_of(tmp_path, text.replace("\r\n", "\r"), "cr.csv")     # CR-only lines
    with CaseStore() as store:
        before = settings(store)
        assert PARSER.bulk_load(old_mac, store) is None
        assert store.con.execute("SELECT count(*) FROM events").fetchone() == (0,)
        assert settings(store) == before


def test_directory_changes_are_detailed_in_batches(monkeypatch):
    with CaseStore() as whole:
        PARSER.bulk_load(source_at(BEC), whole)
        expected = event_rows(whole)
    monkeypatch.setattr(bulk, "DIRECTORY_BATCH", 1)
    with CaseStore() as batched:
        PARSER.bulk_load(source_at(BEC), batched)
        assert event_rows(batched) == expected
    assert any("role_name" in attrs for *_, attrs in expected)


def test_rows_loaded_after_other_sources_are_numbered_from_one(tmp_path):
    text = R.ual_csv([R.login("2024-03-11T02:14:30", "a@b.c", "1.2.3.4", "x")] * 3, R.NEW_HEADER)
    events, _ = parse(PARSER, source_at(BEC))
    with CaseStore() as store:
        store.load_events(events)
        store.con.execute("DELETE FROM parsed_events WHERE locator = 'row 1'")
        assert PARSER.bulk_load(source_of(tmp_path, text, "more.csv"), store)[0] == 3
        found = store.con.execute("SELECT locator FROM events WHERE sha256 <> ? "
                                  "ORDER BY locator", [events[0].ref.sha256]).fetchall()
    assert found == [("row 1",), ("row 2",), ("row 3",)]


def test_the_pipeline_fails_loudly_instead_of_parsing_a_huge_file_in_python(monkeypatch):
    def out_of_memory(*_):
        raise duckdb.OutOfMemoryException("Out of Memory Error: test")
    monkeypatch.setattr(bulk, "_classify", out_of_memory)
    monkeypatch.setattr(pipeline, "BULK_BYTES", 1)
    monkeypatch.setattr(PARSER.__class__, "parse", lambda *a: pytest.fail("python fallback"))
    with pytest.raises(duckdb.OutOfMemoryException):
        analyze([BEC], Options(tools=[]))


def test_memory_at_least_raises_for_a_step_and_restores():
    with CaseStore(memory_limit="64MB") as store:
        with memory_at_least(store.con, 256 * 1024 ** 2):
            assert settings(store)[0] == "256.0 MiB"
        assert settings(store)[0] == "61.0 MiB"
        with memory_at_least(store.con, 32 * 1024 ** 2):
            assert settings(store)[0] == "61.0 MiB"


def test_two_exports_in_one_store_keep_their_own_hashes_numbers_and_classes(tmp_path):
    first = R.ual_csv([R.login("2024-03-11T02:14:30", "a@b.c", "1.2.3.4", "x")] * 2, R.NEW_HEADER)
    second = R.ual_csv([R.exchange("2024-03-11T02:31:07", "New-InboxRule", "a@b.c", "1.2.3.4",
                                   "A\\r", Name="r")] * 3, R.NEW_HEADER)
    one, two = source_of(tmp_path, first, "one.csv"), source_of(tmp_path, second, "two.csv")
    with CaseStore() as store:
        assert PARSER.bulk_load(one, store)[0] == 2 and PARSER.bulk_load(two, store)[0] == 3
        found = store.con.execute("SELECT sha256, locator, action, action_class FROM events "
                                  "ORDER BY sha256 = ?, locator", [one.sha256]).fetchall()
    assert [(s, loc, a) for s, loc, a, _ in found] == (
        [(two.sha256, f"row {n}", "New-InboxRule") for n in (1, 2, 3)]
        + [(one.sha256, f"row {n}", "UserLoggedIn") for n in (1, 2)])
    assert [klass for *_, klass in found] == [classify_action("New-InboxRule")] * 3 + [
        classify_action("UserLoggedIn")] * 2
    assert classify_action("UserLoggedIn") != classify_action("New-InboxRule")
