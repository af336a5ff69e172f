"""Benchmark: the drift engine (D1-D6 + weekly metrics) over 10M CopilotInteraction records.

The records are written once (reused while the generator version and count match) to
benchmarks/out/drift-<N>/ (git-ignored) as Parquet in the drift engine's staged layout: one
`drift_activity` row per record, its accessed resources, plugins and policy matches as rows of
`drift_resources`, `drift_tools` and `drift_policies`, plus 0.1% decision-log entries. Why
Parquet in that layout: it is what a data lake holds for fleet-wide drift (the seed's case for
Spark), both DuckDB and Spark read the same bytes, and 10M records as a Purview CSV would be
~8 GB of JSON text whose parsing is the CSV parser's cost, not the detections'.

200 agents over 12 weeks inside business hours; in week 12 six agents drift, one detection
each (new tool, new site, prohibited label, a 5x volume spike with a burst, rising policy hits,
an unapproved version). In one process it measures:

  (a) a bare DuckDB scan: every column of the five tables read once;
  (b) tracehound's drift engine on DuckDB: load the tables into a case store, D1-D6, metrics,
      and findings + metrics built in Python;
  (c) the same engine on Spark local mode (local[2]) over the same files, or a slice.

It prints b/a (target <= 2x, with its verdict; the exit status is 1 when it is missed, when a
detection does not fire, or when Spark's findings differ) and c/a beside it.

    python -m benchmarks.drift_bench                          # 10M records, Spark on 10M
    python -m benchmarks.drift_bench --records 1000000 --spark-records 0   # quick, no Spark
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb

OUT = Path(__file__).parent / "out"
GENERATOR_VERSION = "3"
AGENTS, WEEKS = 200, 12
TABLES = ("drift_activity", "drift_resources", "drift_tools", "drift_policies",
          "drift_decisions")
SITE = "https://contoso.sharepoint.com/sites/"
GENERAL, CONFIDENTIAL, PROHIBITED = (f"a1b2c3d4-0000-4000-8000-00000000000{c}" for c in "acf")
TARGET_RATIO = 2.0

# One record per i; the shared columns of every table derive from these.
RECORDS = f"""
SELECT i, a, 'agent-' || lpad(a::VARCHAR, 3, '0') AS agent_key, week_no = {WEEKS - 1} AS last,
       TIMESTAMP '2026-01-05 08:00:00' + to_days(week_no * 7 + day) + to_seconds(sec) AS ts
FROM (SELECT i, i % {AGENTS} AS a, pos // 180000 AS week_no, (pos % 180000) // 36000 AS day,
             pos % 36000 AS sec
      FROM (SELECT i, i * {WEEKS * 180000} // $n AS pos FROM range($n) AS t(i)))
UNION ALL                                          -- agent-004: a 5x week with a burst
SELECT $n + j, 4, 'agent-004', TRUE,
       TIMESTAMP '2026-03-23 09:00:00' + to_seconds(CASE WHEN j < 100 THEN j // 2 ELSE j END)
FROM range($n // {AGENTS * WEEKS} * 4) AS t(j)
"""
HIT = "(hash(i, 'p') % 20000 = 0 OR (a = 5 AND last AND hash(i, 'p') % 10 = 0))"
BREACH = "(a = 3 AND last AND hash(i, 'l') % 100 = 0)"
COMMON = ("'e' || i AS event_id, '{sha}' AS sha256, 'row ' || (i + 1) AS locator, "
          "ts, CAST(date_trunc('week', ts) AS DATE) AS week").format(sha="ab" * 32)

SELECTS = {
    "drift_activity": f"""
SELECT {COMMON.replace(', ts,', ", 'copilot:interaction' AS source, ts,")}, agent_key AS agent_id,
       agent_key, CASE WHEN a = 0 AND last THEN '2.0.0' ELSE '1.0.0' END AS agent_version,
       'rec-' || i AS record_id, NULL::VARCHAR AS decision_id, {BREACH} AS blocked,
       {HIT} OR {BREACH} AS policy_hit, FALSE AS xpia, FALSE AS jailbreak
FROM records
UNION ALL
SELECT 'd' || j, '{"cd" * 32}', 'line ' || (j + 1), 'decision:log', ts, week, agent_key,
       agent_key, '1.0.0', 'd-' || j, 'd-' || j, FALSE, FALSE, FALSE, FALSE
FROM decisions""",
    "drift_resources": f"""
SELECT {COMMON}, agent_key, r::BIGINT AS idx, site || '/Shared Documents/doc'
       || (hash(i, r) % 5000) || '.docx' AS resource_id, 'doc.docx' AS resource_name,
       'File' AS resource_type, site AS site_url, 'Read' AS action, 'read' AS action_key,
       CASE WHEN {BREACH} AND r = 0 THEN '{PROHIBITED}'
            WHEN r = 0 THEN '{CONFIDENTIAL}' ELSE '{GENERAL}' END AS label_id,
       {BREACH} AND r = 0 AS policy_blocked, {BREACH} AND r = 0 AS blocked,
       'rec-' || i AS record_id, NULL::VARCHAR AS decision_id
FROM (SELECT *, CASE WHEN a = 2 AND last AND hash(i, 's') % 20 = 0 THEN '{SITE}finance'
                     ELSE '{SITE}team' || (a % 50) END AS site
      FROM records, range(2) AS u(r) WHERE r = 0 OR hash(i, 'r') % 2 = 0)""",
    "drift_tools": f"""
SELECT {COMMON}, agent_key, 0::BIGINT AS idx, tool, lower(tool) AS tool_key,
       NULL::VARCHAR AS operation, NULL::VARCHAR AS category_key, 'rec-' || i AS record_id,
       NULL::VARCHAR AS decision_id, FALSE AS blocked
FROM (SELECT *, CASE WHEN a = 1 AND last AND hash(i, 't') % 10 = 0 THEN 'WebSearch'
                     ELSE 'SharePointSearch' END AS tool FROM records)
UNION ALL
SELECT 'd' || j, '{"cd" * 32}', 'line ' || (j + 1), ts, week, agent_key, 0, 'SharePointSearch',
       'sharepointsearch', 'read', 'read', 'd-' || j, 'd-' || j, FALSE
FROM decisions""",
    "drift_policies": f"""
SELECT {COMMON}, agent_key, 0::BIGINT AS idx,
       CASE WHEN {BREACH} THEN 'Restricted content block' ELSE 'PII audit' END AS policy,
       CASE WHEN {BREACH} THEN 'dlp-restricted' ELSE 'dlp-pii' END AS policy_key,
       {BREACH} AS blocked
FROM records WHERE {HIT} OR {BREACH}""",
    "drift_decisions": f"""
SELECT 'd-' || j AS decision_id, agent_key, ts, '{"cd" * 32}' AS sha256,
       'line ' || (j + 1) AS locator, 'auto' AS routing, 'executed' AS action_result,
       NULL::VARCHAR AS audit_record_id, NULL::VARCHAR AS ticket_id,
       NULL::TIMESTAMP AS ticket_opened, NULL::TIMESTAMP AS ticket_resolved, FALSE AS escalated
FROM decisions""",
}
DECISIONS = """
SELECT j, agent_key, ts + INTERVAL 5 SECOND AS ts,
       CAST(date_trunc('week', ts + INTERVAL 5 SECOND) AS DATE) AS week
FROM (SELECT i AS j, agent_key, ts FROM records WHERE i < $n AND i % 1000 = 7)
"""


def baseline_yaml() -> str:
    lines = ["agents:"]
    for a in range(AGENTS):
        hours = ('      business_hours: {tz: "Europe/London", days: Mon-Fri, from: "08:00", '
                 'to: "18:00"}\n') if a % 10 == 0 else ""
        lines.append(
            f'  - agent_id: "agent-{a:03d}"\n    owner: "owner{a}@contoso.com"\n    zone: 3\n'
            f'    versions: [{{version: "1.0.0", ticket: "CHG-{a}"}}]\n'
            '    tools: [{name: SharePointSearch, operations: [read]}, '
            '{name: GraphConnector, operations: [read]}]\n'
            f'    data_sources: ["{SITE}team{a % 50}", "{SITE}team{a % 50}/*"]\n'
            '    labels:\n      allowed: [General, Confidential]\n'
            '      prohibited: ["Highly Confidential"]\n'
            f'      names: {{"{GENERAL}": General, "{CONFIDENTIAL}": Confidential, '
            f'"{PROHIBITED}": "Highly Confidential"}}\n'
            '    actions: [Read, Generate]\n'
            f'    limits:\n      max_actions_per_minute: 60\n{hours}      volume_factor: 3.0')
    return "\n".join(lines) + "\n"


def dataset(records: int) -> Path:
    """The Parquet tables and baseline for `records` records, generated once."""
    folder = OUT / f"drift-{records}"
    marker = folder / f"complete-v{GENERATOR_VERSION}"
    if marker.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.execute(f"CREATE TEMP TABLE records AS {RECORDS.replace('$n', str(records))}")
    con.execute(f"CREATE TEMP TABLE decisions AS {DECISIONS.replace('$n', str(records))}")
    for table in TABLES:
        con.execute(f"COPY ({SELECTS[table]}) TO '{folder / table}.parquet' "
                    "(FORMAT parquet, ROW_GROUP_SIZE 262144)")
    con.close()
    (folder / "baseline.yaml").write_text(baseline_yaml(), encoding="utf-8")
    marker.write_text("ok\n")
    size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    print(f"  generated {folder.name}: {size / 1e6:.0f} MB of Parquet in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return folder


def check_layout(folder: Path) -> None:
    """The generated tables must have exactly the columns and types staging produces."""
    from tracehound.drift.engine_duckdb import DuckDBEngine
    from tracehound.drift.queries import STAGING
    from tracehound.store import CaseStore
    with CaseStore() as store:
        engine = DuckDBEngine(store.con)
        for relation in STAGING:
            engine.define(relation)
        for table in TABLES:
            staged = store.con.execute(f"DESCRIBE {table}").fetchall()
            generated = store.con.execute(
                f"DESCRIBE SELECT * FROM read_parquet('{folder / table}.parquet')").fetchall()
            if [r[:2] for r in staged] != [r[:2] for r in generated]:
                raise SystemExit(f"{table}: generated layout differs from staging's")


def bare_scan(con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    total = 0
    for table in TABLES:
        path = f"{folder / table}.parquet"
        columns = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
        touch = ", ".join(f"max(length({c}))" if t == "VARCHAR" else f"max({c})"
                          for c, t, *_ in columns)
        total += con.execute(f"SELECT count(*), {touch} FROM read_parquet('{path}')").fetchone()[0]
    return total


def drift_duckdb(folder: Path, baseline) -> tuple[list, list]:
    from tracehound.drift.engine_duckdb import DuckDBEngine
    from tracehound.drift.findings import build_findings
    from tracehound.drift.metrics import weekly_metrics
    from tracehound.drift.run import run_drift
    from tracehound.store import CaseStore
    with CaseStore() as store:
        for table in TABLES:       # queried in place, as a lake's tables would be
            store.con.execute(f"CREATE VIEW {table} AS "
                              f"SELECT * FROM read_parquet('{folder / table}.parquet')")
        result = run_drift(DuckDBEngine(store.con), baseline, {}, staged=True)
    return build_findings(result, baseline, "bench"), weekly_metrics(result, baseline)


def drift_spark(folder: Path, baseline) -> tuple[list, list]:
    from tracehound.drift.engine_spark import SparkEngine
    from tracehound.drift.findings import build_findings
    from tracehound.drift.metrics import weekly_metrics
    from tracehound.drift.run import run_drift
    engine = SparkEngine()
    try:
        for table in TABLES:
            engine.load_parquet(table, f"{folder / table}.parquet")
        result = run_drift(engine, baseline, {}, staged=True)
    finally:
        engine.close()
    return build_findings(result, baseline, "bench"), weekly_metrics(result, baseline)


def timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn(*args)
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.drift_bench")
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--spark-records", type=int, default=None,
                        help="records for the Spark run (default: --records; 0 skips Spark)")
    args = parser.parse_args(argv)
    from tracehound.baseline import load_baseline
    folder = dataset(args.records)
    check_layout(folder)
    baseline = load_baseline(folder / "baseline.yaml")
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    rows, scan_wall, scan_cpu = timed(bare_scan, con, folder)
    (findings, metrics), wall, cpu = timed(drift_duckdb, folder, baseline)
    fired = Counter(f.details["detection"] for f in findings)
    print(f"  records: {args.records:,} ({rows:,} table rows); findings "
          f"{dict(sorted(fired.items()))}; {len(metrics)} agent-weeks of metrics")
    print(f"  (a) bare DuckDB scan        {scan_wall:7.2f} s wall  {scan_cpu:7.2f} s cpu")
    ratio_met = wall / scan_wall <= TARGET_RATIO
    print(f"  (b) drift D1-D6 + metrics   {wall:7.2f} s wall  {cpu:7.2f} s cpu   "
          f"b/a = {wall / scan_wall:.2f}x wall, {cpu / scan_cpu:.2f}x cpu "
          f"(target <= {TARGET_RATIO:g}x): {'met' if ratio_met else 'MISSED'}")
    status = 0 if set(fired) == {"D1", "D2", "D3", "D4", "D5", "D6"} and ratio_met else 1
    spark_records = args.records if args.spark_records is None else args.spark_records
    if spark_records:
        slice_folder = folder if spark_records == args.records else dataset(spark_records)
        (spark_findings, spark_metrics), s_wall, _ = timed(drift_spark, slice_folder, baseline)
        same = ""
        if slice_folder == folder:
            same = (f"; c/a = {s_wall / scan_wall:.2f}x wall"
                    + ("; same findings and metrics as DuckDB" if
                       ([f.to_json() for f in spark_findings], spark_metrics)
                       == ([f.to_json() for f in findings], metrics)
                       else "; DIFFERENT from DuckDB"))
            status |= 0 if "same" in same else 1
        print(f"  (c) Spark local[2]          {s_wall:7.2f} s wall on {spark_records:,} "
              f"records (session start included){same}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
