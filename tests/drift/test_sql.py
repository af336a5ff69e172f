"""The drift SQL: one DuckDB source per relation, and its Spark transpilation."""

from __future__ import annotations

import re

import pytest

from drift_builders import baseline_yaml
from tracehound.baseline import parse_baseline
from tracehound.drift import queries
from tracehound.drift.engine_duckdb import DuckDBEngine
from tracehound.drift.run import run_drift
from tracehound.store import CaseStore

ALL = queries.STAGING + queries.DETECTION


def test_every_sql_file_is_a_listed_relation_or_result():
    used = {r.file for r in ALL} | {v for v in queries.RESULTS.values()
                                    if not v.startswith("SELECT")}
    assert {p.stem for p in queries.SQL_DIR.glob("*.sql")} == used


@pytest.mark.parametrize("relation", ALL, ids=lambda r: r.name)
def test_each_relation_transpiles_to_spark_without_duckdb_only_spellings(relation):
    spark = queries.to_spark(relation.text)
    for duckdb_only in ("drift_local_time", "JSON[]", "ARRAY<JSON>", "regexp_matches",
                        "json_extract_string", "TIMEZONE("):
        assert duckdb_only.lower() not in spark.lower()


def test_the_local_time_function_becomes_from_utc_timestamp():
    spark = queries.to_spark("SELECT drift_local_time(ts, tz) AS lt FROM t")
    assert re.search(r"FROM_UTC_TIMESTAMP\(CAST\(ts AS TIMESTAMP\), tz\)", spark), spark


def test_the_whole_chain_runs_on_an_empty_store():
    baseline = parse_baseline(baseline_yaml().encode(), "baseline.yaml")
    with CaseStore() as store:
        result = run_drift(DuckDBEngine(store.con), baseline, {})
    assert result.comparable() == {"hits": [], "refs": [], "links": [], "weekly": [], "top": []}


def test_settings_must_be_numbers():
    baseline = parse_baseline(baseline_yaml().encode(), "baseline.yaml")
    with CaseStore() as store, pytest.raises(ValueError, match="drift_max_refs"):
        run_drift(DuckDBEngine(store.con), baseline, {"drift_max_refs": "many"})
