"""Bulk path of the Purview CopilotInteraction parser: a large CSV export straight into the store.

DuckDB's CSV reader splits the export into rows (on every DuckDB thread, a connection of its
own, so the store's connection is free to take the rows), numbered in file order; each row is
then mapped by the record-by-record parser's own `record` (its key casing, policy and resource
rules are Python's), and the events go into the case store a batch at a time. The export is
never decoded whole and its events are never held as one Python list: memory stays at a batch.
The rows taken so far are reported to the progress meter as bytes of the file (the parser
sets `bulk_meter`, so the pipeline does not poll the store's connection, which is not the one
reading).

An export DuckDB cannot read as its header says, or with rows its reader rejects (ragged,
not UTF-8, too long), steps aside (None): the record-by-record parser reads it and words each
issue. JSON shapes are left to that parser too.
"""

from __future__ import annotations

from typing import Any, Callable

import duckdb
import pyarrow.compute as pc

from ...model import Event, ParseIssue, row_ref
from ..base import Source
from ..meter import current
from ..readers import csv_header_of, detect_encoding

BATCH = 20_000
MAX_LINE = 2 * 1024 * 1024       # longer rows step aside (the Python reader takes them)
UNREADABLE = (duckdb.InvalidInputException, duckdb.ConversionException,
              duckdb.BinderException, duckdb.ParserException)


def bulk_load(parser: Any, source: Source, store: Any
              ) -> tuple[int, list[ParseIssue]] | None:
    header = csv_header(source)
    if header is None or "auditdata" not in {h.lower() for h in header}:
        return None
    reader = duckdb.connect()
    # One transaction: rows DuckDB rejects are known only once the scan is done, and then
    # the events loaded so far go (the Python reader takes the file and words the issues).
    store.begin()
    try:
        reader.execute("SET threads TO 2")
        reader.execute("SET preserve_insertion_order = true")     # rows in file order
        try:
            batches = reader.sql(_scan_sql(source, header)).to_arrow_reader(BATCH)
            loaded = _map_rows(parser, source, header, batches, store.load_events,
                               _progress(source))
        except UNREADABLE:
            loaded = None
        if loaded is None or _rejected(reader):
            store.rollback()
            return None
    except BaseException:
        store.rollback()
        raise
    finally:
        reader.close()
    store.commit()
    return loaded


def _progress(source: Source) -> Callable[[Any], None]:
    """Report how far the rows taken so far reach into the file to the meter watching this
    read: their cells' bytes plus a separator each (a little short of the file's bytes, which
    also hold the quotes CSV adds; never past the file's size)."""
    meter, done = current(), [0]
    if meter is None:
        return lambda batch: None

    def report(batch: Any) -> None:
        done[0] += batch.num_rows * batch.num_columns + sum(
            pc.sum(pc.binary_length(column)).as_py() or 0 for column in batch.columns)
        meter(min(done[0], source.size))
    return report


def _map_rows(parser: Any, source: Source, header: list[str], batches: Any,
              load: Callable[[list[Event]], Any], progress: Callable[[Any], None]
              ) -> tuple[int, list[ParseIssue]] | None:
    """Every row through the parser's `record`, numbered as the Python CSV reader numbers
    them; events loaded a batch at a time."""
    count, number, issues = 0, 0, []
    for batch in batches:
        columns = [batch.column(i).to_pylist() for i in range(len(header))]
        events: list[Event] = []
        for values in zip(*columns):
            number += 1
            record = dict(zip(header, ("" if v is None else v for v in values)))
            for item in parser.record(source, row_ref(source.sha256, number), record):
                (issues if isinstance(item, ParseIssue) else events).append(item)
        load(events)
        count += len(events)
        progress(batch)
    if number == 0:
        return None            # no rows: the Python reader says why
    return count, issues


def _scan_sql(source: Source, header: list[str]) -> str:
    path = str(source.fs_path).replace("'", "''")
    columns = "{" + ", ".join("'" + h.replace("'", "''") + "': 'VARCHAR'" for h in header) + "}"
    return (f"SELECT * FROM read_csv('{path}', header = true, auto_detect = false, "
            f"columns = {columns}, delim = ',', quote = '\"', escape = '\"', "
            "ignore_errors = true, store_rejects = true, rejects_table = 'th_rejects', "
            f"rejects_scan = 'th_scans', max_line_size = {MAX_LINE})")


def _rejected(reader: Any) -> bool:
    """Whether DuckDB rejected any row of the finished scan."""
    try:
        return reader.execute("SELECT count(*) FROM th_rejects").fetchone()[0] > 0
    except duckdb.CatalogException:
        return False


def csv_header(source: Source) -> list[str] | None:
    with open(source.fs_path, "rb") as handle:
        head = handle.read(64 * 1024)
    encoding, skip = detect_encoding(head)
    if encoding != "utf-8" or head[skip:].lstrip()[:1] in (b"{", b"["):
        return None
    return csv_header_of(head, skip)
