"""Machine-readable renderings of a Case: JSON (CONTRACT.md), NDJSON and CSV of findings.

Output is deterministic: keys sorted, lists already sorted by the pipeline. CSV cells that a
spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) are defused with a
leading apostrophe, since every string here may come from an attacker.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FINDING_COLUMNS = ("id", "time", "severity", "category", "rule", "tool", "session", "step",
                   "actor", "target", "title", "statement", "refs", "techniques")


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_ndjson(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows)


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def findings_csv(findings: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FINDING_COLUMNS)
    for finding in findings:
        row = dict(finding)
        row["refs"] = " ".join(f"{r['sha256']}:{r['locator']}" for r in finding["refs"])
        row["techniques"] = " ".join(finding["techniques"])
        writer.writerow([safe_cell(row.get(c)) for c in FINDING_COLUMNS])
    return buffer.getvalue()


def rows_csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return buffer.getvalue()
