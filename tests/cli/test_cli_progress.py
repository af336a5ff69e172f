"""Progress on stderr (issue 15): bytes, records per second and an ETA while a run reads,
under a terminal only; piped stderr and `--quiet` get not one byte of it; drawn at most ten
times a second."""

import io
import json
import os
import pty
import select
import subprocess
import sys
import time

import pytest
from rich.console import Console

from tracehound.cli.progress import INTERVAL, RunProgress
from tracehound.fixtures.kepler import write_pack

CLI = [sys.executable, "-c", "from tracehound.cli import main; main()"]


@pytest.fixture(scope="module")
def big_export(tmp_path_factory):
    """About 10 MB of kepler's network-event records, each its own flow: parsing takes long
    enough (a few tenths of a second) for the rate to be drawn."""
    folder = tmp_path_factory.mktemp("progress")
    write_pack(folder / "pack")
    records = [json.loads(line) for line in
               (folder / "pack" / "agent-network-events.ndjson").read_text().splitlines()]
    path = folder / "network-events.ndjson"
    with open(path, "w") as out:
        for n in range(10_000):
            record = dict(records[n % len(records)], flow_id=f"flow-{n}", step_index=n + 1)
            out.write(json.dumps(record) + "\n")
    return path


def _start_under_pty(args):
    main, side = pty.openpty()
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=side, env={**os.environ, "TERM": "xterm",
                                                 "COLUMNS": "200"})
    os.close(side)
    return process, main


def _read_pty(process, main, limit=60.0):
    out, ends = b"", time.monotonic() + limit
    while time.monotonic() < ends:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:          # the child closed its side
                break
            if not chunk:
                break
            out += chunk
        elif process.poll() is not None:
            break
    process.wait(timeout=limit)
    os.close(main)
    return out


def test_terminal_gets_rate_and_eta_piped_and_quiet_get_nothing(big_export, tmp_path):
    run = [*CLI, "analyze", str(big_export), "--format", "json"]
    # the three runs side by side: the test takes one run's time
    shown = _start_under_pty([*run, "--out", str(tmp_path / "a.json")])
    quiet = _start_under_pty([*run, "--out", str(tmp_path / "b.json"), "--quiet"])
    piped = subprocess.Popen([*run, "--out", str(tmp_path / "c.json")],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    terminal = _read_pty(*shown)
    silenced = _read_pty(*quiet)
    _, piped_err = piped.communicate(timeout=60)
    assert shown[0].returncode == quiet[0].returncode == piped.returncode == 0
    text = terminal.decode("utf-8", "replace")
    assert "parsing" in text and "records/s" in text and "MB/s" in text, text[-2000:]
    assert "ETA" in text and "elapsed" in text
    assert "\x1b[" in text                         # drawn for a terminal
    assert piped_err == b""                          # no progress, no ANSI, nothing
    assert silenced == b""
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "c.json").read_bytes()


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _display(clock):
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=200, color_system=None)
    return RunProgress(console, clock=clock, ticking=False), screen


def test_drawings_are_throttled_to_ten_a_second():
    clock = FakeClock()
    shown, _ = _display(clock)
    with shown:
        for n in range(20_000):                 # a report every millisecond for 20 s
            clock.now += 0.001
            shown.read("parsing big.csv", n * 1000, 20_000_000, n * 10)
            if n % 500 == 0:
                shown(f"running tool-{n}", n // 500, 40)
    assert 190 <= shown.drawings <= 20 * round(1 / INTERVAL) + 1


def test_a_drawing_shows_bytes_rate_records_and_eta():
    clock = FakeClock()
    shown, screen = _display(clock)
    with shown:
        shown.read("parsing ual.csv", 0, 40_000_000, 0)
        for second in range(1, 5):              # 8 MB and 50,000 records a second
            clock.now += 1.0
            shown.read("parsing ual.csv", second * 8_000_000, 40_000_000, second * 50_000)
        drawn = screen.getvalue()
    assert "32.0 MB/40.0 MB" in drawn
    assert "8.0 MB/s" in drawn and "50,000 records/s" in drawn
    assert "ETA 0:01" in drawn and "0:04 elapsed" in drawn


def test_names_from_evidence_cannot_drive_the_terminal():
    clock = FakeClock()
    shown, screen = _display(clock)
    with shown:
        shown.read("parsing evil\x1b[2J[bold]x[/bold].csv", 10, 100, 1)
    drawn = screen.getvalue()
    assert "\x1b[2J" not in drawn and "[bold]x[/bold]" in drawn
