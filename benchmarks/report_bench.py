"""Benchmark: `tracehound demo` (the kepler case end to end: pack, analysis, case JSON, HTML
and PDF report), target <= 3 s wall, best of N, each run a fresh process into a fresh folder.

Then the parts, timed in one more fresh process in the order the demo runs them (wall and CPU
time each; CPU time is what a busy machine inflates least):

    imports      tracehound.cli and tracehound.pipeline (the demo's own imports)
    warm-up      importing WeasyPrint, loading the fonts and compiling the report templates
                 (the demo does this in its PDF worker process while the case is analyzed, so
                 it is off the critical path)
    pack         writing the kepler evidence pack
    analysis     tracehound.pipeline.analyze (--reproducible)
    view         the report view (report/view.py; the graph layouts run in dot meanwhile)
    print HTML   the print edition the PDF is made from (rendered in the worker)
    PDF          WeasyPrint on the print edition (in the worker)
    case JSON    Case.to_json and the streamed write (the demo writes it while the worker
                 renders the PDF)
    screen HTML  the HTML report, rendered and written (also while the worker renders)

and the critical path those parts give (imports + pack + analysis + view + print HTML + PDF),
the PDF's page count, and the load average (other work on the machine inflates wall times;
compare runs at similar load).

The baseline, measured in the same run: a fresh interpreter that only imports WeasyPrint and
renders the same print edition to PDF (best of N), the floor any tool making this PDF pays;
the demo's best over it is the ratio printed.

    python -m benchmarks.report_bench            # 3 demo runs, then the parts
    python -m benchmarks.report_bench --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 3.0

PARTS = r'''
import json, sys, time
from pathlib import Path
marks = []
def mark(name):
    marks.append((name, time.perf_counter(), time.process_time()))
mark("start")
import tracehound.cli
from tracehound.pipeline import Options, analyze
mark("imports")
from tracehound.report.pdf import pdf_bytes, WARM_UP_HTML
from tracehound.report.render import compile_templates, render_view
pdf_bytes(WARM_UP_HTML, True)
compile_templates()
mark("warm-up")
from tracehound.fixtures import kepler
from tracehound.report import case_json
from tracehound.report.view import build_view
out = Path(sys.argv[1])
kepler.write_pack(out / "kepler-pack")
mark("pack")
case = analyze([out / "kepler-pack"], Options(reproducible=True))
mark("analysis")
view = build_view(case, True, None)
mark("view")
printed = render_view(view, printed=True)
mark("print HTML")
(out / "print.html").write_text(printed, encoding="utf-8")
data, _ = pdf_bytes(printed, True)
(out / "report.pdf").write_bytes(data)
mark("PDF")
case_json.write_file(case.to_json(), out / "case.json", False)
mark("case JSON")
(out / "report.html").write_text(render_view(view, printed=False), encoding="utf-8")
mark("screen HTML")
print(json.dumps([(b[0], b[1] - a[1], b[2] - a[2]) for a, b in zip(marks, marks[1:])]))
'''


# the baseline: WeasyPrint alone, in a fresh interpreter, on the same print edition
BARE = r'''
import sys
from weasyprint import HTML
HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])
'''


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _demo_run(tracehound: Path) -> tuple[float, float]:
    """Wall and CPU seconds (the demo and its PDF worker) of one demo into a fresh folder."""
    with tempfile.TemporaryDirectory(prefix="tracehound-demo-bench-") as tmp:
        before = os.times()
        started = time.perf_counter()
        subprocess.run([str(tracehound), "demo", "--out", str(Path(tmp) / "demo"), "--quiet"],
                       check=True, stdout=subprocess.DEVNULL, timeout=300)
        wall = time.perf_counter() - started
        after = os.times()
    return wall, (after.children_user - before.children_user
                  + after.children_system - before.children_system)


def _parts(runs: int) -> tuple[list[tuple[str, float, float]], str, float]:
    """The parts, the PDF's pages and the baseline's best wall time (see BARE)."""
    with tempfile.TemporaryDirectory(prefix="tracehound-demo-parts-") as tmp:
        done = subprocess.run([sys.executable, "-c", PARTS, tmp], check=True,
                              capture_output=True, text=True, timeout=300)
        pages = _pages(Path(tmp) / "report.pdf")
        bare = []
        for _ in range(max(1, runs)):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", BARE, str(Path(tmp) / "print.html"),
                            str(Path(tmp) / "bare.pdf")], check=True, timeout=300)
            bare.append(time.perf_counter() - started)
    return [tuple(p) for p in json.loads(done.stdout.strip().splitlines()[-1])], pages, min(bare)


def _pages(pdf: Path) -> str:
    try:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                              timeout=60).stdout
    except OSError:
        return "?"
    return next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")),
                "?")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report_bench")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    tracehound = Path(sys.executable).with_name("tracehound")
    print(f"load average before: {_load()}")
    runs = [_demo_run(tracehound) for _ in range(max(1, args.runs))]
    best = min(runs)
    print(f"tracehound demo, {len(runs)} runs (fresh process, fresh folder): wall "
          + ", ".join(f"{w:.2f}" for w, _ in runs) + " s; CPU (demo + PDF worker) "
          + ", ".join(f"{c:.2f}" for _, c in runs) + " s")
    met = best[0] <= TARGET_SECONDS
    print(f"  best      {best[0]:6.3f} s   (target <= {TARGET_SECONDS:.1f} s: "
          f"{'met' if met else 'MISSED'})   load average after: {_load()}")
    parts, pages, bare = _parts(args.runs)
    print(f"parts, one fresh process ({pages} PDF pages):        wall      CPU")
    for name, wall, cpu in parts:
        print(f"  {name:<12} {wall:8.3f} s {cpu:8.3f} s")
    critical = {"imports", "pack", "analysis", "view", "print HTML", "PDF"}
    print("  critical path (all but warm-up, case JSON and screen HTML): "
          f"{sum(w for n, w, _ in parts if n in critical):.3f} s wall, "
          f"{sum(c for n, _, c in parts if n in critical):.3f} s CPU "
          "(+ interpreter start-up)")
    print(f"baseline: WeasyPrint alone in a fresh interpreter on the same print edition, best "
          f"of {max(1, args.runs)}: {bare:.3f} s; demo best / baseline = {best[0] / bare:.2f}x")
    print(f"load average after: {_load()}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
