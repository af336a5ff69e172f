"""Scope baseline YAML (seed 003's B1-B5 per agent, CONTRACT.md). Placeholder: being written."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_baseline(path: Path) -> Any:
    raise NotImplementedError("baseline loading is not written yet")
