"""Golden-file comparison shared by all tests.

A golden is JSON with sorted keys and indent 2. It is rewritten only when the environment
variable TRACEHOUND_REGEN_GOLDENS=1 is set; otherwise a difference fails the test with a diff.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

GOLDEN_ROOT = Path(__file__).parent / "golden"


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def check_golden(relative: str, value: Any) -> None:
    """Compare `value` with tests/golden/<relative>; regenerate only when asked to."""
    check_golden_text(relative, dumps(value))


def check_golden_text(relative: str, text: str) -> None:
    """Like check_golden for a text golden that is not JSON (e.g. a normalized HTML report)."""
    path = GOLDEN_ROOT / relative
    if os.environ.get("TRACEHOUND_REGEN_GOLDENS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        raise AssertionError(f"golden {path} is missing; run with TRACEHOUND_REGEN_GOLDENS=1 "
                             "and review the new file")
    expected = path.read_text(encoding="utf-8")
    if expected != text:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            f"golden/{relative}", "actual", n=2))
        raise AssertionError(f"output differs from golden/{relative}:\n{diff[:6000]}")
