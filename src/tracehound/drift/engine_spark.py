"""Run the drift SQL on Apache Spark (local mode by default), transpiled from DuckDB SQL.

The case store hands its `events` (the drift sources only) over as Parquet in a private
temporary folder; the baseline's small tables go over in memory; a data lake can instead point
`load_parquet` at staged drift tables it already holds. Every stored relation is computed once
and its lineage cut (a local checkpoint), so later statements neither re-plan nor re-run what
came before. The session runs with the UI off, bound to 127.0.0.1, in UTC, with Spark's own
logging at errors only, and is stopped on close only when this engine started it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .queries import SOURCES, Relation, to_spark

EVENT_COLUMNS = ("event_id", "sha256", "locator", "source", "time", "action", "action_class",
                 "actor_id", "target_id", "target_type", "outcome", "attrs")
LOG4J_QUIET = (                     # Spark's own logging: errors only, on stderr
    "rootLogger.level = error\n"
    "rootLogger.appenderRef.stderr.ref = console\n"
    "appender.console.type = Console\n"
    "appender.console.name = console\n"
    "appender.console.target = SYSTEM_ERR\n"
    "appender.console.layout.type = PatternLayout\n"
    "appender.console.layout.pattern = spark: %p %c{1}: %m%n\n")
SMALL_TABLE_ROWS = 10_000
SPARK_TYPES = {"string": "STRING", "int64": "BIGINT", "double": "DOUBLE", "bool": "BOOLEAN"}
JAVA_HOMES = ("/usr/lib/jvm/default-java", "/usr/lib/jvm/java-17-openjdk-amd64")
SMALL_DATA_CONF = {                 # for case-sized inputs: less fixed cost per statement
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.adaptive.enabled": "false",
}


class SparkUnavailable(RuntimeError):
    pass


def local_session(master: str = "local[2]", conf: dict[str, str] | None = None) -> Any:
    """A local SparkSession for the drift engine (no UI, no network beyond loopback)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable(
            "the spark engine needs pyspark (pip install 'tracehound[spark]')") from None
    if not os.environ.get("JAVA_HOME") and not shutil.which("java"):
        home = next((h for h in JAVA_HOMES if Path(h, "bin", "java").exists()), None)
        if home is None:
            raise SparkUnavailable("the spark engine needs a Java runtime "
                                   "(Debian: apt-get install default-jre-headless)")
        os.environ["JAVA_HOME"] = home
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    scratch = tempfile.mkdtemp(prefix="tracehound-spark-")
    atexit.register(shutil.rmtree, scratch, True)
    quiet = Path(scratch, "log4j2.properties")
    quiet.write_text(LOG4J_QUIET, encoding="utf-8")
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "2",
        "spark.sql.warehouse.dir": str(Path(scratch, "warehouse")),
        "spark.driver.extraJavaOptions":
            f"-Duser.timezone=UTC -Dlog4j2.configurationFile={quiet}",
        **(conf or {}),
    }
    builder = SparkSession.builder.master(master).appName("tracehound-drift")
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine:
    name = "spark"

    def __init__(self, session: Any = None, partitions: int | None = 2,
                 conf: dict[str, str] | None = None):
        """`partitions`: stored relations are coalesced to this many (None: keep Spark's);
        `conf`: settings for a session this engine starts (e.g. SMALL_DATA_CONF)."""
        from pyspark.sql import SparkSession
        self.partitions = partitions
        self.owns_session = session is None and SparkSession.getActiveSession() is None
        self.spark = session or local_session(conf=conf)
        self.workdir = Path(tempfile.mkdtemp(prefix="tracehound-drift-"))
        self.views: list[str] = []
        self.cached: list[Any] = []

    def load_parquet(self, name: str, path: str | Path) -> None:
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)
        self.views.append(name)

    def load(self, name: str, table: pa.Table) -> None:
        """A small table (baseline, settings) straight from memory; large ones via Parquet."""
        if table.num_rows > SMALL_TABLE_ROWS:
            path = self.workdir / f"{name}.parquet"
            pq.write_table(table, path)
            self.load_parquet(name, path)
            return
        schema = ", ".join(f"`{f.name}` {SPARK_TYPES[str(f.type)]}" for f in table.schema)
        frame = self.spark.createDataFrame(table.to_pylist(), schema=schema)
        frame.createOrReplaceTempView(name)
        self.views.append(name)

    def load_store(self, con: Any) -> None:
        """The case store's drift-source events as the `events` view."""
        path = self.workdir / "events.parquet"
        sources = ", ".join(f"'{s}'" for s in SOURCES)
        con.execute(f"COPY (SELECT {', '.join(EVENT_COLUMNS)} FROM events "
                    f"WHERE source IN ({sources})) TO '{path}' (FORMAT parquet)")
        self.load_parquet("events", path)

    def define(self, relation: Relation) -> None:
        frame = self.spark.sql(to_spark(relation.text))
        if relation.materialize:
            # Computed once, here, with its lineage cut: later statements read the stored
            # rows instead of planning and running everything before them again.
            if self.partitions:
                frame = frame.coalesce(self.partitions)
            frame = frame.localCheckpoint(eager=True)
            self.cached.append(frame)
        frame.createOrReplaceTempView(relation.name)
        self.views.append(relation.name)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return [row.asDict(recursive=True) for row in self.spark.sql(to_spark(sql)).collect()]

    def close(self) -> None:
        for frame in self.cached:
            frame.unpersist()
        for name in self.views:
            self.spark.catalog.dropTempView(name)
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self.owns_session:
            self.spark.stop()
