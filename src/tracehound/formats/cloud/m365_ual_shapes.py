"""The shapes of a large UAL export the bulk loader reads, each as the records of one SQL scan.

- Purview CSV (`RecordId,CreationDate,...,AuditData,...`): DuckDB's CSV reader, AuditData a
  JSON string, the other columns its envelope. Locators `row N`.
- JSON lines (what Microsoft-Extractor-Suite and PowerShell `ConvertTo-Json -Compress` loops
  write): one record a line, AuditData a nested object or a JSON string, or the line the
  AuditData record itself. Read as lines by the CSV reader (one column, no quoting), so blank
  lines keep their number. Locators `line N`.
- A JSON array of such records (`ConvertTo-Json` of a search's results): DuckDB's JSON reader
  hands each element's text. Locators `json:/N`.

Each shape's `records_sql` yields `audit` (the AuditData text), `rec` (a JSON record's whole
text, NULL for a CSV row or a blank line) and one text column per envelope key it carries
(named as the key), plus `"json:KEY"` (the value as JSON) for the keys kept with their JSON
type. A shape that does not fit (UTF-16, a Graph page, a single JSON object, a CSV without
AuditData) is None: the record-by-record parser reads the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..base import Source
from ..readers import csv_header_of, detect_encoding
from .m365_ual import AUDIT_DATA_KEYS, JSON_FIELDS, TEXT_FIELDS

HEAD = 64 * 1024
ENVELOPE_KEYS = tuple(sorted({k for keys in (*TEXT_FIELDS.values(), *JSON_FIELDS.values())
                              for k in keys[1]}))
JSON_ENVELOPE_KEYS = tuple(sorted({k for keys in JSON_FIELDS.values() for k in keys[1]}))
# a character no line of a JSON lines file holds outside an invalid record (JSON escapes
# control characters): the one-column CSV reader's delimiter
UNIT_SEPARATOR = 31


@dataclass
class Shape:
    kind: str                 # "csv", "lines" or "array"
    path: str                 # the file, quoted for SQL
    envelope: frozenset[str]  # envelope keys the records may carry
    header: list[str] = field(default_factory=list)
    crlf: bool = False

    @property
    def json(self) -> bool:
        return self.kind != "csv"

    @property
    def prefix(self) -> str:
        return {"csv": "row ", "lines": "line ", "array": "json:/"}[self.kind]

    @property
    def base(self) -> int:
        """The number of the first record (rows and lines count from 1, pointers from 0)."""
        return 0 if self.kind == "array" else 1

    @property
    def header_lines(self) -> int:
        """Lines before the first record, which DuckDB's reject line numbers count."""
        return 1 if self.kind == "csv" else 0

    @property
    def rejects(self) -> bool:
        return self.kind != "array"

    def envelope_json(self, key: str) -> str:
        """An envelope key's value as JSON."""
        return f'to_json("{key}")' if self.kind == "csv" else f'"json:{key}"'

    def records_sql(self, tag: str, max_line: int) -> str:
        """The records, lines of up to `max_line` bytes (longer ones are rejects)."""
        if self.kind == "csv":
            audit = next(k for k in AUDIT_DATA_KEYS if k in self.header)
            env = "".join(f', "{k}"' for k in sorted(self.envelope))
            return (f'SELECT "{audit}" AS audit, NULL::VARCHAR AS rec{env} '
                    f"FROM {self._scan(tag, max_line)}")
        return self._json_records(tag, max_line)

    def _json_records(self, tag: str, max_line: int) -> str:
        """One parse of each record's text pulls out the AuditData (either spelling) and the
        envelope values; `a` is the AuditData as JSON, NULL for a record without the key."""
        keys = [*AUDIT_DATA_KEYS, *sorted(self.envelope)]
        paths = "[" + ", ".join(f"'$.\"{k}\"'" for k in keys) + "]"
        text = [f'CASE WHEN a IS NOT NULL THEN json_extract_string(x[{keys.index(k) + 1}], '
                f"'$') END AS \"{k}\"" for k in sorted(self.envelope)]
        typed = [f'CASE WHEN a IS NOT NULL THEN x[{keys.index(k) + 1}] END AS "json:{k}"'
                 for k in sorted(self.envelope) if k in JSON_ENVELOPE_KEYS]
        if self.kind == "lines":
            lines = f"SELECT rtrim(line, chr(13)) AS rec FROM {self._scan(tag, max_line)}"
        else:
            lines = (f"SELECT CAST(json AS VARCHAR) AS rec FROM read_json_objects("
                     f"'{self.path}', format = 'array', maximum_object_size = {max_line})")
        return f"""SELECT CASE WHEN a IS NULL THEN rec WHEN a[1] = '{{' THEN a
       WHEN a[1] = '"' THEN json_extract_string(a, '$') ELSE '' END AS audit,
    rec, {', '.join(text + typed)}
  FROM (SELECT *, CAST(coalesce(x[1], x[2]) AS VARCHAR) AS a FROM (
    SELECT rec, CASE WHEN regexp_matches(rec, '^[ \\t\\r\\n]*[{{]')
                THEN try(json_extract(rec, {paths})) END AS x
    FROM ({lines})))"""

    def _scan(self, tag: str, max_line: int) -> str:
        rejects = (f"ignore_errors = true, store_rejects = true, rejects_table = "
                   f"'th_rejects_{tag}', rejects_scan = 'th_scans_{tag}', "
                   f"max_line_size = {max_line}")
        if self.kind == "csv":
            columns = "{" + ", ".join("'" + h.replace("'", "''") + "': 'VARCHAR'"
                                      for h in self.header) + "}"
            return (f"read_csv('{self.path}', header = true, auto_detect = false, "
                    f"columns = {columns}, delim = ',', quote = '\"', escape = '\"', {rejects})")
        # CRLF files: DuckDB's strict reader takes only one newline spelling per file
        new_line, strict = ("'\\r\\n'", "false") if self.crlf else ("'\\n'", "true")
        return (f"read_csv('{self.path}', header = false, auto_detect = false, "
                f"columns = {{'line': 'VARCHAR'}}, delim = chr({UNIT_SEPARATOR}), quote = '', "
                f"escape = '', new_line = {new_line}, strict_mode = {strict}, {rejects})")


def shape_of(source: Source) -> Shape | None:
    """The bulk shape of a UTF-8 UAL export, or None (the Python parser reads it)."""
    with open(source.fs_path, "rb") as handle:
        head = handle.read(HEAD)
    encoding, skip = detect_encoding(head)
    if encoding != "utf-8":
        return None
    path = str(source.fs_path).replace("'", "''")
    start = head[skip:].lstrip()[:1]
    if start == b"[":
        return Shape("array", path, frozenset(ENVELOPE_KEYS))
    if start == b"{":
        crlf = _json_lines(source, skip)
        return None if crlf is None else Shape("lines", path, frozenset(ENVELOPE_KEYS),
                                               crlf=crlf)
    header = csv_header_of(head, skip)
    if header is None or "AuditData" not in header:
        return None
    return Shape("csv", path, frozenset(k for k in ENVELOPE_KEYS if k in header), header)


def _json_lines(source: Source, skip: int) -> bool | None:
    """Whether the file is JSON lines as the Python reader tells them (its first line one
    object, another non-blank line among the first three): then whether its lines end in
    CRLF; None when it is one JSON document instead."""
    with open(source.fs_path, "rb") as handle:
        handle.seek(skip)
        lines = [handle.readline() for _ in range(3)]
    first = lines[0].strip()
    try:
        if not isinstance(json.loads(first.decode("utf-8")), dict):
            return None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    if sum(1 for line in lines if line.strip()) < 2:
        return None
    return lines[0].endswith(b"\r\n")


def newline_count(source: Source) -> int:
    """Lines of a file as DuckDB's line reader counts them: its newlines, one more when the
    last line has none."""
    count, last = 0, b"\n"
    with open(source.fs_path, "rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")

