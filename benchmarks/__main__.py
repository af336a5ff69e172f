"""Run every benchmark module in turn: `python -m benchmarks` (or `make bench`).

`python -m benchmarks NAME [ARGS...]` runs one (ARGS go to it); `python -m benchmarks --help`
lists them with the first line of each module's docstring, read without importing (or
running) any of them.
"""

from __future__ import annotations

import ast
import sys
from importlib import import_module
from pathlib import Path

# One entry per benchmark module; each has main(argv) -> exit code.
MODULES = (
    "agent_trace",
    "agent_claude",
    "agent_codex",
    "agent_otel",
    "ual_cloud",
    "report_bench",
    "drift_bench",
)


def summary(name: str) -> str:
    """The first line of the module's docstring, parsed from its source (nothing runs)."""
    source = (Path(__file__).parent / f"{name}.py").read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(source)) or ""
    return doc.splitlines()[0] if doc else ""


def usage() -> str:
    width = max(len(name) for name in MODULES)
    lines = ["usage: python -m benchmarks [NAME [ARGS...]]", "",
             "Without NAME every benchmark runs in turn (slow: minutes, large temporary "
             "files);", "with NAME only that one, given ARGS. Each NAME also runs as "
             "`python -m benchmarks.NAME [ARGS...]`,", "and `python -m benchmarks.NAME --help` "
             "lists its own options.", "", "benchmarks:"]
    lines += [f"  {name.ljust(width)}  {summary(name)}" for name in MODULES]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(usage())
        return 0
    if args:
        if args[0] not in MODULES:
            print(f"benchmarks: no benchmark named {args[0]!r}\n\n{usage()}", file=sys.stderr)
            return 2
        return import_module(f"benchmarks.{args[0]}").main(args[1:])
    worst = 0
    for name in MODULES:
        print(f"== benchmarks.{name}", flush=True)
        worst = max(worst, import_module(f"benchmarks.{name}").main([]))
    return worst


if __name__ == "__main__":
    sys.exit(main())
