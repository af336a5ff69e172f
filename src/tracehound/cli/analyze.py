"""`tracehound analyze`, `tracehound run TOOL` and `tracehound tools`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import app
from .common import (AS_FORMAT, TZ, BASELINE, FAIL_ON, OUT, PATHS, SETTING, check_severity, fail,
                     finish, parse_settings, run_case, table_console, write_output)
from .common import DETAILS
from .common import PRETTY, write_json
from .common import QUIET

OUTPUT_FORMATS = ("table", "json", "ndjson", "csv")


def _emit(case, output: str, out: Optional[Path], details: bool = False,
          pretty: bool = False) -> None:
    from ..report import serialize, terminal
    doc = case.to_json()
    if output == "json":
        write_json(doc, out, pretty)
    elif output == "ndjson":
        write_output(serialize.to_ndjson(doc["findings"]), out)
    elif output == "csv":
        write_output(serialize.findings_csv(doc["findings"]), out)
    else:
        with table_console(out) as console:
            terminal.render_case(doc, console, details=details)


def _check_output(output: str) -> str:
    if output not in OUTPUT_FORMATS:
        raise fail(f"--format {output!r}: choose one of {', '.join(OUTPUT_FORMATS)}")
    return output


@app.command()
def analyze(
    paths: list[Path] = PATHS,
    baseline: Optional[Path] = BASELINE,
    output: str = typer.Option("table", "--format", help="table | json | ndjson | csv"),
    out: Optional[Path] = OUT,
    fail_on: Optional[str] = FAIL_ON,
    as_format: Optional[str] = AS_FORMAT,
    tz: Optional[str] = TZ,
    setting: list[str] = SETTING,
    reproducible: bool = typer.Option(False, "--reproducible", help="Leave out hashing times."),
    sigma: Optional[str] = typer.Option(None, "--sigma", help="Also run this folder of Sigma "
                                        "rules (or `builtin` for tracehound's own)."),
    no_default_sigma: bool = typer.Option(False, "--no-default-sigma", help="Do not run the "
                                          "SigmaHQ rules tracehound ships."),
    details: bool = DETAILS,
    pretty: bool = PRETTY,
    quiet: bool = QUIET,
    views: Optional[Path] = typer.Option(None, "--views", help="Also write every per-row "
                                         "view into this folder (<view>.csv, <view>.jsonl) "
                                         "and every graph whole (graphs/<kind>.dot).",
                                         file_okay=False),
) -> None:
    """Run every tool on the evidence: sha256 and format of each file, traces, findings.

    Example: tracehound analyze kepler-pack --format json --out case.json --fail-on high
    """
    _check_output(output)
    check_severity(fail_on)
    settings = parse_settings(setting)
    if sigma is not None:
        if sigma != "builtin" and not Path(sigma).is_dir():
            raise fail(f"--sigma {sigma!r}: not a folder of Sigma rules")
        settings["sigma_dir"] = sigma
    if no_default_sigma:
        settings["sigma_defaults"] = False
    case = run_case(paths, forced=as_format, tz=tz, baseline=baseline,
                    settings=settings, reproducible=reproducible, quiet=quiet,
                    views=views is not None)
    _emit(case, output, out, details, pretty)
    if views is not None:
        from ..report.views_files import write_views
        try:
            write_views(case.artifacts, views)
        except OSError as exc:
            raise fail(f"--views {str(views)!r}: {exc.strerror or exc}") from None
    finish(case, fail_on)


@app.command()
def run(
    tool: str = typer.Argument(..., help="Tool name (see `tracehound tools`)."),
    paths: list[Path] = PATHS,
    baseline: Optional[Path] = BASELINE,
    output: str = typer.Option("table", "--format", help="table | json | ndjson | csv"),
    out: Optional[Path] = OUT,
    fail_on: Optional[str] = FAIL_ON,
    as_format: Optional[str] = AS_FORMAT,
    tz: Optional[str] = TZ,
    setting: list[str] = SETTING,
    details: bool = DETAILS,
    pretty: bool = PRETTY,
    quiet: bool = QUIET,
) -> None:
    """Run one tool only, e.g. `tracehound run exfiltration kepler-pack`."""
    from .. import analyzers
    _check_output(output)
    check_severity(fail_on)
    try:
        analyzers.get(tool)
    except KeyError as exc:
        raise fail(str(exc.args[0])) from None
    case = run_case(paths, forced=as_format, tz=tz, baseline=baseline, tools=[tool],
                    settings=parse_settings(setting), quiet=quiet)
    _emit(case, output, out, details, pretty)
    finish(case, fail_on)


@app.command()
def tools(formats: bool = typer.Option(False, "--formats", help="List input formats instead.")
          ) -> None:
    """List the analysis tools (or, with --formats, the evidence formats tracehound reads)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text
    console = Console(highlight=False)
    if formats:
        from ..formats import all_parsers
        table = Table("format", "version", "reads", "e.g.")
        for parser in all_parsers():
            table.add_row(parser.name, parser.version, Text(parser.description),
                          Text(parser.example))
    else:
        from ..analyzers import all_analyzers
        table = Table("tool", "family", "version", "what it does")
        for analyzer in all_analyzers():
            table.add_row(analyzer.NAME, analyzer.FAMILY, analyzer.VERSION, Text(analyzer.TITLE))
    console.print(table)
