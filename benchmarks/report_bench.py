"""Benchmark: the kepler case report end to end (pipeline + HTML + PDF), target <= 3 s.

Writes the kepler pack into a temporary folder, then times, in one warm process (imports and
fonts loaded by a first untimed run), the median of a few runs of:

    pipeline   tracehound.pipeline.analyze on the pack (--reproducible)
    html       render_html on that case
    pdf        WeasyPrint on that HTML (render_pdf)

and prints each part, the end-to-end total (wall clock, and the process's CPU time, which a
busy machine does not inflate), the ratio total / PDF alone (how much the
pipeline and the HTML add on top of rendering the same HTML) and the page count.

    python -m benchmarks.report_bench            # 3 timed runs
    python -m benchmarks.report_bench --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 3.0


def _one_run(pack: Path, out: Path) -> dict[str, float]:
    from tracehound.pipeline import Options, analyze
    from tracehound.report.html import render_html
    from tracehound.report.pdf import render_pdf
    started, cpu = time.perf_counter(), time.process_time()
    case = analyze([pack], Options(reproducible=True))
    analyzed = time.perf_counter()
    html = render_html(case, reproducible=True)
    rendered = time.perf_counter()
    render_pdf(html, out, reproducible=True)
    done = time.perf_counter()
    return {"pipeline": analyzed - started, "html": rendered - analyzed,
            "pdf": done - rendered, "total": done - started,
            "cpu": time.process_time() - cpu}


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
    from tracehound.fixtures import kepler
    with tempfile.TemporaryDirectory(prefix="tracehound-report-bench-") as tmp:
        pack = Path(tmp) / "kepler-pack"
        kepler.write_pack(pack)
        out = Path(tmp) / "report.pdf"
        _one_run(pack, out)                                   # warm-up: imports, fonts
        runs = [_one_run(pack, out) for _ in range(max(1, args.runs))]
        median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        pages = _pages(out)
    ratio = median["total"] / median["pdf"] if median["pdf"] else float("nan")
    print(f"kepler report, median of {len(runs)} warm runs ({pages} PDF pages):")
    for key in ("pipeline", "html", "pdf"):
        print(f"  {key:<9} {median[key]:6.3f} s")
    met = median["total"] <= TARGET_SECONDS
    print(f"  total     {median['total']:6.3f} s   (target <= {TARGET_SECONDS:.1f} s: "
          f"{'met' if met else 'MISSED'})")
    print(f"  CPU time  {median['cpu']:6.3f} s   (wall time above includes waiting for a "
          "busy machine)")
    print(f"  end to end / rendering the same HTML alone: {ratio:.2f}x")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
