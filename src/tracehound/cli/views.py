"""`tracehound views PATH... [--view NAME] [--out FILE]`: the tools' per-row views as CSV or
JSON lines (they are not in the case JSON: report/views_files.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from . import app
from .common import AS_FORMAT, OUT, PATHS, QUIET, TZ, fail, finish, run_case

# the tools whose artifacts are per-row views
VIEW_TOOLS = ["ual-analyzer", "saas-correlator", "o365-views", "account-activity",
              "azure-activity"]


@app.command()
def views(
    paths: list[Path] = PATHS,
    view: Optional[str] = typer.Option(None, "--view", help="Which view to write (omit to "
                                       "list the views and their row counts)."),
    out: Optional[Path] = OUT,
    as_format: Optional[str] = AS_FORMAT,
    tz: Optional[str] = TZ,
    quiet: bool = QUIET,
) -> None:
    """A per-row view as spreadsheet-safe CSV, or as JSON lines when --out ends in .jsonl:
    the M365 views (timeline, suspicious, users, ips, mailbox, inbox_rules), the sign-in
    table (signins), UAL activity per user (ual_users), the SaaS timeline (saas_timeline,
    saas_cross_service) and Azure operations (azure_operations).

    Example: tracehound views ual-export.csv --view inbox_rules --out inbox-rules.csv
    """
    from ..report import views_files
    from ..report.atomic_file import write_chunks
    case = run_case(paths, forced=as_format, tz=tz, tools=VIEW_TOOLS, quiet=quiet,
                    views=True)
    available = views_files.views_of(case.artifacts)
    if view is None:
        for name, entry in available.items():
            typer.echo(f"{name}\t{entry.total} rows")
        finish(case, None)
    chosen = available.get(views_files.resolve(view))
    if chosen is None:
        raise fail(f"--view {view!r}: choose one of {', '.join(available)}")
    jsonl = out is not None and out.suffix.lower() == ".jsonl"
    chunks = views_files.view_bytes(chosen, jsonl)
    if out:
        write_chunks(out, chunks)
    else:
        sys.stdout.flush()
        binary = getattr(sys.stdout, "buffer", None)
        for chunk in chunks:
            if binary is not None:
                binary.write(chunk)
            else:
                sys.stdout.write(chunk.decode("utf-8"))
        if binary is not None:
            binary.flush()
    finish(case, None)
