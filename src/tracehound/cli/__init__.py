"""The `tracehound` command line. Each command lives in its own module and stays a few lines:
it parses options, calls the pipeline or a renderer, and maps the outcome to an exit code.

Exit codes: 0 done; 1 a finding at or above --fail-on; 2 usage error; 3 no input could be
read; 4 an evidence file changed while it was being analyzed.
"""

from __future__ import annotations

import sys

import typer

app = typer.Typer(
    name="tracehound",
    help=(
        "Local, deterministic forensic triage for AI-agent runaway and cloud account "
        "compromise. Evidence is read-only and never leaves this machine.\n\n"
        "Start with `tracehound demo` (the kepler reference case end to end), then "
        "`tracehound analyze PATH...` on your own exports."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

from . import analyze, fixture, drift, report, serve, timeline, views  # noqa: E402,F401


def main() -> None:
    """The console script. When a command has finished, the process leaves without tearing the
    interpreter down: freeing every module and object of an analysis (DuckDB, Arrow, the case)
    takes a tenth of a second or more and changes nothing the user sees. Exit handlers still
    run and output is flushed first; see `_leave`."""
    try:
        app()
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            _leave(done.code or 0)
        raise


def _leave(code: int) -> None:
    """Run the exit handlers (temporary folders, logging, child processes), flush stdout and
    stderr, and end the process with `code`. Returns without leaving (the caller then exits
    as usual) when another thread is still running or the output cannot be flushed."""
    import atexit
    import os
    import threading
    if threading.active_count() != 1 or not _flushed():
        return
    atexit._run_exitfuncs()     # noqa: SLF001 - what interpreter shutdown would run first
    _flushed()
    os._exit(code)


def _flushed() -> bool:
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return False
    return True
