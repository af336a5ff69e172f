"""How far a run has read (issue 15): the readers report their offset at most every 64 KB
to a meter set around one parse, the pipeline turns that into bytes and records over every
source, archives report the compressed bytes read, and DuckDB's own progress is polled for a
bulk load without printing DuckDB's bar."""

import gzip
import json

from tracehound.formats.meter import METER_STEP, metered
from tracehound.formats.readers import iter_csv, iter_file_lines, iter_ndjson
from tracehound.pipeline import Options, analyze
from tracehound.store import CaseStore


def ndjson_bytes(records):
    return "".join(json.dumps({"n": n, "pad": "x" * 200}) + "\n"
                   for n in range(records)).encode()


def test_line_readers_report_every_64_kb_and_the_end(tmp_path):
    data = ndjson_bytes(5_000)                      # about 1 MB
    path = tmp_path / "records.ndjson"
    path.write_bytes(data)
    offsets = []
    with metered(offsets.append):
        lines = sum(1 for _ in iter_file_lines(path, "records.ndjson"))
    assert lines == 5_001
    assert offsets[-1] == len(data)
    assert offsets == sorted(offsets)
    steps = [b - a for a, b in zip(offsets, offsets[1:-1])]
    assert all(step >= METER_STEP for step in steps)
    assert len(offsets) <= len(data) // METER_STEP + 2


def test_bytes_in_memory_and_csv_rows_are_metered_too():
    data = ndjson_bytes(2_000)
    offsets = []
    with metered(offsets.append):
        assert sum(1 for _ in iter_ndjson(data, "x")) == 2_000
    assert offsets[-1] == len(data) and len(offsets) > 3
    csv_data = ("a,b\n" + "".join(f"{n},{'y' * 100}\n" for n in range(5_000))).encode()
    rows, seen = [0], []
    with metered(lambda offset: seen.append((rows[0], offset))):
        for _ in iter_csv(csv_data, "x.csv"):
            rows[0] += 1
    assert rows[0] == 5_000
    # the rows, not the decoding before them: reported as the rows go, ending at the end
    assert len(seen) >= 5_000 // 512 and all(row > 0 for row, _ in seen)
    offsets = [offset for _, offset in seen]
    assert offsets == sorted(offsets) and offsets[-1] == len(csv_data)
    assert abs(seen[4][1] / len(csv_data) - seen[4][0] / 5_000) < 0.01


def test_nobody_watching_reports_nothing():
    offsets = []
    with metered(offsets.append):
        pass
    assert sum(1 for _ in iter_ndjson(ndjson_bytes(1_000), "x")) == 1_000
    assert offsets == []


def test_the_run_reports_hashing_parsing_bytes_and_records(tmp_path):
    from tracehound.fixtures.kepler import write_pack
    write_pack(tmp_path / "pack")
    calls = []
    case = analyze([tmp_path / "pack"],
                   Options(reading=lambda *call: calls.append(call), reproducible=True))
    parsing = [c for c in calls if c[0].startswith("parsing ")]
    total = sum(e.size for e in case.evidence)
    assert all(c[2] == total for c in parsing)
    assert [c[1] for c in parsing] == sorted(c[1] for c in parsing)
    assert parsing[-1][1] == total
    assert parsing[-1][3] == sum(events for events, _ in case.counts.values())
    hashed = {c[0] for c in calls if c[0].startswith("hashing ")}
    assert len(hashed) == len(case.evidence)


def test_a_gzip_reports_the_compressed_bytes_read(tmp_path):
    path = tmp_path / "records.ndjson.gz"
    path.write_bytes(gzip.compress(ndjson_bytes(20_000), compresslevel=1))
    calls = []
    analyze([path], Options(reading=lambda *call: calls.append(call), tools=[]))
    extracting = [c for c in calls if c[0].startswith("extracting ")]
    size = path.stat().st_size
    assert extracting and all(c[2] == size and c[1] <= size for c in extracting)
    assert extracting[-1][1] == size
    parsing = [c for c in calls if c[0].startswith("parsing ")]
    assert parsing[-1][1] == parsing[-1][2] == len(ndjson_bytes(20_000))


def test_duckdb_progress_is_polled_quietly_and_its_settings_come_back(capfd):
    shares = []
    with CaseStore() as store:
        before = store.con.execute("SELECT current_setting('enable_progress_bar_print'), "
                                   "current_setting('progress_bar_time')").fetchone()
        with store.watched(shares.append, every=0.005):
            store.con.execute("SELECT sum(hash(i)) FROM range(100000000) t(i)").fetchone()
        after = store.con.execute("SELECT current_setting('enable_progress_bar_print'), "
                                  "current_setting('progress_bar_time')").fetchone()
    assert after == before
    assert shares and shares == sorted(shares) and 0 < shares[0] and shares[-1] <= 1
    out, err = capfd.readouterr()
    assert out == "" and err == ""
