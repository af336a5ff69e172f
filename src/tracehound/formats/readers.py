"""Shared readers for the text shapes evidence arrives in: lines, NDJSON, JSON, CSV.

Every reader yields data with its locator or a ParseIssue; none raises on bad bytes. Encodings:
UTF-8, UTF-8 with BOM, UTF-16 LE/BE with BOM (Purview and PowerShell exports). Undecodable
bytes are reported as a ParseIssue on the line where they occur, and the line is still read
with U+FFFD in their place.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from typing import Any, Iterable, Iterator

import orjson

from ..model import ParseIssue
from .meter import METER_STEP, NEVER, current, metered

BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
MAX_CSV_FIELD = 64 * 1024 * 1024
CSV_METER_ROWS = 512              # CSV lines between two reports to a watching meter


def detect_encoding(data: bytes) -> tuple[str, int]:
    """(codec name, BOM length) by byte-order mark; UTF-8 when there is none."""
    for bom, name in BOMS:
        if data.startswith(bom):
            return name, len(bom)
    return "utf-8", 0


def decode_prefix(data: bytes) -> str:
    """Best-effort text of a byte prefix (for sniffing): never raises."""
    name, skip = detect_encoding(data)
    body = data[skip:]
    if name.startswith("utf-16") and len(body) % 2:
        body = body[:-1]
    return body.decode(name, errors="replace")


def iter_text_lines(data: bytes, path: str) -> Iterator[tuple[int, str] | ParseIssue]:
    """(1-based line number, text without newline), or a ParseIssue for undecodable bytes."""
    name, skip = detect_encoding(data)
    if name != "utf-8":
        body = data[skip:]
        if len(body) % 2:
            last_line = body.decode(name, errors="replace").count("\n") + 1
            yield ParseIssue(path, f"line {last_line}",
                             f"odd number of bytes for {name}: the last byte is cut off")
            body = body[:-1]
        try:
            text = body.decode(name)
        except UnicodeDecodeError as exc:
            yield ParseIssue(path, f"line {body[:exc.start].decode(name, 'replace').count(chr(10)) + 1}",
                             f"bytes are not valid {name} at offset {exc.start + skip}")
            text = body.decode(name, errors="replace")
        for number, line in enumerate(text.split("\n"), start=1):
            yield number, line.rstrip("\r")
        return
    # One line at a time (BytesIO shares the bytes, no copy): a list of every line of a
    # large file would hold the file a second time.
    stream = io.BytesIO(data)
    stream.seek(skip)
    yield from _utf8_lines(stream, skip, path)


def iter_file_lines(fs_path: Any, path: str) -> Iterator[tuple[int, str] | ParseIssue]:
    """iter_text_lines over a file on disk, read a line at a time: a large UTF-8 export is
    never held in memory whole (UTF-16 files are decoded whole, as iter_text_lines does)."""
    with open(fs_path, "rb") as handle:
        name, skip = detect_encoding(handle.read(4))
        handle.seek(0 if name != "utf-8" else skip)
        if name != "utf-8":
            yield from iter_text_lines(handle.read(), path)
            return
        yield from _utf8_lines(handle, skip, path)


def _utf8_lines(stream: Any, skip: int, path: str) -> Iterator[tuple[int, str] | ParseIssue]:
    """The numbered lines of a UTF-8 byte stream positioned after its BOM (`skip` bytes)."""
    offset, number, ended = skip, 0, True
    meter = current()                 # who watches this read, asked once per file
    mark = METER_STEP if meter else NEVER
    for number, raw in enumerate(stream, start=1):
        ended = raw.endswith(b"\n")
        line, issue = _line_text(raw, number, offset, path)
        if issue is not None:
            yield issue
        offset += len(raw)
        if offset >= mark:
            meter(offset)
            mark = offset + METER_STEP
        yield number, line.rstrip("\r")
    if meter:
        meter(offset)
    if ended:         # after a final newline (or in no data at all) comes one empty line
        yield number + 1, ""


def _line_text(raw: bytes, number: int, start: int, path: str
               ) -> tuple[str, ParseIssue | None]:
    """Line `number`'s text without its newline (`start`: its offset in the file); bytes that
    are not UTF-8 are replaced, with the issue that says where."""
    body = raw[:-1] if raw.endswith(b"\n") else raw
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        where = start + exc.start
        return body.decode("utf-8", errors="replace"), ParseIssue(
            path, f"line {number}", f"bytes are not valid UTF-8 at byte offset {where}")


def csv_header_of(head: bytes, skip: int) -> list[str] | None:
    """The column names of a UTF-8 CSV's first line (`head`: the file's first bytes, `skip`:
    its BOM), stripped; None when they do not read as CSV, repeat or one is empty."""
    first = head[skip:].split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    try:
        names = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return None
    names = [name.strip() for name in names]
    return names if len(set(names)) == len(names) and all(names) else None


def decode_text(data: bytes, path: str) -> tuple[str, list[ParseIssue]]:
    """The whole text plus any decoding issues (with their line)."""
    issues: list[ParseIssue] = []
    lines: list[str] = []
    for item in iter_text_lines(data, path):
        if isinstance(item, ParseIssue):
            issues.append(item)
        else:
            lines.append(item[1])
    return "\n".join(lines), issues


# The C scanner json.loads ends up in: a line that is one object from its first to its last
# character decodes to the same value through it, without loads' checks around it.
_SCAN_ONE = json.JSONDecoder().scan_once


def _one_object(line: str) -> dict[str, Any] | None:
    """The line's object when the line is exactly one JSON object; None: ask json.loads."""
    if line[:1] != "{":
        return None
    try:
        value, end = _SCAN_ONE(line, 0)
    except (StopIteration, ValueError, RecursionError):
        return None
    return value if end == len(line) and isinstance(value, dict) else None


def iter_ndjson(data: bytes, path: str) -> Iterator[tuple[int, dict[str, Any]] | ParseIssue]:
    """One JSON object per line. Blank lines are skipped; anything else unreadable is an issue."""
    name, skip = detect_encoding(data)
    if name != "utf-8":
        return ndjson_of_lines(iter_text_lines(data, path), path)
    stream = io.BytesIO(data)
    stream.seek(skip)
    return _utf8_ndjson(stream, skip, path)


def iter_ndjson_file(fs_path: Any, path: str
                     ) -> Iterator[tuple[int, dict[str, Any]] | ParseIssue]:
    """iter_ndjson over a file on disk, read a line at a time."""
    with open(fs_path, "rb") as handle:
        name, skip = detect_encoding(handle.read(4))
        if name != "utf-8":
            handle.seek(0)
            yield from ndjson_of_lines(iter_text_lines(handle.read(), path), path)
            return
        handle.seek(skip)
        yield from _utf8_ndjson(handle, skip, path)


# orjson reads a line's bytes straight to the same value json.loads gives its text, save for
# integers past 64 bits (which it turns into floats): a line with a run of 19 digits, and any
# line orjson refuses (bad UTF-8, NaN, lone surrogates, deep nesting, not an object), goes the
# way of every other line, through the text.
_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_NUMBER = b"0" * 19


def _utf8_ndjson(stream: Any, skip: int, path: str
                 ) -> Iterator[tuple[int, dict[str, Any]] | ParseIssue]:
    """ndjson_of_lines(_utf8_lines(stream, skip, path)): the same items, each line decoded
    once by orjson from its bytes when it can be (see above)."""
    offset = skip
    meter = current()
    mark = METER_STEP if meter else NEVER
    loads, failed = orjson.loads, orjson.JSONDecodeError
    for number, raw in enumerate(stream, start=1):
        start = offset
        offset += len(raw)
        if raw[:1] == b"{" and _LONG_NUMBER not in raw.translate(_DIGITS):
            try:
                value = loads(raw)
            except failed:
                value = None
            if type(value) is dict:
                if offset >= mark:
                    meter(offset)
                    mark = offset + METER_STEP
                yield number, value
                continue
        line, issue = _line_text(raw, number, start, path)
        if issue is not None:
            yield issue
        if offset >= mark:
            meter(offset)
            mark = offset + METER_STEP
        item = _ndjson_line(number, line.rstrip("\r"), path)
        if item is not None:
            yield item
    if meter:
        meter(offset)


def ndjson_of_lines(lines: Iterable[tuple[int, str] | ParseIssue], path: str
                    ) -> Iterator[tuple[int, dict[str, Any]] | ParseIssue]:
    """The JSON objects of numbered text lines (iter_ndjson's rules)."""
    for item in lines:
        if isinstance(item, ParseIssue):
            yield item
            continue
        found = _ndjson_line(item[0], item[1], path)
        if found is not None:
            yield found


def _ndjson_line(number: int, line: str, path: str
                 ) -> tuple[int, dict[str, Any]] | ParseIssue | None:
    """One numbered line's object, or its issue; None for a blank line."""
    fast = _one_object(line)
    if fast is not None:
        return number, fast
    if not line.strip():
        return None
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        kind = "truncated JSON" if exc.pos >= len(line.rstrip()) else "invalid JSON"
        return ParseIssue(path, f"line {number}", f"{kind}: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return ParseIssue(path, f"line {number}", "JSON nested too deeply to read")
    if not isinstance(value, dict):
        return ParseIssue(path, f"line {number}",
                          f"expected a JSON object, found {type(value).__name__}")
    return number, value


def load_json(data: bytes, path: str) -> tuple[Any, list[ParseIssue]]:
    """A whole JSON document, or (None, [issue]) naming the line where it broke."""
    text, issues = decode_text(data, path)
    if not text.strip():
        return None, issues + [ParseIssue(path, "line 1", "file is empty")]
    try:
        return json.loads(text), issues
    except json.JSONDecodeError as exc:
        kind = "truncated JSON" if exc.pos >= len(text.rstrip()) else "invalid JSON"
        return None, issues + [ParseIssue(path, f"line {exc.lineno}",
                                          f"{kind}: {exc.msg} at column {exc.colno}")]
    except RecursionError:
        return None, issues + [ParseIssue(path, "line 1", "JSON nested too deeply to read")]


def iter_csv(data: bytes, path: str) -> Iterator[tuple[int, dict[str, str]] | ParseIssue]:
    """Rows as {header: value}, numbered from 1 after the header. A ragged row is an issue."""
    meter = current()
    with metered(None):           # decoding is quick: the rows are what takes the time
        text, issues = decode_text(data, path)
    yield from issues
    csv.field_size_limit(MAX_CSV_FIELD)
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream)
    # a watching meter gets the text's position, scaled to the file's bytes, now and then
    scale, mark = len(data) / max(1, len(text)), CSV_METER_ROWS if meter else NEVER
    try:
        header = next(reader, None)
    except csv.Error as exc:
        yield ParseIssue(path, "row 0", f"unreadable CSV header: {exc}")
        return
    if not header or not any(h.strip() for h in header):
        yield ParseIssue(path, "row 0", "CSV has no header row")
        return
    names = [h.strip() for h in header]
    number = 0
    while True:
        if reader.line_num >= mark:
            meter(int(stream.tell() * scale))
            mark = reader.line_num + CSV_METER_ROWS
        try:
            row = next(reader)
        except StopIteration:
            if meter:
                meter(len(data))
            return
        except csv.Error as exc:
            number += 1
            yield ParseIssue(path, f"row {number}", f"unreadable CSV row: {exc}")
            continue
        number += 1
        if not row or (len(row) == 1 and not row[0].strip()):
            number -= 1
            continue
        if len(row) != len(names):
            yield ParseIssue(path, f"row {number}",
                             f"ragged row: {len(row)} fields where the header has {len(names)}")
            continue
        yield number, dict(zip(names, row))
