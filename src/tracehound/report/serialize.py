"""Machine-readable renderings of a Case's findings: NDJSON and CSV (the case JSON itself is
case_json.py's).

Output is deterministic: keys sorted, lists already sorted by the pipeline. CSV cells that a
spreadsheet would run as a formula (=, +, -, @, tab, CR or NUL at the start: OWASP ASVS 5.0
V1.2.10) are defused with a leading apostrophe, since every string here may come from an
attacker.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from typing import Any, Iterable, Iterator, Sequence

from ..effects.secrets import scrub

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\x00")
FINDING_COLUMNS = ("id", "time", "severity", "category", "rule", "tool", "session", "step",
                   "actor", "target", "title", "statement", "refs", "techniques")


def to_ndjson(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows)


def safe_cell(value: Any) -> str:
    """A CSV cell: secrets scrubbed, formulas defused."""
    if value is None:
        return ""
    text = scrub(value if isinstance(value, str) else json.dumps(value, sort_keys=True))
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _csv_lines(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    return "".join(iter_csv_lines(columns, rows))


def iter_csv_lines(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Header and rows, each line ending in LF, every cell through `safe_cell`.

    The writer's line terminator is CRLF so that it quotes any cell holding a bare CR (it
    quotes only for characters of its terminator); unquoted, a spreadsheet starts a new row
    at that CR, and what follows it (`=HYPERLINK(...)`) would be a formula cell.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for cells in itertools.chain([list(columns)],
                                 ([safe_cell(row.get(c)) for c in columns] for row in rows)):
        writer.writerow(cells)
        yield buffer.getvalue()[:-2] + "\n"
        buffer.seek(0)
        buffer.truncate()


def findings_csv(findings: list[dict[str, Any]]) -> str:
    rows = []
    for finding in findings:
        row = dict(finding)
        row["refs"] = " ".join(f"{r['sha256']}:{r['locator']}" for r in finding["refs"])
        row["techniques"] = " ".join(finding["techniques"])
        rows.append(row)
    return _csv_lines(FINDING_COLUMNS, rows)


def rows_csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    return _csv_lines(columns, rows)
