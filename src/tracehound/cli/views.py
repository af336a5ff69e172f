"""`tracehound views PATH... [--view NAME] [--out FILE]`: the cloud tools' views as CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import app
from .common import AS_FORMAT, TZ, OUT, PATHS, fail, finish, run_case, write_output
from .common import QUIET

SIGNINS = "signins"


@app.command()
def views(
    paths: list[Path] = PATHS,
    view: Optional[str] = typer.Option(None, "--view", help="Which view to write as CSV "
                                       "(omit to list the views and their row counts)."),
    out: Optional[Path] = OUT,
    as_format: Optional[str] = AS_FORMAT,
    tz: Optional[str] = TZ,
    quiet: bool = QUIET,
) -> None:
    """Spreadsheet-safe CSV of an M365 view (timeline, suspicious, users, ips, mailbox,
    inbox_rules) or of the sign-in table (`--view signins`).

    Example: tracehound views ual-export.csv --view inbox_rules --out inbox-rules.csv
    """
    from ..report.cloud_views import signins_csv, view_csv
    tools = ["o365-views", "account-activity"]
    case = run_case(paths, forced=as_format, tz=tz, tools=tools, quiet=quiet)
    available = {v["view"]: v for v in case.artifacts.get("o365_views", [])}
    signins = case.artifacts.get("account_activity", [])
    if view is None:
        for name, entry in sorted(available.items()):
            typer.echo(f"{name}\t{entry['total']} rows")
        typer.echo(f"{SIGNINS}\t{len(signins)} rows")
        finish(case, None)
    if view == SIGNINS:
        text = signins_csv(list(signins))
    elif view in available:
        text = view_csv(available[view])
    else:
        names = ", ".join(sorted(available) + [SIGNINS])
        raise fail(f"--view {view!r}: choose one of {names}")
    write_output(text, out)
    finish(case, None)
