"""`tracehound report PATH... [--baseline FILE] --html FILE [--pdf FILE] [--reproducible]`."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Optional

import typer

from . import app
from .common import AS_FORMAT, TZ, BASELINE, PATHS, SETTING, finish, parse_settings, run_case
from .common import QUIET


@app.command()
def report(
    paths: list[Path] = PATHS,
    html: Path = typer.Option(..., "--html", help="Write the HTML report to this file.",
                              dir_okay=False),
    pdf: Optional[Path] = typer.Option(None, "--pdf", help="Also write the PDF to this file: "
                                       "the print edition, with every finding and its "
                                       "evidence references; plain enumeration steps are "
                                       "summarized, and the evidence excerpts and any graph "
                                       "too wide to read on paper left to the HTML.",
                                       dir_okay=False),
    baseline: Optional[Path] = BASELINE,
    reproducible: bool = typer.Option(False, "--reproducible", help="Leave out every "
                                      "wall-clock time (generation and hashing times): two "
                                      "runs give byte-identical HTML and PDF."),
    timeline: bool = typer.Option(False, "--timeline", help="Also list every timed record "
                                  "and finding (the super-timeline) in the report."),
    as_format: Optional[str] = AS_FORMAT,
    tz: Optional[str] = TZ,
    setting: list[str] = SETTING,
    quiet: bool = QUIET,
) -> None:
    """A case report a lawyer and an engineer can both read: summary, steps, grants, data,
    approvals, findings with their evidence, limits, hand-off notes, declaration outline.

    Nothing is fetched while rendering; fonts and styles are local.
    Example: tracehound report kepler-pack --html kepler.html --pdf kepler.pdf --reproducible
    """
    from ..report.html import write_reports
    from ..report.pdf import PdfWorker
    settings = parse_settings(setting)
    # with --pdf, a child process imports WeasyPrint while the case is analyzed
    with PdfWorker() if pdf else nullcontext() as worker:
        case = run_case(paths, forced=as_format, tz=tz, baseline=baseline, settings=settings,
                        reproducible=reproducible, timeline=timeline, quiet=quiet)
        if case.readable:
            for label, path in write_reports(case, html, pdf, reproducible,
                                             worker=worker).items():
                typer.echo(f"{label}: {path}")
    finish(case, None)
