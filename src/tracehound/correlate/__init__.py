"""Correlation over a whole case: timeline, IOCs, execution graph, classification."""

from __future__ import annotations

from typing import Any


def enrich(case: Any, options: Any) -> None:
    """Add the correlation sections to a parsed and analyzed case (none written yet)."""
    return None
