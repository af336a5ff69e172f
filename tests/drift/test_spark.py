"""The same drift SQL on Spark (local mode): identical findings and metrics to DuckDB.

One Spark session for the module. Needs a Java runtime (Debian's default-jre-headless).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from drift_builders import multiweek_case as drift_case
from drift_fixture import OUT

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    if not shutil.which("java") and not Path("/usr/lib/jvm/default-java/bin/java").exists():
        pytest.skip("no Java runtime for PySpark")
    from tracehound.drift.engine_spark import SMALL_DATA_CONF, local_session
    session = local_session(conf=SMALL_DATA_CONF)
    yield session
    session.stop()


def test_spark_gives_the_same_findings_and_metrics_as_duckdb(spark, monkeypatch, capsys):
    duck = drift_case(OUT, monkeypatch)
    started = time.monotonic()
    on_spark = drift_case(OUT, monkeypatch, drift_engine="spark")
    with capsys.disabled():
        print(f"\n[drift] multi-week fixture on Spark: {time.monotonic() - started:.1f} s")
    assert [f.to_json() for f in on_spark.findings] == [f.to_json() for f in duck.findings]
    assert on_spark.artifacts["drift_metrics"] == duck.artifacts["drift_metrics"]
    assert len(duck.findings) == 10
