"""Benchmark: a generated agent tool-call trace through the seven agent-runaway tools.

Writes a kepler-shaped tool-call NDJSON trace (1,000-step sessions of bucket-tagging
enumeration with a scope-creep read and, in some sessions, a persistence change) plus the
kepler runtime config (so every step is checked against an envelope) into a temporary folder,
then runs `tracehound.pipeline.analyze` with the seven agent tools on 100k and 1M steps, each
size in a fresh process so its peak RSS is its own. Prints events/s, wall time, peak RSS, the
time ratio of 10x the input, and the ratio against a bare DuckDB `read_json` scan of the same
file measured in the same process.

    python -m benchmarks.agent_trace              # 100k and 1M steps
    python -m benchmarks.agent_trace --steps 20000 --single
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AGENT_TOOLS = ["trace-reconstructor", "prompt-action-divergence", "accountability-tracer",
               "credential-audit", "mcp-call-graph", "persistence-detector",
               "exfiltration-detector"]
SESSION_STEPS = 1_000
SIZES = (100_000, 1_000_000)
# scaling: 10x the input in at most 12x the time, i.e. 1.2x linear for any pair of sizes
TARGET_SECONDS, TARGET_RSS_MB, TARGET_SCALING = 60.0, 2048.0, 1.2
BUCKETS = tuple(f"kepler-bucket-{n:03d}" for n in range(40))


def _step(session: int, index: int) -> dict:
    sid = f"sess-{session:06d}"
    bucket = BUCKETS[(session + index) % len(BUCKETS)]
    if index == 1:
        tool, args, parent = "aws.sts.assume-role", {"RoleArn": "arn:aws:iam::1:role/Agent"}, None
    elif index == 500:
        tool, args, parent = "aws.s3.list-objects", {"Bucket": "kepler-payments-prod"}, 2
    elif index == 501:
        tool, args, parent = "aws.s3.get-object", {"Bucket": "kepler-payments-prod",
                                                   "Key": f"exports/claims-{session}.csv"}, 500
    elif index == 900 and session % 10 == 0:
        tool, args, parent = "aws.events.put-rule", {"Name": f"tagger-{session}",
                                                     "ScheduleExpression": "rate(1 hour)"}, 2
    elif index == 2:
        tool, args, parent = "aws.s3.list-buckets", {}, 1
    else:
        op = "get-bucket-tagging" if index % 2 else "get-bucket-lifecycle-configuration"
        tool, args, parent = f"aws.s3.{op}", {"Bucket": bucket}, 2
    seconds = index * 2
    record = {
        "timestamp": f"2026-04-12T{10 + seconds // 3600:02d}:{seconds // 60 % 60:02d}:"
                     f"{seconds % 60:02d}.000Z",
        "agent_id": "kepler-sre-agent-01", "session_id": sid, "step_index": index,
        "parent_step_index": parent,
        "tool_call_id": "toolu_" + hashlib.blake2b(f"{sid}:{index}".encode(),
                                                   digest_size=12).hexdigest(),
        "tool": tool, "mcp_server": "mcp-aws-" + tool.split(".")[1], "arguments": args,
        "status": "success", "duration_ms": 140 + index % 260,
        "result_summary": f"{tool.rsplit('.', 1)[1]} ok",
        "credential": {"kind": "sts-assumed-role",
                       "principal_arn": "arn:aws:sts::1:assumed-role/Agent/" + sid},
        "model": "claude-sonnet-4-5-20250929",
    }
    if index == 1:
        record["approver"] = "taylor.keel@kepler-insurance.example"
    return record


def generate(folder: Path, steps: int) -> Path:
    """Write the trace (and the kepler runtime config) into `folder`; return the trace."""
    from tracehound.fixtures import kepler_documents
    (folder / "agent-runtime-config.json").write_text(
        json.dumps(kepler_documents.runtime_config(), indent=2) + "\n", encoding="utf-8")
    path = folder / "agent-tool-call-trace.ndjson"
    with open(path, "w", encoding="utf-8") as out:
        for n in range(steps):
            session, index = divmod(n, SESSION_STEPS)
            out.write(json.dumps(_step(session, index + 1), separators=(",", ":")) + "\n")
    return path


def duckdb_scan_seconds(path: Path) -> tuple[float, int]:
    import duckdb
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    start = time.perf_counter()
    rows = con.execute(f"SELECT count(*), count(DISTINCT session_id), max(step_index) FROM "
                       f"read_json('{path}', format='newline_delimited')").fetchone()
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed, int(rows[0])


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


class StageClock:
    """Wall time, CPU time and resident memory at each progress message of the pipeline."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float, float, float]] = []
        self.mark("start", 0, 0)

    def mark(self, what: str, done: int, total: int) -> None:
        self.marks.append((what, time.perf_counter(), time.process_time(), current_rss_mb()))

    def summary(self) -> dict:
        """Wall / CPU seconds of each stage and the RSS after it: parsing (the case store is
        loaded while parsing, in batches), the seven agent tools, correlation."""
        def at(prefix: str) -> tuple[float, float, float]:
            return next((t, c, m) for w, t, c, m in self.marks if w.startswith(prefix))
        out: dict = {}
        for name, begin, end in (("parse_and_store", "start", "parsed"),
                                 ("agent_tools", "parsed", "analyzed"),
                                 ("correlate", "analyzed", "done")):
            (t0, c0, _), (t1, c1, rss) = at(begin), at(end)
            out.update({f"{name}_s": round(t1 - t0, 2), f"{name}_cpu_s": round(c1 - c0, 2),
                        f"rss_after_{name}_mb": round(rss)})
        return out


class EffectsClock:
    """Wall time spent in the effects layer: every step's effects read and judged
    (analyzers.agent.judging.annotate, which calls tracehound.effects), summed."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> "EffectsClock":
        from tracehound.analyzers.agent import judging, steps
        self._original = steps.annotate

        def timed(*args, **kwargs):
            begin = time.perf_counter()
            try:
                return self._original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - begin
        steps.annotate = timed
        self._modules = (judging, steps)
        return self

    def __exit__(self, *exc) -> None:
        self._modules[1].annotate = self._original


def measure(steps: int) -> dict:
    """Generate, analyze and scan `steps` steps in this process; return the numbers."""
    from tracehound.pipeline import Options, analyze
    with tempfile.TemporaryDirectory(prefix="th-bench-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        trace = generate(folder, steps)
        generated = time.perf_counter() - start
        stages = StageClock()
        effects = EffectsClock()
        start, cpu = time.perf_counter(), time.process_time()
        with effects:
            case = analyze([folder], Options(tools=AGENT_TOOLS, reproducible=True,
                                             progress=stages.mark))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        stages.mark("done", 0, 0)
        scan, scanned = duckdb_scan_seconds(trace)
        by_tool: dict[str, int] = {}
        for finding in case.findings:
            by_tool[finding.tool] = by_tool.get(finding.tool, 0) + 1
        return {"steps": steps, "events": len(case.events), "bytes": trace.stat().st_size,
                "generate_s": round(generated, 2), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                "events_per_s": round(len(case.events) / wall), "duckdb_scan_s": round(scan, 3),
                "duckdb_rows": scanned, "vs_duckdb": round(wall / scan, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "traced_steps": sum(len(t["steps"]) for t in case.artifacts.get("traces", [])),
                "findings": by_tool, "stages": stages.summary(),
                "effects_s": round(effects.seconds, 2),
                "effects_share": round(effects.seconds / wall, 3)}


def run_in_child(steps: int, module: str = "benchmarks.agent_trace",
                 flag: str = "--steps") -> dict:
    """One size measured in a fresh process (its peak RSS is its own): the JSON it prints."""
    out = subprocess.run([sys.executable, "-m", module, flag, str(steps), "--single", "--json"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_here(measure, report, sizes: list[int], as_json: bool) -> int:
    """`--single`: every size measured in this process; `--json` prints the last as JSON."""
    results = [measure(n) for n in sizes]
    if as_json:
        print(json.dumps(results[-1]))
    else:
        for result in results:
            report(result)
    return 0


def report(result: dict) -> None:
    print(f"  {result['steps']:>9,} steps  {result['bytes'] / 1e6:8.1f} MB  "
          f"wall {result['wall_s']:7.2f} s (cpu {result['cpu_s']:.2f} s)  "
          f"{result['events_per_s']:>8,} events/s  "
          f"peak RSS {result['peak_rss_mb']:>6,} MB  duckdb read_json {result['duckdb_scan_s']:.2f} s"
          f"  (pipeline / duckdb = {result['vs_duckdb']}x)")
    print(f"  {'':9}  stages: {json.dumps(result['stages'])}")
    print(f"  {'':9}  effects layer: {result['effects_s']:.2f} s = "
          f"{result['effects_share']:.1%} of the run (target at most 20%)")
    print(f"  {'':9}  findings: {json.dumps(result['findings'], sort_keys=True)}")


def scaling(small: dict, big: dict, unit: str) -> bool:
    """Print how the time grew with the input; True when within TARGET_SCALING of linear."""
    ratio, cpu_ratio = big["wall_s"] / small["wall_s"], big["cpu_s"] / small["cpu_s"]
    grow = big[unit] / small[unit]
    ok = ratio <= TARGET_SCALING * grow
    print(f"  scaling: {grow:.0f}x the input took {ratio:.2f}x the wall time and "
          f"{cpu_ratio:.2f}x the CPU time (target <= {TARGET_SCALING * grow:.0f}x): "
          f"{verdict(ok)}")
    return ok


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--single", action="store_true", help="measure in this process")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.single:
        return measure_here(measure, report, args.steps, args.json)
    print("agent trace through the seven agent tools (each size in its own process)")
    results = [run_in_child(n) for n in sorted(args.steps)]
    for result in results:
        report(result)
    big = results[-1]
    verdicts = []
    if len(results) > 1:
        verdicts.append(scaling(results[-2], big, "steps"))
    verdicts += [big["wall_s"] <= TARGET_SECONDS, big["peak_rss_mb"] <= TARGET_RSS_MB]
    print(f"  largest: {big['wall_s']:.1f} s (target <= {TARGET_SECONDS:.0f} s): "
          f"{verdict(verdicts[-2])}; peak RSS {big['peak_rss_mb']:,} MB (target <= "
          f"{TARGET_RSS_MB:,.0f} MB): {verdict(verdicts[-1])}")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
