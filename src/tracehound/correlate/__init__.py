"""Correlation over a whole case: timeline, IOCs, execution graph, classification."""

from __future__ import annotations

from typing import Any


def enrich(case: Any, ctx: Any) -> None:
    """Add the correlation sections to an analyzed case; ctx.store is still open here."""
    return None
