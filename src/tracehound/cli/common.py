"""What the commands share: option definitions, error printing, output, exit codes, progress.

Every message on stderr goes through `warn`, which makes control characters visible: file
names and parse problems come from evidence, and an ESC sequence in them must not reach the
terminal (clear the screen, hide text, write the clipboard).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional

import typer

from ..effects.secrets import scrub
from ..evidence import IntakeError
from ..model import SEVERITIES
from ..report.escaping import visible

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNREADABLE, EXIT_CHANGED = 0, 1, 2, 3, 4
MAX_ISSUES_ON_STDERR = 50

_ERR: "Console | None" = None


def stderr_console() -> "Console":
    """The Rich console on stderr, made when something is first printed there (a run that
    prints nothing does not import Rich)."""
    global _ERR
    if _ERR is None:
        from rich.console import Console
        _ERR = Console(stderr=True, highlight=False, soft_wrap=True)
    return _ERR



PATHS = typer.Argument(..., help="Evidence: files, folders (recursed) or .zip/.gz archives.",
                       show_default=False)
AS_FORMAT = typer.Option(None, "--as", help="Force a format instead of sniffing "
                         "(see `tracehound tools --formats`).")
BASELINE = typer.Option(None, "--baseline", help="Scope baseline YAML (B1-B5 per agent).",
                        exists=False, dir_okay=False)
OUT = typer.Option(None, "--out", help="Write the output to this file instead of stdout.")
SETTING = typer.Option([], "--setting", help="Analyzer setting KEY=VALUE, e.g. "
                       "exfil_bytes=1000000 (repeatable).")
TZ = typer.Option(None, "--tz", help="Time zone (IANA name, e.g. Europe/Berlin) for sources "
                  "whose times carry none; without it such times stay empty, never taken "
                  "as UTC.")
FAIL_ON = typer.Option(None, "--fail-on", help="Exit 1 when a finding is at or above this "
                       "severity (info..critical).")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress on stderr (it is shown only "
                     "when stderr is a terminal).")
DETAILS = typer.Option(False, "--details", help="Table format: also print the preservation "
                       "checklist, AI-BOM and runbook, and the whole classification "
                       "explanation.")


def warn(message: str, style: Optional[str] = None) -> None:
    """Print `tracehound: message` on stderr, secrets scrubbed, control characters made
    visible."""
    stderr_console().print(f"tracehound: {visible(scrub(message))}", markup=False,
                           style=style)


def fail(message: str, code: int = EXIT_USAGE) -> "typer.Exit":
    """Print `tracehound: message` on stderr and return the Exit to raise."""
    warn(message)
    return typer.Exit(code)


def write_output(text: str, out: Optional[Path]) -> None:
    """The rendered output to --out, or to stdout."""
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)


PRETTY = typer.Option(False, "--pretty", help="JSON: indent for people (default: compact, "
                      "sorted keys).")


def write_json(document: Any, out: Optional[Path], pretty: bool = False) -> None:
    """The case JSON to --out (through a temporary file beside it, renamed when complete) or
    to stdout, streamed section by section (report/case_json.py)."""
    from ..report import case_json
    if out:
        case_json.write_file(document, out, pretty)
        return
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)
    if binary is not None:
        case_json.stream(document, binary, pretty)
        return
    for chunk in case_json.iter_json(document, pretty):     # a text-only stdout
        sys.stdout.write(chunk.decode("utf-8"))


@contextmanager
def table_console(out: Optional[Path]) -> Iterator[Console]:
    """A Console for `--format table`: stdout, or the --out file (160 wide), closed after."""
    from rich.console import Console
    handle = open(out, "w", encoding="utf-8") if out else None
    try:
        yield Console(file=handle, width=160 if out else None, highlight=False)
    finally:
        if handle:
            handle.close()


def parse_settings(pairs: list[str]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise fail(f"--setting {pair!r}: expected KEY=VALUE")
        settings[key.strip()] = _number_or_text(value.strip())
    return settings


def _number_or_text(value: str) -> Any:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def check_severity(value: Optional[str]) -> Optional[str]:
    if value is not None and value not in SEVERITIES:
        raise fail(f"--fail-on {value!r}: choose one of {', '.join(SEVERITIES)}")
    return value


def check_tz(value: Optional[str]) -> Optional[str]:
    """The --tz value when it names a zone this machine knows; a usage error otherwise."""
    if value is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(f"--tz {value!r}: not a time zone name (e.g. UTC, Europe/Berlin, "
                   "America/New_York)") from None
    return value


def run_case(paths: list[Path], *, forced: Optional[str] = None, baseline: Optional[Path] = None,
             tools: Optional[list[str]] = None, settings: Optional[dict] = None,
             reproducible: bool = False, timeline: bool = False, tz: Optional[str] = None,
             quiet: bool = False, views: bool = False):
    """Run the pipeline, printing parse issues and integrity problems on stderr (and its
    progress, when stderr is a terminal and not `quiet`). The per-row views are built only
    with `views`."""
    from ..pipeline import Options, analyze
    shown = None
    if not quiet and sys.stderr.isatty():      # (run_progress asks too; this spares Rich)
        from .progress import run_progress
        shown = run_progress(quiet, stderr_console())
    options = Options(forced_format=forced, baseline_path=baseline, tools=tools,
                      settings=settings or {}, reproducible=reproducible, progress=shown,
                      reading=shown.read if shown else None, timeline=timeline,
                      tz=check_tz(tz), views=views)
    try:
        with shown or nullcontext():
            case = analyze(paths, options)
    except IntakeError as exc:
        raise fail(f"{exc.path}: {exc.problem}", EXIT_USAGE) from None
    except KeyError as exc:
        raise fail(str(exc.args[0]) if exc.args else str(exc)) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    for issue in case.parse_issues[:MAX_ISSUES_ON_STDERR]:
        stderr_console().print(visible(scrub(issue.render())), markup=False)
    hidden = len(case.parse_issues) - MAX_ISSUES_ON_STDERR
    if hidden > 0:
        warn(f"{hidden} more parse issues (all are listed in the JSON output)")
    for run in case.extra.get("tool_runs", []):
        if run["status"] == "error":
            warn(f"tool {run['tool']} failed and its findings are missing: {run['error']}",
                 style="bold red")
    for change in case.changed:
        warn(f"EVIDENCE CHANGED DURING ANALYSIS: {change}", style="bold red")
    return case


def finish(case, fail_on: Optional[str]) -> None:
    """Exit with the contract's code for this case."""
    from ..pipeline import severity_at_least
    if case.changed:
        raise typer.Exit(EXIT_CHANGED)
    if not case.readable:
        raise fail("no input could be read", EXIT_UNREADABLE)
    if fail_on and severity_at_least(case, fail_on):
        raise typer.Exit(EXIT_FINDINGS)
    raise typer.Exit(EXIT_OK)
