"""The paths a large case takes (events streamed into a spilling store, raw records kept only
in the store, the collector paused) give the same case as the small-case path."""

import gc
import json

import pytest

from tracehound import pipeline
from tracehound.fixtures import kepler
from tracehound.model import Event, EvidenceRef
from tracehound.pipeline import Options, analyze
from tracehound.store import CaseStore


@pytest.fixture(scope="module")
def kepler_pack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kepler")
    kepler.write_pack(folder)
    return folder


def _doc(case):
    return json.dumps(case.to_json(), sort_keys=True, default=str)


def test_large_case_paths_give_the_same_case(kepler_pack, monkeypatch):
    small = analyze([kepler_pack], Options(reproducible=True, timeline=True))
    assert any(e.raw is not None for e in small.events)
    monkeypatch.setattr(pipeline, "RAW_IN_STORE_BYTES", 0)
    monkeypatch.setattr(pipeline, "SPILL_BYTES", 0)
    monkeypatch.setattr(pipeline, "STORE_BATCH", 7)       # many batches, one transaction
    large = analyze([kepler_pack], Options(reproducible=True, timeline=True))
    assert _doc(large) == _doc(small)
    assert len(large.events) == len(small.events) == 135
    assert all(e.raw is None for e in large.events)       # kept in the store only


def test_the_collector_is_back_as_it_was(kepler_pack):
    assert gc.isenabled()
    analyze([kepler_pack], Options(tools=["trace-reconstructor"]))
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        analyze([kepler_pack], Options(tools=["trace-reconstructor"]))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_store_event_ids_are_the_event_ids():
    events = [Event(ref=EvidenceRef("ab" * 32, locator), source="agent:tool_call", time=None,
                    action="a") for locator in ("line 1", "row 12", "json:/a/é/€", "json:/x~1y")]
    with CaseStore() as store:
        store.begin()
        store.load_events(events[:2])
        store.load_events(events[2:])
        store.commit()
        stored = [row[0] for row in store.con.execute(
            "SELECT event_id FROM events ORDER BY locator").fetchall()]
    assert stored == [e.id for e in sorted(events, key=lambda e: e.ref.locator)]


def test_a_rolled_back_load_leaves_no_rows():
    event = Event(ref=EvidenceRef("ab" * 32, "line 1"), source="x", time=None, action="a")
    with CaseStore() as store:
        store.begin()
        store.load_events([event])
        store.rollback()
        assert store.con.execute("SELECT count(*) FROM events").fetchone() == (0,)
