"""What the UAL bulk path leaves to the record-by-record parser, read by its rules.

CSV rows longer than DuckDB's line limit (read by Python's csv module at the byte offset DuckDB
reports), JSON records SQL cannot take as they are (their issue in the Python parser's words,
or an event where Python reads JSON DuckDB does not) and JSON lines DuckDB's reader rejected
(not UTF-8, too long): each with its record number, so issues and events read as the Python
path's do.
"""

from __future__ import annotations

import csv
import json
from typing import Any

from ...model import EvidenceRef, ParseIssue, line_ref, pointer_ref
from ..base import Source
from ..readers import MAX_CSV_FIELD, iter_file_lines, ndjson_of_lines
from .m365_ual import record_event, split_record
from .m365_ual_shapes import Shape

BY_PYTHON = "?python"      # the problem of a JSON record SQL leaves to Python


def number_of(issue: ParseIssue) -> int:
    """The record number at the end of a locator (`row 7`, `line 7`, `json:/7`)."""
    digits = issue.locator[len(issue.locator.rstrip("0123456789")):]
    return int(digits or 0)


def long_rows(source: Source, header: list[str], found: list[tuple[int, int]]
               ) -> tuple[list[Any], list[ParseIssue]]:
    """Rows longer than DuckDB's line limit, each read by Python's csv module at its byte
    offset and parsed by the record-by-record parser."""
    events: list[Any] = []
    issues: list[ParseIssue] = []
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, MAX_CSV_FIELD))
    try:
        with open(source.fs_path, "rb") as handle:
            for row, offset in found:
                locator = f"row {row}"
                handle.seek(offset)
                text = (line.decode("utf-8", errors="replace")
                        for line in iter(handle.readline, b""))
                try:
                    values = next(csv.reader(text))
                except (csv.Error, StopIteration) as exc:
                    issues.append(ParseIssue(source.path, locator, f"unreadable CSV row: {exc}"))
                    continue
                if len(values) != len(header):
                    issues.append(ParseIssue(
                        source.path, locator,
                        f"unreadable CSV row: {len(values)} fields, header has {len(header)}"))
                    continue
                audit, envelope, problem = split_record(dict(zip(header, values)))
                if problem:
                    issues.append(ParseIssue(source.path, locator, problem))
                    continue
                for item in record_event(EvidenceRef(source.sha256, locator), audit, envelope,
                                         source.path):
                    (issues if isinstance(item, ParseIssue) else events).append(item)
    finally:
        csv.field_size_limit(limit)
    return events, issues


def python_records(con: Any, shape: Shape, source: Source, src: int, lines: list[int]
                    ) -> tuple[list[Any], list[ParseIssue]]:
    """The JSON records SQL left to Python (a problem to word, JSON only Python reads) and the
    lines DuckDB's reader rejected (bytes that are not UTF-8, lines over MAX_LINE), read by
    the record-by-record parser's rules with their numbers."""
    found = con.execute(
        "SELECT coalesce(r.n, r.rowid - s.first + s.base), r.raw FROM ual_rows r "
        "JOIN ual_sources s USING (src) WHERE src = ? AND problem = ? ORDER BY r.rowid",
        [src, BY_PYTHON]).fetchall()
    items: list[Any] = []
    if shape.kind == "array":
        for index, text in found:
            ref = pointer_ref(source.sha256, index)
            try:
                value = json.loads(text)
            except (json.JSONDecodeError, RecursionError) as exc:   # not "found JSONDecodeError"
                items.append(ParseIssue(source.path, ref.locator,
                                        f"invalid JSON: {str(exc)[:120]}"))
                continue
            items.append((ref, value) if isinstance(value, dict) else ParseIssue(
                source.path, ref.locator, f"expected a JSON object, found {type(value).__name__}"))
    else:
        wanted = set(lines)
        numbered = [*found, *(item for item in iter_file_lines(source.fs_path, source.path)
                              if _line_of(item) in wanted)] if wanted else found
        for item in ndjson_of_lines(sorted(numbered, key=_line_of), source.path):
            items.append(item if isinstance(item, ParseIssue)
                         else (line_ref(source.sha256, item[0]), item[1]))
    events: list[Any] = []
    issues: list[ParseIssue] = []
    for item in items:
        if isinstance(item, ParseIssue):
            issues.append(item)
            continue
        ref, record = item
        audit, envelope, problem = split_record(record)
        if problem:
            issues.append(ParseIssue(source.path, ref.locator, problem))
            continue
        for made in record_event(ref, audit, envelope, source.path):
            (issues if isinstance(made, ParseIssue) else events).append(made)
    return events, issues


def _line_of(item: Any) -> int:
    return number_of(item) if isinstance(item, ParseIssue) else item[0]
