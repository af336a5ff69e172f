"""Bulk path of the UAL parser: a Purview CSV export straight into the `events` table with SQL.

One `INSERT INTO events SELECT ... FROM read_csv(...)` does the work, on every DuckDB thread:
DuckDB reads the CSV and parses each AuditData twice, once for the values whose JSON type
matters (RecordType, UserType, the property lists; under try(), so a record that is not JSON is
one issue, not an error) and once, for the valid records only, for the texts. Every key is
extracted once per row; every typed column and attrs key comes from the SQL twins of the
normalizers in `m365_fields` (same rules as `m365_ual.parse`). One UPDATE then numbers the rows
and sets their action class from a small table of the distinct operations, classified by
`taxonomy.classify_action`. Python touches only what is small: the header, those operation
names, the directory-change rows (`m365_directory`, in batches) and the rejected rows.

A CSV that DuckDB cannot read as its header says makes this path step aside (None), so the
record-by-record parser takes it; running out of memory or disk is raised, never turned into a
fallback that would hold the whole export in Python objects.

Row numbers: the insert keeps file order (`preserve_insertion_order`), so the rows of one load
hold consecutive rowids in file order and `row N` is the rowid's offset. Rows DuckDB rejects are
reported by record number and the accepted rows after them are renumbered, which matches the
Python reader for exports without blank lines (Purview writes none).
"""

from __future__ import annotations

import csv
import json
import re
from contextlib import contextmanager
from typing import Any, Iterator

import duckdb
import pyarrow as pa

from ..model import ParseIssue
from ..store import memory_at_least
from ..taxonomy import classify_action
from . import m365_fields as f
from .base import Source
from .m365_directory import DIRECTORY_OPERATIONS, directory_details
from .m365_ual import (AUDIT_DATA_KEYS, JSON_FIELDS, LIST_FIELDS, SOURCE, TEXT_FIELDS,
                       WORKLOAD_TARGETS)
from .readers import detect_encoding

MAX_LINE = 64 * 1024 * 1024            # the Python reader's field limit (readers.MAX_CSV_FIELD)
# The CSV reader holds a buffer as large as the longest row it accepts, per thread: a store
# kept smaller than this (a spilling case store) gets this much while the load runs.
LOAD_MEMORY = 512 * 1024 * 1024
DIRECTORY_BATCH = 20_000
# DuckDB errors that mean "cannot read this file as the header says": the Python parser may
# try it. Anything else (out of memory, disk full, interrupted) propagates.
UNREADABLE = (duckdb.InvalidInputException, duckdb.ConversionException,
              duckdb.BinderException, duckdb.ParserException)


def bulk_load_csv(source: Source, store: Any) -> tuple[int, list[ParseIssue]] | None:
    header = _csv_header(source)
    if header is None or "AuditData" not in header:
        return None
    con = store.con
    con.execute(f.TIME_MACRO)
    with _load_settings(con):
        # One transaction: until it commits the rows sit in its local storage, where numbering
        # and classifying them is cheap (an UPDATE of stored, compressed rows is not), and a
        # load that fails leaves nothing behind.
        con.execute("BEGIN TRANSACTION")
        try:
            loaded = _load(con, header, source)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT" if loaded is not None else "ROLLBACK")
    return loaded


@contextmanager
def _load_settings(con: Any) -> Iterator[None]:
    """Insertion order kept (row numbers come from it) and at least LOAD_MEMORY, then the
    store's own settings back."""
    order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = true")
    try:
        with memory_at_least(con, LOAD_MEMORY):
            yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if order else 'false'}")


def _load(con: Any, header: list[str], source: Source
          ) -> tuple[int, list[ParseIssue]] | None:
    tag = source.sha256[:12]
    try:
        con.execute(_insert_sql(header, tag, source))
    except UNREADABLE:
        return None
    _number_and_classify(con, source.sha256)
    issues = sorted(_rejected(con, source, tag) + _invalid(con, source),
                    key=lambda issue: int(issue.locator.split()[1]))
    _directory_details(con, source.sha256)
    loaded = con.execute("SELECT count(*) FROM events WHERE sha256 = ? AND source = ?",
                         [source.sha256, SOURCE]).fetchone()[0]
    return loaded, issues


def _csv_header(source: Source) -> list[str] | None:
    with open(source.fs_path, "rb") as handle:
        head = handle.read(64 * 1024)
    encoding, skip = detect_encoding(head)
    if encoding != "utf-8":
        return None
    first = head[skip:].split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    try:
        names = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return None
    names = [name.strip() for name in names]
    return names if len(set(names)) == len(names) and all(names) else None


class _Paths:
    """The AuditData keys the load reads: `jv` holds JSON values, `tv` texts, one slot a key."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.json: list[str] = []

    def text_at(self, key: str) -> str:
        if key not in self.text:
            self.text.append(key)
        return f"tv[{self.text.index(key) + 1}]"

    def json_at(self, key: str) -> str:
        if key not in self.json:
            self.json.append(key)
        return f"jv[{self.json.index(key) + 1}]"

    def present(self, key: str) -> str:
        """The JSON value is there and neither null nor "" (what `m365_fields.pick` skips)."""
        return f"{self.json_at(key)} NOT IN ('null', '\"\"')"

    def lists(self) -> tuple[str, str]:
        def paths(keys: list[str]) -> str:
            return "[" + ", ".join(f"'$.\"{k}\"'" for k in keys) + "]"
        return paths(self.text), paths(self.json)


def _pick_sql(keys: tuple[tuple[str, ...], tuple[str, ...]], header: list[str],
              paths: _Paths) -> str:
    audit_keys, envelope_keys = keys
    parts = [f"nullif({paths.text_at(k)}, '')" for k in audit_keys]
    parts += [f'nullif("{k}", \'\')' for k in envelope_keys if k in header]
    return f"coalesce({', '.join(parts)})"


def _pick_json_sql(keys: tuple[tuple[str, ...], tuple[str, ...]], header: list[str],
                   paths: _Paths) -> str:
    audit_keys, envelope_keys = keys
    whens = [f"WHEN {paths.present(k)} THEN {paths.json_at(k)}" for k in audit_keys]
    whens += [f'WHEN nullif("{k}", \'\') IS NOT NULL THEN to_json("{k}")'
              for k in envelope_keys if k in header]
    return f"CASE {' '.join(whens)} END"


def _list_json_sql(keys: tuple[str, ...], paths: _Paths) -> str:
    whens = " ".join(f"WHEN {paths.present(k)} THEN {paths.json_at(k)}" for k in keys)
    return f"CASE {whens} END"


def _fields_sql(header: list[str], paths: _Paths) -> str:
    cols = [f"{_pick_sql(keys, header, paths)} AS t_{name}" for name, keys in TEXT_FIELDS.items()]
    cols += [f"{_pick_json_sql(keys, header, paths)} AS j_{name}"
             for name, keys in JSON_FIELDS.items()]
    for name, column in (("parameters", "params"), ("extended_properties", "extended")):
        cols.append(f"{f.name_value_map_sql(_list_json_sql(LIST_FIELDS[name], paths))} AS {column}")
    cols.append(f"{f.modified_map_sql(_list_json_sql(LIST_FIELDS['modified_properties'], paths))}"
                " AS modified")
    return ",\n  ".join(cols)


def _attrs_sql() -> str:
    plain = [n for n in TEXT_FIELDS if n not in ("time", "client_ip", "user_agent", "app_id")]
    pairs = [f"'{n}', t_{n}" for n in plain] + [
        f"'client_ip', {f.client_ip_sql('t_client_ip')}",
        "'user_agent', coalesce(t_user_agent, json_extract_string(extended, '$.UserAgent'))",
        "'app_id', lower(t_app_id)", "'record_type', j_record_type",
        "'parameters', params::JSON", "'modified_properties', modified::JSON",
        "'extended_properties', extended::JSON"]
    return f"json_object({', '.join(pairs)})"


def _scan_sql(header: list[str], tag: str, source: Source) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", source.sha256):
        raise ValueError("source sha256 is not a hex digest")
    path = str(source.fs_path).replace("'", "''")
    columns = "{" + ", ".join("'" + h.replace("'", "''") + "': 'VARCHAR'" for h in header) + "}"
    return (f"read_csv('{path}', header = true, auto_detect = false, columns = {columns}, "
            "delim = ',', quote = '\"', escape = '\"', ignore_errors = true, "
            f"store_rejects = true, rejects_table = 'th_rejects_{tag}', "
            f"rejects_scan = 'th_scans_{tag}', max_line_size = {MAX_LINE}, "
            f"buffer_size = {MAX_LINE})")


def _insert_sql(header: list[str], tag: str, source: Source) -> str:
    audit_col = next(k for k in AUDIT_DATA_KEYS if k in header)
    envelope = sorted({k for keys in (*TEXT_FIELDS.values(), *JSON_FIELDS.values())
                       for k in keys[1] if k in header})
    env = "".join(f', "{k}"' for k in envelope)
    targets = " ".join(f"WHEN '{w}' THEN '{t}'" for w, t in WORKLOAD_TARGETS.items())
    paths = _Paths()
    fields = _fields_sql(header, paths)
    text_paths, json_paths = paths.lists()
    sha = source.sha256
    return f"""
INSERT INTO events
WITH c AS (
  SELECT "{audit_col}" AS audit{env} FROM {_scan_sql(header, tag, source)}
), p AS (
  SELECT *, try(json_extract(audit, {json_paths})) AS jv FROM c
), q AS (
  SELECT *, jv IS NOT NULL AND regexp_matches(audit, '^[ \t\r\n]*[{{]') AS ok,
    CASE WHEN jv IS NOT NULL THEN json_extract_string(audit, {text_paths}) END AS tv
  FROM p
), v AS (
  SELECT audit, ok, {fields}
  FROM q
), w AS (
  SELECT *, {f.canonical_operation_sql('t_operation')} AS act FROM v
)
SELECT NULL, '{sha}', NULL, '{SOURCE}',
  {f.utc_time_sql('t_time')}, act, NULL,
  {f.actor_id_sql('t_user_id')}, {f.actor_kind_sql('t_user_id', 'j_user_type')},
  coalesce(nullif(json_extract_string(params, '$.Identity'), ''), t_object_id),
  CASE t_workload {targets} END,
  NULL, {f.outcome_sql('t_result_status', 'act')}, NULL, NULL, NULL, NULL, NULL, NULL,
  CASE WHEN ok THEN {_attrs_sql()} END,
  CASE WHEN NOT ok THEN
    CASE WHEN coalesce(trim(audit), '') = '' THEN 'record has no AuditData'
         ELSE 'AuditData is not a JSON object' END
  WHEN act = '' THEN 'record names no Operation' ELSE audit END
FROM w
"""


def _drop_rejects(con: Any, tag: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS th_rejects_{tag}")
    con.execute(f"DROP TABLE IF EXISTS th_scans_{tag}")


def _rejected(con: Any, source: Source, tag: str) -> list[ParseIssue]:
    """Issues for the rows DuckDB rejected; accepted rows after them are renumbered."""
    rejects = con.execute(
        f"SELECT line, min(error_type), min(error_message) FROM th_rejects_{tag} "
        "GROUP BY line ORDER BY line"
    ).fetchall()
    _drop_rejects(con, tag)
    if not rejects:
        return []
    rows = [line - 1 for line, _, _ in rejects]
    # accepted row n moves down by the number of rejected rows before it: the rejects whose
    # count of accepted rows before them (row - index) is at most n
    shifts = [row - index for index, row in enumerate(rows)]
    con.execute("CREATE OR REPLACE TEMP TABLE th_shift AS SELECT pos, max(k) AS s FROM "
                "(SELECT unnest(?) AS pos, generate_subscripts(?, 1) AS k) GROUP BY pos",
                [shifts, shifts])
    con.execute("""
        UPDATE events SET locator = 'row ' || (m.n + m.s),
               event_id = left(sha256(events.sha256 || chr(0) || 'row ' || (m.n + m.s)), 16)
        FROM (SELECT e.event_id AS id, e.n, t.s
              FROM (SELECT event_id, CAST(substr(locator, 5) AS BIGINT) AS n FROM events
                    WHERE sha256 = ? AND source = ?) e
              ASOF JOIN th_shift t ON e.n >= t.pos) AS m
        WHERE events.event_id = m.id AND events.sha256 = ?""",
                [source.sha256, SOURCE, source.sha256])
    con.execute("DROP TABLE th_shift")
    return [ParseIssue(source.path, f"row {row}", f"unreadable CSV row: {kind.lower()}: {message}")
            for row, (_, kind, message) in zip(rows, rejects)]


def _invalid(con: Any, source: Source) -> list[ParseIssue]:
    """Rows loaded without a usable record: reported, then removed from the table."""
    where = "sha256 = ? AND source = ? AND (attrs IS NULL OR action = '')"
    found = con.execute(f"SELECT locator, raw FROM events WHERE {where}",
                        [source.sha256, SOURCE]).fetchall()
    if found:
        con.execute(f"DELETE FROM events WHERE {where}", [source.sha256, SOURCE])
    return [ParseIssue(source.path, locator, problem) for locator, problem in found]


def _number_and_classify(con: Any, sha256: str) -> None:
    """Locator, event id and action class of the rows just loaded (the ones without a locator).

    Their rowids are consecutive in file order, so record N is rowid - first + 1. The class of
    each distinct operation comes from the taxonomy and is joined in by name.
    """
    mine = "events.sha256 = ? AND events.source = ? AND events.locator IS NULL"
    first, = con.execute(f"SELECT min(rowid) FROM events WHERE {mine}", [sha256, SOURCE]).fetchone()
    if first is None:
        return
    actions = [a for (a,) in con.execute(f"SELECT DISTINCT action FROM events WHERE {mine}",
                                         [sha256, SOURCE]).fetchall()]
    table = pa.table({"action": pa.array(actions, pa.string()),
                      "klass": pa.array([classify_action(a) for a in actions], pa.string())})
    row = f"'row ' || (events.rowid - {int(first) - 1})"
    con.register("th_classes", table)
    try:
        con.execute(f"UPDATE events SET locator = {row}, action_class = k.klass, "
                    f"event_id = left(sha256(events.sha256 || chr(0) || {row}), 16) "
                    f"FROM th_classes k WHERE events.action = k.action AND {mine}",
                    [sha256, SOURCE])
    finally:
        con.unregister("th_classes")


def _directory_details(con: Any, sha256: str) -> None:
    """Role, consent, MFA and target-user details of directory changes, a batch at a time."""
    operations = "(" + ", ".join("'" + op.replace("'", "''") + "'"
                                 for op in sorted(DIRECTORY_OPERATIONS)) + ")"
    after = -1
    while True:
        # the rowids first (a scan of short columns), then attrs and raw of just those rows
        batch = con.execute(
            "SELECT rowid, action, attrs, raw FROM events WHERE rowid IN ("
            "  SELECT rowid FROM events WHERE sha256 = ? AND source = ? "
            f"  AND action IN {operations} AND rowid > ? ORDER BY rowid LIMIT ?) ORDER BY rowid",
            [sha256, SOURCE, after, DIRECTORY_BATCH]).fetchall()
        if not batch:
            return
        _update_directory_rows(con, batch)
        after = batch[-1][0]


def _update_directory_rows(con: Any, found: list[tuple]) -> None:
    rowids, attrs_out, targets, kinds = [], [], [], []
    for rowid, action, attrs_text, raw_text in found:
        attrs, audit = json.loads(attrs_text), json.loads(raw_text)
        details = directory_details(action, attrs["modified_properties"],
                                    f.pick(audit, *LIST_FIELDS["targets"]), attrs["object_id"])
        attrs.update(details)
        user = details.get("target_user")
        rowids.append(rowid)
        attrs_out.append(json.dumps(attrs, sort_keys=True))
        targets.append(user)
        kinds.append("user" if user else None)
    con.register("th_dir", pa.table({"rid": pa.array(rowids, pa.int64()), "attrs": attrs_out,
                                     "target": pa.array(targets, pa.string()),
                                     "kind": pa.array(kinds, pa.string())}))
    try:
        con.execute("UPDATE events SET attrs = d.attrs, "
                    "target_id = coalesce(d.target, events.target_id), "
                    "target_type = coalesce(d.kind, events.target_type) FROM th_dir d "
                    "WHERE events.rowid = d.rid")
    finally:
        con.unregister("th_dir")
