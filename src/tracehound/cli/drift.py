"""`tracehound drift`: scope-creep drift (seed 003 D1-D6) against a baseline, with metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from . import app
from .common import (AS_FORMAT, TZ, FAIL_ON, OUT, PATHS, SETTING, check_severity, fail, finish,
                     parse_settings, run_case, table_console, warn)
from .common import DETAILS
from .common import QUIET
from .common import PRETTY, write_json

DETAIL_SECTIONS = ("preservation", "aibom", "runbook")   # shown by --details, not in the JSON

ENGINES = ("duckdb", "spark")
OUTPUT_FORMATS = ("table", "json")


def drift_document(case: Any, engine: str, baseline: Any) -> dict[str, Any]:
    """The analyze JSON's evidence, findings and parse issues, plus the weekly metrics."""
    doc = case.to_json()
    return {
        "schema": doc["schema"], "engine": doc["engine"], "drift_engine": engine,
        "baseline": {"path": baseline.path, "sha256": baseline.sha256,
                     "agents": [a.agent_id for a in baseline.agents]},
        "evidence": doc["evidence"], "findings": doc["findings"],
        "drift_metrics": case.artifacts.get("drift_metrics", []),
        "parse_issues": doc["parse_issues"],
    }


def _load_baseline(path: Path) -> Any:
    from ..baseline import BaselineError, load_baseline
    try:
        return load_baseline(path)
    except BaselineError as exc:
        for problem in exc.problems:
            warn(str(problem))
        raise typer.Exit(2) from None


def _render(doc: dict[str, Any], output: str, out: Optional[Path],
            extra: Optional[dict[str, Any]] = None, pretty: bool = False) -> None:
    """JSON, or the table: summary, findings, weekly metrics, evidence (and with --details
    the `extra` sections of the case)."""
    from ..report import terminal
    if output == "json":
        write_json(doc, out, pretty)
        return
    with table_console(out) as console:
        terminal.render_case({**doc, **(extra or {})}, console, details=extra is not None,
                             results=[terminal.metrics_table(doc["drift_metrics"])])


@app.command()
def drift(
    paths: list[Path] = PATHS,
    baseline: Path = typer.Option(..., "--baseline", help="Scope baseline YAML (B1-B5 per "
                                  "agent, CONTRACT.md).", dir_okay=False, show_default=False),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (embedded) | spark (PySpark "
                               "local mode; needs a Java runtime)."),
    output: str = typer.Option("table", "--format", help="table | json"),
    out: Optional[Path] = OUT,
    fail_on: Optional[str] = FAIL_ON,
    as_format: Optional[str] = AS_FORMAT,
    tz: Optional[str] = TZ,
    setting: list[str] = SETTING,
    details: bool = DETAILS,
    pretty: bool = PRETTY,
    quiet: bool = QUIET,
) -> None:
    """Scope-creep drift: new tools, data scopes, label breaches, volume, policy hit rate and
    unapproved versions against the baseline, with each finding's escalation entry and the
    weekly metrics per agent.

    Example: tracehound drift --baseline baseline.yaml purview-export.csv decisions.ndjson
    """
    if engine not in ENGINES:
        raise fail(f"--engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if output not in OUTPUT_FORMATS:
        raise fail(f"--format {output!r}: choose one of {', '.join(OUTPUT_FORMATS)}")
    check_severity(fail_on)
    loaded = _load_baseline(baseline)
    settings = {**parse_settings(setting), "drift_engine": engine}
    try:
        case = run_case(paths, forced=as_format, tz=tz, baseline=baseline, tools=["drift"],
                        settings=settings, quiet=quiet)
    except RuntimeError as exc:           # the Spark engine without Java or pyspark
        raise fail(str(exc)) from None
    extra = {k: case.extra[k] for k in DETAIL_SECTIONS if k in case.extra} if details else None
    _render(drift_document(case, engine, loaded), output, out, extra, pretty)
    finish(case, fail_on)
