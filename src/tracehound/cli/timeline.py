"""`tracehound timeline PATH... [--format timesketch-csv|jsonl] [--out FILE]`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import app
from .common import QUIET
from .common import (AS_FORMAT, TZ, OUT, PATHS, SETTING, fail, finish, parse_settings, run_case,
                     warn, write_output)


@app.command()
def timeline(
    paths: list[Path] = PATHS,
    output: str = typer.Option("timesketch-csv", "--format",
                               help="timesketch-csv | jsonl (both import into Timesketch)."),
    out: Optional[Path] = OUT,
    as_format: Optional[str] = AS_FORMAT,
    tz: Optional[str] = TZ,
    setting: list[str] = SETTING,
    quiet: bool = QUIET,
) -> None:
    """Super-timeline of every event and finding across all inputs, ready for Timesketch.

    Columns: message, datetime, timestamp_desc (Timesketch's required three), timestamp,
    then kind, source, action, actor, target, session, step, severity, category, rule,
    evidence_path, sha256, locator, id. Example:
    tracehound timeline kepler-pack cloudtrail.json --out kepler-timeline.csv
    """
    from ..report.timesketch import TIMELINE_FORMATS, render_timeline
    if output not in TIMELINE_FORMATS:
        raise fail(f"--format {output!r}: choose one of {', '.join(TIMELINE_FORMATS)}")
    case = run_case(paths, forced=as_format, tz=tz, settings=parse_settings(setting), timeline=True,
                    quiet=quiet)
    write_output(render_timeline(case, output), out)
    untimed = case.extra.get("timeline_untimed_events", 0)
    if untimed:
        warn(f"{untimed} events carry no time and are not on the timeline")
    finish(case, None)
