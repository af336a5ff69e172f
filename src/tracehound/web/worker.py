"""The analysis worker: `python -m tracehound.web.worker --serve` (or `KIND CASE_DIR` once).

The web server keeps one worker process per job slot and sends it jobs (analyses, reports),
so the CPU-bound pipeline runs on its own core, imports are paid once, and a crash in a parser
cannot take the server down (the server starts a fresh worker).
It runs with the case's evidence folder as working directory and hands the pipeline relative
paths, so every path in the case reads as the user named it (`kepler-pack/...`), never as
where the case folder happens to live.

Requests come on stdin, one JSON object a line: {"kind": "analyze", "case_dir": "..."}.
It answers on stdout, one JSON object a line:
    {"progress": [what, done, total]}   while it works (the pipeline's progress callback)
    {"result": {...}}                   when the job is done
    {"error": "...", "unavailable": true?}  when it cannot finish (unavailable: the renderer
                                        is not part of this build; the server answers 503)
Anything else the code prints goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

from ..report import case_json, views_files
from .stored_case import RUN_FILE, StoredCase, save_run, stored_timeline

EXIT_UNAVAILABLE = 3
KINDS = ("analyze", "report-html", "report-pdf", "timeline")


class Unavailable(Exception):
    """The renderer this job needs is not part of this build (the server answers 503)."""


def _case_paths(case_dir: Path) -> tuple[list[str], Path | None]:
    meta = json.loads((case_dir / "case-meta.json").read_text(encoding="utf-8"))
    paths = sorted(u["path"] for u in meta.get("uploads", []))
    baseline = meta.get("baseline")
    return paths, (case_dir / "baseline" / baseline["name"]) if baseline else None


def _run_pipeline(case_dir: Path, emit: Callable[[dict], None], **extra: Any):
    from ..pipeline import Options, analyze
    paths, baseline = _case_paths(case_dir)
    if not paths:
        raise ValueError("the case holds no evidence files")
    os.chdir(case_dir / "evidence")
    options = Options(baseline_path=baseline,
                      progress=lambda what, done, total: emit({"progress": [what, done, total]}),
                      **extra)
    return analyze(paths, options)


def _findings_table(store: Any, findings: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    columns = ("id", "rule", "tool", "category", "severity", "time", "step", "session",
               "actor", "target", "title", "statement", "engine_version")
    data: dict[str, list] = {c: [f.get(c) for f in findings] for c in columns}
    data["refs"] = [json.dumps(f["refs"], sort_keys=True) for f in findings]
    data["techniques"] = [json.dumps(f["techniques"]) for f in findings]
    schema = pa.schema([(c, pa.int64() if c == "step" else pa.string()) for c in data])
    store.con.register("_findings", pa.table(data, schema=schema))
    store.con.execute("CREATE OR REPLACE TABLE findings AS SELECT * FROM _findings")
    store.con.unregister("_findings")


def analyze_case(case_dir: Path, emit: Callable[[dict], None]) -> dict[str, Any]:
    """Run the pipeline on the stored evidence; write case.json and case.duckdb."""
    from ..store import CaseStore
    started = time.monotonic()
    scratch = case_dir / ".case.duckdb.partial"
    scratch.unlink(missing_ok=True)
    case = _run_pipeline(case_dir, emit, store_path=str(scratch))
    emit({"progress": ["saving the case", 0, 1]})
    doc = case.to_json()
    # the run facts go first and come back last: a report asked for meanwhile finds no
    # finished analysis (and analyzes again) rather than this case with the last run's facts
    (case_dir / RUN_FILE).unlink(missing_ok=True)
    with CaseStore(str(scratch)) as store:
        _findings_table(store, doc["findings"])
    os.replace(scratch, case_dir / "case.duckdb")
    case_json.write_file(doc, case_dir / "case.json")
    save_run(case, case_dir)                    # what a report needs beyond the document
    views_files.replace_views(case.artifacts, case_dir / "views")   # per-row views, graphs
    return {"seconds": round(time.monotonic() - started, 3), "changed": case.changed,
            "readable": case.readable}


def render_report(case_dir: Path, emit: Callable[[dict], None], pdf: bool) -> dict[str, Any]:
    """The HTML report (and the PDF when asked) through tracehound.report.html.write_reports,
    from the stored case (a case analyzed before case-run.json existed is analyzed again)."""
    from ..report import html as html_report
    try:
        case = StoredCase.open(case_dir)
    except FileNotFoundError:
        case = _run_pipeline(case_dir, emit)
    emit({"progress": ["rendering the report", 0, 1]})
    out = case_dir / "reports"
    out.mkdir(exist_ok=True)
    partial_html = out / ".report.html.partial"
    partial_pdf = out / ".report.pdf.partial" if pdf else None
    written = html_report.write_reports(case, partial_html, partial_pdf, reproducible=False)
    os.replace(partial_html, out / "report.html")
    if partial_pdf is not None:
        os.replace(partial_pdf, out / "report.pdf")
    return {"written": sorted(str(k) for k in (written or {}))}


def render_timeline(case_dir: Path, emit: Callable[[dict], None]) -> dict[str, Any]:
    """The Timesketch CSV of the case's super-timeline, built from the stored case (a case
    analyzed before case-run.json existed is analyzed again)."""
    from types import SimpleNamespace
    from ..report.timesketch import render_timeline as timesketch
    emit({"progress": ["building the timeline", 0, 1]})
    try:
        case: Any = SimpleNamespace(extra={"timeline": stored_timeline(case_dir)})
    except FileNotFoundError:
        case = _run_pipeline(case_dir, emit, timeline=True)
    out = case_dir / "reports"
    out.mkdir(exist_ok=True)
    partial = out / ".timeline.csv.partial"
    partial.write_text(timesketch(case, "timesketch-csv"), encoding="utf-8")
    os.replace(partial, out / "timeline.csv")
    return {}


def run_job(kind: str, case_dir: Path, emit: Callable[[dict], None]) -> int:
    """Run one job, ending with a `result` or `error` line; returns the exit code it means."""
    job = {"analyze": analyze_case, "timeline": render_timeline,
           "report-html": lambda d, e: render_report(d, e, pdf=False),
           "report-pdf": lambda d, e: render_report(d, e, pdf=True)}[kind]
    try:
        emit({"result": job(case_dir, emit)})
        return 0
    except Unavailable as exc:
        emit({"error": str(exc), "unavailable": True})
        return EXIT_UNAVAILABLE
    except Exception as exc:  # the server shows the message; the traceback goes to stderr
        import traceback
        traceback.print_exc()
        problem = getattr(exc, "problem", None)
        where = getattr(exc, "path", None)
        emit({"error": f"{where}: {problem}" if problem and where else
              f"{type(exc).__name__}: {exc}"})
        return 1


def serve(requests: Iterable[str], emit: Callable[[dict], None]) -> int:
    """Jobs one after another, one JSON request a line: {"kind": ..., "case_dir": ...}.

    A long-lived worker pays for its imports once instead of once per analysis."""
    for line in requests:
        try:
            request = json.loads(line)
            kind, case_dir = request["kind"], Path(request["case_dir"])
            if kind not in KINDS:
                raise ValueError(f"unknown job kind {kind!r}")
        except (ValueError, KeyError, TypeError) as exc:
            emit({"error": f"bad request: {exc}"})
            continue
        run_job(kind, case_dir.resolve(), emit)
    return 0


def main(argv: list[str], channel: TextIO, requests: Iterable[str] = ()) -> int:
    def emit(message: dict) -> None:
        channel.write(json.dumps(message, ensure_ascii=False) + "\n")
        channel.flush()

    if argv == ["--serve"]:
        return serve(requests, emit)
    if len(argv) != 2 or argv[0] not in KINDS:
        print(f"usage: python -m tracehound.web.worker {{{'|'.join(KINDS)}}} CASE_DIR "
              "| --serve", file=sys.stderr)
        return 2
    return run_job(argv[0], Path(argv[1]).resolve(), emit)


if __name__ == "__main__":
    _channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    sys.stdout = sys.stderr                 # stray prints must not corrupt the channel
    sys.exit(main(sys.argv[1:], _channel, sys.stdin))
