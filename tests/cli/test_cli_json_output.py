"""The case JSON on the command line (CONTRACT.md, additions of 2026-12): compact with sorted
keys, `--pretty` for people, and a run killed while writing leaves no partial `--out` file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tracehound.cli import app
from tracehound.fixtures.kepler import write_pack

runner = CliRunner()
MULTIWEEK = Path(__file__).resolve().parents[1] / "fixtures" / "drift" / "multiweek"


def reference(doc, pretty: bool = False) -> bytes:
    if pretty:
        return (json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode()
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("kepler") / "pack"
    write_pack(out)
    return out


def invoke(*args) -> bytes:
    result = runner.invoke(app, [*map(str, args)])
    assert result.exit_code in (0, 1), result.output
    return result.stdout_bytes


def test_analyze_writes_compact_sorted_json_and_pretty_on_request(pack, tmp_path):
    compact = invoke("analyze", pack, "--format", "json")
    doc = json.loads(compact)
    assert compact == reference(doc) and compact.startswith(b'{"aibom":')
    pretty = invoke("analyze", pack, "--format", "json", "--pretty")
    assert json.loads(pretty) == doc and pretty == reference(doc, pretty=True)
    out = tmp_path / "case.json"
    assert invoke("analyze", pack, "--format", "json", "--out", out) == b""
    first = out.read_bytes()
    invoke("analyze", pack, "--format", "json", "--out", out)
    assert out.read_bytes() == first == compact
    assert [p.name for p in tmp_path.iterdir()] == ["case.json"]


def test_run_and_drift_take_pretty_too(pack):
    one = invoke("run", "exfiltration-detector", pack, "--format", "json")
    assert one == reference(json.loads(one))
    assert json.loads(invoke("run", "exfiltration-detector", pack, "--format", "json", "--pretty")) == \
        json.loads(one)
    drift = invoke("drift", "--baseline", MULTIWEEK / "baseline.yaml", MULTIWEEK,
                   "--format", "json")
    assert drift == reference(json.loads(drift)) and json.loads(drift)["drift_metrics"]
    pretty = invoke("drift", "--baseline", MULTIWEEK / "baseline.yaml", MULTIWEEK,
                    "--format", "json", "--pretty")
    assert pretty == reference(json.loads(drift), pretty=True)


def test_the_demo_case_json_is_compact_and_complete(tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "case.json").read_bytes()
    doc = json.loads(written)
    assert written == reference(doc) and doc["findings"] and doc["traces"]
    assert not [p for p in tmp_path.rglob(".*tmp-*")]


# A child that runs `analyze --out` with a writer slowed down to a crawl, so a signal lands
# while the temporary file is being written.
SLOW_RUN = """
import sys, time
from tracehound.report import case_json
real = case_json.encode
def slow(value, pretty=False):
    time.sleep(0.05)
    return real(value, pretty)
case_json.encode = slow
from tracehound.cli import main
sys.argv = ["tracehound", "analyze", sys.argv[1], "--format", "json", "--out", sys.argv[2]]
main()
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_run_killed_while_writing_leaves_the_previous_file_and_no_partial_one(
        pack, tmp_path, signum):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "case.json"
    out.write_bytes(b'{"previous": true}')
    child = subprocess.Popen([sys.executable, "-c", SLOW_RUN, str(pack), str(out)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not [p for p in folder.iterdir() if p.name.startswith(".case.json.tmp-")]:
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "the child never started writing"
            time.sleep(0.01)
        time.sleep(0.2)                       # well inside the write (it takes seconds)
        assert child.poll() is None and list(folder.glob(".case.json.tmp-*")), \
            "it was writing when interrupted"
        child.send_signal(signum)
        code = child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert code != 0
    assert sorted(p.name for p in folder.iterdir()) == ["case.json"]
    assert out.read_bytes() == b'{"previous": true}'
    assert os.path.exists(out)
