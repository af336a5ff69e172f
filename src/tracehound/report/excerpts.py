"""The exact record behind each evidence ref, for the report's appendix.

For every (sha256, locator) the report cites we look up the record text in the evidence file:
the text line for `line N`, the header and data row for `row N` (CSV), and the JSON value at
`json:/pointer`, shown indented. A file is read only when it is a plain file whose bytes still
hash to the sha256 on record; an archive member (or a file that changed) falls back to the
parsed record the pipeline kept, labelled as such. Every excerpt is capped in length and has
secrets replaced by the redacted form the secret scanner uses (first characters + sha256
prefix), since excerpts show raw evidence, which findings never do.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..effects.secrets import scrub
from ..formats.readers import decode_text, iter_text_lines, load_json

MAX_EXCERPT_CHARS = 1000
MAX_READ_BYTES = 256 * 1024 * 1024       # bigger files are cited, not excerpted
_LINE = re.compile(r"line (\d+)$")
_ROW = re.compile(r"row (\d+)$")


@dataclass(frozen=True)
class Excerpt:
    sha256: str
    locator: str
    text: str          # already redacted and shortened
    origin: str        # "file", "parsed record" or "unavailable"
    note: str = ""


def _cap(text: str) -> str:
    if len(text) <= MAX_EXCERPT_CHARS:
        return text
    more = len(text) - MAX_EXCERPT_CHARS
    return f"{text[:MAX_EXCERPT_CHARS]}\n[... {more} more characters not shown]"


def _readable(path: str, sha256: str, size: int | None) -> bytes | None:
    """The file's bytes when it is a plain file that still matches its recorded hash."""
    candidate = Path(path)
    try:
        if not candidate.is_file() or candidate.stat().st_size > MAX_READ_BYTES:
            return None
        if size is not None and candidate.stat().st_size != size:
            return None
        data = candidate.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def _lines(data: bytes, wanted: set[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    if not wanted:
        return found
    for item in iter_text_lines(data, ""):
        if isinstance(item, tuple) and item[0] in wanted:
            found[item[0]] = item[1]
            if len(found) == len(wanted):
                break
    return found


def _rows(data: bytes, wanted: set[int]) -> dict[int, str]:
    """Data rows numbered as the CSV reader numbers them (blank rows skipped)."""
    found: dict[int, str] = {}
    if not wanted:
        return found
    text, _ = decode_text(data, "")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        number = 0
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            number += 1
            if number in wanted:
                found[number] = _row_text(header, row)
                if len(found) == len(wanted):
                    break
    except csv.Error:
        pass
    return found


def _row_text(header: list[str], row: list[str]) -> str:
    names = [h.strip() for h in header] + [f"(column {i + 1})"
                                          for i in range(len(header), len(row))]
    return "\n".join(f"{name}: {value}" for name, value in zip(names, row))


def resolve_pointer(document: Any, pointer: str) -> tuple[bool, Any]:
    """(found, value) for an RFC 6901 pointer."""
    if pointer == "":
        return True, document
    if not pointer.startswith("/"):
        return False, None
    node = document
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


def _pointers(data: bytes, wanted: set[str]) -> dict[str, str]:
    if not wanted:
        return {}
    document, issues = load_json(data, "")
    if document is None:
        return {}
    found = {}
    for pointer in wanted:
        ok, value = resolve_pointer(document, pointer)
        if ok:
            found[pointer] = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return found


def _from_file(data: bytes, locators: set[str]) -> dict[str, str]:
    lines = {int(m.group(1)) for loc in locators if (m := _LINE.match(loc))}
    rows = {int(m.group(1)) for loc in locators if (m := _ROW.match(loc))}
    pointers = {loc[5:] for loc in locators if loc.startswith("json:")}
    out: dict[str, str] = {}
    out.update({f"line {n}": text for n, text in _lines(data, lines).items()})
    out.update({f"row {n}": text for n, text in _rows(data, rows).items()})
    out.update({f"json:{p}": text for p, text in _pointers(data, pointers).items()})
    return out


def _raw_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    return json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)


def collect_excerpts(refs: Iterable[tuple[str, str]], evidence: Iterable[Mapping[str, Any]],
                     raw_records: Mapping[tuple[str, str], Any]) -> dict[tuple[str, str], Excerpt]:
    """Excerpts for the given (sha256, locator) pairs; one file read per evidence file."""
    by_sha: dict[str, set[str]] = {}
    for sha, locator in refs:
        by_sha.setdefault(sha, set()).add(locator)
    files = {e["sha256"]: e for e in evidence}
    out: dict[tuple[str, str], Excerpt] = {}
    for sha in sorted(by_sha):
        entry = files.get(sha)
        data = _readable(entry["path"], sha, entry.get("bytes")) if entry else None
        texts = _from_file(data, by_sha[sha]) if data is not None else {}
        for locator in sorted(by_sha[sha]):
            out[(sha, locator)] = _excerpt(sha, locator, texts.get(locator),
                                           raw_records.get((sha, locator)), data is not None)
    return out


def _excerpt(sha: str, locator: str, text: str | None, raw: Any, file_read: bool) -> Excerpt:
    if text is not None:
        return Excerpt(sha, locator, _cap(scrub(text)), "file")
    if raw is not None:
        note = ("re-serialized from the parsed record; the file itself was not readable here "
                "(archive member, moved, or changed since it was hashed)")
        return Excerpt(sha, locator, _cap(scrub(_raw_text(raw))), "parsed record", note)
    note = ("the locator was not found in the file" if file_read else
            "the file was not readable here and no parsed record was kept")
    return Excerpt(sha, locator, "", "unavailable", note)
