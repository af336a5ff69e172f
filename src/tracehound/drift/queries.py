"""The drift SQL in run order, and its Spark spelling.

Every statement is written once, in DuckDB SQL, in `sql/NAME.sql`; each defines one relation.
Staging relations read the case store's `events`; detection relations read the staged tables
(so a data lake that already holds them, as Parquet, can start there). Each detection is two
relations: its flagged keys, worked out over distinct values and stored, then its evidence
rows joined back on those few keys, which lets either engine skip the rows it does not need.

For Spark the text is transpiled with sqlglot; the only hand-made part is the one function
the dialects spell differently, written in the SQL as `drift_local_time(ts, tz)` (a UTC time
as wall-clock time in a zone): DuckDB gets it as a macro, Spark as FROM_UTC_TIMESTAMP.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:                       # sqlglot is imported by the Spark path only (~40 ms)
    from sqlglot import exp

SQL_DIR = Path(__file__).with_name("sql")
SOURCES = ("copilot:interaction", "decision:log", "agent:tool_call")

DUCKDB_MACROS = (
    "CREATE OR REPLACE TEMP MACRO drift_local_time(ts, tz) AS "
    "timezone(tz, ts AT TIME ZONE 'UTC')",
)
_SPARK_FUNCTIONS = {
    "drift_local_time": "FROM_UTC_TIMESTAMP(__a, __b)",
}


@dataclass(frozen=True)
class Relation:
    name: str
    file: str
    materialize: bool          # a table (DuckDB) / cached (Spark), else a view

    @property
    def text(self) -> str:
        return sql_text(self.file)


STAGING = (
    Relation("drift_source", "stage_source", False),
    Relation("drift_activity", "stage_activity", True),
    Relation("drift_resources", "stage_resources", True),
    Relation("drift_tools", "stage_tools", True),
    Relation("drift_policies", "stage_policies", True),
    Relation("drift_decisions", "stage_decisions", True),
)
STAGED_TABLES = tuple(r.name for r in STAGING if r.materialize)

DETECTION = (
    Relation("drift_categorized", "categorized", False),
    Relation("drift_d1_keys", "d1_keys", True),
    Relation("drift_d2_keys", "d2_keys", True),
    Relation("drift_d3_keys", "d3_keys", True),
    Relation("drift_d4_keys", "d4_keys", True),
    Relation("drift_d5_keys", "d5_keys", True),
    Relation("drift_d6_keys", "d6_keys", True),
    Relation("drift_d1", "d1_new_tool", False),
    Relation("drift_d2", "d2_new_data_scope", False),
    Relation("drift_d3", "d3_label_breach", False),
    Relation("drift_d4", "d4_volume", False),
    Relation("drift_d5", "d5_policy_hit_rate", False),
    Relation("drift_d6", "d6_version_change", False),
    Relation("drift_occurrences", "occurrences", True),
    Relation("drift_hits", "hits", True),
    Relation("drift_hit_refs", "hit_refs", True),
    Relation("drift_hit_links", "hit_links", True),
)

RESULTS = {
    "hits": "SELECT * FROM drift_hits",
    "refs": "SELECT * FROM drift_hit_refs",
    "links": "SELECT * FROM drift_hit_links",
    "weekly": "metrics_weekly",
    "top": "metrics_top",
}


@lru_cache(maxsize=None)
def sql_text(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def result_sql(key: str) -> str:
    value = RESULTS[key]
    return value if value.startswith("SELECT") else sql_text(value)


def _spark_function(node: exp.Expression) -> exp.Expression:
    import sqlglot
    from sqlglot import exp
    if isinstance(node, exp.Anonymous) and node.name.lower() in _SPARK_FUNCTIONS:
        template = sqlglot.parse_one(_SPARK_FUNCTIONS[node.name.lower()], read="spark")
        args = dict(zip(("__a", "__b"), node.expressions))
        return template.transform(
            lambda n: args[n.name].copy() if isinstance(n, exp.Column) and n.name in args else n)
    return node


@lru_cache(maxsize=None)
def to_spark(sql: str) -> str:
    """The statement in Spark SQL: sqlglot's transpilation plus the two functions above."""
    import sqlglot
    tree = sqlglot.parse_one(sql, read="duckdb")
    return tree.transform(_spark_function).sql(dialect="spark")
