"""Scope baseline (seed 003's B1-B5, CONTRACT.md's YAML) and the allowed-envelope checks.

Placeholder: the baseline loader and validator are being written (drift issue).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_baseline(path: Path) -> Any:
    raise NotImplementedError("baseline loading is not written yet")
