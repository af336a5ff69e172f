"""Twenty concurrent analyses of the kepler pack over loopback HTTP, bounded in time.

All twenty must finish with the same findings and traces, and the server must keep answering
page requests quickly while the two worker slots are busy. The timing is written to
test-artifacts/load-test.txt.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from workbench_support import ARTIFACTS, LiveServer, case_json, pack_files

pytestmark = pytest.mark.load
ANALYSES = 20
BOUND_SECONDS = 150
RESPONSIVE_SECONDS = 2.0


def test_twenty_concurrent_analyses_agree(tmp_path: Path, kepler_pack: Path) -> None:
    files, data = pack_files(kepler_pack)
    with LiveServer(tmp_path / "cases") as server:
        started = time.monotonic()

        def submit(_: int) -> tuple[str, str]:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                response = http.post("/api/cases", files=files, data=data)
            assert response.status_code == 201, response.text
            return response.json()["job"]["id"], response.json()["case_id"]

        with ThreadPoolExecutor(ANALYSES) as pool:
            submitted = list(pool.map(submit, range(ANALYSES)))
        accepted = time.monotonic() - started
        pending = {job for job, _ in submitted}
        states: dict[str, dict] = {}
        latencies: list[float] = []
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while pending and time.monotonic() - started < BOUND_SECONDS:
                before = time.monotonic()
                assert http.get("/").status_code == 200
                latencies.append(time.monotonic() - before)
                for job in sorted(pending):
                    state = http.get(f"/api/jobs/{job}").json()
                    if state["state"] not in ("queued", "running"):
                        states[job] = state
                        pending.discard(job)
                time.sleep(0.2)
        elapsed = time.monotonic() - started

    assert not pending, f"{len(pending)} analyses still running after {BOUND_SECONDS} s"
    assert [s["state"] for s in states.values()] == ["done"] * ANALYSES
    docs = [case_json(server.cases_dir, case_id) for _, case_id in submitted]
    assert len({len(d["findings"]) for d in docs}) == 1
    assert all(d["findings"] == docs[0]["findings"] for d in docs)
    assert all(d["traces"] == docs[0]["traces"] for d in docs)
    assert sum(len(t["steps"]) for t in docs[0]["traces"]) == 26
    assert max(latencies) < RESPONSIVE_SECONDS, f"home page took {max(latencies):.2f} s"

    ARTIFACTS.mkdir(exist_ok=True)
    report = (f"{ANALYSES} concurrent analyses of the kepler pack over loopback HTTP: "
              f"uploads accepted in {accepted:.2f} s, all done in {elapsed:.2f} s "
              f"({elapsed / ANALYSES:.2f} s per analysis with 2 worker slots); "
              f"{len(docs[0]['findings'])} findings each, identical; home page latency "
              f"max {max(latencies) * 1000:.0f} ms, median "
              f"{sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms over "
              f"{len(latencies)} requests during the load\n")
    (ARTIFACTS / "load-test.txt").write_text(report, encoding="utf-8")
    print(report)
