"""Records of a cloud export, whatever container they came in, each with its locator.

Cloud portals and APIs hand out the same records as a JSON array, a Graph page
(`{"value": [...]}`), NDJSON, a single JSON object, or a CSV export. `iter_records` yields
(EvidenceRef, record dict) or a ParseIssue for each, so a parser only maps a record to an Event.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from ..model import Event, EvidenceRef, ParseIssue, line_ref, pointer_ref, row_ref
from .base import Parser, Sample, Source
from .readers import decode_prefix, detect_encoding, iter_csv, iter_ndjson, load_json

CONTAINER_KEYS = ("value", "Records", "records", "items", "data")


def looks_like_json(text: str) -> bool:
    return text.lstrip()[:1] in ("{", "[")


def sample_records(sample: Sample) -> list[dict[str, Any]]:
    """The first records a sniffer should look at, whatever the container."""
    if sample.records:
        first = sample.records[0]
        inner = container_items(first)
        return inner[:5] if inner is not None else sample.records
    if isinstance(sample.document, dict):
        inner = container_items(sample.document)
        return inner[:5] if inner is not None else [sample.document]
    return sample.list_items()[:5]


def container_items(document: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The record list of a container object (Graph `value` and the like), else None."""
    for key in CONTAINER_KEYS:
        if isinstance(document.get(key), list):
            return [item for item in document[key] if isinstance(item, dict)]
    return None


class RecordParser(Parser):
    """A parser of a cloud export: `parse` walks the export's records (`iter_records`), passes
    its issues on, and maps each record with `record`."""

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        for item in iter_records(source):
            if isinstance(item, ParseIssue):
                yield item
            else:
                yield from self.record(source, *item)

    def record(self, source: Source, ref: EvidenceRef, record: dict[str, Any]
               ) -> Iterator[Event | ParseIssue]:
        """The events (or issues) of one record."""
        raise NotImplementedError


def iter_records(source: Source) -> Iterator[tuple[EvidenceRef, dict[str, Any]] | ParseIssue]:
    data = source.data
    text = decode_prefix(data[:4096])
    if not looks_like_json(text):
        yield from iter_csv_records(source)
    elif _is_ndjson(data, text):
        yield from _ndjson_records(source)
    else:
        yield from _document_records(source)


def iter_csv_records(source: Source) -> Iterator[tuple[EvidenceRef, dict[str, Any]] | ParseIssue]:
    for item in iter_csv(source.data, source.path):
        if isinstance(item, ParseIssue):
            yield item
        else:
            yield row_ref(source.sha256, item[0]), item[1]


def _is_ndjson(data: bytes, prefix: str) -> bool:
    """One JSON object a line: the first line is a whole object (read to its end, however
    long: a UAL record often passes 4 KB) and another non-blank line follows among the first
    three. The lines are found one at a time, never by splitting the whole file."""
    stripped = prefix.lstrip()
    if not stripped.startswith("{"):
        return False
    lines = _first_lines(data, 3)
    if sum(1 for line in lines if line.strip()) < 2:
        return False
    encoding, skip = detect_encoding(data[:4])
    first = (data[skip:].lstrip().split(b"\n", 1)[0].decode("utf-8", errors="replace")
             if encoding == "utf-8" else stripped.splitlines()[0])
    try:
        return isinstance(json.loads(first), dict)
    except (json.JSONDecodeError, RecursionError):
        return False


def _first_lines(data: bytes, count: int) -> list[bytes]:
    """The first `count` lines as bytes.splitlines() gives them (\n, \r\n or \r ends one)."""
    lines: list[bytes] = []
    start = 0
    while len(lines) < count and start < len(data):
        newline = data.find(b"\n", start)
        end = newline if newline >= 0 else len(data)
        back = data.find(b"\r", start, end)
        end = back if back >= 0 else end
        lines.append(data[start:end])
        start = end + (2 if data[end:end + 2] == b"\r\n" else 1)
    return lines


def _ndjson_records(source: Source) -> Iterator[tuple[EvidenceRef, dict[str, Any]] | ParseIssue]:
    for item in iter_ndjson(source.data, source.path):
        if isinstance(item, ParseIssue):
            yield item
        else:
            yield line_ref(source.sha256, item[0]), item[1]


def _document_records(source: Source) -> Iterator[tuple[EvidenceRef, dict[str, Any]] | ParseIssue]:
    document, issues = load_json(source.data, source.path)
    yield from issues
    if document is None:
        return
    if isinstance(document, dict):
        for key in CONTAINER_KEYS:
            if isinstance(document.get(key), list):
                yield from _list_records(source, document[key], key)
                return
        yield EvidenceRef(source.sha256, "json:"), document
    elif isinstance(document, list):
        yield from _list_records(source, document)
    else:
        yield ParseIssue(source.path, "json:",
                         f"expected a JSON object or array, found {type(document).__name__}")


def _list_records(source: Source, items: list[Any], *prefix: str
                  ) -> Iterator[tuple[EvidenceRef, dict[str, Any]] | ParseIssue]:
    for index, item in enumerate(items):
        ref = pointer_ref(source.sha256, *prefix, index)
        if isinstance(item, dict):
            yield ref, item
        else:
            yield ParseIssue(source.path, ref.locator,
                             f"expected a JSON object, found {type(item).__name__}")


def column_key(name: str) -> str:
    """A header name compared loosely: lower-case, single spaces, no surrounding space."""
    return " ".join(name.replace("_", " ").split()).lower()


def column(row: dict[str, Any], *names: str) -> str | None:
    """The first non-empty cell among header `names` (compared with column_key)."""
    keyed = {column_key(k): k for k in row if isinstance(k, str)}
    for name in names:
        key = keyed.get(column_key(name))
        if key is not None:
            value = row.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def header_has(header: list[str], *names: str) -> bool:
    keys = {column_key(h) for h in header}
    return all(column_key(n) in keys for n in names)
