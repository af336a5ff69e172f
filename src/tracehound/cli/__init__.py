"""The `tracehound` command line. Each command lives in its own module and stays a few lines:
it parses options, calls the pipeline or a renderer, and maps the outcome to an exit code.

Exit codes: 0 done; 1 a finding at or above --fail-on; 2 usage error; 3 no input could be
read; 4 an evidence file changed while it was being analyzed.
"""

from __future__ import annotations

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
    app()
