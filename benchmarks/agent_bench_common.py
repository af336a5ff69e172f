"""Shared mechanics of the session-shaped agent benchmarks (agent_claude, agent_codex, agent_otel).

A benchmark of this kind writes one generated session file of a runtime's real shape, runs
`tracehound.pipeline.analyze` on it with the seven agent tools, writes the compact case JSON,
and compares with a bare DuckDB `read_json` scan of the same file in the same process. What
differs between runtimes is the generator, the DuckDB columns and the real samples the
record sizes are calibrated against; the rest lives here:

- `Clock`: a session clock advancing a few seconds a record (ISO `...Z` times or Unix nanos);
- `record_sizes`: median / p95 / mean of record sizes (lines of files, or given sizes);
- `duckdb_scan`: the baseline scan, given the columns to read;
- `measure`: generate, analyze, write the case JSON, scan; the numbers as a dict;
- `report`, `profile` (cProfile's own time by package area) and `main`, the command line
  (`--calls`, `--single`, `--json`, `--calibrate`, `--profile`) with the verdicts.

Each size runs in its own process (benchmarks.agent_trace.run_in_child) so its peak RSS is
its own; `measure_here`, `scaling`, `verdict`, `StageClock` and `AGENT_TOOLS` come from
benchmarks.agent_trace as for the Claude Code benchmark.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from benchmarks.agent_trace import AGENT_TOOLS, StageClock, current_rss_mb, verdict
from benchmarks.agent_trace import measure_here, scaling
from benchmarks.agent_trace import run_in_child as trace_child

SIZES = (100_000, 1_000_000)
TARGET_SECONDS, TARGET_RSS_MB, TARGET_STEP_BYTES = 60.0, 2048.0, 450.0
REAL = Path(__file__).resolve().parent.parent / "tests" / "data" / "real"
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "agent"


class Clock:
    """A session's clock: each tick moves it on by a few seconds (seeded, so repeatable)."""

    def __init__(self, rng: random.Random, start: float = 1_772_359_200.0):  # 2026-03-01Z
        self.rng = rng
        self.seconds = start

    def tick(self, low: float = 0.05, high: float = 4.0) -> float:
        self.seconds += self.rng.uniform(low, high)
        return self.seconds

    def iso(self, low: float = 0.05, high: float = 4.0) -> str:
        """`2026-03-01T10:00:00.123Z` after a tick."""
        moment = self.tick(low, high)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + \
            f".{int(moment * 1000) % 1000:03d}Z"

    def nanos(self, low: float = 0.05, high: float = 4.0) -> int:
        """Unix nanoseconds after a tick (OTLP's `...UnixNano`)."""
        return int(self.tick(low, high) * 1_000_000) * 1000


def opaque(rng: random.Random, size: int) -> str:
    """`size` characters of URL-safe base64 (encrypted reasoning, signatures)."""
    return base64.urlsafe_b64encode(rng.randbytes(size * 3 // 4 + 3)).decode()[:size]


def record_sizes(paths: Iterable[Path] = (), sizes: Iterable[int] = ()) -> dict:
    """Median, p95 and mean size of the non-blank lines of `paths` plus the given `sizes`."""
    found = sorted([len(line) for p in paths for line in open(p, "rb") if line.strip()]
                   + list(sizes))
    if not found:
        return {"records": 0}
    return {"records": len(found), "median": statistics.median(found),
            "p95": found[int(len(found) * 0.95)], "mean": round(sum(found) / len(found))}


def generated(write_session: Callable[[Path, int], dict], name: str, calls: int,
              sizes: Callable[[Path], dict] | None = None) -> tuple[dict, dict]:
    """(what write_session counted, the sizes of its records) for a session of `calls` tool
    calls written to a temporary file `name` (`sizes`: another measure of that file)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        counts = write_session(path, calls)
        return counts, (sizes(path) if sizes else record_sizes([path]))


def print_mix(counts: dict, calls: int) -> None:
    """The generated session's human turns, risky steps and tool shares."""
    shares = {k: round(v / calls, 3) for k, v in sorted(counts["tools"].items())}
    print(f"  {counts['turns']:,} human turns, {counts['risky']} risky steps, "
          f"tool shares {json.dumps(shares)}")


def duckdb_scan(path: Path, columns: dict[str, str], select: str) -> tuple[float, int]:
    """A bare DuckDB read_json scan of `path` reading `columns`; `select` is the expression
    list (its first value must be count(*)). Returns (seconds, rows)."""
    import duckdb
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    spec = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
    start = time.perf_counter()
    rows = con.execute(f"SELECT {select} FROM read_json('{path}', "
                       f"format='newline_delimited', records=true, "
                       f"maximum_object_size=268435456, columns={{{spec}}})").fetchone()
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed, int(rows[0])


def measure(calls: int, generate: Callable[[Path, int], Path],
            scan: Callable[[Path], tuple[float, int]], profiler=None) -> dict:
    """Generate, analyze, write the case JSON and scan `calls` tool calls in this process
    (`profiler`: a cProfile.Profile on while the case is analyzed and written)."""
    from tracehound.pipeline import Options, analyze
    from tracehound.report import case_json
    with tempfile.TemporaryDirectory(prefix="th-bench-agent-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        session = generate(folder / "in", calls)
        generated = time.perf_counter() - start
        stages = StageClock()
        start, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        case = analyze([folder / "in"], Options(tools=AGENT_TOOLS, reproducible=True,
                                                progress=stages.mark))
        analyzed = time.perf_counter() - start
        stages.mark("done", 0, 0)
        out = folder / "case.json"
        case_json.write_file(case.to_json(), out)
        if profiler is not None:
            profiler.disable()
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        traces = case.artifacts.get("traces", [])
        steps = sum(len(t["steps"]) for t in traces)
        size = out.stat().st_size
        step_bytes = len(case_json.encode([s for t in traces for s in t["steps"]]))
        pipeline_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        scan_s, scanned = scan(session)
        by_tool: dict[str, int] = {}
        for finding in case.findings:
            by_tool[finding.tool] = by_tool.get(finding.tool, 0) + 1
        return {"calls": calls, "events": len(case.events), "records": scanned,
                "bytes": session.stat().st_size, "generate_s": round(generated, 2),
                "analyze_s": round(analyzed, 2), "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2), "calls_per_s": round(calls / wall),
                "duckdb_scan_s": round(scan_s, 3), "vs_duckdb": round(wall / scan_s, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "peak_rss_before_scan_mb": round(pipeline_peak),
                "rss_end_mb": round(current_rss_mb()), "traced_steps": steps,
                "case_json_bytes": size, "bytes_per_step": round(size / max(steps, 1), 1),
                "steps_bytes_per_step": round(step_bytes / max(steps, 1), 1),
                "findings": by_tool, "stages": stages.summary()}


def report(r: dict) -> None:
    print(f"  {r['calls']:>9,} calls  {r['bytes'] / 1e6:8.1f} MB  wall {r['wall_s']:7.2f} s "
          f"(analyze {r['analyze_s']:.2f} s, cpu {r['cpu_s']:.2f} s)  "
          f"{r['calls_per_s']:>7,} calls/s  peak RSS {r['peak_rss_mb']:>6,} MB  "
          f"duckdb read_json {r['duckdb_scan_s']:.2f} s (pipeline / duckdb = {r['vs_duckdb']}x)")
    print(f"  {'':9}  {r['traced_steps']:,} steps; case JSON {r['case_json_bytes'] / 1e6:.1f} MB"
          f" = {r['bytes_per_step']} bytes per step (steps alone {r['steps_bytes_per_step']}); "
          f"peak RSS before the DuckDB scan {r['peak_rss_before_scan_mb']:,} MB")
    print(f"  {'':9}  stages: {json.dumps(r['stages'])}")
    print(f"  {'':9}  findings: {json.dumps(r['findings'], sort_keys=True)}")


# where the time goes, by the package area of the function that spent it (cProfile's own
# time): shares hold however loaded the machine is, unlike wall seconds
AREAS = (("formats/agent", "parse (formats.agent)"), ("formats/", "parse (readers)"),
         ("store.py", "case store"), ("duckdb", "case store"), ("effects/", "effects layer"),
         ("analyzers/agent", "agent tools"), ("correlate/", "correlate"),
         ("report/", "case JSON"), ("orjson", "case JSON"), ("json/", "json (stdlib)"))


def profile(run: Callable[..., dict], calls: int, top: int = 0) -> None:
    """Run one size under cProfile and print each area's share of the profiled time (and,
    with `top`, the functions with the most own time)."""
    import cProfile
    import pstats
    profiler = cProfile.Profile()
    report(run(calls, profiler=profiler))
    shares: dict[str, float] = {}
    stats = pstats.Stats(profiler)
    rows = stats.stats                            # type: ignore[attr-defined]
    total = sum(row[2] for row in rows.values())

    def area_of(function: tuple) -> str:
        where = f"{function[0]}:{function[2]}"
        return next((label for key, label in AREAS if key in where), "other")

    for function, (_, _, own, _, callers) in rows.items():
        if function[0] != "~" or not callers:
            shares[area_of(function)] = shares.get(area_of(function), 0.0) + own
            continue
        for caller, edge in callers.items():     # a builtin's time goes to its caller's area
            shares[area_of(caller)] = shares.get(area_of(caller), 0.0) + edge[2]
    print(f"  cProfile own time by area ({total:.1f} s profiled):")
    for area, seconds in sorted(shares.items(), key=lambda kv: -kv[1]):
        print(f"    {area:24} {seconds / total:6.1%}")
    if top:
        stats.sort_stats("tottime").print_stats(top)


@dataclass(frozen=True)
class Bench:
    """One session-shaped benchmark: what `main` needs besides the shared mechanics."""

    module: str                                   # "benchmarks.agent_codex"
    title: str                                    # "Codex CLI rollout"
    description: str                              # the module docstring's first line
    generate: Callable[[Path, int], Path]         # (folder, calls) -> the session file
    scan: Callable[[Path], tuple[float, int]]     # the DuckDB baseline of that file
    calibrate: Callable[[int], None]              # prints real vs generated record sizes

    def measure(self, calls: int, profiler=None) -> dict:
        return measure(calls, self.generate, self.scan, profiler)


def main(bench: Bench, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=bench.description)
    parser.add_argument("--calls", type=int, nargs="*", default=list(SIZES),
                        help="session sizes in tool calls (default: 100000 1000000)")
    parser.add_argument("--single", action="store_true", help="measure in this process")
    parser.add_argument("--json", action="store_true", help="with --single: one JSON line")
    parser.add_argument("--calibrate", action="store_true",
                        help="print record sizes of the real sessions and the generated one")
    parser.add_argument("--profile", action="store_true",
                        help="run the first size under cProfile in this process and print "
                             "each area's share of the time")
    parser.add_argument("--top", type=int, default=0,
                        help="with --profile: also list the N functions with most own time")
    args = parser.parse_args(argv)
    if args.calibrate:
        bench.calibrate(args.calls[0] if args.calls else 20_000)
        return 0
    if args.profile:
        profile(bench.measure, args.calls[0] if args.calls else 20_000, args.top)
        return 0
    if args.single:
        return measure_here(bench.measure, report, args.calls, args.json)
    print(f"{bench.title} through the seven agent tools + case JSON (each size in its own "
          f"process)")
    results = [trace_child(n, bench.module, "--calls") for n in sorted(args.calls)]
    for result in results:
        report(result)
    big = results[-1]
    verdicts = []
    if len(results) > 1:
        verdicts.append(scaling(results[-2], big, "calls"))
    verdicts += [big["wall_s"] <= TARGET_SECONDS, big["peak_rss_mb"] <= TARGET_RSS_MB,
                 big["bytes_per_step"] <= TARGET_STEP_BYTES]
    print(f"  largest: {big['wall_s']:.1f} s (target <= {TARGET_SECONDS:.0f} s): "
          f"{verdict(verdicts[-3])}; peak RSS {big['peak_rss_mb']:,} MB (target <= "
          f"{TARGET_RSS_MB:,.0f} MB): {verdict(verdicts[-2])}; case JSON "
          f"{big['bytes_per_step']} bytes per step (target <= {TARGET_STEP_BYTES:.0f}): "
          f"{verdict(verdicts[-1])}")
    return 0 if all(verdicts) else 1
