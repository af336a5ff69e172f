"""Progress of a run on stderr: intake, parsing (bytes, records per second, ETA), the bulk
load and each tool, drawn by Rich at most ten times a second, and only on a terminal.

`RunProgress` is both of the pipeline's progress callbacks (pipeline.Progress and
pipeline.Reading). A callback only notes the latest state and draws when a tenth of a second
has passed since the last drawing; a ticker thread draws what a quiet stretch left pending
(and moves the elapsed time on). Names shown come from evidence: control characters are made
visible and Rich markup is never read from them.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import Callable

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from ..report.escaping import visible

INTERVAL = 0.1                  # seconds between two drawings: at most 10 a second
NAME_WIDTH = 48                 # characters of a file or tool name shown


class RunProgress:
    """The progress display of one run (a context manager around the pipeline)."""

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic,
                 ticking: bool = True):
        self._clock = clock
        self._ticking = ticking
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                             TextColumn("{task.fields[detail]}", markup=False),
                             console=console, transient=True, auto_refresh=False,
                             get_time=clock)
        self._main = self._bar.add_task("starting", total=None, detail="")
        self._hash = self._bar.add_task("hashing", total=None, detail="", visible=False)
        self._started = clock()
        self._last = float("-inf")
        self._state: tuple = ("stage", "starting", 0, 0, 0)   # kind, what, done, total, records
        self._hashing: tuple = ("", 0, 0)                      # what, done, total
        self._phase: tuple = ("", self._started, 0, 0)         # kind, since, done, records
        self._hash_since: tuple = ("", self._started)
        self.drawings = 0

    # -- the pipeline's callbacks -------------------------------------------------------

    def __call__(self, what: str, done: int, total: int) -> None:
        """pipeline.Progress: a stage, a file taken up for parsing, a tool starting."""
        if what.startswith("parsing ") and self._state[0] in ("parsing", "loading"):
            return                      # the bytes being read say more than the file count
        self._state = ("stage", what, done, total, 0)
        self._draw()

    def read(self, what: str, done: int, total: int, records: int) -> None:
        """pipeline.Reading: bytes (and records) of a long read so far."""
        kind = what.split(" ", 1)[0]
        if kind == "hashing":
            if what != self._hash_since[0]:
                self._hash_since = (what, self._clock())
            self._hashing = (what, done, total)
        else:
            if kind != self._phase[0]:
                self._phase = (kind, self._clock(), done, records)
            self._state = (kind, what, done, total, records)
        self._draw()

    # -- drawing -------------------------------------------------------------------------

    def _draw(self, force: bool = False) -> None:
        now = self._clock()
        if not force and now - self._last < INTERVAL:
            return
        if not self._lock.acquire(blocking=False):      # another thread is drawing
            return
        try:
            if not force and now - self._last < INTERVAL:
                return
            self._last = now
            self._apply(now)
            self._bar.refresh()
            self.drawings += 1
        finally:
            self._lock.release()

    def _apply(self, now: float) -> None:
        kind, what, done, total, records = self._state
        if kind == "stage":
            detail = f"{done}/{total}" if total else ""
            self._bar.update(self._main, description=_name(what), completed=done,
                             total=total or None,
                             detail=_join(detail, f"{_clock_text(now - self._started)} elapsed"))
        else:
            _, since, done0, records0 = self._phase
            self._bar.update(self._main, description=_name(what), completed=done,
                             total=total or None,
                             detail=_reading(now - since, done - done0, done, total,
                                             records - records0 if kind == "parsing" else None,
                                             now - self._started))
        what, done, total = self._hashing
        hashing = bool(what) and done < total
        self._bar.update(self._hash, visible=hashing, description=_name(what),
                         completed=done, total=total or None,
                         detail=_reading(now - self._hash_since[1], done, done, total, None,
                                         None) if hashing else "")

    # -- lifetime ------------------------------------------------------------------------

    def __enter__(self) -> "RunProgress":
        self._bar.start()
        if self._ticking:
            self._ticker = threading.Thread(target=self._tick, name="tracehound-progress",
                                            daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        self._bar.stop()

    def _tick(self) -> None:
        while not self._stop.wait(INTERVAL):
            self._draw()


def run_progress(quiet: bool, console: Console) -> RunProgress | None:
    """A RunProgress on `console` when its stream is a terminal and the run is not --quiet."""
    if quiet or not console.file.isatty() or not sys.stderr.isatty():
        return None
    return RunProgress(console)


def _reading(spent: float, moved: int, done: int, total: int, records: int | None,
             elapsed: float | None) -> str:
    """`12.0 MB/40.0 MB · 8.1 MB/s · 52,310 records/s · ETA 0:04` (what is known so far)."""
    parts = [f"{_bytes(done)}/{_bytes(total)}" if total else _bytes(done)]
    if spent >= INTERVAL and moved > 0:
        rate = moved / spent
        parts.append(f"{_bytes(rate)}/s")
        if records is not None:
            parts.append(f"{records / spent:,.0f} records/s")
        if total:
            parts.append(f"ETA {_clock_text(max(0, total - done) / rate)}")
    if elapsed is not None:
        parts.append(f"{_clock_text(elapsed)} elapsed")
    return " · ".join(parts)


def _bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"


def _clock_text(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return (f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours
            else f"{rest // 60}:{rest % 60:02d}")


def _name(what: str) -> str:
    """`parsing …/the/file.csv`: the verb, and the end of a long name."""
    verb, _, name = visible(what).partition(" ")
    if len(name) > NAME_WIDTH:
        name = "…" + name[-(NAME_WIDTH - 1):]
    return f"{verb} {name}" if name else verb


def _join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)
