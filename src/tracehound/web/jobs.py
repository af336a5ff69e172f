"""Jobs: one analysis (or report rendering) at a time per worker slot, with live progress.

A small thread pool (two slots: the machine this runs on has two cores) runs each job; a job
seals the uploaded evidence (read-only copy, hash check), then hands the analysis to that
slot's worker process (`tracehound.web.worker --serve`) and turns its progress lines into the
state the page polls.
"""

from __future__ import annotations

import contextlib
import json
import queue
import secrets
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..evidence import utc_now
from .cases import CaseFolder, Staged
from .views import case_summary

WORKER_TIMEOUT = 30 * 60            # seconds one worker may run before it is stopped
KEEP_FINISHED = 500                 # finished jobs remembered for polling

# Overall percentage per phase, by the first word of the progress message.
PHASES = {"storing": (0, 10), "hashing": (0, 10), "hashed": (10, 10), "parsing": (10, 45),
          "parsed": (45, 45), "running": (45, 95), "saving": (95, 99), "rendering": (50, 99),
          "building": (50, 99)}


@dataclass
class Job:
    id: str
    case_id: str
    kind: str                               # analyze | report-html | report-pdf | timeline
    state: str = "queued"                   # queued | running | done | failed | unavailable
    what: str = "waiting for a free worker"
    done: int = 0
    total: int = 0
    percent: int = 0
    error: str | None = None
    created: str = field(default_factory=utc_now)
    finished_at: float | None = None

    def advance(self, what: str, done: int, total: int) -> None:
        low, high = PHASES.get(what.split(" ", 1)[0], (self.percent, self.percent))
        share = done / total if total else 1.0
        self.what, self.done, self.total = what, done, total
        self.percent = max(self.percent, min(100, int(low + (high - low) * share)))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "case_id": self.case_id, "kind": self.kind, "state": self.state,
                "what": self.what, "done": self.done, "total": self.total,
                "percent": self.percent, "error": self.error, "created": self.created,
                "url": f"/cases/{self.case_id}"}


class WorkerError(Exception):
    def __init__(self, message: str, unavailable: bool = False):
        super().__init__(message)
        self.unavailable = unavailable


class JobBoard:
    """Runs jobs on a small pool and remembers their state for polling."""

    def __init__(self, log_path: Path, workers: int = 2, timeout: float = WORKER_TIMEOUT):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tracehound-job")
        self._workers: queue.Queue[WorkerProcess] = queue.Queue()
        self._all_workers = [WorkerProcess(log_path) for _ in range(workers)]
        for worker in self._all_workers:
            self._workers.put(worker)
        self._jobs: dict[str, Job] = {}
        self._renders: dict[tuple[str, str], Future] = {}
        self._lock = threading.Lock()
        self._render_lock = threading.Lock()
        self.timeout = timeout

    def get(self, job_id: str) -> Job:
        with self._lock:
            return self._jobs[job_id]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        for worker in self._all_workers:
            worker.close()

    def _new(self, case_id: str, kind: str) -> Job:
        job = Job(secrets.token_hex(8), case_id, kind)
        with self._lock:
            self._jobs[job.id] = job
            finished = sorted((j for j in self._jobs.values() if j.finished_at),
                              key=lambda j: j.finished_at or 0)
            for old in finished[:max(0, len(finished) - KEEP_FINISHED)]:
                del self._jobs[old.id]
        return job

    # ------------------------------------------------------------------ analysis
    def analyze(self, case: CaseFolder, staged: list[Staged] = (),
                baseline: Staged | None = None) -> Job:
        """Queue: seal the uploads, store the baseline, run the analysis worker."""
        job = self._new(case.id, "analyze")
        case.update(status="queued", message="", job=job.id)
        self._pool.submit(self._analysis, job, case, list(staged), baseline)
        return job

    def _analysis(self, job: Job, case: CaseFolder, staged: list[Staged],
                  baseline: Staged | None) -> None:
        job.state = "running"
        case.update(status="running")
        try:
            if staged:
                case.seal(staged, job.advance)
            if baseline is not None:
                case.store_baseline(baseline)
            case.clear_outputs()
            result = self._run_worker(job, "analyze", case)
            summary = case_summary(case.document() or {})
            summary["seconds"] = result.get("seconds")
            case.update(status="done", summary=summary, analyzed_at=utc_now(),
                        message=_outcome_message(result))
            self._finish(job, "done")
        except Exception as exc:        # any failure is the case's message, never a crash
            case.update(status="failed", message=str(exc))
            self._finish(job, "failed", str(exc))

    def _finish(self, job: Job, state: str, error: str | None = None) -> None:
        job.state, job.error, job.finished_at = state, error, time.monotonic()
        if state == "done":
            job.percent, job.what = 100, "done"

    # ------------------------------------------------------------------ renderings
    def render(self, case: CaseFolder, kind: str) -> Future:
        """Start (or join) the rendering of a report or timeline; the Future holds the Job."""
        key = (case.id, kind)
        with self._render_lock:
            running = self._renders.get(key)
            if running is not None and not running.done():
                return running
            job = self._new(case.id, kind)
            future = self._pool.submit(self._rendering, job, case)
            self._renders[key] = future
            return future

    def _rendering(self, job: Job, case: CaseFolder) -> Job:
        job.state = "running"
        try:
            self._run_worker(job, job.kind, case)
            self._finish(job, "done")
        except WorkerError as exc:
            self._finish(job, "unavailable" if exc.unavailable else "failed", str(exc))
        except Exception as exc:        # reported to the download request, never raised
            self._finish(job, "failed", f"{type(exc).__name__}: {exc}")
        return job

    # ------------------------------------------------------------------ worker process
    def _run_worker(self, job: Job, kind: str, case: CaseFolder) -> dict[str, Any]:
        worker = self._workers.get()
        try:
            outcome = worker.run(kind, case.root, job.advance, self.timeout)
        finally:
            self._workers.put(worker)
        if "result" in outcome:
            return outcome["result"] or {}
        raise WorkerError(outcome.get("error") or f"the {kind} worker failed",
                          unavailable=bool(outcome.get("unavailable")))


class WorkerProcess:
    """One long-lived `python -m tracehound.web.worker --serve`, started on first use and
    started again after it dies, is stopped for taking too long, or has run RECYCLE jobs."""

    RECYCLE = 200

    def __init__(self, log_path: Path):
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.jobs = 0

    def _start(self) -> subprocess.Popen:
        with open(self.log_path, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "tracehound.web.worker", "--serve"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                encoding="utf-8", bufsize=1)
        self.jobs = 0
        return process

    def run(self, kind: str, case_dir: Path, progress: Callable[[str, int, int], None],
            timeout: float) -> dict[str, Any]:
        if self.process is None or self.process.poll() is not None:
            self.process = self._start()
        process = self.process
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(json.dumps({"kind": kind, "case_dir": str(case_dir)}) + "\n")
            process.stdin.flush()
            outcome = _read_channel(process.stdout, progress)
        except (BrokenPipeError, OSError) as exc:
            outcome = {"error": f"the worker process could not be reached: {exc}"}
        finally:
            timer.cancel()
        if not outcome:                       # end of stream: the process is gone
            code = process.wait()
            self.process = None
            return {"error": f"the {kind} worker stopped (exit {code}) before it finished; "
                             f"see {self.log_path}"}
        self.jobs += 1
        if self.jobs >= self.RECYCLE:
            self.close()
        return outcome

    def close(self) -> None:
        """Stop the process now: a job it was running is marked interrupted on restart."""
        process, self.process = self.process, None
        if process is None:
            return
        process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream:
                with contextlib.suppress(OSError):
                    stream.close()


def _outcome_message(result: dict[str, Any]) -> str:
    if result.get("changed"):
        return "EVIDENCE CHANGED DURING ANALYSIS: " + "; ".join(result["changed"])
    if result.get("readable") is False:
        return ("No input could be read: no file was recognised as a format tracehound reads "
                "(see Parse issues).")
    return ""


def _read_channel(stream: Any, progress: Callable[[str, int, int], None]) -> dict[str, Any]:
    """Progress lines until the job's `result` or `error` line ({} when the stream ends)."""
    for line in stream:
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "progress" in message:
            what, done, total = message["progress"]
            progress(str(what), int(done), int(total))
        elif "result" in message or "error" in message:
            return message
    return {}
