"""`python -m benchmarks --help` prints the usage and runs nothing; a NAME runs only that one."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import benchmarks.__main__ as bench  # noqa: E402  (the benchmark runner's own test)


def test_help_lists_every_benchmark_and_exits_0_fast():
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 10          # a benchmark takes minutes
    assert result.stdout.startswith("usage: python -m benchmarks [NAME [ARGS...]]")
    assert "== benchmarks." not in result.stdout    # the banner each run prints
    for name in bench.MODULES:                      # one line each: name, docstring's first
        assert bench.summary(name).startswith("Benchmark:")
        assert re.search(rf"^  {name} +{re.escape(bench.summary(name))}$", result.stdout,
                         re.MULTILINE), name


@pytest.fixture
def imported(monkeypatch):
    """Record the modules the runner imports, with a stand-in whose main records its args."""
    calls: list[tuple[str, list[str]]] = []

    class Stub:
        def __init__(self, name):
            self.name = name

        def main(self, argv):
            calls.append((self.name, argv))
            return 0
    monkeypatch.setattr(bench, "import_module", Stub)
    return calls


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_imports_no_benchmark(imported, flag, capsys):
    assert bench.main([flag]) == 0
    assert imported == []
    assert "usage: python -m benchmarks" in capsys.readouterr().out


def test_a_name_runs_only_that_benchmark_with_its_arguments(imported):
    assert bench.main(["agent_trace", "--steps", "20000", "--single"]) == 0
    assert imported == [("benchmarks.agent_trace", ["--steps", "20000", "--single"])]


def test_no_arguments_still_runs_them_all(imported):
    assert bench.main([]) == 0
    assert imported == [(f"benchmarks.{name}", []) for name in bench.MODULES]


def test_an_unknown_name_is_a_usage_error(imported, capsys):
    assert bench.main(["nope"]) == 2
    assert imported == []
    assert "no benchmark named 'nope'" in capsys.readouterr().err
