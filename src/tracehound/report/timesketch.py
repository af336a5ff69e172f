"""The super-timeline rendered for Timesketch: CSV or JSONL with its required columns.

The rows come from `case.extra["timeline"]` (built when the pipeline ran with
`Options(timeline=True)`); this module only writes them.
"""

from __future__ import annotations

from typing import Any

from ..correlate.timeline import TIMELINE_COLUMNS, timesketch_rows
from . import serialize

TIMELINE_FORMATS = ("timesketch-csv", "jsonl")


def render_timeline(case: Any, output: str = "timesketch-csv") -> str:
    if output not in TIMELINE_FORMATS:
        raise ValueError(f"unknown timeline format {output!r}")
    rows = timesketch_rows(case.extra.get("timeline", []))
    if output == "timesketch-csv":
        return serialize.rows_csv(list(TIMELINE_COLUMNS), rows)
    return serialize.to_ndjson(rows)
