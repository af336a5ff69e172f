"""Run every benchmark module in turn: `python -m benchmarks` (or `make bench`)."""

from __future__ import annotations

import sys
from importlib import import_module

# One entry per benchmark module; each has main(argv) -> exit code.
MODULES = (
    "agent_trace",
    "ual_cloud",
    "report_bench",
    "drift_bench",
)


def main() -> int:
    worst = 0
    for name in MODULES:
        print(f"== benchmarks.{name}", flush=True)
        worst = max(worst, import_module(f"benchmarks.{name}").main([]))
    return worst


if __name__ == "__main__":
    sys.exit(main())
