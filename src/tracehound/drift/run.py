"""Drive one engine through the drift SQL and hand back plain, engine-independent rows.

Values come back as Python types both engines agree on: times as `...Z` text, weeks as
`YYYY-MM-DD`, counts as int, measures as float; every list is sorted, so DuckDB and Spark give
equal results for equal input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping, Protocol

import pyarrow as pa

from ..baseline import Baseline
from .queries import DETECTION, RESULTS, STAGING, Relation, result_sql
from .tables import input_tables, settings_of

HIT_KEY = ("rule", "kind", "agent_key", "subject", "detail")


class Engine(Protocol):
    name: str

    def load(self, name: str, table: pa.Table) -> None: ...
    def define(self, relation: Relation) -> None: ...
    def rows(self, sql: str) -> list[dict[str, Any]]: ...


@dataclass
class DriftResult:
    engine: str
    hits: list[dict[str, Any]] = field(default_factory=list)
    refs: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    weekly: list[dict[str, Any]] = field(default_factory=list)
    top: list[dict[str, Any]] = field(default_factory=list)

    def comparable(self) -> dict[str, list[dict[str, Any]]]:
        """Everything but the engine's name, for comparing two engines' results."""
        return {"hits": self.hits, "refs": self.refs, "links": self.links,
                "weekly": self.weekly, "top": self.top}


SORT_KEYS = {
    "hits": HIT_KEY,
    "refs": HIT_KEY + ("seq",),
    "links": HIT_KEY,
    "weekly": ("agent_key", "week"),
    "top": ("list", "agent_key", "week", "position"),
}


def run_drift(engine: Engine, baseline: Baseline, settings: Mapping[str, Any],
              staged: bool = False) -> DriftResult:
    """Load the baseline tables, run staging (unless the drift tables are already there) and
    detection, and fetch the results."""
    for name, table in input_tables(baseline, settings_of(settings)).items():
        engine.load(name, table)
    for relation in (DETECTION if staged else STAGING + DETECTION):
        engine.define(relation)
    result = DriftResult(engine.name)
    for key in RESULTS:
        rows = [{k: plain(v) for k, v in row.items()} for row in engine.rows(result_sql(key))]
        rows.sort(key=lambda r: tuple("" if r[k] is None else r[k] for k in SORT_KEYS[key]))
        setattr(result, key, rows)
    return result


def plain(value: Any) -> Any:
    """Times as UTC `...Z` text and dates as ISO text; numbers, text and None as they are
    (DuckDB's HUGEINT sums arrive as Python int, like Spark's BIGINT)."""
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.microsecond:
            text += "." + f"{value.microsecond:06d}".rstrip("0")
        return text + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value
