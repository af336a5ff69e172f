"""Scope-creep drift (seed 003): D1-D6 against the scope baseline, with weekly metrics.

The detections are SQL over the case store (tracehound.drift); this analyzer picks the engine
(`--setting drift_engine=duckdb|spark`), runs it once per case and turns the rows into
findings. The weekly metrics go out through `artifacts()` under "drift_metrics". Without a
baseline there is no approved scope to drift from, and the analyzer reports nothing.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from ..drift.findings import build_findings
from ..drift.metrics import weekly_metrics
from ..drift.run import DriftResult, run_drift
from ..model import Event, Finding
from .registry import Analyzer, Context, register

ENGINES = ("duckdb", "spark")
SMALL_CASE_EVENTS = 1_000_000          # below this a Spark session skips per-query overheads
SHARED_KEY = "drift_result"


def drift_result(events: Sequence[Event], ctx: Context) -> DriftResult | None:
    """The engine's result for this case: computed once, kept in ctx.shared for artifacts()."""
    if ctx.baseline is None or not (events or _bulk_loaded(ctx)):
        return None
    if SHARED_KEY not in ctx.shared:
        ctx.shared[SHARED_KEY] = _compute(events, ctx)
    return ctx.shared[SHARED_KEY]


def _bulk_loaded(ctx: Context) -> bool:
    """Whether the case store holds records a bulk loader put there without Python events
    (a large Copilot export)."""
    if ctx.store is None:
        return False
    return ctx.store.con.execute(
        "SELECT count(*) > 0 FROM (SELECT 1 FROM events WHERE source IN "
        "('copilot:interaction', 'decision:log', 'agent:tool_call') LIMIT 1)").fetchone()[0]


def _compute(events: Sequence[Event], ctx: Context) -> DriftResult:
    engine_name = str(ctx.setting("drift_engine", "duckdb")).lower()
    if engine_name not in ENGINES:
        raise ValueError(f"--setting drift_engine={engine_name}: choose one of "
                         f"{', '.join(ENGINES)}")
    from ..store import CaseStore
    own_store = ctx.store is None
    store = CaseStore() if own_store else ctx.store
    try:
        if own_store:
            store.load_events(events)
        return _run(engine_name, store, ctx)
    finally:
        if own_store:
            store.close()


def _run(engine_name: str, store: Any, ctx: Context) -> DriftResult:
    if engine_name == "duckdb":
        from ..drift.engine_duckdb import DuckDBEngine
        return run_drift(DuckDBEngine(store.con), ctx.baseline, ctx.settings)
    from ..drift.engine_spark import SMALL_DATA_CONF, SparkEngine
    small = store.con.execute("SELECT count(*) FROM events").fetchone()[0] < SMALL_CASE_EVENTS
    engine = SparkEngine(ctx.shared.get("spark_session"), conf=SMALL_DATA_CONF if small else None)
    try:
        engine.load_store(store.con)
        return run_drift(engine, ctx.baseline, ctx.settings)
    finally:
        engine.close()


@register
class DriftAnalyzer(Analyzer):
    NAME = "drift"
    VERSION = "1"
    FAMILY = "drift"
    TITLE = ("Scope-creep drift against the baseline (seed 003 D1-D6): new tools, data scopes, "
             "label breaches, volume, policy hit rate, unapproved versions; weekly metrics")
    CONSUMES = ("copilot:", "decision:", "agent:tool_call")

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        result = drift_result(events, ctx)
        if result is None:
            return []
        return build_findings(result, ctx.baseline, self.engine_version, self.NAME)

    def artifacts(self, events: Sequence[Event], ctx: Context) -> Mapping[str, list]:
        result = drift_result(events, ctx)
        if result is None:
            return {}
        return {"drift_metrics": weekly_metrics(result, ctx.baseline)}
